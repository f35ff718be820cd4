"""The Opsgenie Incident API (IncidentApi) and alert attachments (AlertApi add/list/get/remove
attachment) driven by the official opsgenie-sdk. Fixtures and helpers: test_opsgenie_mock_sdk.py.

Pages: docs.opsgenie.com/docs/incident-api, /docs/alert-api-continued (Alert Attachments);
swagger.json /v1/incidents/... and /v2/alerts/{identifier}/attachments.
"""

from __future__ import annotations

from typing import Any

import opsgenie_sdk
import pytest
import test_opsgenie_mock_sdk as shared
from opsgenie_sdk.rest import ApiException
from test_opsgenie_mock_sdk import _create, _raw
from test_specs import swagger_check

from conftest import Mock

# The shared fixtures (test_opsgenie_mock_sdk.py); each file gets its own module-scoped mock.
server, mock, client, alerts = shared.server, shared.mock, shared.client, shared.alerts


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
