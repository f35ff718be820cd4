"""The Opsgenie mock against the official opsgenie-sdk, and its asynchronous semantics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import opsgenie_sdk
import pytest

from conftest import Mock

KEY = "0b7a6c1e-2f3d-4a5b-8c9d-0e1f2a3b4c5d"
HEADERS = {"Authorization": f"GenieKey {KEY}"}


@pytest.fixture
def alerts(opsgenie_mock: Mock) -> Iterator[opsgenie_sdk.AlertApi]:
    opsgenie_mock.control("POST", "opsgenie/config", {"request_delay_s": 0, "teams": ["SRE"]})
    configuration = opsgenie_sdk.configuration.Configuration()
    configuration.host = opsgenie_mock.url
    configuration.api_key["Authorization"] = KEY
    configuration.retry_enabled = False
    client = opsgenie_sdk.api_client.ApiClient(configuration=configuration)
    yield opsgenie_sdk.AlertApi(api_client=client)
    client.rest_client.pool_manager.clear()


def test_sdk_create_status_get_close(alerts: opsgenie_sdk.AlertApi, opsgenie_mock: Mock) -> None:
    created = alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(
            message="opwire verify",
            alias="ow-run-1",
            responders=[{"name": "SRE", "type": "team"}],
            tags=["verify"],
            priority="P5",
        )
    )
    assert created.result == "Request will be processed"
    status = alerts.get_request_status(request_id=created.request_id).data
    assert status.is_success is True and status.alias == "ow-run-1"
    alert = alerts.get_alert(identifier="ow-run-1", identifier_type="alias").data
    assert alert.status == "open" and alert.message == "opwire verify"
    closing = alerts.close_alert(
        identifier="ow-run-1",
        identifier_type="alias",
        close_alert_payload=opsgenie_sdk.CloseAlertPayload(note="done"),
    )
    assert alerts.get_request_status(request_id=closing.request_id).data.is_success is True
    assert alerts.get_alert(identifier=alert.id).data.status == "closed"
    assert alerts.count_alerts(query="status:closed").data.count == 1
    assert all(KEY not in json.dumps(r) for r in opsgenie_mock.requests())


def test_unknown_team_fails_at_processing_not_at_create(alerts: opsgenie_sdk.AlertApi) -> None:
    created = alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(
            message="m", alias="ow-team", responders=[{"name": "Nobody", "type": "team"}]
        )
    )
    status = alerts.get_request_status(request_id=created.request_id).data
    assert status.is_success is False and "Nobody" in status.status


def test_pending_request_is_404_request_not_processed(opsgenie_mock: Mock) -> None:
    opsgenie_mock.control("POST", "opsgenie/config", {"request_delay_s": 600})
    created = httpx.post(
        f"{opsgenie_mock.url}/v2/alerts", headers=HEADERS, json={"message": "m", "alias": "slow"}
    ).json()
    url = f"{opsgenie_mock.url}/v2/alerts/requests/{created['requestId']}"
    pending = httpx.get(url, headers=HEADERS)
    assert pending.status_code == 404
    assert pending.headers["X-Opsgenie-Errortype"] == "RequestNotProcessed"
    opsgenie_mock.control("POST", "clock", {"advance_s": 300})  # half the delay: still pending
    assert httpx.get(url, headers=HEADERS).status_code == 404
    opsgenie_mock.control("POST", "clock", {"advance_s": 300})
    done = httpx.get(url, headers=HEADERS).json()["data"]
    assert done["isSuccess"] is True and done["action"] == "Create"


def test_same_alias_deduplicates_while_open(alerts: opsgenie_sdk.AlertApi) -> None:
    for _ in range(2):
        alerts.create_alert(
            create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="m", alias="dup")
        )
    assert alerts.get_alert(identifier="dup", identifier_type="alias").data.count == 2


def test_acknowledge_and_tiny_id(alerts: opsgenie_sdk.AlertApi) -> None:
    alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="m", alias="ack")
    )
    tiny = alerts.get_alert(identifier="ack", identifier_type="alias").data.tiny_id
    alerts.acknowledge_alert(
        identifier=tiny,
        identifier_type="tiny",
        acknowledge_alert_payload=opsgenie_sdk.AcknowledgeAlertPayload(),
    )
    assert alerts.get_alert(identifier="ack", identifier_type="alias").data.acknowledged is True


def test_closing_a_missing_alert_fails_at_processing(opsgenie_mock: Mock) -> None:
    opsgenie_mock.control("POST", "opsgenie/config", {"request_delay_s": 0})
    accepted = httpx.post(
        f"{opsgenie_mock.url}/v2/alerts/nope/close",
        params={"identifierType": "alias"},
        headers=HEADERS,
        json={},
    )
    assert accepted.status_code == 202
    status = httpx.get(
        f"{opsgenie_mock.url}/v2/alerts/requests/{accepted.json()['requestId']}", headers=HEADERS
    ).json()["data"]
    assert status["isSuccess"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": "  "}, "message"),
        ({"message": "m", "priority": "P9"}, "priority"),
        ({"message": "m", "responders": [{"type": "bb", "name": "x"}]}, "recipients#type"),
        ({"message": "m", "tags": [str(n) for n in range(21)]}, "tags"),
        ({"message": "m", "alias": "a" * 513}, "alias"),
    ],
)
def test_create_validation_is_422_with_a_field_map(
    opsgenie_mock: Mock, body: dict[str, Any], field: str
) -> None:
    reply = httpx.post(f"{opsgenie_mock.url}/v2/alerts", headers=HEADERS, json=body)
    document = reply.json()
    assert reply.status_code == 422 and field in document["errors"]
    assert document["message"] == "Request body is not processable. Please check the errors."
    assert {"took", "requestId"} <= set(document)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "GenieKey nope"}, 401),
        ({"Authorization": f"Bearer {KEY}"}, 401),
    ],
)
def test_auth_failures(opsgenie_mock: Mock, headers: dict[str, str], status: int) -> None:
    reply = httpx.post(f"{opsgenie_mock.url}/v2/alerts", headers=headers, json={"message": "m"})
    assert (reply.status_code, reply.json()["message"]) == (status, "Could not authenticate")


def test_non_integration_key_gets_40301(opsgenie_mock: Mock) -> None:
    opsgenie_mock.control("POST", "opsgenie/config", {"keys": {KEY: "global"}})
    reply = httpx.post(f"{opsgenie_mock.url}/v2/alerts", headers=HEADERS, json={"message": "m"})
    assert reply.status_code == 403 and reply.json()["code"] == 40301
    assert httpx.get(f"{opsgenie_mock.url}/v2/alerts/count", headers=HEADERS).status_code == 200


def test_heartbeat_ping(opsgenie_mock: Mock) -> None:
    reply = httpx.get(f"{opsgenie_mock.url}/v2/heartbeats/opwire-cron/ping", headers=HEADERS)
    assert (reply.status_code, reply.json()["result"]) == (202, "PONG - Heartbeat received")


def test_bad_json_and_unknown_action(opsgenie_mock: Mock) -> None:
    bad = httpx.post(f"{opsgenie_mock.url}/v2/alerts", headers=HEADERS, content=b"{oops")
    assert bad.status_code == 400
    unknown = httpx.post(f"{opsgenie_mock.url}/v2/alerts/x/explode", headers=HEADERS)
    assert unknown.status_code == 404


# --- the documented async pattern against a mock nobody configured -------------------------


def _default_client(mock: Mock) -> opsgenie_sdk.ApiClient:
    """The SDK as its README configures it: host, GenieKey prefix, its own retry defaults."""
    configuration = opsgenie_sdk.Configuration()
    configuration.host = mock.url
    configuration.api_key["Authorization"] = KEY
    configuration.api_key_prefix["Authorization"] = "GenieKey"
    return opsgenie_sdk.ApiClient(configuration=configuration)


def test_status_read_right_after_create_is_processed(opsgenie_mock: Mock) -> None:
    """docs.opsgenie.com/docs/alert-api "Create Alert" then "Get Request Status": a client that
    asks at once gets the outcome, with no sleep and no mock config (the write is due within
    the moment a read waits; mock_store.SETTLE_S)."""
    alerts = opsgenie_sdk.AlertApi(api_client=_default_client(opsgenie_mock))
    payload = opsgenie_sdk.CreateAlertPayload(
        message="disk full", alias="disk-1", responders=[{"name": "Ops", "type": "team"}]
    )
    created = alerts.create_alert(create_alert_payload=payload)
    status = alerts.get_request_status(request_id=created.request_id).data
    assert (status.is_success, status.action, status.alias) == (True, "Create", "disk-1")
    read = alerts.get_alert(identifier=status.alert_id).data
    assert read.alias == "disk-1" and [r.type for r in read.responders] == ["team"]


def test_sdk_retrieve_result_and_resulting_action(opsgenie_mock: Mock) -> None:
    """opsgenie_sdk SuccessResponse.retrieve_result() polls get_request_status (it does not
    catch a 404), retrieve_resulting_action() then reads the alert (models/success_response.py).
    """
    alerts = opsgenie_sdk.AlertApi(api_client=_default_client(opsgenie_mock))
    created = alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="m", alias="sdk-helpers")
    )
    assert created.retrieve_result().data.is_success is True
    assert created.retrieve_resulting_action().data.alias == "sdk-helpers"
    immediately = alerts.get_alert(identifier="sdk-helpers", identifier_type="alias").data
    assert immediately.status == "open"


def test_any_team_exists_until_the_teams_are_configured(opsgenie_mock: Mock) -> None:
    """The mock holds no account: a team a client names exists, until config `teams` says
    which do (then another fails at processing, as Opsgenie's `isSuccess: false`)."""
    alerts = opsgenie_sdk.AlertApi(api_client=_default_client(opsgenie_mock))
    team = [{"name": "Payments On-Call", "type": "team"}]
    first = alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="m", responders=team)
    )
    assert alerts.get_request_status(request_id=first.request_id).data.is_success is True
    opsgenie_mock.control("POST", "opsgenie/config", {"teams": ["SRE"]})
    second = alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="m", responders=team)
    )
    status = alerts.get_request_status(request_id=second.request_id).data
    assert status.is_success is False and "Payments On-Call" in status.status


def test_a_longer_delay_still_answers_request_not_processed(opsgenie_mock: Mock) -> None:
    """Past the moment a read waits, pending is 404 + X-Opsgenie-Errortype (go-sdk-v2
    client.go RetrieveStatus), and the SDK raises its ApiException with that status."""
    opsgenie_mock.control("POST", "opsgenie/config", {"request_delay_s": 30})
    client = _default_client(opsgenie_mock)
    client.configuration.retry_enabled = False
    alerts = opsgenie_sdk.AlertApi(api_client=client)
    created = alerts.create_alert(
        create_alert_payload=opsgenie_sdk.CreateAlertPayload(message="m", alias="slow")
    )
    with pytest.raises(opsgenie_sdk.ApiException) as pending:
        alerts.get_request_status(request_id=created.request_id)
    assert pending.value.status == 404
    assert pending.value.headers["X-Opsgenie-Errortype"] == "RequestNotProcessed"


def test_the_sdk_alert_sample_runs_through(opsgenie_mock: Mock) -> None:
    """opsgenie-python-sdk samples/alert.py against a mock nobody configured: its retry policy
    (`['4xx', '5xx']`), create, poll Get Request Status until `is_success`, get, count, list
    `status=open`, snooze, close, delete."""
    client = _default_client(opsgenie_mock)
    client.configuration.retry_http_response = ["4xx", "5xx"]
    client.configuration.retry_delay = 2
    alerts = opsgenie_sdk.AlertApi(api_client=client)
    body = opsgenie_sdk.CreateAlertPayload(
        message="Example Closed", description="Creating example alert", priority="P5"
    )
    request_id = alerts.create_alert(create_alert_payload=body).request_id
    status = alerts.get_request_status(request_id)
    assert status.data is not None and status.data.is_success is True
    alert_id = status.data.alert_id
    assert alerts.get_alert(identifier=alert_id, identifier_type="id").data.priority == "P5"
    assert alerts.count_alerts().data.count == 1
    assert [a.id for a in alerts.list_alerts(query="status=open").data] == [alert_id]
    snooze = opsgenie_sdk.SnoozeAlertPayload(end_time="2999-04-03T20:05:50.894Z")
    snoozed = alerts.snooze_alert(identifier=alert_id, snooze_alert_payload=snooze)
    assert alerts.get_request_status(snoozed.request_id).data.is_success is True
    close = opsgenie_sdk.CloseAlertPayload(note="Example Closed")
    closed = alerts.close_alert(identifier=alert_id, close_alert_payload=close)
    assert alerts.get_request_status(closed.request_id).data.is_success is True
    deleted = alerts.delete_alert(identifier=alert_id, identifier_type="id")
    assert alerts.get_request_status(deleted.request_id).data.is_success is True
    assert alerts.count_alerts().data.count == 0
