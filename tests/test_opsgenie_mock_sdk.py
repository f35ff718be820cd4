"""The Opsgenie mock driven by the official opsgenie-sdk (AlertApi, HeartbeatApi), unmodified but
for its host: every alert action, delete, logs and notes with their paging, search and count with
the query language, heartbeats. Raw replies are validated against shared/specs/opsgenie.

Pages: docs.opsgenie.com/docs/alert-api, /docs/alert-api-continued, /docs/pagination,
/docs/alerts-search-query-help, /docs/heartbeat-api; swagger.json paths named per test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import opsgenie_sdk
import pytest
from opsgenie_sdk.rest import ApiException
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


# --- alert actions (swagger paths /v2/alerts/{identifier}/<action>, each 202 Accepted) --------


def test_acknowledge_then_unacknowledge_by_tiny_id(alerts: opsgenie_sdk.AlertApi) -> None:
    """POST .../acknowledge and .../unacknowledge, identifierType=tiny."""
    alert = _create(alerts, "ack")
    payload = opsgenie_sdk.AcknowledgeAlertPayload(user="ana", note="on it")
    accepted = alerts.acknowledge_alert(
        identifier=alert.tiny_id, identifier_type="tiny", acknowledge_alert_payload=payload
    )
    assert _done(alerts, accepted, "Acknowledge").is_success is True
    read = alerts.get_alert(identifier=alert.id).data
    assert read.acknowledged is True and read.report.acknowledged_by == "ana"
    undo = alerts.un_acknowledge_alert(
        identifier=alert.id,
        un_acknowledge_alert_payload=opsgenie_sdk.UnAcknowledgeAlertPayload(),
    )
    assert _done(alerts, undo, "UnAcknowledge").alert_id == alert.id
    assert alerts.get_alert(identifier=alert.id).data.acknowledged is False


def test_snooze_until_a_time_then_it_wakes(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """POST .../snooze with SnoozeAlertPayload.endTime; the snooze ends at endTime."""
    _create(alerts, "snooze")
    until = datetime.now(UTC) + timedelta(hours=1)
    accepted = alerts.snooze_alert(
        identifier="snooze",
        identifier_type="alias",
        snooze_alert_payload=opsgenie_sdk.SnoozeAlertPayload(end_time=until),
    )
    assert _done(alerts, accepted, "Snooze").is_success is True
    read = alerts.get_alert(identifier="snooze", identifier_type="alias").data
    assert read.snoozed is True and abs((read.snoozed_until - until).total_seconds()) < 1
    mock.control("POST", "clock", {"advance_s": 7200})
    assert alerts.get_alert(identifier="snooze", identifier_type="alias").data.snoozed is False


def test_report_times_count_from_creation(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """Get Alert's `report`: ackTime and closeTime are the milliseconds from creation to the
    acknowledge and the close (docs.opsgenie.com/docs/alert-api "Get Alert" sample)."""
    alert = _create(alerts, "timed")
    assert (alert.report.ack_time, alert.report.close_time) == (0, 0)
    mock.control("POST", "clock", {"advance_s": 15})
    ack = opsgenie_sdk.AcknowledgeAlertPayload(user="ana")
    alerts.acknowledge_alert(identifier=alert.id, acknowledge_alert_payload=ack)
    mock.control("POST", "clock", {"advance_s": 45})
    close = opsgenie_sdk.CloseAlertPayload(user="bo")
    alerts.close_alert(identifier=alert.id, close_alert_payload=close)
    report = alerts.get_alert(identifier=alert.id).data.report
    assert 15_000 <= report.ack_time < 16_000 and 60_000 <= report.close_time < 61_000
    assert (report.acknowledged_by, report.closed_by) == ("ana", "bo")


def test_snooze_without_end_time_is_422(mock: Mock, alerts: opsgenie_sdk.AlertApi) -> None:
    """SnoozeAlertPayload requires endTime: refused at once (422, a field map)."""
    _create(alerts, "s422")
    reply = _raw(
        mock, "POST", "/v2/alerts/s422/snooze", params={"identifierType": "alias"}, json={}
    )
    assert reply.status_code == 422 and "endTime" in reply.json()["errors"]
    swagger_check("ErrorResponse", reply)


def test_escalate_assign_and_add_responder(alerts: opsgenie_sdk.AlertApi) -> None:
    """POST .../escalate, .../assign, .../responders (EscalationRecipient, UserRecipient,
    Recipient)."""
    alert = _create(alerts, "route")
    escalation = opsgenie_sdk.EscalateAlertToNextPayload(escalation={"name": "night"})
    escalated = alerts.escalate_alert(
        identifier=alert.id, escalate_alert_to_next_payload=escalation
    )
    assert _done(alerts, escalated, "EscalateToNext").is_success is True
    owner = opsgenie_sdk.AssignAlertPayload(owner={"username": "ana@example.com"})
    assigned = alerts.assign_alert(identifier=alert.id, assign_alert_payload=owner)
    assert _done(alerts, assigned, "Assign").is_success is True
    team = opsgenie_sdk.AddResponderToAlertPayload(responder={"type": "team", "name": "SRE"})
    added = alerts.add_responder(identifier=alert.id, add_responder_to_alert_payload=team)
    assert _done(alerts, added, "AddResponder").is_success is True
    read = alerts.get_alert(identifier=alert.id).data
    assert read.owner == "ana@example.com"
    assert [r.type for r in read.responders] == ["team"]


def test_a_responder_team_that_does_not_exist_fails_at_processing(
    alerts: opsgenie_sdk.AlertApi,
) -> None:
    alert = _create(alerts, "ghost-team")
    team = opsgenie_sdk.AddResponderToAlertPayload(responder={"type": "team", "name": "Nobody"})
    added = alerts.add_responder(identifier=alert.id, add_responder_to_alert_payload=team)
    status = _done(alerts, added, "AddResponder")
    assert status.is_success is False and "Nobody" in status.status


def test_tags_added_and_removed(alerts: opsgenie_sdk.AlertApi) -> None:
    """POST .../tags (AddTagsToAlertPayload) and DELETE .../tags?tags=a,b (csv)."""
    alert = _create(alerts, "tags", tags=["keep"])
    payload = opsgenie_sdk.AddTagsToAlertPayload(tags=["db", "eu", "keep"])
    _done(
        alerts, alerts.add_tags(identifier=alert.id, add_tags_to_alert_payload=payload), "AddTags"
    )
    assert alerts.get_alert(identifier=alert.id).data.tags == ["keep", "db", "eu"]
    removed = alerts.remove_tags(identifier=alert.id, tags=["db", "eu"])
    assert _done(alerts, removed, "RemoveTags").is_success is True
    assert alerts.get_alert(identifier=alert.id).data.tags == ["keep"]


def test_details_added_and_removed(alerts: opsgenie_sdk.AlertApi) -> None:
    """POST .../details (AddDetailsToAlertPayload) and DELETE .../details?keys=a,b (csv)."""
    alert = _create(alerts, "details", details={"run_id": "r1"})
    payload = opsgenie_sdk.AddDetailsToAlertPayload(details={"host": "db1", "az": "b"})
    added = alerts.add_details(identifier=alert.id, add_details_to_alert_payload=payload)
    _done(alerts, added, "AddDetails")
    read = alerts.get_alert(identifier=alert.id).data
    assert read.details == {"run_id": "r1", "host": "db1", "az": "b"}
    _done(alerts, alerts.remove_details(identifier=alert.id, keys=["host", "az"]), "RemoveDetails")
    assert alerts.get_alert(identifier=alert.id).data.details == {"run_id": "r1"}


def test_close_then_the_alias_is_free_again(alerts: opsgenie_sdk.AlertApi) -> None:
    """POST .../close; a new alert under a closed alert's alias is a new alert, not a count."""
    first = _create(alerts, "again")
    closing = alerts.close_alert(
        identifier="again",
        identifier_type="alias",
        close_alert_payload=opsgenie_sdk.CloseAlertPayload(user="ana", note="fixed"),
    )
    assert _done(alerts, closing, "Close").alert_id == first.id
    closed = alerts.get_alert(identifier=first.id).data
    assert closed.status == "closed" and closed.report.closed_by == "ana"
    second = _create(alerts, "again")
    assert second.id != first.id and second.status == "open" and second.count == 1


def test_delete_alert(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """DELETE /v2/alerts/{identifier} (202 Accepted); then Get Alert is 404 (ErrorResponse)."""
    alert = _create(alerts, "gone")
    deleted = alerts.delete_alert(identifier="gone", identifier_type="alias", user="ana")
    assert _done(alerts, deleted, "Delete").alert_id == alert.id
    with pytest.raises(ApiException) as refused:
        alerts.get_alert(identifier=alert.id)
    assert refused.value.status == 404
    swagger_check("ErrorResponse", _raw(mock, "GET", f"/v2/alerts/{alert.id}"))


def test_an_action_on_a_missing_alert_fails_at_processing(alerts: opsgenie_sdk.AlertApi) -> None:
    """The docs' sample: `isSuccess: false`, status "Alert does not exist"."""
    accepted = alerts.add_note(
        identifier="nobody",
        identifier_type="alias",
        add_note_to_alert_payload=opsgenie_sdk.AddNoteToAlertPayload(note="hello"),
    )
    status = _done(alerts, accepted, "AddNote")
    assert (status.is_success, status.status) == (False, "Alert does not exist")


def test_actions_answer_as_the_swagger_says(mock: Mock, alerts: opsgenie_sdk.AlertApi) -> None:
    """Every action's 202 is responses.Accepted (SuccessResponse), its status a
    GetRequestStatusResponse."""
    alert = _create(alerts, "spec")
    calls = [
        ("POST", "acknowledge", {}, {}),
        ("POST", "unacknowledge", {}, {}),
        ("POST", "notes", {"note": "n"}, {}),
        ("POST", "tags", {"tags": ["t"]}, {}),
        ("DELETE", "tags", None, {"tags": "t"}),
        ("POST", "details", {"details": {"k": "v"}}, {}),
        ("DELETE", "details", None, {"keys": "k"}),
        ("POST", "snooze", {"endTime": "2999-01-01T00:00:00Z"}, {}),
        ("POST", "escalate", {"escalation": {"id": "e1"}}, {}),
        ("POST", "assign", {"owner": {"id": "u1"}}, {}),
        ("POST", "responders", {"responder": {"type": "user", "username": "ana"}}, {}),
        ("POST", "close", {}, {}),
    ]
    for method, action, body, params in calls:
        reply = _raw(mock, method, f"/v2/alerts/{alert.id}/{action}", json=body, params=params)
        assert reply.status_code == 202, (action, reply.text)
        swagger_check("SuccessResponse", reply)
        status = _raw(mock, "GET", f"/v2/alerts/requests/{reply.json()['requestId']}")
        swagger_check("GetRequestStatusResponse", status)
        assert status.json()["data"]["isSuccess"] is True, (action, status.text)
    swagger_check("SuccessResponse", _raw(mock, "DELETE", f"/v2/alerts/{alert.id}"))


@pytest.mark.parametrize(
    ("method", "action", "body", "field"),
    [
        ("POST", "notes", {}, "note"),
        ("POST", "tags", {"tags": []}, "tags"),
        ("DELETE", "tags", None, "tags"),
        ("POST", "details", {"details": {"k": 1}}, "details"),
        ("DELETE", "details", None, "keys"),
        ("POST", "escalate", {}, "escalation"),
        ("POST", "assign", {"owner": {}}, "owner"),
        ("POST", "responders", {"responder": {"type": "bb", "id": "x"}}, "responder#type"),
    ],
)
def test_a_payload_missing_what_the_action_needs_is_422(
    mock: Mock, method: str, action: str, body: Any, field: str
) -> None:
    reply = _raw(mock, method, f"/v2/alerts/any/{action}", json=body)
    assert reply.status_code == 422 and field in reply.json()["errors"], reply.text
    swagger_check("ErrorResponse", reply)


def test_update_priority_message_and_description(alerts: opsgenie_sdk.AlertApi) -> None:
    """PUT .../priority, .../message, .../description (UpdateAlert*Payload), each 202."""
    alert = _create(alerts, "edit", priority="P4")
    priority = opsgenie_sdk.UpdateAlertPriorityPayload(priority="P1")
    accepted = alerts.update_alert_priority(
        identifier=alert.id, update_alert_priority_payload=priority
    )
    assert _done(alerts, accepted, "UpdatePriority").is_success is True
    message = opsgenie_sdk.UpdateAlertMessagePayload(message="db1 is down again")
    accepted = alerts.update_alert_message(
        identifier="edit", identifier_type="alias", update_alert_message_payload=message
    )
    assert _done(alerts, accepted, "UpdateMessage").is_success is True
    description = opsgenie_sdk.UpdateAlertDescriptionPayload(description="see runbook")
    accepted = alerts.update_alert_description(
        identifier=alert.tiny_id,
        identifier_type="tiny",
        update_alert_description_payload=description,
    )
    assert _done(alerts, accepted, "UpdateDescription").is_success is True
    read = alerts.get_alert(identifier=alert.id).data
    assert (read.priority, read.message, read.description) == (
        "P1",
        "db1 is down again",
        "see runbook",
    )


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("priority", {"priority": "P9"}, "priority"),
        ("priority", {}, "priority"),
        ("message", {"message": ""}, "message"),
        ("message", {"message": "m" * 131}, "message"),
        ("description", {}, "description"),
        ("teams", {"team": {}}, "team"),
    ],
)
def test_an_update_missing_its_field_is_422(
    mock: Mock, action: str, body: dict[str, Any], field: str
) -> None:
    """The swagger's required fields (UpdateAlertPriorityPayload's enum, AddTeamToAlertPayload
    `team`) are checked at once: 422 with a field map, as create's."""
    method = "POST" if action == "teams" else "PUT"
    reply = _raw(mock, method, f"/v2/alerts/any/{action}", json=body)
    assert reply.status_code == 422 and field in reply.json()["errors"], reply.text
    swagger_check("ErrorResponse", reply)


def test_add_team_and_list_recipients(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """POST .../teams (AddTeamToAlertPayload) adds a team responder; GET .../recipients lists
    the users the alert went to (ListAlertRecipientsResponse: user {id, username}, state)."""
    user = {"type": "user", "username": "ana@example.com"}
    alert = _create(alerts, "teams", responders=[user])
    team = opsgenie_sdk.AddTeamToAlertPayload(team={"name": "SRE"})
    added = alerts.add_team(identifier=alert.id, add_team_to_alert_payload=team)
    assert _done(alerts, added, "AddTeam").is_success is True
    read = alerts.get_alert(identifier=alert.id).data
    assert sorted(r.type for r in read.responders) == ["team", "user"]
    ghost = opsgenie_sdk.AddTeamToAlertPayload(team={"name": "Nobody"})
    failed = alerts.add_team(identifier=alert.id, add_team_to_alert_payload=ghost)
    assert _done(alerts, failed, "AddTeam").is_success is False
    recipients = alerts.list_recipients(identifier="teams", identifier_type="alias").data
    assert [r.user.username for r in recipients] == ["ana@example.com"]
    assert recipients[0].state and recipients[0].created_at
    reply = _raw(mock, "GET", f"/v2/alerts/{alert.id}/recipients")
    swagger_check("ListAlertRecipientsResponse", reply)
    assert _raw(mock, "GET", "/v2/alerts/nobody/recipients").status_code == 404


def test_custom_action_runs_only_when_the_alert_has_it(alerts: opsgenie_sdk.AlertApi) -> None:
    """POST .../actions/{actionName} (ExecuteCustomAlertActionPayload): an action the alert
    was created with runs; another fails at processing."""
    alert = _create(alerts, "custom", actions=["Restart"])
    payload = opsgenie_sdk.ExecuteCustomAlertActionPayload(user="ana", note="restarting")
    ran = alerts.execute_custom_alert_action(
        identifier=alert.id, action_name="Restart", execute_custom_alert_action_payload=payload
    )
    assert _done(alerts, ran, "Restart").is_success is True
    other = alerts.execute_custom_alert_action(identifier=alert.id, action_name="Reboot")
    assert _done(alerts, other, "Reboot").is_success is False
    assert [n.note for n in alerts.list_notes(identifier=alert.id).data] == ["restarting"]


def test_snooze_with_a_naive_datetime(alerts: opsgenie_sdk.AlertApi) -> None:
    """The SDK sends a naive datetime without an offset (`2030-01-01T00:00:00`); the mock
    reads it as UTC (UNCONFIRMED) rather than refusing it."""
    _create(alerts, "naive")
    until = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)
    accepted = alerts.snooze_alert(
        identifier="naive",
        identifier_type="alias",
        snooze_alert_payload=opsgenie_sdk.SnoozeAlertPayload(end_time=until),
    )
    assert _done(alerts, accepted, "Snooze").is_success is True
    read = alerts.get_alert(identifier="naive", identifier_type="alias").data
    assert read.snoozed is True
    assert abs((read.snoozed_until - until.replace(tzinfo=UTC)).total_seconds()) < 1


def test_attachments_add_list_get_remove(
    alerts: opsgenie_sdk.AlertApi, mock: Mock, tmp_path: Any
) -> None:
    """POST .../attachments (multipart `file`, 201), GET list (AlertAttachmentMeta), GET one
    (AlertAttachment {name, url}), DELETE; the alert named by `alertIdentifierType`."""
    alert = _create(alerts, "files")
    log = tmp_path / "stack.log"
    log.write_text("Traceback ...\n")
    added = alerts.add_attachment(
        identifier="files", alert_identifier_type="alias", file=str(log), user="ana"
    )
    assert added.result and added.request_id
    listed = alerts.list_attachments(identifier=alert.id).data
    assert [a.name for a in listed] == ["stack.log"]
    one = alerts.get_attachment(identifier=alert.id, attachment_id=listed[0].id).data
    assert one.name == "stack.log" and one.url
    swagger_check(
        "ListAlertAttachmentsResponse", _raw(mock, "GET", f"/v2/alerts/{alert.id}/attachments")
    )
    path = f"/v2/alerts/{alert.id}/attachments/{listed[0].id}"
    swagger_check("GetAlertAttachmentResponse", _raw(mock, "GET", path))
    assert any("stack.log" in entry.log for entry in alerts.list_logs(identifier=alert.id).data)
    removed = alerts.remove_attachment(identifier=alert.id, attachment_id=listed[0].id)
    assert removed.result
    assert alerts.list_attachments(identifier=alert.id).data == []
    with pytest.raises(ApiException) as gone:
        alerts.get_attachment(identifier=alert.id, attachment_id=listed[0].id)
    assert gone.value.status == 404


def test_an_attachment_needs_a_multipart_file(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """Not multipart: 415; multipart without `file`: 422; an unknown alert: 404."""
    alert = _create(alerts, "nofile")
    path = f"/v2/alerts/{alert.id}/attachments"
    assert _raw(mock, "POST", path, json={"file": "x"}).status_code == 415
    no_file = _raw(mock, "POST", path, files={"user": (None, "ana")})
    assert no_file.status_code == 422 and "file" in no_file.json()["errors"]
    missing = _raw(mock, "POST", "/v2/alerts/nobody/attachments", files={"file": ("a", b"x")})
    assert missing.status_code == 404
    swagger_check("ErrorResponse", missing)


# --- saved searches (swagger /v2/alerts/saved-searches) --------------------------------------


def test_saved_searches_and_listing_by_one(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """Create (201 CreateSavedSearchResponse), list, get by id and by name, update (PATCH),
    delete; List and Count Alerts apply one named by `searchIdentifier`."""
    _create(alerts, "p1", priority="P1")
    _create(alerts, "p5", priority="P5")
    payload = opsgenie_sdk.CreateSavedSearchPayload(
        name="urgent", query="priority:P1", owner={"username": "ana@example.com"}
    )
    created = alerts.create_saved_searches(create_saved_search_payload=payload).data
    assert created.name == "urgent" and created.id
    assert [s.name for s in alerts.list_saved_searches().data] == ["urgent"]
    by_name = alerts.get_saved_search(identifier="urgent", identifier_type="name").data
    assert (by_name.id, by_name.query) == (created.id, "priority:P1")
    listed = alerts.list_alerts(search_identifier="urgent", search_identifier_type="name").data
    assert [a.alias for a in listed] == ["p1"]
    assert alerts.count_alerts(search_identifier=created.id).data.count == 1
    update = opsgenie_sdk.UpdateSavedSearchPayload(
        name="quiet", query="priority:P5", owner={"username": "ana@example.com"}
    )
    updated = alerts.update_saved_search(
        identifier=created.id, update_saved_search_payload=update
    ).data
    assert (updated.name, updated.query) == ("quiet", "priority:P5")
    for path, definition in [
        ("/v2/alerts/saved-searches", "ListSavedSearchesResponse"),
        (f"/v2/alerts/saved-searches/{created.id}", "GetSavedSearchResponse"),
    ]:
        swagger_check(definition, _raw(mock, "GET", path))
    deleted = alerts.delete_saved_search(identifier="quiet", identifier_type="name")
    assert deleted.result == "Deleted"
    with pytest.raises(ApiException) as missing:
        alerts.get_saved_search(identifier=created.id)
    assert missing.value.status == 404


def test_a_saved_search_needs_name_query_and_owner(mock: Mock) -> None:
    """CreateSavedSearchPayload requires name, query, owner (422 field map); a duplicate
    name is 409 (docs.opsgenie.com/docs/response: "ID or name conflicts")."""
    reply = _raw(mock, "POST", "/v2/alerts/saved-searches", json={"query": "("})
    assert reply.status_code == 422
    assert {"name", "query", "owner"} <= set(reply.json()["errors"])
    body = {"name": "s", "query": "status:open", "owner": {"id": "u1"}}
    created = _raw(mock, "POST", "/v2/alerts/saved-searches", json=body)
    assert created.status_code == 201
    swagger_check("CreateSavedSearchResponse", created)
    assert _raw(mock, "POST", "/v2/alerts/saved-searches", json=body).status_code == 409


@pytest.mark.parametrize("alias", ["db/down", "web/eu/5xx", "logs/notes", "50% off?#"])
def test_an_alias_with_a_slash_is_one_identifier(alerts: opsgenie_sdk.AlertApi, alias: str) -> None:
    """The SDK quotes a path parameter whole (api_client.py: `quote(str(v), safe='')`), so an
    alias `db/down` travels as `db%2Fdown`: one identifier, for reads and for actions."""
    alert = _create(alerts, alias)
    assert alert.alias == alias
    note = opsgenie_sdk.AddNoteToAlertPayload(note="looking")
    noted = alerts.add_note(
        identifier=alias, identifier_type="alias", add_note_to_alert_payload=note
    )
    assert _done(alerts, noted, "AddNote").alert_id == alert.id
    assert [n.note for n in alerts.list_notes(identifier=alias, identifier_type="alias").data] == [
        "looking"
    ]
    closing = alerts.close_alert(
        identifier=alias,
        identifier_type="alias",
        close_alert_payload=opsgenie_sdk.CloseAlertPayload(),
    )
    assert _done(alerts, closing, "Close").is_success is True
    assert alerts.get_alert(identifier=alert.id).data.status == "closed"


def test_a_base_url_ending_in_a_slash_still_reaches_the_api(mock: Mock) -> None:
    """Configuration.host + resource_path (api_client.py) makes `//v2/alerts` from a host
    written with a trailing slash; runs of slashes match as one (UNCONFIRMED for Opsgenie)."""
    configuration = opsgenie_sdk.Configuration()
    configuration.host = mock.url + "/"
    configuration.api_key["Authorization"] = KEY
    configuration.api_key_prefix["Authorization"] = "GenieKey"
    alerts = opsgenie_sdk.AlertApi(api_client=opsgenie_sdk.ApiClient(configuration=configuration))
    alert = _create(alerts, "slashy")
    assert alerts.get_alert(identifier=alert.id).data.alias == "slashy"
    assert _raw(mock, "GET", "/v2/alerts/").status_code == 404  # a trailing slash is not one


# --- logs and notes (GET /v2/alerts/{identifier}/logs, /notes: AlertPaging) -------------------


def test_notes_read_back_with_their_paging(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    alert = _create(alerts, "noted", note="first")
    for n in range(2, 6):
        payload = opsgenie_sdk.AddNoteToAlertPayload(note=f"note {n}", user="ana")
        alerts.add_note(identifier=alert.id, add_note_to_alert_payload=payload)
    page = alerts.list_notes(identifier=alert.id, limit=2, order="asc")
    assert [n.note for n in page.data] == ["first", "note 2"]
    assert page.data[1].owner == "ana" and page.paging.next
    after = alerts.list_notes(
        identifier=alert.id, limit=2, order="asc", offset=page.data[-1].offset, direction="next"
    )
    assert [n.note for n in after.data] == ["note 3", "note 4"]
    newest = alerts.list_notes(identifier="noted", identifier_type="alias")  # default order desc
    assert newest.data[0].note == "note 5" and not newest.paging.next
    swagger_check("ListAlertNotesResponse", _raw(mock, "GET", f"/v2/alerts/{alert.id}/notes"))
    followed = httpx.get(page.paging.next, headers=HEADERS).json()
    assert [n["note"] for n in followed["data"]] == ["note 3", "note 4"]


def test_logs_record_each_action(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    alert = _create(alerts, "logged")
    alerts.acknowledge_alert(
        identifier=alert.id, acknowledge_alert_payload=opsgenie_sdk.AcknowledgeAlertPayload()
    )
    alerts.close_alert(identifier=alert.id, close_alert_payload=opsgenie_sdk.CloseAlertPayload())
    logs = alerts.list_logs(identifier=alert.id, order="asc").data
    assert len(logs) == 3 and all(entry.offset and entry.created_at for entry in logs)
    assert "created" in logs[0].log and "closed" in logs[-1].log
    assert len(alerts.list_logs(identifier=alert.id, limit=1).data) == 1
    swagger_check("ListAlertLogsResponse", _raw(mock, "GET", f"/v2/alerts/{alert.id}/logs"))
    missing = _raw(mock, "GET", "/v2/alerts/nobody/logs")
    assert missing.status_code == 404
    swagger_check("ErrorResponse", missing)


# --- search, list, count (GET /v2/alerts, /v2/alerts/count) ----------------------------------


@pytest.fixture
def searchable(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> opsgenie_sdk.AlertApi:
    _create(alerts, "db-down", message="Database apollo is down", tags=["db"], priority="P1")
    mock.control("POST", "clock", {"advance_s": 60})
    _create(alerts, "web-slow", message="Web server average latency", tags=["web"], priority="P3")
    mock.control("POST", "clock", {"advance_s": 60})
    _create(alerts, "db-slow", message="Database average latency", tags=["db"], priority="P4")
    closing = opsgenie_sdk.CloseAlertPayload()
    alerts.close_alert(identifier="web-slow", identifier_type="alias", close_alert_payload=closing)
    return alerts


@pytest.mark.parametrize(
    ("query", "aliases"),
    [
        ("", ["db-slow", "web-slow", "db-down"]),
        ("status:open", ["db-slow", "db-down"]),
        ("status: closed", ["web-slow"]),
        ("tag:db AND priority:P1", ["db-down"]),
        ("tag:web OR priority=P4", ["db-slow", "web-slow"]),
        ("NOT tag:db", ["web-slow"]),
        ("priority != P3", ["db-slow", "db-down"]),
        ("(tag:db OR tag:web) AND NOT status:closed", ["db-slow", "db-down"]),
        ("apollo", ["db-down"]),
        ("message: average", ["db-slow", "web-slow"]),
        ('"average latency"', ["db-slow", "web-slow"]),
        ('message: "latency average"', []),
        ("alias:db-*", ["db-slow", "db-down"]),
        ("count > 0 AND acknowledged: false", ["db-slow", "web-slow", "db-down"]),
    ],
)
def test_search_query_language(
    searchable: opsgenie_sdk.AlertApi, query: str, aliases: list[str]
) -> None:
    """docs.opsgenie.com/docs/alerts-search-query-help, through List Alerts (newest first)."""
    listed = searchable.list_alerts(query=query).data
    assert [a.alias for a in listed] == aliases
    assert searchable.count_alerts(query=query).data.count == len(aliases)


def test_created_at_compares_unix_milliseconds(searchable: opsgenie_sdk.AlertApi) -> None:
    newest = searchable.list_alerts(limit=1).data[0]
    millis = int(newest.created_at.timestamp() * 1000)
    after = searchable.list_alerts(query=f"createdAt >= {millis}").data
    assert [a.alias for a in after] == ["db-slow"]
    before = searchable.count_alerts(query=f"createdAt < {millis}").data.count
    assert before == 2


def test_created_at_in_unix_seconds_as_the_sdk_sample_queries(
    searchable: opsgenie_sdk.AlertApi,
) -> None:
    """opsgenie-python-sdk samples/alert_samples.py list_open_alerts_since_one_week:
    `createdAt<%d AND createdAt>%d AND status: open` with time.time() seconds."""
    now = round(time.time()) + 600  # past the fixture's clock advances
    week = 7 * 24 * 60 * 60
    query = f"createdAt<{now} AND createdAt>{now - week} AND status: open"
    listed = searchable.list_alerts(limit=25, query=query, order="desc", sort="createdAt")
    assert [a.alias for a in listed.data] == ["db-slow", "db-down"]
    assert searchable.count_alerts(query=f"createdAt<{now - week}").data.count == 0


def test_sort_order_offset_limit_and_paging(searchable: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """sort/order/offset/limit (swagger GET /v2/alerts); paging links as /docs/pagination."""
    by_alias = searchable.list_alerts(sort="alias", order="asc").data
    assert [a.alias for a in by_alias] == ["db-down", "db-slow", "web-slow"]
    page = searchable.list_alerts(order="asc", offset=1, limit=1)
    assert [a.alias for a in page.data] == ["web-slow"]
    assert page.paging.next and page.paging.prev and page.paging.first and page.paging.last
    reply = _raw(mock, "GET", "/v2/alerts", params={"limit": 2})
    swagger_check("ListAlertsResponse", reply)
    assert "description" not in reply.json()["data"][0]  # List Alerts answers BaseAlert
    following = httpx.get(reply.json()["paging"]["next"], headers=HEADERS).json()
    assert [a["alias"] for a in following["data"]] == ["db-down"]


@pytest.mark.parametrize(
    "query",
    ["(", "status:", "bogus:1", '"unclosed', "count > many", "(" * 200, "NOT " * 500, ")"],
)
def test_a_query_it_cannot_read_is_422_never_500(mock: Mock, query: str) -> None:
    for path in ("/v2/alerts", "/v2/alerts/count"):
        reply = _raw(mock, "GET", path, params={"query": query})
        assert reply.status_code == 422, (path, reply.text)
        swagger_check("ErrorResponse", reply)


def test_count_through_the_sdk(searchable: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """GET /v2/alerts/count (GetCountAlertsResponse)."""
    assert searchable.count_alerts().data.count == 3
    reply = _raw(mock, "GET", "/v2/alerts/count", params={"query": "tag:db"})
    swagger_check("GetCountAlertsResponse", reply)
    assert reply.json()["data"]["count"] == 2


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


# --- incidents (swagger /v1/incidents/...) ------------------------------------------------------


@pytest.fixture
def incidents(client: opsgenie_sdk.ApiClient) -> opsgenie_sdk.IncidentApi:
    return opsgenie_sdk.IncidentApi(api_client=client)


def test_incident_create_status_get_list_close_delete(
    incidents: opsgenie_sdk.IncidentApi, mock: Mock
) -> None:
    """POST /v1/incidents/create (202), GET .../requests/{id} (incidentId), GET by id and tiny,
    GET /v1/incidents/?query= (ListIncidentsResponse, PageDetails), close, delete."""
    payload = opsgenie_sdk.CreateIncidentPayload(
        message="Checkout is down",
        service_id="svc-checkout",
        priority="P1",
        tags=["checkout"],
        details={"region": "eu"},
        responders=[{"type": "team", "name": "SRE"}],
    )
    accepted = incidents.create_incident(create_incident_payload=payload)
    assert accepted.result == "Request will be processed" and accepted.request_id
    status = incidents.get_incident_request_status(request_id=accepted.request_id).data
    assert (status.is_success, status.action) == (True, "Create") and status.incident_id
    read = incidents.get_incident(identifier=status.incident_id).data
    assert (read.message, read.status, read.priority) == ("Checkout is down", "open", "P1")
    assert read.extra_properties == {"region": "eu"}
    by_tiny = incidents.get_incident(identifier=read.tiny_id, identifier_type="tiny").data
    assert by_tiny.id == read.id
    listed = incidents.list_incidents(query="status:open AND priority:P1")
    assert [i.id for i in listed.data] == [read.id] and listed.paging.first
    swagger_check("GetIncidentResponse", _raw(mock, "GET", f"/v1/incidents/{read.id}"))
    listing = _raw(mock, "GET", "/v1/incidents/", params={"query": "status:open"})
    swagger_check("ListIncidentsResponse", listing)
    closed = incidents.close_incident(
        identifier=read.id, close_incident_payload=opsgenie_sdk.CloseIncidentPayload(note="ok")
    )
    outcome = incidents.get_incident_request_status(request_id=closed.request_id)
    assert outcome.data.is_success is True
    assert incidents.get_incident(identifier=read.id).data.status == "closed"
    assert incidents.list_incidents(query="status:open").data == []
    deleted = incidents.delete_incident(identifier=read.id)
    assert incidents.get_incident_request_status(request_id=deleted.request_id).data.is_success
    with pytest.raises(ApiException) as gone:
        incidents.get_incident(identifier=read.id)
    assert gone.value.status == 404
    swagger_check("ErrorResponse", _raw(mock, "GET", f"/v1/incidents/{read.id}"))


def test_incident_retrieve_result_as_the_sdk_sample_does(
    incidents: opsgenie_sdk.IncidentApi,
) -> None:
    """opsgenie-python-sdk samples/incident.py: create, `retrieve_result()` (its
    get_incident_request_status), then `response.id` is the incident's id."""
    payload = opsgenie_sdk.CreateIncidentPayload(
        message="Example Incident", service_id="svc", priority="P5"
    )
    response = incidents.create_incident(create_incident_payload=payload)
    assert response.retrieve_result().data.is_success is True
    assert incidents.get_incident(response.id).data.message == "Example Incident"
    assert [i.id for i in incidents.list_incidents("status=open", limit=5).data] == [response.id]


def test_incident_refusals(mock: Mock) -> None:
    """CreateIncidentPayload requires message and serviceId (422 field map); List Incidents'
    `query` is required; closing one that does not exist fails at processing."""
    reply = _raw(mock, "POST", "/v1/incidents/create", json={"priority": "P9"})
    assert reply.status_code == 422
    assert {"message", "serviceId", "priority"} <= set(reply.json()["errors"])
    swagger_check("ErrorResponse", reply)
    assert _raw(mock, "GET", "/v1/incidents/").status_code == 422
    closing = _raw(mock, "POST", "/v1/incidents/nobody/close", json={})
    assert closing.status_code == 202
    status = _raw(mock, "GET", f"/v1/incidents/requests/{closing.json()['requestId']}")
    assert status.json()["data"]["isSuccess"] is False
    swagger_check("GetIncidentRequestStatusResponse", status)


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
