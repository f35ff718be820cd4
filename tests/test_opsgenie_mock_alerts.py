"""The Opsgenie Alert API driven by the official opsgenie-sdk (AlertApi): every alert action,
updates, teams and custom actions, delete, identifiers with a slash, logs and notes with their
paging. Fixtures and helpers: test_opsgenie_mock_sdk.py.

Pages: docs.opsgenie.com/docs/alert-api, /docs/alert-api-continued, /docs/pagination; swagger.json
paths named per test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import opsgenie_sdk
import pytest
import test_opsgenie_mock_sdk as shared
from opsgenie_sdk.rest import ApiException
from test_opsgenie_mock_sdk import HEADERS, KEY, _create, _done, _raw
from test_specs import swagger_check

from conftest import Mock

# The shared fixtures (test_opsgenie_mock_sdk.py); each file gets its own module-scoped mock.
server, mock, client, alerts = shared.server, shared.mock, shared.client, shared.alerts


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
