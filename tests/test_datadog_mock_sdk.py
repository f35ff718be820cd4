"""An application written against datadog-api-client runs its common calls on the Datadog mock
unmodified but for the base URL, and reads back what it sent in Datadog's shape.

The client deserializes every answer into the spec's own models (a validation in itself);
openapi-core checks the raw answers against shared/specs/datadog/{v1,v2}/openapi.yaml where the
SDK would hide a difference (content types, error bodies).

This module holds what the Datadog SDK tests share (the mock fixture, keys, `client`, `spec`,
`tag`, `held`) and the calls no one API owns (service checks, rate limits, unknown routes); each
API's tests are in tests/test_datadog_mock_{logs,metrics,monitors,events}.py.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException
from datadog_api_client.v1.api.service_checks_api import ServiceChecksApi
from datadog_api_client.v1.model.service_check import ServiceCheck
from datadog_api_client.v1.model.service_check_status import ServiceCheckStatus
from datadog_api_client.v1.model.service_checks import ServiceChecks
from datadog_api_client.v2.api.events_api import EventsApi
from datadog_api_client.v2.api.metrics_api import MetricsApi
from datadog_api_client.v2.model.metric_payload import MetricPayload
from datadog_api_client.v2.model.metric_point import MetricPoint
from datadog_api_client.v2.model.metric_series import MetricSeries
from openapi_core import OpenAPI
from test_specs import check, openapi

from conftest import Mock, serve

JSON_CT = "application/json"
API_KEY, APP_KEY = "0" * 31 + "a", "1" * 39 + "b"
KEYS = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}
API, INTAKE = "https://api.datadoghq.com", "https://event-management-intake.datadoghq.com"
# The recorded real 429 (datadog-api-client-python tests/cassettes/test_retry/
# test_retry_get_list_logs.yaml).
RECORDED_429 = {
    "x-ratelimit-limit": "10",
    "x-ratelimit-period": "10",
    "x-ratelimit-remaining": "9",
    "x-ratelimit-reset": "7",
    "x-ratelimit-name": "logs_public_search_api",
}


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    yield from serve("datadog")


@pytest.fixture(autouse=True)
def _no_faults(mock: Mock) -> Iterator[None]:
    yield
    mock.control("DELETE", "faults")


@functools.cache
def spec(version: str) -> OpenAPI:
    return openapi(f"datadog/{version}/openapi.yaml")


def client(mock: Mock, *, app_key: bool = True) -> ApiClient:
    configuration = Configuration(host=mock.url)
    configuration.api_key["apiKeyAuth"] = API_KEY
    if app_key:
        configuration.api_key["appKeyAuth"] = APP_KEY
    return ApiClient(configuration)


def held(mock: Mock) -> Any:
    """The mock's vendor state: Datadog has no read API for service checks."""
    return mock.server._server.config.app.state.vendor


def tag() -> str:
    return f"t:{uuid.uuid4().hex[:10]}"


# --- service checks ---------------------------------------------------------------------------


def test_submit_service_check_is_accepted_and_kept(mock: Mock) -> None:
    """v1 spec `POST /api/v1/check_run` (SubmitServiceCheck): 202 IntakePayloadAccepted."""
    mine = tag()
    checks = ServiceChecks(
        [
            ServiceCheck(
                check="app.ok",
                host_name="app.host1",
                message="app is running",
                status=ServiceCheckStatus.WARNING,
                tags=[mine],
            )
        ]
    )
    with client(mock, app_key=False) as api:
        assert ServiceChecksApi(api).submit_service_check(body=checks).status == "ok"
    kept = [c for c in held(mock).service_checks if mine in c["tags"]]
    assert [(c["check"], c["host_name"], c["status"]) for c in kept] == [("app.ok", "app.host1", 1)]


def test_service_check_answers_as_the_spec_says(mock: Mock) -> None:
    """The 202 and the 400 are text/json APIErrorResponse (spec SubmitServiceCheck responses);
    a check missing `host_name` (required by ServiceCheck) is refused."""
    url = f"{mock.url}/api/v1/check_run"
    good = [{"check": "c", "host_name": "h", "status": 0, "tags": []}]
    accepted = httpx.post(url, json=good, headers=KEYS)
    assert (accepted.status_code, accepted.headers["content-type"]) == (202, "text/json")
    check(spec("v1"), API, accepted)
    bad = httpx.post(url, json=[{"check": "c", "status": 0, "tags": []}], headers=KEYS)
    assert bad.status_code == 400 and "host_name" in bad.json()["errors"][0]
    check(spec("v1"), API, bad)
    stale = [{**good[0], "timestamp": int(time.time()) - 3600, "tags": [mine := tag()]}]
    assert httpx.post(url, json=stale, headers=KEYS).status_code == 202
    # spec: "Service checks can be submitted up to 10 minutes in the past"
    assert not [c for c in held(mock).service_checks if mine in c["tags"]]


# --- rate limits and unknown routes -------------------------------------------------------------


def test_every_429_carries_the_recorded_rate_limit_headers(mock: Mock) -> None:
    """docs.datadoghq.com/api/latest/rate-limits; the recorded real 429's headers, whether the
    429 is a throttle scenario's or a test's own fault rule."""
    mock.control("POST", "scenarios", {"name": "datadog/cold_throttle"})
    point = MetricPoint(timestamp=int(time.time()), value=1.0)
    body = MetricPayload(series=[MetricSeries(metric="m.throttled", points=[point])])
    with client(mock) as api, pytest.raises(ApiException) as raised:
        MetricsApi(api).submit_metrics(body=body)
    assert raised.value.status == 429
    headers = {k.lower(): v for k, v in raised.value.headers.items()}
    # As the recorded 429: no Retry-After; X-RateLimit-Reset says when (the scenario's 1 s).
    assert {k: headers[k] for k in RECORDED_429} == {**RECORDED_429, "x-ratelimit-reset": "1"}
    assert "retry-after" not in headers
    mock.control("DELETE", "faults")
    mock.fault(method="GET", path="/api/v1/validate", status=429, body='{"errors":["slow"]}')
    reply = httpx.get(f"{mock.url}/api/v1/validate", headers=KEYS)
    assert reply.status_code == 429
    assert {k: reply.headers[k] for k in RECORDED_429} == RECORDED_429


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/api/v1/nowhere", 404, "Not found"),
        ("GET", "/api/v1/validate/", 404, "Not found"),
        ("DELETE", "/api/v1/check_run", 405, "Method Not Allowed"),
    ],
)
def test_unknown_routes_answer_datadogs_error_shape(
    mock: Mock, method: str, path: str, status: int, error: str
) -> None:
    reply = httpx.request(method, f"{mock.url}{path}", headers=KEYS)
    assert (reply.status_code, reply.json()) == (status, {"errors": [error]})


def test_no_key_is_logged(mock: Mock) -> None:
    with client(mock) as api:
        EventsApi(api).list_events(filter_query=tag())
    assert all(
        API_KEY not in json.dumps(r) and APP_KEY not in json.dumps(r) for r in mock.requests()
    )
