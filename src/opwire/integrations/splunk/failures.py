"""Splunk HEC's failure table, told apart by the body's `code` (one 403 can be code 1 or 4), and
what the probe itself detects.

Pages followed: help.splunk.com "Troubleshoot HTTP Event Collector" (codes 0–22, mirrored in
shared/specs/splunk/splunkadmins_hec_reply_code_lookup.csv); seed § 4 ("403 token disabled");
vendor-contracts.md § 6.
"""

from __future__ import annotations

from opwire.diagnosis import Rule

RUNBOOK = "setup-runbooks/splunk.md"
_SENDER = "A bug in the sender: report it with this output; the token is fine."
# code -> (status, slug, cause, fix)
CODES: dict[int, tuple[int, str, str, str]] = {
    1: (
        403,
        "token_disabled",
        "The HEC token is disabled.",
        "Re-enable the token (Settings → Data Inputs → HTTP Event Collector) and confirm its "
        "allowed indexes include your target.",
    ),
    2: (401, "token_missing", "HEC received no token.", "Set SPLUNK_HEC_TOKEN."),
    3: (
        401,
        "bad_authorization",
        "HEC could not read the Authorization header.",
        "A proxy may rewrite the header; send `Authorization: Splunk <token>`.",
    ),
    4: (
        403,
        "token_invalid",
        "HEC does not know SPLUNK_HEC_TOKEN (mistyped, deleted, or for another Splunk).",
        "Copy the token value again from the HEC token list.",
    ),
    5: (400, "no_data", "HEC received an empty body.", _SENDER),
    6: (400, "invalid_format", "HEC could not parse the event.", _SENDER),
    7: (
        400,
        "incorrect_index",
        "The token may not write to the target index (index ACL).",
        "Add the index to the token's allowed indexes, or use the token's default index.",
    ),
    8: (
        500,
        "internal_error",
        "Splunk reported an internal server error.",
        "Check splunkd.log on the HEC host; retry later.",
    ),
    9: (
        503,
        "busy",
        "Splunk is busy (indexer queues full) for the whole budget.",
        "Retry later; if it persists, the indexers need attention.",
    ),
    10: (
        400,
        "channel_missing",
        "The token has indexer acknowledgment on and needs a channel.",
        _SENDER,
    ),
    11: (400, "channel_invalid", "The request channel is not a GUID.", _SENDER),
    12: (400, "event_required", "The event had no `event` field.", _SENDER),
    13: (400, "event_blank", "The event's `event` field was blank.", _SENDER),
    14: (
        400,
        "ack_disabled",
        "Indexer acknowledgment is off for this token.",
        "Nothing to fix unless you want ack: enable it on the token.",
    ),
    15: (400, "indexed_fields", "HEC refused the indexed fields.", _SENDER),
    16: (400, "query_auth_disabled", "Query-string authorization is disabled.", _SENDER),
    18: (
        503,
        "unhealthy",
        "HEC is unhealthy: queues are full.",
        "The indexers are backed up; check the indexing pipeline.",
    ),
    19: (
        503,
        "unhealthy",
        "HEC is unhealthy: the ack service is unavailable.",
        "Check the indexers' acknowledgment service.",
    ),
    20: (
        503,
        "unhealthy",
        "HEC is unhealthy: queues full and ack service unavailable.",
        "The indexers need attention.",
    ),
    21: (
        400,
        "health_token_invalid",
        "HEC's health check does not know the token.",
        "Copy the token value again from the HEC token list.",
    ),
    22: (
        400,
        "health_token_disabled",
        "HEC's health check says the token is disabled.",
        "Re-enable the token.",
    ),
}


def _coded(code: int) -> Rule:
    status, slug, cause, fix = CODES[code]
    return Rule(
        f"splunk.{slug}",
        cause,
        fix,
        status=status,
        json={"code": code},
        runbook=f"{RUNBOOK}#{slug.replace('_', '-')}",
    )


RULES: tuple[Rule, ...] = (
    *(_coded(code) for code in CODES),
    Rule(
        "splunk.tls_untrusted",
        "SPLUNK_HEC_URL's TLS certificate is not trusted: self-signed (common on dev HEC) or "
        "signed by a CA this machine does not know.",
        "Trust the HEC's CA (SSL_CERT_FILE=/path/to/ca.pem). In dev only, SPLUNK_HEC_INSECURE=1 "
        "turns verification off for Splunk alone; never in production.",
        transport="tls",
        runbook=f"{RUNBOOK}#tls-untrusted",
    ),
    Rule(
        "splunk.search_auth",
        "The search API refused SPLUNK_SEARCH_TOKEN.",
        "Create a Splunk authentication token with search rights on the HEC index and put it "
        "in SPLUNK_SEARCH_TOKEN.",
        status=401,
        runbook=f"{RUNBOOK}#search-auth",
    ),
    Rule(
        "splunk.not_indexed",
        "HEC received the event but never acknowledged it as indexed within the window.",
        "Check the indexers' health and queues; Splunk suggests polling acks for up to 5 min.",
        runbook=f"{RUNBOOK}#not-indexed",
    ),
    Rule(
        "splunk.not_searchable",
        "HEC received the event (200) but a search did not find it: it went to another index "
        "than the search covers, or the search role cannot see that index.",
        "Check the token's default index and that the search token's role searches it.",
        runbook=f"{RUNBOOK}#not-searchable",
    ),
)


# The drills of this room's named scenarios (mock.py): each must produce this code (opwire drill).
DRILLS: dict[str, str] = {
    "splunk/token_disabled": "splunk.token_disabled",
    "splunk/incorrect_index": "splunk.incorrect_index",
    "splunk/unhealthy": "splunk.unhealthy",
    "splunk/not_indexed": "splunk.not_indexed",
}
