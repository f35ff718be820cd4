"""The Opsgenie mock refuses, as it arrives, what it could not process, and no request (nor two
racing) breaks another: the official opsgenie-sdk where it can send the body, raw JSON where the
SDK's models would not build it.

Pages: docs.opsgenie.com/docs/alert-api (Create Alert: `actions` a list of strings, `responders`
teams/users/escalations/schedules by id or name/username), /docs/alert-api-continued (Add Team,
attachments), /docs/heartbeat-api (`intervalUnit` minutes/hours/days), /docs/incident-api
(List Incidents: `GET /v1/incidents?query=`), /docs/response (422 "Request body is not
processable", 404); swagger.json CreateAlertPayload, TeamRecipient, CreateHeartbeatPayload.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import opsgenie_sdk
import pytest
from opsgenie_sdk.exceptions import ConfigurationException

from conftest import Mock, serve

KEY = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"
HEADERS = {"Authorization": f"GenieKey {KEY}"}
MiB = 1 << 20


@pytest.fixture(scope="module")
def server() -> Iterator[Mock]:
    yield from serve("opsgenie")


@pytest.fixture
def mock(server: Mock) -> Mock:
    server.control("POST", "reset")
    server.control("POST", "opsgenie/config", {"request_delay_s": 0, "teams": ["SRE"]})
    return server


@pytest.fixture
def alerts(mock: Mock) -> Iterator[opsgenie_sdk.AlertApi]:
    configuration = opsgenie_sdk.Configuration()
    configuration.host = mock.url
    configuration.api_key["Authorization"] = KEY
    configuration.api_key_prefix["Authorization"] = "GenieKey"
    configuration.retry_enabled = False
    client = opsgenie_sdk.ApiClient(configuration=configuration)
    yield opsgenie_sdk.AlertApi(api_client=client)
    client.rest_client.pool_manager.clear()


def _raw(mock: Mock, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{mock.url}{path}", headers=HEADERS, timeout=30, **kwargs)


def _created(alerts: opsgenie_sdk.AlertApi, alias: str) -> Any:
    payload = opsgenie_sdk.CreateAlertPayload(message=alias, alias=alias)
    accepted = alerts.create_alert(create_alert_payload=payload)
    assert alerts.get_request_status(request_id=accepted.request_id).data.is_success is True
    return alerts.get_alert(identifier=alias, identifier_type="alias").data


def _refused(reply: httpx.Response, field: str) -> None:
    assert reply.status_code == 422, reply.text
    assert field in reply.json()["errors"], reply.text


# --- Create Alert's `actions` (a list of strings) -----------------------------------------------


@pytest.mark.parametrize("listed", [5, True, "ack", [1], [["a"]], {"a": "b"}])
def test_actions_that_are_not_strings_are_422_and_jam_nothing(
    alerts: opsgenie_sdk.AlertApi, mock: Mock, listed: Any
) -> None:
    """CreateAlertPayload.actions is `array of string`: anything else is refused at arrival;
    it used to be accepted, then raised in processing, so its status 500'd and the next write
    from anyone 500'd and was lost."""
    payload = opsgenie_sdk.CreateAlertPayload(message="m", alias="bad", actions=listed)
    with pytest.raises(ConfigurationException) as refused:
        alerts.create_alert(create_alert_payload=payload)
    assert refused.value.status == 422 and "actions" in str(refused.value.body)
    alert = _created(alerts, "after-bad-actions")
    assert alert.alias == "after-bad-actions"


def test_actions_listed_as_strings_are_kept(alerts: opsgenie_sdk.AlertApi) -> None:
    """Create Alert with `actions` as strings: Get Alert answers them (Alert.actions)."""
    payload = opsgenie_sdk.CreateAlertPayload(message="m", alias="acts", actions=["Restart"])
    accepted = alerts.create_alert(create_alert_payload=payload)
    assert alerts.get_request_status(request_id=accepted.request_id).data.is_success is True
    assert alerts.get_alert(identifier="acts", identifier_type="alias").data.actions == ["Restart"]


# --- responders and Add Team name themselves by strings -------------------------------------


@pytest.mark.parametrize(
    "responder",
    [
        {"type": "team", "name": ["SRE"]},
        {"type": "team", "name": {"n": "SRE"}},
        {"type": "team", "id": 7},
        {"type": "team"},
        {"type": "user", "username": ["ana"]},
        {"type": ["team"], "name": "SRE"},
    ],
)
def test_a_responder_not_named_by_a_string_is_422(
    alerts: opsgenie_sdk.AlertApi, mock: Mock, responder: dict[str, Any]
) -> None:
    """Create Alert `responders`: a team by `id` or `name`, a user by `id` or `username`, all
    strings (TeamRecipient, UserRecipient). A list as a team's name raised in processing once
    teams were configured; now it is refused at arrival and the next write is processed."""
    body = {"message": "m", "responders": [responder]}
    reply = _raw(mock, "POST", "/v2/alerts", json=body)
    assert reply.status_code == 422, reply.text
    assert _created(alerts, "after-bad-responder").alias == "after-bad-responder"


def test_add_team_whose_name_is_not_a_string_is_422(
    alerts: opsgenie_sdk.AlertApi, mock: Mock
) -> None:
    """POST /v2/alerts/{id}/teams: `team` {id | name}, strings (AddTeamToAlertPayload); an object
    as its name is refused (it raised in processing while teams were configured)."""
    alert = _created(alerts, "team-target")
    for team in ({"id": "a", "name": {}}, {"name": ["SRE"]}, {"id": 3}):
        reply = _raw(mock, "POST", f"/v2/alerts/{alert.id}/teams", json={"team": team})
        _refused(reply, "team")
    accepted = alerts.add_team(
        identifier=alert.id,
        add_team_to_alert_payload=opsgenie_sdk.AddTeamToAlertPayload(team={"name": "SRE"}),
    )
    assert alerts.get_request_status(request_id=accepted.request_id).data.is_success is True


# --- heartbeats' `intervalUnit` -------------------------------------------------------------


@pytest.mark.parametrize("unit", [[], {}, ["minutes"], 60])
def test_an_interval_unit_that_is_not_a_string_is_422(mock: Mock, unit: Any) -> None:
    """CreateHeartbeatPayload / UpdateHeartbeatPayload `intervalUnit`: minutes, hours or days;
    a list or an object was looked up in a dict and 500'd."""
    body = {"name": "hb", "interval": 1, "intervalUnit": unit, "enabled": True}
    _refused(_raw(mock, "POST", "/v2/heartbeats", json=body), "intervalUnit")
    body["intervalUnit"] = "minutes"
    assert _raw(mock, "POST", "/v2/heartbeats", json=body).status_code == 201
    _refused(_raw(mock, "PATCH", "/v2/heartbeats/hb", json={"intervalUnit": unit}), "intervalUnit")


# --- List Incidents at its documented path -----------------------------------------------------


def test_list_incidents_answers_at_the_documented_path(mock: Mock) -> None:
    """docs.opsgenie.com/docs/incident-api List Incidents: `GET /v1/incidents?query=...` (the
    SDK asks /v1/incidents/): both answer the ListIncidentsResponse."""
    for path in ("/v1/incidents", "/v1/incidents/"):
        reply = _raw(mock, "GET", path, params={"query": "status:open"})
        assert reply.status_code == 200, (path, reply.text)
        assert reply.json()["data"] == [] and "paging" in reply.json()


# --- an attachment racing the alert's delete --------------------------------------------------


def _later(action: Any, at: float, start: float, out: list[Any]) -> threading.Thread:
    def run() -> None:
        time.sleep(max(at - (time.monotonic() - start), 0.0))
        out.append(action())

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _note(mock: Mock, alert_id: str) -> None:
    reply = _raw(mock, "POST", f"/v2/alerts/{alert_id}/notes", json={"note": "n"})
    assert reply.status_code == 202


def test_an_attachment_added_while_its_alert_is_deleted_does_not_remake_it(
    alerts: opsgenie_sdk.AlertApi, mock: Mock
) -> None:
    """Add Alert Attachment waits for the writes before it (a read sees them); a delete
    processed meanwhile answers 404 "Alert does not exist", and the alert stays deleted (it used
    to be stored again by the attachment's log entry)."""
    alert = _created(alerts, "race-add")
    mock.control("POST", "opsgenie/config", {"request_delay_s": 0.9})
    files = {"file": ("a.log", b"x")}
    path = f"/v2/alerts/{alert.id}/attachments"
    start, out = time.monotonic(), []
    _note(mock, alert.id)  # due at 0.9: the attachment waits for it
    adding = _later(lambda: _raw(mock, "POST", path, files=files), 0.05, start, out)
    deleting = _later(lambda: _raw(mock, "DELETE", f"/v2/alerts/{alert.id}"), 0.45, start, out)
    adding.join(), deleting.join()
    added = next(r for r in out if r.request.method == "POST")
    assert added.status_code == 404, added.text
    time.sleep(1.0)
    assert _raw(mock, "GET", f"/v2/alerts/{alert.id}").status_code == 404


def test_an_attachment_removed_while_its_alert_is_deleted_is_404(
    alerts: opsgenie_sdk.AlertApi, mock: Mock, tmp_path: Any
) -> None:
    """Remove Alert Attachment racing Delete Alert: 404 "Alert does not exist", never a 500
    (the alert's journal, gone with it, was indexed)."""
    alert = _created(alerts, "race-remove")
    log = tmp_path / "a.log"
    log.write_text("x")
    alerts.add_attachment(identifier=alert.id, file=str(log))
    attachment = alerts.list_attachments(identifier=alert.id).data[0]
    mock.control("POST", "opsgenie/config", {"request_delay_s": 0.9})
    path = f"/v2/alerts/{alert.id}/attachments/{attachment.id}"
    start, out = time.monotonic(), []
    _note(mock, alert.id)  # due at 0.9
    threads = [
        _later(lambda: _raw(mock, "DELETE", path), 0.05, start, out),
        _later(lambda: _note(mock, alert.id), 0.45, start, []),  # due at 1.35
        _later(lambda: _raw(mock, "DELETE", f"/v2/alerts/{alert.id}"), 1.1, start, []),
    ]
    for thread in threads:
        thread.join()
    assert out[0].status_code == 404, out[0].text


# --- updates that enlarge an entry count against the store's bound ---------------------------


def _dropped(mock: Mock) -> dict[str, int]:
    return dict(httpx.get(f"{mock.url}/_opwire/health").json()["dropped"])


def test_a_heartbeat_enlarged_by_update_is_weighed_again(mock: Mock) -> None:
    """Update Heartbeat (PATCH) of `ownerTeam`: the store weighs the heartbeat as it now is, so
    heartbeats grown past the mock's bound drop the oldest (`/_opwire/health`), as growing
    them at create does; they used to keep their create-time weight and grow unbounded."""
    with httpx.Client(base_url=mock.url, headers=HEADERS, timeout=30) as client:
        for n in range(70):
            body = {"name": f"hb-{n}", "interval": 1, "intervalUnit": "hours", "enabled": True}
            assert client.post("/v2/heartbeats", json=body).status_code == 201
        for n in range(70):
            owner = {"ownerTeam": {"name": "z" * MiB}}
            assert client.patch(f"/v2/heartbeats/hb-{n}", json=owner).status_code == 200
        first, last = client.get("/v2/heartbeats/hb-0"), client.get("/v2/heartbeats/hb-69")
    assert _dropped(mock)["heartbeats"] > 0
    assert (first.status_code, last.status_code) == (404, 200)


# --- paging numbers are ASCII decimals ----------------------------------------------------------


@pytest.mark.parametrize("number", ["١٠", "1_0", " 5", "²"])
def test_a_paging_number_not_in_ascii_decimals_is_422(mock: Mock, number: str) -> None:
    """docs.opsgenie.com/docs/pagination: `limit` and `offset` are integers. int() reads "١٠"
    and "1_0" as 10 (and "²".isdigit() is true); the mock takes ASCII decimals only (what
    Opsgenie does with the others is UNCONFIRMED) and answers 422, as for any bad number."""
    assert _raw(mock, "GET", "/v2/alerts", params={"limit": "5"}).status_code == 200
    assert _raw(mock, "GET", "/v2/alerts", params={"limit": number}).status_code == 422
    listed = _raw(mock, "GET", "/v1/incidents", params={"query": "x", "offset": number})
    assert listed.status_code == 422
