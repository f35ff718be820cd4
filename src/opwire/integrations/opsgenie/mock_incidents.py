"""Opsgenie's Incident API (v1), for the mock: create, request status, get, list, close, delete.

Pages followed: docs.opsgenie.com/docs/incident-api (create "processed asynchronously", 202
with a requestId; Get Request Status answers `incidentId`; incidents are `open`, `resolved` or
`closed`), shared/specs/opsgenie/swagger.json (`POST /v1/incidents/create`: CreateIncidentPayload
needs `message` and `serviceId`; `GET /v1/incidents/{identifier}?identifierType=id|tiny`
GetIncidentResponse; `GET /v1/incidents/` with `query` required, `offset`, `limit`, `sort`,
`order`: ListIncidentsResponse with PageDetails; `POST .../close` and `DELETE` answer 202;
IncidentRequestStatus: success, action, processedAt, integrationId, isSuccess, status,
incidentId), opsgenie_sdk api/incident.

UNCONFIRMED, chosen here: the mock processes an incident request at once (its status reads
processed on the first ask); any `serviceId` names a service (the mock holds no account, as for
teams); the status texts ("Created incident", ...) are the alert ones' pattern; the `query` is
the alert search language over the incident's fields.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.opsgenie.mock_alerts import resolved
from opwire.integrations.opsgenie.mock_http import TEXTS as HTTP_TEXTS
from opwire.integrations.opsgenie.mock_http import answer, auth, body_of, iso, unprocessable, whole
from opwire.integrations.opsgenie.mock_query import QueryError, compile_query, sort_key
from opwire.mock.app import mock_state
from opwire.mock.limits import CappedDict
from opwire.mock.state import clock_of

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
RESPONDER_TYPES = ("team", "user", "escalation", "schedule")
IDENTIFIER_TYPES = ("id", "tiny")
MESSAGE_LIMIT, LIST_LIMIT, LIST_DEFAULT = 130, 100, 20
SORTS = ("createdAt", "updatedAt", "tinyId", "message", "status", "priority", "owner")
OVERHEAD = 512
TEXTS = {
    "missing": "Incident does not exist",
    "no_request": "Request not found",
    "bad_identifier_type": "Invalid identifierType: use id or tiny",
}


@dataclass(slots=True)
class Incidents:
    """The incidents and their request outcomes (kept beside the alert state, capped alike,
    their drops counted in the alert state's counter that /_opwire/health reports)."""

    dropped: Counter[str] = field(default_factory=Counter)
    tiny_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    incidents: CappedDict[str, dict[str, Any]] = field(init=False)
    requests: CappedDict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.incidents = CappedDict("incidents", self.dropped)
        self.requests = CappedDict("incident_requests", self.dropped)


def _of(request: Request) -> Incidents:
    store: Incidents = mock_state(request).vendor.incidents
    return store


def _errors(body: dict[str, Any]) -> dict[str, str]:
    errors = {}
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        errors["message"] = "Message can not be empty."
    if not isinstance(body.get("serviceId"), str) or not body["serviceId"].strip():
        errors["serviceId"] = "Service id can not be empty."
    if body.get("priority", "P3") not in PRIORITIES:
        errors["priority"] = f"Priority should be one of {list(PRIORITIES)}"
    responders = body.get("responders") or []
    for responder in responders if isinstance(responders, list) else [None]:
        kind = responder.get("type") if isinstance(responder, dict) else None
        if kind not in RESPONDER_TYPES:
            errors["responders#type"] = f"Invalid recipient type '{kind}'"
    tags, details = body.get("tags") or [], body.get("details") or {}
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        errors["tags"] = "Tags should be a list of strings."
    if not isinstance(details, dict):
        errors["details"] = "Details should be a map of strings."
    return errors


def _new(store: Incidents, body: dict[str, Any], now: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "tinyId": str(next(store.tiny_ids)),
        "message": str(body["message"])[:MESSAGE_LIMIT],
        "description": str(body.get("description", "")),
        "status": "open",
        "isSeen": False,
        "tags": list(body.get("tags") or []),
        "createdAt": now,
        "updatedAt": now,
        "source": "127.0.0.1",
        "owner": "",
        "priority": body.get("priority", "P3"),
        "responders": [resolved(r) for r in body.get("responders") or []],
        "ownerTeam": "",
        "serviceId": str(body["serviceId"]),
        "extraProperties": {str(k): str(v) for k, v in dict(body.get("details") or {}).items()},
    }


def _accepted(request: Request, action: str, incident: dict[str, Any] | None) -> Response:
    """A 202, its request already processed: `incident` None is one that does not exist."""
    store, now = _of(request), iso(clock_of(request).now())
    outcome = {"success": True, "isSuccess": True, "status": f"{action}d incident"}
    if incident is None:
        outcome = {"success": False, "isSuccess": False, "status": TEXTS["missing"]}
    integration = mock_state(request).vendor.integration_id
    result = {"action": action, "processedAt": now, "integrationId": integration, **outcome}
    result["incidentId"] = incident["id"] if incident is not None else ""
    request_id = str(uuid.uuid4())
    store.requests.put(request_id, result, OVERHEAD)
    body = {"result": "Request will be processed", "took": 0.004, "requestId": request_id}
    return JSONResponse(body, 202, {"X-Request-ID": request_id, "X-Response-Time": "0.004"})


async def create_incident(request: Request) -> Response:
    if denied := auth(request, write=True):
        return denied
    body, size = await body_of(request)
    if body is None:
        return answer(400, {"message": HTTP_TEXTS["bad_json"]})
    if errors := _errors(body):
        return unprocessable(errors)
    store = _of(request)
    incident = _new(store, body, iso(clock_of(request).now()))
    store.incidents.put(incident["id"], incident, size + OVERHEAD)
    return _accepted(request, "Create", incident)


async def request_status(request: Request) -> Response:
    if denied := auth(request, write=False):
        return denied
    found = _of(request).requests.get(request.path_params["request_id"])
    if found is None:
        return answer(404, {"message": TEXTS["no_request"]})
    return answer(200, {"data": found})


def _find(request: Request) -> dict[str, Any] | Response | None:
    """The incident the path names, None when there is none, or the answer refusing."""
    kind = request.query_params.get("identifierType", "id")
    if kind not in IDENTIFIER_TYPES:
        return answer(422, {"message": TEXTS["bad_identifier_type"]})
    identifier, store = request.path_params["identifier"], _of(request)
    if kind == "id":
        return store.incidents.get(identifier)
    return next((i for i in store.incidents.values() if i["tinyId"] == identifier), None)


async def get_incident(request: Request) -> Response:
    if denied := auth(request, write=False):
        return denied
    found = _find(request)
    if isinstance(found, Response):
        return found
    return (
        answer(404, {"message": TEXTS["missing"]})
        if found is None
        else answer(200, {"data": found})
    )


async def close_incident(request: Request) -> Response:
    if denied := auth(request, write=True):
        return denied
    body, _ = await body_of(request)
    if body is None:
        return answer(400, {"message": HTTP_TEXTS["bad_json"]})
    found = _find(request)
    if isinstance(found, Response):
        return found
    if found is not None:
        found["status"], found["updatedAt"] = "closed", iso(clock_of(request).now())
    return _accepted(request, "Close", found)


async def delete_incident(request: Request) -> Response:
    if denied := auth(request, write=True):
        return denied
    found = _find(request)
    if isinstance(found, Response):
        return found
    if found is not None:
        del _of(request).incidents[found["id"]]
    return _accepted(request, "Delete", found)


def _paging(request: Request, offset: int, limit: int, total: int) -> dict[str, str]:
    def at(start: int) -> str:
        params = {**request.query_params, "offset": str(start), "limit": str(limit)}
        return str(request.url.include_query_params(**params))

    paging = {"first": at(0), "last": at(max(total - 1, 0) // limit * limit)}
    if offset + limit < total:
        paging["next"] = at(offset + limit)
    if offset > 0:
        paging["prev"] = at(max(offset - limit, 0))
    return paging


async def list_incidents(request: Request) -> Response:
    """GET /v1/incidents/?query= (required), offset, limit, sort, order."""
    if denied := auth(request, write=False):
        return denied
    params = request.query_params
    try:
        if "query" not in params:
            raise ValueError("query is required")
        match = compile_query(params["query"])
        limit = min(max(whole(params.get("limit", str(LIST_DEFAULT))), 1), LIST_LIMIT)
        offset = min(max(whole(params.get("offset", "0")), 0), 1 << 31)
        sort, order = params.get("sort", "createdAt"), params.get("order", "desc")
        if sort not in SORTS or order not in ("asc", "desc"):
            raise ValueError(f"sort is one of {', '.join(SORTS)}; order asc or desc")
    except (QueryError, ValueError) as exc:
        return answer(422, {"message": f"Invalid parameter: {exc}"})
    found = [i for i in _of(request).incidents.values() if match(_searchable(i))]
    found.sort(key=sort_key(sort), reverse=order == "desc")
    shown = [{k: v for k, v in i.items() if k not in ("description", "serviceId")} for i in found]
    page = shown[offset:][:limit]
    return answer(200, {"data": page, "paging": _paging(request, offset, limit, len(found))})


def _searchable(incident: dict[str, Any]) -> dict[str, Any]:
    """The incident under the alert field names the query language reads."""
    return {**incident, "details": incident["extraProperties"], "alias": "", "entity": ""}
