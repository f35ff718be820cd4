"""Opsgenie's failure table: 401 `Could not authenticate`, 403 code 40301, 422 field maps, request
statuses with `isSuccess: false`, and what the probe itself detects.

Pages followed: docs.opsgenie.com/docs/response (status meanings), docs.opsgenie.com/docs/alert-api,
seed § 4 ("422 team not found"); vendor-contracts.md § 4.
"""

from __future__ import annotations

from opwire.diagnosis import Rule, rule_maker

RUNBOOK = "setup-runbooks/opsgenie.md"
_TEAM = (
    "Re-check OPSGENIE_TEAM verbatim (names are case-sensitive) and that OPSGENIE_REGION "
    "matches the team's region."
)


_rule = rule_maker("opsgenie", RUNBOOK)


RULES: tuple[Rule, ...] = (
    _rule(
        "key_invalid",
        "Opsgenie refused OPSGENIE_API_KEY: invalid, its integration disabled, or a key of the "
        "other region (an EU key against api.opsgenie.com).",
        "Copy the API key of the team's API integration; set OPSGENIE_REGION to eu for "
        "app.eu.opsgenie.com accounts.",
        status=401,
    ),
    _rule(
        "wrong_region",
        "OPSGENIE_API_KEY belongs to the other Opsgenie region: the region sweep found it valid "
        "there.",
        "Set OPSGENIE_REGION to the region named below.",
    ),
    _rule(
        "key_not_integration",
        "OPSGENIE_API_KEY is an account, team or user key; alerts need an API-integration key.",
        "Teams → your team → Integrations → add API → copy its key into OPSGENIE_API_KEY.",
        status=403,
        json={"code": 40301},
    ),
    _rule(
        "plan_forbidden",
        "The Opsgenie plan does not allow this action.",
        "Ask the Opsgenie account owner; the plan must allow the Alert API.",
        status=402,
    ),
    _rule(
        "team_not_found",
        "Opsgenie does not know the responder team OPSGENIE_TEAM.",
        _TEAM,
        status=422,
        contains="team",
    ),
    _rule(
        "invalid_alert",
        "Opsgenie found the test alert unprocessable (the errors map names the fields).",
        "A bug in the sender: report it with this output; the key itself is fine.",
        status=422,
    ),
    _rule(
        "team_not_found",
        "Opsgenie accepted the alert (202) but failed it at processing: the responder team "
        "OPSGENIE_TEAM does not exist (or lives in the other region).",
        _TEAM,
        json={"data.isSuccess": False},
        contains="team",
    ),
    _rule(
        "request_failed",
        "Opsgenie accepted the request (202) but failed it at processing; the status says why.",
        "Read the status text below; check the alert's alias and the key's team.",
        json={"data.isSuccess": False},
    ),
    _rule(
        "alert_not_found",
        "The processed alert could not be read back by its alias.",
        "Check that the API key's integration may read alerts (read access is on by default).",
        status=404,
        step="read back",
    ),
    _rule(
        "rate_limited",
        "Opsgenie throttled the key for the whole budget.",
        "Wait a minute and re-run; if sustained, something else floods this integration.",
        status=429,
    ),
    _rule(
        "request_not_processed",
        "Opsgenie accepted the request but never processed it within the window.",
        "Check status.atlassian.com for Opsgenie delays and re-run.",
    ),
    _rule(
        "not_closed",
        "The close was processed but the test alert is still open.",
        "Close the alert by hand in Opsgenie; check for rules that reopen it.",
    ),
)


# The drills of this room's named scenarios (mock.py): each must produce this code (opwire drill).
DRILLS: dict[str, str] = {
    "opsgenie/team_not_found": "opsgenie.team_not_found",
    "opsgenie/key_not_integration": "opsgenie.key_not_integration",
    "opsgenie/wrong_region": "opsgenie.key_invalid",
    "opsgenie/never_processed": "opsgenie.request_not_processed",
}
