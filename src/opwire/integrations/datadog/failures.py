"""Datadog's failure table: 403 with and without a key, the recorded 400s, limits, throttling,
and what the probe itself detects.

Pages followed: docs.datadoghq.com/api/latest/authentication/, /rate-limits/, the recorded
cassettes in shared/specs/datadog/cassettes/; seed § 4 ("403 with no body: wrong DD_SITE");
vendor-contracts.md § 1.
"""

from __future__ import annotations

from opwire.diagnosis import Rule, rule_maker

RUNBOOK = "setup-runbooks/datadog.md"


_rule = rule_maker("datadog", RUNBOOK)


RULES: tuple[Rule, ...] = (
    _rule(
        "api_key_missing",
        "Datadog received no API key.",
        "Set DD_API_KEY (Organization Settings → API Keys).",
        status=403,
        json={"errors": ["API key required"]},
    ),
    _rule(
        "wrong_site",
        "Datadog refused the API key on this site: DD_SITE names another site than your "
        "tenant's (a silent 403), or the key was revoked.",
        "Open your Datadog dashboard, read the URL, and set DD_SITE to match: US1 is bare "
        "datadoghq.com, every other site has a prefix (us5.datadoghq.com, datadoghq.eu, …).",
        status=403,
        step="validate",
    ),
    _rule(
        "key_rejected",
        "The API key was refused on every Datadog site: it is revoked, deleted or mistyped.",
        "Create a new API key (Organization Settings → API Keys) and put it in DD_API_KEY.",
    ),
    _rule(
        "app_key_invalid",
        "DD_APP_KEY was refused: invalid, revoked, from another org, or without read scopes.",
        "Create an application key (Organization Settings → Application Keys) in the same org "
        "as DD_API_KEY and put it in DD_APP_KEY.",
        status=403,
    ),
    _rule(
        "clock_skew",
        "Datadog refused the event as too far in the past: this machine's clock is wrong.",
        "Sync the clock (NTP / chrony) and re-run.",
        status=400,
        contains="Event too far in the past",
    ),
    _rule(
        "payload_too_large",
        "Datadog refused the payload as too large.",
        "A bug in the sender: report it with this output.",
        status=413,
    ),
    _rule(
        "bad_request",
        "Datadog refused the request as invalid (the errors list says why).",
        "A bug in the sender: report it with this output; the keys are fine.",
        status=400,
    ),
    _rule(
        "rate_limited",
        "Datadog rate-limited the request for the whole budget.",
        "Wait for X-RateLimit-Reset seconds and re-run; a cold account may throttle its "
        "first burst.",
        status=429,
    ),
    _rule(
        "event_not_found",
        "Datadog accepted the event (202) but it could not be read back.",
        "Check that DD_APP_KEY belongs to the same org as DD_API_KEY, then re-run.",
    ),
    _rule(
        "metric_not_found",
        "Datadog accepted the metric (202) but it was not queryable within the window: "
        "intake may drop points (stale timestamps, a key of another org).",
        "Check the machine's clock and that both keys belong to one org; metric intake can "
        "lag a minute or two, so re-run once before escalating.",
    ),
)


# The drills of this room's named scenarios (mock.py): each must produce this code (opwire drill).
DRILLS: dict[str, str] = {
    "datadog/wrong_site": "datadog.wrong_site",
    "datadog/app_key_invalid": "datadog.app_key_invalid",
    "datadog/clock_skew": "datadog.clock_skew",
    "datadog/metric_dropped": "datadog.metric_not_found",
}
