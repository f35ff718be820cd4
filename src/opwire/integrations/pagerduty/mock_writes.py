"""What an operator script makes through the PagerDuty mock's REST API v2: incidents
(createIncident), notes on them (listIncidentNotes, createIncidentNote), merges
(mergeIncidents), one alert read (getIncidentAlert), services (createService, deleteService)
and their Events API v2 integrations (createServiceIntegration, getServiceIntegration).

Pages followed: shared/specs/pagerduty/REST/openapiv3.json (createIncident: `incident` with
`type` "incident", `title`, `service` required, `urgency`, `priority`, `incident_key`,
`body.details`, `escalation_policy`, `From` required, answer 201; createIncidentNote: `note`
with `content`, `From` required, answer 200 `{"note"}`; mergeIncidents: `source_incidents`
references, `From` required, answer `{"incident"}` an IncidentReference, "Only incidents that
have alerts ... can be merged", "The target incident must be open", at most 1000 alerts;
getIncidentAlert;
createService: `service` with `name`, `escalation_policy`, answer 201);
developer.pagerduty.com REST-API/14-Errors (2001 Invalid Input Provided, 2100 Not Found).

UNCONFIRMED, chosen here: an incident made through REST has no alerts (`alert_counts` all 0)
and is assigned to the escalation policy's on-call (the seeded owner); a second open incident
with the same `incident_key` on a service is 400 code 2001 "Open incident with key '…' already
exists"; a note is kept as the incident's annotate log entry (the note's id is that entry's
id) and holds at most 25000 characters; a merged-away incident is resolved by the acting user
and its alerts, still open, answer the target's dedup as before; a refused merge (a resolved
target, a source without alerts, past 1000 alerts) is 400 code 2001 and merges none; a service
name already taken is 400 code 2001 "Name has already been taken"; only Events API v2
integrations can be made.
An integration's `integration_key` (its routing key) is not in the spec's Integration schema;
PagerDuty answers it (go-pagerduty's Integration.IntegrationKey, the Terraform provider's
pagerduty_service_integration.integration_key).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.pagerduty import mock_directory as directory
from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty.mock_rest import (
    INVALID_INPUT,
    Refused,
    actor,
    answer,
    incident_of,
)
from opwire.integrations.pagerduty.mock_state import PagerDutyState, vendor
from opwire.mock.app import json_body
from opwire.mock.state import clock_of

NOTE_MAX = 25_000
MERGE_MAX_ALERTS = 1_000  # mergeIncidents: "An incident cannot have more than 1000 alerts"
INTEGRATION_TYPE = "events_api_v2_inbound_integration"
URGENCIES = ("high", "low")


def _now(request: Request) -> str:
    return shapes.stamp(clock_of(request).now())


async def _wrapped(request: Request, name: str) -> dict[str, Any]:
    """The body's entity `name` (the REST API's wrapped entity), an object, or 400."""
    body = json_body(await request.body())
    entity = body.get(name) if isinstance(body, dict) else None
    if not isinstance(entity, dict):
        raise Refused(400, *INVALID_INPUT, f"{name} is required and must be an object")
    return entity


def _invalid(problem: str) -> Refused:
    return Refused(400, *INVALID_INPUT, problem)


def _reference_id(entity: dict[str, Any], name: str, kind: str) -> str | None:
    """The id of the reference `entity[name]` of type `kind` (or its object type), if given."""
    found = entity.get(name)
    if found is None:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        raise _invalid(f"{name} must be a reference with an id")
    if found.get("type") not in (kind, kind.removesuffix("_reference")):
        raise _invalid(f"{name}.type must be {kind}")
    return str(found["id"])


def _title(entity: dict[str, Any]) -> str:
    title = entity.get("title")
    if entity.get("type") != "incident":
        raise _invalid("incident.type must be incident")
    if not isinstance(title, str) or not title.strip() or len(title) > 1024:
        raise _invalid("incident.title must be a string of 1 to 1024 characters")
    return title


def _key(state: PagerDutyState, entity: dict[str, Any], service_id: str) -> str | None:
    key = entity.get("incident_key")
    if key is None:
        return None
    if not isinstance(key, str) or len(key) > 255:
        raise _invalid("incident.incident_key must be a string of at most 255 characters")
    for incident in state.incidents.values():
        is_open = incident["status"] != "resolved" and incident["service"]["id"] == service_id
        if is_open and incident["incident_key"] == key:
            raise _invalid(f"Open incident with key '{key}' already exists")
    return key


def _fields(state: PagerDutyState, entity: dict[str, Any]) -> dict[str, Any]:
    """createIncident's body, checked whole: the new incident's own fields."""
    title = _title(entity)
    service_id = _reference_id(entity, "service", "service_reference")
    service = state.service_by_id(service_id) if service_id else None
    if service is None:
        raise _invalid("incident.service must name a service of the account")
    urgency = entity.get("urgency", "high")
    if urgency not in URGENCIES:
        raise _invalid("incident.urgency must be high or low")
    fields: dict[str, Any] = {"title": title, "service": service.ref, "urgency": urgency}
    fields["incident_key"] = _key(state, entity, service.id)
    policy = _reference_id(entity, "escalation_policy", "escalation_policy_reference")
    if policy not in (None, directory.POLICY[0]):
        raise _invalid("incident.escalation_policy must name an escalation policy")
    priority_id = _reference_id(entity, "priority", "priority_reference")
    if priority_id is not None:
        if (priority := directory.priority_ref(priority_id)) is None:
            raise _invalid("incident.priority must name a priority of the account")
        fields["priority"] = priority
    return fields


def _details(entity: dict[str, Any]) -> Any:
    body = entity.get("body")
    return body.get("details", "") if isinstance(body, dict) else ""


def _incident(state: PagerDutyState, fields: dict[str, Any], now: str) -> dict[str, Any]:
    number = next(state.numbers)
    incident_id = shapes.new_id("Q")
    return {
        "id": incident_id,
        "type": "incident",
        "summary": f"[#{number}] {fields['title']}",
        "self": f"{shapes.HOST}/incidents/{incident_id}",
        "html_url": f"{shapes.APP}/incidents/{incident_id}",
        "incident_number": number,
        "created_at": now,
        "updated_at": now,
        "status": "triggered",
        "assignments": shapes.assigned(now),
        "assigned_via": "escalation_policy",
        "acknowledgements": [],
        "last_status_change_at": now,
        "alert_counts": {"all": 0, "triggered": 0, "resolved": 0},
        "teams": [shapes.team_ref()],
        "is_mergeable": True,
        "escalation_policy": shapes.policy_ref(),
        **{k: v for k, v in fields.items() if k != "incident_key"},
        "incident_key": fields["incident_key"] or uuid.uuid4().hex,
    }


async def create_incident(request: Request) -> Response:
    """createIncident: 201 `{"incident"}`, triggered by the `From` user."""
    user = actor(request)
    entity = await _wrapped(request, "incident")
    state, now = vendor(request), _now(request)
    incident = _incident(state, _fields(state, entity), now)
    incident["last_status_change_by"] = user
    details = _details(entity)
    channel = {"summary": incident["title"], "details": details}
    entry = shapes.log_entry("create", incident, user, now, channel=channel)
    state.add_incident(incident, entry)
    return _created(request, {"incident": incident})


def _created(request: Request, data: dict[str, Any]) -> Response:
    reply = answer(request, data)
    reply.status_code = 201
    return reply


def _note(entry: dict[str, Any]) -> dict[str, Any]:
    """The spec's IncidentNote of an annotate log entry."""
    return {
        "id": entry["id"],
        "user": entry["agent"],
        "channel": {"summary": "The PagerDuty website or APIs"},
        "content": entry["channel"]["summary"],
        "created_at": entry["created_at"],
    }


async def list_notes(request: Request) -> Response:
    """listIncidentNotes: the incident's notes, oldest first, not paginated."""
    state = vendor(request)
    incident = incident_of(state, request.path_params["id"])
    entries = reversed(state.log_entries(incident["id"]))
    notes = [_note(e) for e in entries if e["type"] == "annotate_log_entry"]
    return answer(request, {"notes": notes})


async def create_note(request: Request) -> Response:
    """createIncidentNote: 200 `{"note"}`, written by the `From` user."""
    user = actor(request)
    content = (await _wrapped(request, "note")).get("content")
    if not isinstance(content, str) or not content.strip() or len(content) > NOTE_MAX:
        raise _invalid(f"note.content must be a string of 1 to {NOTE_MAX} characters")
    state, now = vendor(request), _now(request)
    incident = incident_of(state, request.path_params["id"])
    channel = {"type": "note", "summary": content}
    entry = shapes.log_entry("annotate", incident, user, now, channel=channel)
    state.keep_entry(entry)
    incident["updated_at"] = now
    return answer(request, {"note": _note(entry)})


def _sources(body: Any, target: dict[str, Any], state: PagerDutyState) -> list[dict[str, Any]]:
    items = body.get("source_incidents") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise _invalid("source_incidents must be a non-empty array of incident references")
    found = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise _invalid("each source incident needs its id")
        source = incident_of(state, item["id"])
        if source["id"] == target["id"]:
            raise _invalid("an incident cannot be merged into itself")
        if not state.alerts_of(source):  # merged away already, or made through REST
            raise _invalid(f"incident {source['id']} has no alerts to merge")
        found.append(source)
    alerts = sum(len(state.alerts_of(i)) for i in (target, *found))
    if alerts > MERGE_MAX_ALERTS:
        raise _invalid(f"an incident cannot have more than {MERGE_MAX_ALERTS} alerts")
    return found


async def merge_incidents(request: Request) -> Response:
    """mergeIncidents: the sources' alerts move to the target, the sources are resolved; the
    answer is the target's reference (the spec's IncidentReference)."""
    user = actor(request)
    body = json_body(await request.body())
    state, now = vendor(request), _now(request)
    target = incident_of(state, request.path_params["id"])
    if target["status"] == "resolved":
        raise _invalid("The target incident must be open")
    for source in _sources(body, target, state):
        state.merge(target, source, user, now)
    reference = shapes.ref("incident_reference", target["id"], target["summary"])
    return answer(request, {"incident": reference})


async def get_alert(request: Request) -> Response:
    """getIncidentAlert: one of the incident's alerts."""
    state = vendor(request)
    incident = incident_of(state, request.path_params["id"])
    wanted = request.path_params["alert_id"]
    alert = next((a for a in state.alerts_of(incident) if a["id"] == wanted), None)
    if alert is None:
        raise Refused(404, "Not Found", 2100)
    return answer(request, {"alert": alert})


async def create_service(request: Request) -> Response:
    """createService: 201 `{"service"}` on the account's escalation policy."""
    entity = await _wrapped(request, "service")
    name, description = entity.get("name"), entity.get("description")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise _invalid("service.name must be a string of 1 to 255 characters")
    if description is not None and not isinstance(description, str):
        raise _invalid("service.description must be a string")
    policy = _reference_id(entity, "escalation_policy", "escalation_policy_reference")
    if policy != directory.POLICY[0]:
        raise _invalid("service.escalation_policy must name an escalation policy")
    state = vendor(request)
    if any(s.name.lower() == name.strip().lower() for s in state.services.values()):
        raise _invalid("Name has already been taken")
    service = state.add_service(name.strip(), description, _now(request))
    return _created(request, {"service": directory.service_json(state, service)})


def _integration_json(service: Any, integration: dict[str, str]) -> dict[str, Any]:
    """The Integration, with the `integration_key` the Events API takes as its routing key."""
    return {
        **directory.integration_ref(service, integration),
        "type": INTEGRATION_TYPE,
        "name": integration["name"],
        "service": service.ref,
        "created_at": integration["created_at"],
        "integration_key": integration["key"],
    }


def _service_of(request: Request) -> Any:
    service = vendor(request).service_by_id(request.path_params["id"])
    if service is None:
        raise Refused(404, "Not Found", 2100)
    return service


async def create_integration(request: Request) -> Response:
    """createServiceIntegration: 201, an Events API v2 integration and its new key."""
    service = _service_of(request)
    entity = await _wrapped(request, "integration")
    name = entity.get("name", "Events API v2")
    if entity.get("type") != INTEGRATION_TYPE:
        raise _invalid(f"integration.type must be {INTEGRATION_TYPE} (the mock has no other)")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise _invalid("integration.name must be a string of 1 to 255 characters")
    state = vendor(request)
    made = state.add_integration(service, uuid.uuid4().hex, name.strip(), _now(request))
    return _created(request, {"integration": _integration_json(service, made)})


async def get_integration(request: Request) -> Response:
    """getServiceIntegration."""
    service = _service_of(request)
    wanted = request.path_params["integration_id"]
    found = next((i for i in service.integrations if i["id"] == wanted), None)
    if found is None:
        raise Refused(404, "Not Found", 2100)
    return answer(request, {"integration": _integration_json(service, found)})


async def delete_service(request: Request) -> Response:
    """deleteService: 204; its routing keys reach no service any more (a later event makes a
    new one, as any unknown key does here)."""
    service = _service_of(request)
    state = vendor(request)
    for key in [k for k, s in state.services.items() if s is service]:
        del state.services[key]
    return Response(status_code=204)


# The REST routes of what is made (authenticated by mock.py).
ROUTES = (
    ("/incidents", "POST", create_incident),
    ("/incidents/{id}/merge", "PUT", merge_incidents),
    ("/incidents/{id}/notes", "GET", list_notes),
    ("/incidents/{id}/notes", "POST", create_note),
    ("/incidents/{id}/alerts/{alert_id}", "GET", get_alert),
    ("/services", "POST", create_service),
    ("/services/{id}", "DELETE", delete_service),
    ("/services/{id}/integrations", "POST", create_integration),
    ("/services/{id}/integrations/{integration_id}", "GET", get_integration),
)
