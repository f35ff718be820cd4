"""Each room's `whoami`, the cheapest authenticated read behind `opwire creds show --online`:
against the real mocks over loopback, every credential that can be checked without sending
passes with the mock placeholders and creates nothing; a refused one gets its room's diagnosis;
an unset one is skipped with its reason; the new mock routes answer as the vendors document."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Iterator
from contextlib import ExitStack
from functools import cache
from typing import Any

import httpx
import jsonschema
import pagerduty
import pytest

from opwire.config import Lookup, run_settings
from opwire.mock.server import MockServer
from opwire.mock.tls import TlsFiles
from opwire.results import IntegrationResult, Outcome, Status
from opwire.verify import plan, redactor_for, verify

from conftest import Mock, serve, spec_path

SLUGS = ("datadog", "sentry", "pagerduty", "opsgenie", "slack", "splunk")
FAST = {"OPERATOR_WIRING_BUDGET_S": "5", "OPERATOR_WIRING_MAX_ATTEMPTS": "1"}
HEC = "0b7a6c1e-0000-4000-8000-0000000051c0"  # the Splunk room's mock placeholder
PD_TOKEN = "u+TOKENtokenTOKEN123"
# The rungs each whoami walks with the mock placeholders, and the requests they send.
RUNGS = {
    "datadog": ["validate", "app key"],
    "sentry": ["token"],
    "pagerduty": ["token"],
    "opsgenie": ["api key"],
    "slack": ["token"],
    "splunk": ["health", "token"],
}
SENT = {
    "datadog": [("GET", "/api/v1/validate"), ("GET", "/api/v1/query")],
    "sentry": [("GET", "/api/0/organizations/opwire-mock/")],
    "pagerduty": [("GET", "/abilities")],
    "opsgenie": [("GET", "/v2/alerts/count")],
    "slack": [("GET", "/api/auth.test")],
    "splunk": [("GET", "/services/collector/health"), ("POST", "/services/collector/event")],
}
# What cannot be checked without sending says so, in a note: never a step that passes.
UNCHECKED = {
    "sentry": "SENTRY_DSN not checked",
    "pagerduty": "PAGERDUTY_ROUTING_KEY not checked",
    "slack": "SLACK_WEBHOOK_URL not checked",
    "splunk": "SPLUNK_SEARCH_TOKEN not checked",
}


@pytest.fixture(params=SLUGS)
def mock(request: pytest.FixtureRequest, tls_files: TlsFiles) -> Iterator[Mock]:
    """The room's mock; PagerDuty's over HTTPS, as its official client insists."""
    tls = tls_files if request.param == "pagerduty" else None
    yield from serve(request.param, tls=tls)


def whoami(mock: Mock, **env: str) -> IntegrationResult:
    """`verify(check="whoami")` as `opwire creds show --online` calls it, for the mock's room."""
    slug = mock.server.slug
    lookup = Lookup({**FAST, **env})
    run = run_settings(lookup)
    targets = plan([slug], lookup, run, {slug: mock.url})
    tls = mock.server.tls
    trust: ssl.SSLContext | bool = ssl.create_default_context(cafile=tls.ca_path) if tls else True
    result = asyncio.run(
        verify(
            targets, run, lambda _: None, redactor_for(targets), tls_verify=trust, check="whoami"
        )
    )
    (one,) = result.integrations
    return one


def sent(mock: Mock) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in mock.requests()]


def code(result: IntegrationResult) -> str | None:
    return result.diagnosis.code if result.diagnosis else None


def test_every_checkable_credential_passes_on_the_mock_and_nothing_is_created(mock: Mock) -> None:
    slug = mock.server.slug
    result = whoami(mock)
    assert result.status is Status.PASS, [(s.name, s.detail) for s in result.steps]
    assert [s.name for s in result.steps] == RUNGS[slug]
    assert sent(mock) == SENT[slug]
    assert mock.control("GET", "state")["total"] == 0
    if slug in UNCHECKED:
        assert any(n.startswith(UNCHECKED[slug]) for n in result.notes), result.notes


# (room, how the mock refuses, the code): a scenario of the room, else a fault on the whoami read.
REFUSED: list[tuple[str, str | dict[str, Any], str]] = [
    ("datadog", "datadog/wrong_site", "datadog.wrong_site"),
    ("datadog", "datadog/app_key_invalid", "datadog.app_key_invalid"),
    ("sentry", "sentry/token_invalid", "sentry.auth_token_invalid"),
    (
        "sentry",
        {
            "method": "GET",
            "path": "/api/0/organizations/*",
            "status": 404,
            "body": '{"detail":"The requested resource does not exist"}',
            "content_type": "application/json",
        },
        "sentry.org_not_found",
    ),
    ("pagerduty", "pagerduty/token_invalid", "pagerduty.api_token_invalid"),
    ("opsgenie", "opsgenie/wrong_region", "opsgenie.key_invalid"),
    (
        "slack",
        {
            "method": "GET",
            "path": "/api/auth.test",
            "status": 200,
            "body": '{"ok":false,"error":"invalid_auth"}',
            "content_type": "application/json",
        },
        "slack.bot_token_invalid",
    ),
    ("splunk", "splunk/token_disabled", "splunk.token_disabled"),
    (
        "splunk",
        {
            "method": "POST",
            "path": "/services/collector/event",
            "status": 403,
            "body": '{"text":"Invalid token","code":4}',
            "content_type": "application/json",
        },
        "splunk.token_invalid",
    ),
    ("splunk", "splunk/unhealthy", "splunk.unhealthy"),
]


@pytest.mark.parametrize(
    ("slug", "refusal", "expected"),
    REFUSED,
    ids=[f"{slug}:{expected}" for slug, _, expected in REFUSED],
)
def test_a_refused_credential_gets_its_rooms_diagnosis(
    slug: str, refusal: str | dict[str, Any], expected: str, tls_files: TlsFiles
) -> None:
    for mock in serve(slug, tls=tls_files if slug == "pagerduty" else None):
        if isinstance(refusal, str):
            mock.control("POST", "scenarios", {"name": refusal})
        else:
            mock.fault(**refusal)
        result = whoami(mock)
        assert result.status is Status.FAIL
        assert code(result) == expected, result.diagnosis
        assert mock.control("GET", "state")["total"] == 0


def test_a_rung_after_a_failed_one_is_skipped_with_its_reason(datadog_mock: Mock) -> None:
    datadog_mock.control("POST", "scenarios", {"name": "datadog/wrong_site"})
    steps = whoami(datadog_mock).steps
    assert [(s.name, s.outcome) for s in steps] == [
        ("validate", Outcome.FAILED),
        ("app key", Outcome.SKIPPED),
    ]
    assert steps[1].detail == "every read needs a valid DD_API_KEY too, so it was not asked"


def test_whoami_sweeps_for_the_site_that_knows_a_refused_key() -> None:
    key = "ab" * 16
    with ExitStack() as running:
        sites = {
            site: Mock(running.enter_context(MockServer("datadog")))
            for site in ("datadoghq.com", "datadoghq.eu")
        }
        for site, site_mock in sites.items():
            site_mock.control("POST", "region", {"region": site})
            site_mock.control("POST", "credentials", {"credential": key, "region": "datadoghq.eu"})
        result = whoami(
            sites["datadoghq.com"],
            OPERATOR_WIRING_MODE="real_datadog",
            DD_API_KEY=key,
            OPERATOR_WIRING_DATADOG_API_URL=sites["datadoghq.com"].url,
            OPERATOR_WIRING_DATADOG_SITE_URLS=",".join(f"{s}={m.url}" for s, m in sites.items()),
        )
    assert code(result) == "datadog.wrong_site"
    assert result.diagnosis is not None
    assert "this key is valid on datadoghq.eu" in result.diagnosis.detail


def real(slug: str, mock: Mock) -> dict[str, str]:
    """Real mode aimed at the mock, with only the credentials a send needs."""
    host = mock.url.split("://")[1]
    return {
        "datadog": {
            "DD_API_KEY": "ab" * 16,
            "OPERATOR_WIRING_DATADOG_API_URL": mock.url,
        },
        "sentry": {"SENTRY_DSN": f"{mock.url.split('://')[0]}://{'c' * 32}@{host}/42"},
        "pagerduty": {
            "PAGERDUTY_ROUTING_KEY": "d" * 32,
            "OPERATOR_WIRING_PAGERDUTY_EVENTS_URL": mock.url,
            "OPERATOR_WIRING_PAGERDUTY_API_URL": mock.url,
        },
        "opsgenie": {
            "OPSGENIE_API_KEY": "0b7a6c1e-2f3d-4a5b-8c9d-0e1f2a3b4c5d",
            "OPERATOR_WIRING_OPSGENIE_API_URL": mock.url,
        },
        "slack": {"SLACK_WEBHOOK_URL": f"{mock.url}/services/T0WHOAMI/B0WHOAMI/{'W' * 24}"},
        "splunk": {"SPLUNK_HEC_URL": mock.url, "SPLUNK_HEC_TOKEN": HEC},
    }[slug] | {"OPERATOR_WIRING_MODE": f"real_{slug}", "OPERATOR_WIRING_REGION_SWEEP": "0"}


# The read-back credential each room checks, and the skip that says it is unset.
UNSET = {
    "datadog": ("app key", "DD_APP_KEY is not set (the read-back needs it)"),
    "sentry": (
        "token",
        "set SENTRY_AUTH_TOKEN and SENTRY_ORG to check the auth token on the organization",
    ),
    "pagerduty": ("token", "PAGERDUTY_API_TOKEN is not set (the read-back needs it)"),
    "slack": ("token", "SLACK_BOT_TOKEN is not set (the read-back needs it)"),
}


def test_an_unset_credential_is_skipped_in_one_line_and_nothing_unchecked_passes(
    mock: Mock,
) -> None:
    slug = mock.server.slug
    result = whoami(mock, **real(slug, mock))
    if slug not in UNSET:  # every credential it has is checked
        assert result.status is Status.PASS
        assert not any(n.startswith("SPLUNK_SEARCH_TOKEN") for n in result.notes)
        return
    assert result.status is Status.UNCONFIRMED
    step, why = UNSET[slug]
    skipped = [s for s in result.steps if s.outcome is Outcome.SKIPPED]
    assert [(s.name, s.detail) for s in skipped] == [(step, why)]
    assert "\n" not in why
    if slug != "datadog":  # nothing else could be checked: nothing was sent
        assert sent(mock) == []


def test_splunk_hec_answers_an_empty_event_request_by_the_token(splunk_mock: Mock) -> None:
    """HEC checks the token before the body (vendor-contracts § 6.2, § 6.4): code 5 for a good
    token, 2 for none, 3 for an unreadable header, 4 for an unknown one, 1 for a disabled one."""
    url = f"{splunk_mock.url}/services/collector/event"
    splunk_mock.control(
        "POST", "splunk/config", {"tokens": {"1" * 8 + HEC[8:]: {"disabled": True}}}
    )
    answers = {
        "good": httpx.post(url, headers={"Authorization": f"Splunk {HEC}"}),
        "none": httpx.post(url),
        "unreadable": httpx.post(url, headers={"Authorization": f"Bearer {HEC}"}),
        "unknown": httpx.post(url, headers={"Authorization": "Splunk not-a-token"}),
        "disabled": httpx.post(url, headers={"Authorization": f"Splunk {'1' * 8 + HEC[8:]}"}),
    }
    assert {name: (r.status_code, r.json()) for name, r in answers.items()} == {
        "good": (400, {"text": "No data", "code": 5}),
        "none": (401, {"text": "Token is required", "code": 2}),
        "unreadable": (401, {"text": "Invalid authorization", "code": 3}),
        "unknown": (403, {"text": "Invalid token", "code": 4}),
        "disabled": (403, {"text": "Token disabled", "code": 1}),
    }
    assert splunk_mock.control("GET", "state")["total"] == 0


@cache
def pagerduty_rest() -> dict[str, Any]:
    return dict(json.loads(spec_path("pagerduty/REST/openapiv3.json").read_text()))


def schema_of(spec: dict[str, Any], status: str) -> dict[str, Any]:
    """GET /abilities' response schema for `status`, with the spec's components beside it so
    its `#/components/...` references resolve."""
    node: Any = spec["paths"]["/abilities"]["get"]["responses"][status]
    if "$ref" in node:
        node = spec["components"]["responses"][node["$ref"].rsplit("/", 1)[1]]
    return {**node["content"]["application/json"]["schema"], "components": spec["components"]}


def test_pagerduty_abilities_follow_the_rest_contract(pagerduty_mock: Mock) -> None:
    """The official client reads GET /abilities, and both answers match the REST spec."""
    assert pagerduty_mock.server.tls is not None
    trust = ssl.create_default_context(cafile=pagerduty_mock.server.tls.ca_path)
    good = pagerduty.RestApiV2Client(PD_TOKEN, base_url=pagerduty_mock.url, verify=trust)
    bad = pagerduty.RestApiV2Client("short", base_url=pagerduty_mock.url, verify=trust)
    try:
        assert good.rget("abilities") == [
            "teams",
            "read_only_users",
            "service_support_hours",
            "urgencies",
        ]
        with pytest.raises(pagerduty.HttpError) as refused:
            bad.rget("abilities")
    finally:
        good.close()
        bad.close()
    assert refused.value.response is not None
    assert refused.value.response.status_code == 401
    spec = pagerduty_rest()
    answer = httpx.get(
        f"{pagerduty_mock.url}/abilities",
        headers={"Authorization": f"Token token={PD_TOKEN}"},
        verify=trust,
    )
    jsonschema.validate(answer.json(), schema_of(spec, "200"))
    jsonschema.validate(refused.value.response.json(), schema_of(spec, "401"))
