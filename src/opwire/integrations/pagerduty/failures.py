"""PagerDuty's failure table: Events API v2 400s (`{"status","message","errors":[…]}`), REST
errors (`{"error":{"message","code"}}`), and what the probe itself detects.

Pages followed: developer.pagerduty.com docs/events-API-v2/01-Overview (response codes),
REST-API/14-Errors; seed § 4 ("202 but no incident appears"); vendor-contracts.md § 3.
"""

from __future__ import annotations

from opwire.diagnosis import Rule, rule_maker

RUNBOOK = "setup-runbooks/pagerduty.md"


_rule = rule_maker("pagerduty", RUNBOOK)


RULES: tuple[Rule, ...] = (
    _rule(
        "routing_key_invalid",
        "PagerDuty refused PAGERDUTY_ROUTING_KEY: wrong length or not an Events API v2 key "
        "(a REST API token or a legacy v1 service key looks different).",
        "Copy the Integration Key from Service → Integrations → Events API v2 into "
        "PAGERDUTY_ROUTING_KEY.",
        status=400,
        contains="routing_key",
    ),
    _rule(
        "invalid_event",
        "PagerDuty refused the test event as invalid (the errors list says which field).",
        "A bug in the sender: report it with this output; the key itself may be fine.",
        status=400,
        json={"status": "invalid event"},
    ),
    _rule(
        "unrecognized_event",
        "PagerDuty could not parse the event body.",
        "A bug in the sender or a proxy rewriting bodies: report it with this output.",
        status=400,
        json={"status": "Unrecognized object"},
    ),
    _rule(
        "rate_limited",
        "PagerDuty throttled this integration key (about 120 events a minute) for the whole "
        "budget.",
        "Wait a minute and re-run; if it persists, something else floods this key.",
        status=429,
    ),
    _rule(
        "api_token_invalid",
        "PAGERDUTY_API_TOKEN was refused by the REST API (missing, revoked or mistyped).",
        "Create a read-only REST API key (Integrations → API Access Keys) and put it in "
        "PAGERDUTY_API_TOKEN.",
        status=401,
    ),
    _rule(
        "api_forbidden",
        "PAGERDUTY_API_TOKEN may not read incidents on this account.",
        "Use an account-level read-only key or a user key with access to the service.",
        status=403,
    ),
    _rule(
        "no_incident",
        "PagerDuty accepted the event (202) but no incident appeared: the integration key is "
        "bound to a different service, or the service is paused or in maintenance.",
        "Open the service → Integrations tab and confirm the key matches PAGERDUTY_ROUTING_KEY; "
        "unpause the service if paused.",
    ),
    _rule(
        "not_resolved",
        "The resolve was accepted but the test incident is still open.",
        "Resolve the incident by hand in PagerDuty, then re-run; check that nothing else "
        "re-triggers the same dedup key.",
    ),
)


# The drills of this room's named scenarios (mock.py): each must produce this code (opwire drill).
DRILLS: dict[str, str] = {
    "pagerduty/paused_service": "pagerduty.no_incident",
    "pagerduty/invalid_key": "pagerduty.routing_key_invalid",
    "pagerduty/token_invalid": "pagerduty.api_token_invalid",
}
