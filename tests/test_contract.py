"""Contract over all six vendors: every row of every failure table is produced through the mock
(a fault rule, or mock state where the seed names a state) and diagnosed to its own code.

Rows with a matcher get a fault synthesised from that matcher on the path of the rung it
belongs to; rows the probe raises itself get a recipe below. A new row without either fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opwire.diagnosis import Rule
from opwire.integrations import IMPLEMENTED, load
from opwire.mock.tls import make_tls_files
from opwire.state import Journal

from conftest import run_verify, serve

# The rung each vendor step is, as (method, path glob) on the mock.
STEPS: dict[str, dict[str, tuple[str, str]]] = {
    "datadog": {
        "validate": ("GET", "/api/v1/validate"),
        "submit": ("POST", "/api/v2/series"),
        "event": ("POST", "/api/v1/events"),
        "read event": ("GET", "/api/v1/events/*"),
        "read metric": ("GET", "/api/v1/query"),
    },
    "sentry": {
        "send": ("POST", "/api/*/envelope/"),
        "read back": ("GET", "/api/0/projects/*"),
        "resolve": ("PUT", "/api/0/organizations/*/issues/*"),
    },
    "pagerduty": {"trigger": ("POST", "/v2/enqueue"), "find incident": ("GET", "/incidents")},
    "opsgenie": {
        "create": ("POST", "/v2/alerts"),
        "create processed": ("GET", "/v2/alerts/requests/*"),
        "read back": ("GET", "/v2/alerts/ow-*"),
    },
    "slack": {"send": ("POST", "/services/*"), "read back": ("GET", "/api/conversations.history")},
    "splunk": {
        "health": ("GET", "/services/collector/health"),
        "send": ("POST", "/services/collector/event"),
        "confirm by search": ("POST", "/services/search/jobs/export"),
    },
}
# Rows without a step of their own: the rung where that answer means that diagnosis.
STEP_OF = {
    "datadog.app_key_invalid": "read event",
    "datadog.clock_skew": "event",
    "datadog.payload_too_large": "submit",
    "datadog.bad_request": "submit",
    "datadog.rate_limited": "validate",
    "datadog.api_key_missing": "validate",
    "sentry.project_rejected": "send",
    "sentry.project_state": "send",
    "sentry.bad_dsn_key": "send",
    "sentry.too_large": "send",
    "sentry.auth_token_invalid": "read back",
    "sentry.auth_token_forbidden": "resolve",
    "opsgenie.team_not_found": "create processed",
    "opsgenie.request_failed": "create processed",
}
# (rows matched on status 422 go to create; json-only Opsgenie rows to the request status)
STATE_OR_FAULT_RECIPES: dict[str, list[tuple[str, Any]]] = {
    "datadog.event_not_found": [
        ("fault", {"method": "GET", "path": "/api/v1/events/*", "status": 404, "body": "{}"})
    ],
    "datadog.metric_not_found": [
        (
            "fault",
            {"method": "GET", "path": "/api/v1/query", "status": 200, "body": '{"series": []}'},
        )
    ],
    "sentry.event_not_found": [
        ("fault", {"method": "GET", "path": "/api/0/projects/*", "status": 404, "body": "{}"})
    ],
    "sentry.not_resolved": [
        ("sentry/config", {"processing_delay_s": 0}),
        (
            "fault",
            {
                "method": "GET",
                "path": "/api/0/organizations/*/issues/*",
                "status": 200,
                "body": '{"status": "unresolved"}',
            },
        ),
    ],
    "pagerduty.no_incident": [
        ("pagerduty/services", {"routing_key": "0pwire0mock0placeholder0key00000", "paused": True})
    ],
    "pagerduty.not_resolved": [
        (
            "fault",
            {
                "method": "GET",
                "path": "/incidents",
                "skip": 1,
                "status": 200,
                "body": '{"incidents": [{"status": "triggered"}]}',
            },
        )
    ],
    "opsgenie.request_not_processed": [
        (
            "fault",
            {
                "method": "GET",
                "path": "/v2/alerts/requests/*",
                "status": 404,
                "body": "{}",
                "headers": {"X-Opsgenie-Errortype": "RequestNotProcessed"},
            },
        )
    ],
    "opsgenie.not_closed": [
        (
            "fault",
            {
                "method": "GET",
                "path": "/v2/alerts/ow-*",
                "skip": 1,
                "status": 200,
                "body": '{"data": {"status": "open"}}',
            },
        )
    ],
    "slack.message_not_in_channel": [
        ("slack/hooks", {"team": "T0OPWIRE0", "bot": "B0OPWIRE0", "channel": "C0ELSEWHERE"})
    ],
    "splunk.not_indexed": [
        ("splunk/config", {"tokens": {"0b7a6c1e-0000-4000-8000-0000000051c0": {"ack": True}}}),
        (
            "fault",
            {
                "method": "POST",
                "path": "/services/collector/ack",
                "status": 200,
                "body": '{"acks": {"0": false}}',
            },
        ),
    ],
    "datadog.key_rejected": [
        (
            "fault",
            {
                "method": "GET",
                "path": "/api/v1/validate",
                "status": 403,
                "body": '{"errors":["Forbidden"]}',
            },
        ),
        ("env", {"OPERATOR_WIRING_DATADOG_SITE_URLS": "datadoghq.eu={url}"}),
    ],
    "opsgenie.wrong_region": [
        (
            "fault",
            {
                "method": "POST",
                "path": "/v2/alerts",
                "status": 401,
                "body": '{"message":"Could not authenticate"}',
            },
        ),
        ("env", {"OPERATOR_WIRING_OPSGENIE_REGION_URLS": "eu={url}"}),
    ],
    "splunk.tls_untrusted": [("tls", "self-signed")],
    "splunk.not_searchable": [
        (
            "fault",
            {
                "method": "POST",
                "path": "/services/search/jobs/export",
                "status": 200,
                "body": '{"result": {"count": "0"}}',
            },
        )
    ],
}
# The seed's § 4 rows, produced by mock state as well as by a fault.
SEED_STATES: list[tuple[str, str, list[tuple[str, Any]]]] = [
    ("opsgenie", "opsgenie.team_not_found", [("opsgenie/config", {"teams": []})]),
    (
        "splunk",
        "splunk.token_disabled",
        [
            (
                "splunk/config",
                {"tokens": {"0b7a6c1e-0000-4000-8000-0000000051c0": {"disabled": True}}},
            )
        ],
    ),
    (
        "splunk",
        "splunk.incorrect_index",
        [
            (
                "splunk/config",
                {"tokens": {"0b7a6c1e-0000-4000-8000-0000000051c0": {"indexes": ["security"]}}},
            )
        ],
    ),
    (
        "slack",
        "slack.webhook_revoked",
        [("slack/hooks", {"team": "T0OPWIRE0", "bot": "B0OPWIRE0", "state": "revoked"})],
    ),
    ("pagerduty", "pagerduty.no_incident", STATE_OR_FAULT_RECIPES["pagerduty.no_incident"]),
]


def _nested(paths: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for path, value in paths.items():
        node = document
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return document


def fault_for(slug: str, rule: Rule) -> dict[str, Any]:
    """A fault that answers exactly what the rule matches, on the rung it belongs to."""
    step = rule.step or STEP_OF.get(rule.code) or next(iter(STEPS[slug]))
    if rule.code.startswith("opsgenie.") and rule.status == 422:
        step = "create"
    method, path = STEPS[slug][step]
    status = rule.status or (403 if rule.body else 200)
    if rule.json:
        document = _nested(dict(rule.json))
        if rule.contains:
            document["detail"] = rule.contains
        body, kind = json.dumps(document), "application/json"
    else:
        body, kind = rule.body or rule.contains or "", "text/plain; charset=utf-8"
    return {
        "method": method,
        "path": path,
        "status": status,
        "body": body,
        "content_type": kind,
        "headers": {"Retry-After": "0"},
    }


def rows() -> list[tuple[str, int, Rule]]:
    return [(slug, n, rule) for slug in IMPLEMENTED for n, rule in enumerate(load(slug).rules())]


def diagnose(slug: str, setup: list[tuple[str, Any]], tmp_path: Path) -> str | None:
    self_signed = ("tls", "self-signed") in setup
    tls = make_tls_files(tmp_path / "tls", self_signed=True) if self_signed else None
    for mock in serve(slug, tls=tls):
        env = {
            "OPERATOR_WIRING_BUDGET_S": "3",
            "OPERATOR_WIRING_MAX_ATTEMPTS": "2",
            "OPERATOR_WIRING_READ_TIMEOUT_S": "1",
        }
        if slug == "sentry":
            mock.control("POST", "sentry/config", {"processing_delay_s": 0})
        for route, payload in setup:
            if route == "fault":
                mock.fault(**payload)
            elif route == "env":
                env |= {k: v.format(url=mock.url) for k, v in payload.items()}
            elif route != "tls":
                mock.control("POST", route, payload)
        if tls is not None:  # the real-mode path: a HEC URL whose certificate nobody trusts
            env |= {
                "OPERATOR_WIRING_MODE": "real_splunk",
                "SPLUNK_HEC_URL": mock.url,
                "SPLUNK_HEC_TOKEN": "11111111-2222-3333-4444-555555555555",
            }
        run = run_verify(env, {slug: mock.url}, (slug,), journal=Journal(tmp_path))
        (result,) = run.result.integrations
        return result.diagnosis.code if result.diagnosis else None
    return None


@pytest.mark.parametrize(
    ("slug", "row", "rule"), rows(), ids=[f"{r.code}#{n}" for _, n, r in rows()]
)
def test_every_row_is_produced_and_diagnosed(
    slug: str, row: int, rule: Rule, tmp_path: Path
) -> None:
    setup = STATE_OR_FAULT_RECIPES.get(rule.code) if not rule.automatic else None
    if setup is None:
        assert rule.automatic, f"{rule.code} has no matcher and no recipe in this test"
        setup = [("fault", fault_for(slug, rule))]
    assert diagnose(slug, setup, tmp_path) == rule.code


@pytest.mark.parametrize(("slug", "code", "setup"), SEED_STATES, ids=[c for _, c, _ in SEED_STATES])
def test_seed_rows_from_mock_state(
    slug: str, code: str, setup: list[tuple[str, Any]], tmp_path: Path
) -> None:
    assert diagnose(slug, setup, tmp_path) == code
