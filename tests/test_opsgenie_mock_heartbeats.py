"""The Opsgenie Heartbeat API driven by the official opsgenie-sdk (HeartbeatApi): create, get,
list, ping, update, enable, disable, delete, as the SDK's own sample does. Fixtures and helpers:
test_opsgenie_mock_sdk.py.

Pages: docs.opsgenie.com/docs/heartbeat-api; swagger.json /v2/heartbeats paths.
"""

from __future__ import annotations

import opsgenie_sdk
import pytest
import test_opsgenie_mock_sdk as shared
from opsgenie_sdk.rest import ApiException
from test_opsgenie_mock_sdk import _raw
from test_specs import swagger_check

from conftest import Mock

# The shared fixtures (test_opsgenie_mock_sdk.py); each file gets its own module-scoped mock.
server, mock, client, heartbeats = shared.server, shared.mock, shared.client, shared.heartbeats


# --- heartbeats (swagger /v2/heartbeats, /v2/heartbeats/{name}, /ping) ------------------------


def test_heartbeat_create_get_list_ping(heartbeats: opsgenie_sdk.HeartbeatApi, mock: Mock) -> None:
    payload = opsgenie_sdk.CreateHeartbeatPayload(
        name="nightly", interval=10, interval_unit="minutes", enabled=True, description="cron"
    )
    created = heartbeats.create_heartbeat(create_heartbeat_payload=payload)
    assert created.data.name == "nightly" and created.data.expired is False
    read = heartbeats.get_heartbeat("nightly").data
    assert (read.interval, read.interval_unit, read.last_ping_time) == (10, "minutes", None)
    pong = heartbeats.ping("nightly")
    assert pong.result == "PONG - Heartbeat received"
    assert heartbeats.get_heartbeat("nightly").data.last_ping_time is not None
    assert [h.name for h in heartbeats.list_heart_beats().data.heartbeats] == ["nightly"]
    mock.control("POST", "clock", {"advance_s": 11 * 60})
    assert heartbeats.get_heartbeat("nightly").data.expired is True
    swagger_check("GetHeartbeatResponse", _raw(mock, "GET", "/v2/heartbeats/nightly"))
    swagger_check("ListHeartbeatResponse", _raw(mock, "GET", "/v2/heartbeats"))
    swagger_check("SuccessResponse", _raw(mock, "GET", "/v2/heartbeats/nightly/ping"))


def test_heartbeat_unknown_is_404_and_a_duplicate_409(
    heartbeats: opsgenie_sdk.HeartbeatApi, mock: Mock
) -> None:
    with pytest.raises(ApiException) as missing:
        heartbeats.get_heartbeat("nobody")
    assert missing.value.status == 404
    reply = _raw(mock, "GET", "/v2/heartbeats/nobody")
    assert reply.json()["message"] == "Heartbeat with name [nobody] does not exist"
    swagger_check("ErrorResponse", reply)
    body = {"name": "twice", "interval": 1, "intervalUnit": "hours", "enabled": False}
    created = _raw(mock, "POST", "/v2/heartbeats", json=body)
    assert created.status_code == 201
    swagger_check("CreateHeartbeatResponse", created)
    assert _raw(mock, "POST", "/v2/heartbeats", json=body).status_code == 409
    bad = _raw(mock, "POST", "/v2/heartbeats", json={"name": "x", "intervalUnit": "weeks"})
    assert bad.status_code == 422 and {"interval", "intervalUnit", "enabled"} <= set(
        bad.json()["errors"]
    )


def test_a_strict_mock_refuses_a_ping_to_an_unknown_heartbeat(
    heartbeats: opsgenie_sdk.HeartbeatApi, mock: Mock
) -> None:
    """By default a first ping makes the heartbeat (the mock has no account to create it in);
    `strict_heartbeats` answers as Opsgenie does for a name nobody created."""
    assert heartbeats.ping("made-by-ping").result == "PONG - Heartbeat received"
    assert heartbeats.get_heartbeat("made-by-ping").data.enabled is True
    mock.control("POST", "opsgenie/config", {"strict_heartbeats": True})
    with pytest.raises(ApiException) as refused:
        heartbeats.ping("unknown")
    assert refused.value.status == 404


def test_heartbeat_update_disable_enable_delete(
    heartbeats: opsgenie_sdk.HeartbeatApi, mock: Mock
) -> None:
    """PATCH /v2/heartbeats/{name} (UpdateHeartbeatPayload, all optional), POST .../disable and
    .../enable, DELETE: each 200, data a HeartbeatMeta {name, enabled, expired}."""
    payload = opsgenie_sdk.CreateHeartbeatPayload(
        name="backup", interval=10, interval_unit="minutes", enabled=True
    )
    heartbeats.create_heartbeat(create_heartbeat_payload=payload)
    change = opsgenie_sdk.UpdateHeartbeatPayload(interval=2, interval_unit="hours")
    updated = heartbeats.update_heartbeat("backup", update_heartbeat_payload=change).data
    assert (updated.name, updated.enabled, updated.expired) == ("backup", True, False)
    read = heartbeats.get_heartbeat("backup").data
    assert (read.interval, read.interval_unit) == (2, "hours")
    assert heartbeats.disable_heartbeat("backup").data.enabled is False
    mock.control("POST", "clock", {"advance_s": 3 * 3600})
    assert heartbeats.get_heartbeat("backup").data.expired is False  # disabled: never expires
    assert heartbeats.enable_heartbeat("backup").data.enabled is True
    for method, path, definition in [
        ("PATCH", "/v2/heartbeats/backup", "UpdateHeartbeatResponse"),
        ("POST", "/v2/heartbeats/backup/disable", "DisableHeartbeatResponse"),
        ("POST", "/v2/heartbeats/backup/enable", "EnableHeartbeatResponse"),
    ]:
        swagger_check(definition, _raw(mock, method, path, json={}))
    bad = _raw(mock, "PATCH", "/v2/heartbeats/backup", json={"intervalUnit": "weeks"})
    assert bad.status_code == 422 and "intervalUnit" in bad.json()["errors"]
    assert heartbeats.delete_heartbeat("backup").result == "Deleted"
    with pytest.raises(ApiException) as gone:
        heartbeats.get_heartbeat("backup")
    assert gone.value.status == 404
    for method in ("PATCH", "DELETE"):
        assert _raw(mock, method, "/v2/heartbeats/backup", json={}).status_code == 404
    assert _raw(mock, "POST", "/v2/heartbeats/backup/enable").status_code == 404


def test_heartbeat_as_the_sdk_sample_does(heartbeats: opsgenie_sdk.HeartbeatApi) -> None:
    """opsgenie-python-sdk samples/heartbeat.py: add (owner_team a
    CreateHeartbeatPayloadAllOfOwnerTeam), ping, get, update the description alone, disable,
    enable, list, delete."""
    from opsgenie_sdk.api.heartbeat.create_heartbeat_payload_all_of_owner_team import (
        CreateHeartbeatPayloadAllOfOwnerTeam,
    )

    body = opsgenie_sdk.CreateHeartbeatPayload(
        name="PythonSDK",
        description="Created via the python sdk",
        interval=5,
        owner_team=CreateHeartbeatPayloadAllOfOwnerTeam(name="tardis_team"),
        interval_unit="minutes",
        enabled=True,
        alert_message="testingPythonSDK",
        alert_tags=["tag1"],
        alert_priority="P2",
    )
    assert heartbeats.create_heartbeat(create_heartbeat_payload=body).data.name == "PythonSDK"
    assert heartbeats.ping("PythonSDK").result == "PONG - Heartbeat received"
    change = opsgenie_sdk.UpdateHeartbeatPayload(description="UpdatedPythonSDK")
    heartbeats.update_heartbeat(name="PythonSDK", update_heartbeat_payload=change)
    read = heartbeats.get_heartbeat("PythonSDK").data
    assert (read.description, read.interval, read.enabled) == ("UpdatedPythonSDK", 5, True)
    assert read.last_ping_time is not None
    assert heartbeats.disable_heartbeat("PythonSDK").data.enabled is False
    assert heartbeats.enable_heartbeat("PythonSDK").data.enabled is True
    assert [h.name for h in heartbeats.list_heart_beats().data.heartbeats] == ["PythonSDK"]
    assert heartbeats.delete_heartbeat("PythonSDK").result == "Deleted"
    assert heartbeats.list_heart_beats().data.heartbeats == []
