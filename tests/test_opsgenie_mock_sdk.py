"""The Opsgenie mock driven by the official opsgenie-sdk, unmodified but for its host: the shared
fixtures and helpers of test_opsgenie_mock_alerts.py, _alert_search.py, _heartbeats.py and
_incidents.py (one file per API), and the account and the vendor's own refusals. Raw replies
are validated against shared/specs/opsgenie.

Pages: docs.opsgenie.com/docs/alert-api, /docs/alert-api-continued, /docs/pagination,
/docs/alerts-search-query-help, /docs/heartbeat-api; swagger.json paths named per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import opsgenie_sdk
import pytest
from test_specs import swagger_check

from conftest import Mock, serve

KEY = "6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f"
HEADERS = {"Authorization": f"GenieKey {KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[Mock]:
    yield from serve("opsgenie")


@pytest.fixture
def mock(server: Mock) -> Mock:
    server.control("POST", "reset")
    server.control("POST", "opsgenie/config", {"request_delay_s": 0, "teams": ["SRE"]})
    return server


@pytest.fixture
def client(mock: Mock) -> Iterator[opsgenie_sdk.ApiClient]:
    configuration = opsgenie_sdk.Configuration()
    configuration.host = mock.url
    configuration.api_key["Authorization"] = KEY
    configuration.api_key_prefix["Authorization"] = "GenieKey"
    configuration.retry_enabled = False
    api_client = opsgenie_sdk.ApiClient(configuration=configuration)
    yield api_client
    api_client.rest_client.pool_manager.clear()


@pytest.fixture
def alerts(client: opsgenie_sdk.ApiClient) -> opsgenie_sdk.AlertApi:
    return opsgenie_sdk.AlertApi(api_client=client)


@pytest.fixture
def heartbeats(client: opsgenie_sdk.ApiClient) -> opsgenie_sdk.HeartbeatApi:
    return opsgenie_sdk.HeartbeatApi(api_client=client)


def _create(alerts: opsgenie_sdk.AlertApi, alias: str, **fields: Any) -> Any:
    payload = opsgenie_sdk.CreateAlertPayload(message=fields.pop("message", alias), alias=alias)
    for name, value in fields.items():
        setattr(payload, name, value)
    created = alerts.create_alert(create_alert_payload=payload)
    assert alerts.get_request_status(request_id=created.request_id).data.is_success is True
    return alerts.get_alert(identifier=alias, identifier_type="alias").data


def _done(alerts: opsgenie_sdk.AlertApi, accepted: Any, action: str) -> Any:
    """An action's 202 (`result`, `requestId`), then its request status once processed."""
    assert accepted.result == "Request will be processed" and accepted.request_id
    status = alerts.get_request_status(request_id=accepted.request_id).data
    assert status.action == action, status
    return status


def _raw(mock: Mock, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{mock.url}{path}", headers=HEADERS, **kwargs)


# --- account (swagger GET /v2/account) ---------------------------------------------------------


def test_account_info(client: opsgenie_sdk.ApiClient, mock: Mock) -> None:
    """AccountApi.get_info: GetAccountInfoResponse {name, userCount, plan}."""
    info = opsgenie_sdk.AccountApi(api_client=client).get_info().data
    assert info.name and info.user_count >= 1 and info.plan.max_user_count >= info.user_count
    swagger_check("GetAccountInfoResponse", _raw(mock, "GET", "/v2/account"))
    anonymous = httpx.get(f"{mock.url}/v2/account")
    assert anonymous.status_code == 401
    swagger_check("ErrorResponse", anonymous)


# --- the vendor's own refusals ---------------------------------------------------------------


def test_unknown_route_and_method_get_opsgenie_shaped_errors(mock: Mock) -> None:
    """docs.opsgenie.com/docs/response: 404 "Resource or handler not found", 405 for a method
    the URL does not take; both ErrorResponse, never a framework page."""
    for method, path, status in [
        ("GET", "/v2/nothing", 404),
        ("POST", "/v2/alerts/x/explode", 404),
        ("GET", "/v2/alerts/", 404),
        ("PUT", "/v2/alerts", 405),
        ("PATCH", "/v2/heartbeats", 405),
    ]:
        reply = _raw(mock, method, path)
        assert reply.status_code == status, (method, path, reply.text)
        swagger_check("ErrorResponse", reply)


def test_throttle_carries_opsgenie_rate_limit_headers(mock: Mock) -> None:
    """X-RateLimit-State, -Reason, -Period-In-Sec: the headers spec responses.Accepted names."""
    mock.control("POST", "scenarios", {"name": "opsgenie/cold_throttle"})
    reply = _raw(mock, "GET", "/v2/alerts/count")
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "1"
    for name in ("X-RateLimit-State", "X-RateLimit-Reason", "X-RateLimit-Period-In-Sec"):
        assert reply.headers[name], name
    swagger_check("ErrorResponse", reply)


def test_no_secret_in_the_request_log(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    _create(alerts, "secret")
    alerts.list_alerts(query="status:open")
    assert KEY not in str(mock.requests())
