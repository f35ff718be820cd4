"""Sentry's failure table: Relay's ingest answers (`{"detail": …}`, 401/403 `with_reason`),
the web API's auth errors, and what the probe itself detects.

Pages followed: Relay relay-server/src/extractors/request_meta.rs and endpoints/common.rs,
develop.sentry.dev/sdk/rate-limiting/, docs.sentry.io/api/auth/; seed § 4 ("401 against a
valid-looking DSN: US-vs-EU region mismatch"); vendor-contracts.md § 2.
"""

from __future__ import annotations

from opwire.diagnosis import Rule, rule_maker

RUNBOOK = "setup-runbooks/sentry.md"
_REISSUE = (
    "Copy the DSN again from Project → Settings → Client Keys of the right project and "
    "org; EU orgs have *.ingest.de.sentry.io hosts."
)
_TOKEN = (
    "Create an auth token with event:read and event:write (Settings → Auth Tokens) in the "
    "org named by SENTRY_ORG and put it in SENTRY_AUTH_TOKEN."
)


_rule = rule_maker("sentry", RUNBOOK)


RULES: tuple[Rule, ...] = (
    _rule(
        "region_mismatch",
        "Sentry answered 401 to a valid-looking DSN: a US-vs-EU region mismatch (the DSN's "
        "ingest host is in the other region than the org).",
        _REISSUE,
        status=401,
        step="send",
    ),
    _rule(
        "project_rejected",
        "Sentry rejected the event for this key and project (with_reason: ProjectId): the key "
        "is disabled, deleted, or belongs to another project.",
        _REISSUE,
        status=403,
        contains="with_reason: ProjectId",
    ),
    _rule(
        "project_state",
        "Sentry rejected the event (with_reason: ProjectState): the project's configuration "
        "is invalid or the project is being deleted.",
        "Open the project in Sentry and check it is active; re-issue the DSN if needed.",
        status=403,
        contains="ProjectState",
    ),
    _rule(
        "bad_dsn_key",
        "The DSN's public key is not a 32-hex Sentry key.",
        _REISSUE,
        status=400,
        contains="bad sentry DSN public key",
    ),
    _rule(
        "envelope_rejected",
        "Sentry rejected the test envelope as malformed.",
        "A bug in the sender: report it with this output; the DSN itself is fine.",
        status=400,
        step="send",
    ),
    _rule(
        "too_large",
        "Sentry refused the event as too large.",
        "A bug in the sender: report it with this output.",
        status=413,
    ),
    _rule(
        "rate_limited",
        "Sentry kept rate-limiting the project or org (429, quota or spike protection) for "
        "the whole budget.",
        "Wait 60 s and retry once; if sustained, check the org's quotas and spike protection.",
        status=429,
        step="send",
    ),
    _rule(
        "unexpected_answer",
        "Sentry answered 200 but not with the id of the event sent: a proxy or an old server "
        "may be in the way.",
        "Check that SENTRY_DSN points at Sentry (Relay ≥ 21.6).",
        status=200,
        step="send",
    ),
    _rule(
        "auth_token_invalid",
        "SENTRY_AUTH_TOKEN was refused by the web API (missing, revoked or mistyped), or it "
        "belongs to the other region's org.",
        _TOKEN,
        status=401,
    ),
    _rule(
        "auth_token_forbidden",
        "SENTRY_AUTH_TOKEN may not read events or update issues in SENTRY_ORG.",
        _TOKEN,
        status=403,
    ),
    Rule(
        "sentry.org_not_found",
        "The Sentry web API does not know SENTRY_ORG (404): the slug is mistyped, the auth "
        "token cannot see that organization, or the organization is in the other region.",
        "Set SENTRY_ORG to the org slug of your Sentry URL (https://<org>.sentry.io), with a "
        "token of that organization.",
        status=404,
        contains="The requested resource does not exist",
        runbook=f"{RUNBOOK}#org-not-found",
    ),
    _rule(
        "event_not_found",
        "Sentry accepted the event (200) but it never appeared: it was dropped (inbound "
        "filters, project state pending), or SENTRY_ORG / SENTRY_PROJECT name another org or "
        "project than the DSN.",
        "Check SENTRY_ORG and SENTRY_PROJECT against the DSN's project; check the project's "
        "inbound filters and stats for dropped events.",
    ),
    _rule(
        "not_resolved",
        "The resolve was accepted but the test issue is still unresolved.",
        "Resolve the issue by hand in Sentry and re-run.",
    ),
)


# The drills of this room's named scenarios (mock.py): each must produce this code (opwire drill).
DRILLS: dict[str, str] = {
    "sentry/region_mismatch": "sentry.region_mismatch",
    "sentry/project_rejected": "sentry.project_rejected",
    "sentry/dropped": "sentry.event_not_found",
    "sentry/token_invalid": "sentry.auth_token_invalid",
}
