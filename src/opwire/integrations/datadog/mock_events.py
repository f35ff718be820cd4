"""Events in the Datadog mock: posted through v1 or v2, read back through v1 or v2.

Pages followed: shared/specs/datadog/v1/openapi.yaml (`/api/v1/events` `EventCreateRequest`,
`EventListResponse`, `/api/v1/events/{event_id}`), v2/openapi.yaml (`CreateEvent` with
`security: apiKeyAuth + appKeyAuth` and `JSONAPIErrorResponse` errors, `ListEvents`,
`SearchEvents` and `EventsListResponse`, `GetEvent` by the event's UID and `V2EventResponse`),
the recorded event exchanges (cassettes/v1_test_post_an_event_*, v2_test_post_an_event_*,
v2_test_get_a_list_of_events_*, v2_test_search_events_*); vendor-contracts.md § 1.5, § 1.6.

One store holds every event; each gets a numeric id (v1's `id`/`id_str`, v2's `evt.id`) and a
UID (v2's `evt.uid`, what GET /api/v2/events/{event_id} takes, and the v2 lists' `id`).
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.datadog import mock_events_v2, mock_search
from opwire.integrations.datadog.mock_base import (
    APP_URL,
    ENTRY_OVERHEAD,
    DatadogState,
    auth,
    errors,
    jsonapi_error,
    numbers,
    optional_object,
    refusal,
    state_of,
    strings,
)
from opwire.mock.app import json_body
from opwire.mock.state import clock_of

EVENT_MAX_AGE_S = 18 * 3600  # spec: date_happened at most 18 hours old
# A tuple, not a set: membership of an unhashable JSON value (a list) must be False, not a 500.
ALERT_TYPES = ("error", "warning", "info", "success", "user_update", "recommendation", "snapshot")
PRIORITIES = ("normal", "low")
V1_PAGE = 1000
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z: later stamps cannot be listed in ISO 8601
V1_CREATED = (
    "id",
    "id_str",
    "title",
    "text",
    "date_happened",
    "handle",
    "priority",
    "related_event_id",
    "tags",
    "url",
)
V1_LISTED = (*V1_CREATED, "alert_type", "host", "device_name", "source_type_name")
# v2 alert statuses in the list's EventAttributes.status (v1's alert types). UNCONFIRMED.
V2_STATUS = {"warn": "warning", "error": "error", "ok": "success"}
CHANGE_FIELDS = (
    "author",
    "change_metadata",
    "changed_resource",
    "impacted_resources",
    "new_value",
    "prev_value",
)
ALERT_FIELDS = ("custom", "links", "priority", "status")


def uid_of(event_id: int) -> str:
    """A 24-character UID like the recorded `AZsKLCxvAACrUQTfNDwMWwAA` (layout UNCONFIRMED)."""
    raw = b"\x01\x9b" + event_id.to_bytes(8, "big") + bytes(8)
    return base64.urlsafe_b64encode(raw).decode()


def store_event(state: DatadogState, fields: dict[str, Any], happened: float) -> dict[str, Any]:
    event_id = next(state.ids)
    event = {
        "id": event_id,
        "id_str": str(event_id),
        "uid": uid_of(event_id),
        "date_happened": int(happened),
        "ts_ms": int(happened * 1000),
        "handle": None,
        "priority": None,
        "related_event_id": None,
        "alert_type": "info",
        "host": None,
        "device_name": None,
        "source_type_name": None,
        "aggregation_key": None,
        "v2": None,
        **fields,
        "url": f"{APP_URL}/event/event?id={event_id}",
    }
    weight = len(event["title"]) + len(event["text"]) + sum(len(str(t)) for t in event["tags"])
    state.events.append(event, weight + len(str(event["v2"] or "")) + ENTRY_OVERHEAD)
    return event


def find(state: DatadogState, key: str, wanted: str) -> dict[str, Any] | None:
    return next((e for e in reversed(state.events) if e[key] == wanted), None)


# --- v1 ---------------------------------------------------------------------------------------


def _v1_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "Invalid JSON body"
    if not isinstance(body.get("title"), str) or not isinstance(body.get("text"), str):
        return "Event title and text are required"
    if len(body["text"]) > 4000:
        return "Event text exceeds 4000 characters"
    if body.get("alert_type", "info") not in ALERT_TYPES or not strings(body.get("tags", [])):
        return "Invalid alert_type or tags"
    if body.get("priority") not in (None, *PRIORITIES):
        return "Invalid priority: expected normal or low"
    happened = body.get("date_happened", 0)
    if not numbers(happened) or happened > LAST_SECOND:
        return "date_happened must be a POSIX timestamp"
    return None


V1_OPTIONAL = ("priority", "related_event_id", "alert_type", "host", "device_name")


def _v1_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {k: body[k] for k in V1_OPTIONAL if body.get(k) is not None}
    for name in ("source_type_name", "aggregation_key"):
        if isinstance(body.get(name), str):
            fields[name] = body[name]
    return {
        **fields,
        "title": body["title"],
        "text": body["text"],
        "tags": list(body.get("tags", [])),
    }


async def post_event_v1(request: Request) -> Response:
    if denied := auth(request, read=False):
        return denied
    body = json_body(await request.body())
    if problem := _v1_problem(body):
        return errors(400, problem)
    now = clock_of(request).now()
    happened = body.get("date_happened", int(now))
    if happened < now - EVENT_MAX_AGE_S:
        # Recorded: JSON text, but served as text/plain.
        return errors(400, "Event too far in the past", content_type="text/plain; charset=utf-8")
    event = store_event(state_of(request), _v1_fields(body), happened)
    return JSONResponse({"status": "ok", "event": {k: event[k] for k in V1_CREATED}}, 202)


def v1_listed(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the v1 read routes give it; unset fields are left out (the spec has no nulls)."""
    listed = {
        **{k: event[k] for k in V1_LISTED},
        "resource": f"/api/v1/events/{event['id']}",
        "is_aggregate": False,
        "children": [],
        "comments": [],
    }
    return {k: v for k, v in listed.items() if v is not None}


def _v1_wanted(params: Any) -> tuple[set[str], set[str], str | None]:
    def listed(name: str) -> set[str]:
        return {t.strip() for t in params.get(name, "").split(",") if t.strip()}

    return listed("tags"), listed("sources"), params.get("priority")


async def list_events_v1(request: Request) -> Response:
    """GET /api/v1/events: `start`..`end` (seconds), filtered by tags, sources and priority,
    newest first, in pages of 1000."""
    if denied := auth(request, read=True):
        return denied
    params = request.query_params
    try:
        start, end = int(params["start"]), int(params["end"])
        page = int(params.get("page", 0))
    except (KeyError, ValueError):
        return errors(400, "start and end are required POSIX timestamps, page an integer")
    tags, sources, priority = _v1_wanted(params)
    hits = [
        v1_listed(e)
        for e in reversed(state_of(request).events)
        if start <= e["date_happened"] <= end
        and tags <= set(e["tags"])
        and (not sources or e["source_type_name"] in sources)
        and (priority is None or (e["priority"] or "normal") == priority)
    ]
    # spec `page`: "By default 1000 results are returned per request", 0 the first page.
    first = max(page, 0) * V1_PAGE
    return JSONResponse({"events": hits[first : first + V1_PAGE]})


async def get_event_v1(request: Request) -> Response:
    if denied := auth(request, read=True):
        return denied
    found = find(state_of(request), "id_str", request.path_params["event_id"])
    return JSONResponse({"event": v1_listed(found)}) if found else errors(404, "Event not found")


# --- v2 intake --------------------------------------------------------------------------------


async def post_event_v2(request: Request) -> Response:
    """POST /api/v2/events: both keys (spec `security`), errors as `JSONAPIErrorResponse`."""
    if refused := refusal(request, read=True):
        return jsonapi_error(403, refused)
    body = json_body(await request.body())
    if problem := mock_events_v2.problem(body):
        return jsonapi_error(400, problem)
    attributes = body["data"]["attributes"]
    happened = mock_events_v2.happened(attributes, clock_of(request).now())
    if isinstance(happened, str):
        return jsonapi_error(400, happened)
    event = store_event(state_of(request), _v2_fields(attributes), happened)
    evt = {"id": event["id_str"], "uid": event["uid"]}
    return JSONResponse(
        {
            "data": {"attributes": {"attributes": {"evt": evt}}, "id": "_", "type": "event"},
            "links": {"self": f"{APP_URL}/event/event?uid={event['uid']}"},
        },
        202,
    )


def _v2_fields(attributes: dict[str, Any]) -> dict[str, Any]:
    custom = attributes["attributes"]
    alert = attributes["category"] == "alert"
    return {
        "title": attributes["title"],
        "text": attributes.get("message", ""),
        "tags": list(attributes.get("tags", [])),
        "host": attributes.get("host"),
        "aggregation_key": attributes.get("aggregation_key"),
        "alert_type": V2_STATUS[custom["status"]] if alert else "info",
        "v2": {
            "category": attributes["category"],
            "integration_id": attributes.get("integration_id"),
            "attributes": {"priority": "5", **custom} if alert else custom,
        },
    }


# --- v2 reads ---------------------------------------------------------------------------------


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def _evt(event: dict[str, Any]) -> dict[str, Any]:
    v2 = event["v2"] or {}
    evt = {"id": event["id_str"], "uid": event["uid"], "category": v2.get("category")}
    evt["integration_id"] = v2.get("integration_id")
    return {k: v for k, v in evt.items() if v is not None}


def v2_listed(event: dict[str, Any]) -> dict[str, Any]:
    """An `EventResponse` of GET /api/v2/events and POST /api/v2/events/search."""
    inner = {
        "title": event["title"],
        "timestamp": event["ts_ms"],
        "date_happened": event["date_happened"],
        "status": event["alert_type"],
        "priority": event["priority"],
        "hostname": event["host"],
        "aggregation_key": event["aggregation_key"],
        "source_type_name": event["source_type_name"],
        "tags": event["tags"],
        "evt": {"id": event["id_str"]},
    }
    return {
        "id": event["uid"],
        "type": "event",
        "attributes": {
            "timestamp": _iso(event["ts_ms"]),
            "tags": event["tags"],
            "message": event["text"],
            "attributes": {k: v for k, v in inner.items() if v is not None},
        },
    }


def v2_event(event: dict[str, Any]) -> dict[str, Any]:
    """A `V2Event` of GET /api/v2/events/{event_id}: its category's attributes as posted."""
    v2 = event["v2"] or {}
    names = CHANGE_FIELDS if v2.get("category") == "change" else ALERT_FIELDS
    custom = {k: v for k, v in (v2.get("attributes") or {}).items() if k in names}
    inner = {
        **custom,
        "title": event["title"],
        "timestamp": event["ts_ms"],
        "aggregation_key": event["aggregation_key"],
        "evt": _evt(event),
    }
    attributes = {
        "timestamp": _iso(event["ts_ms"]),
        "tags": event["tags"],
        "message": event["text"],
        "attributes": {k: v for k, v in inner.items() if v is not None},
    }
    return {"id": event["uid"], "type": "event", "attributes": attributes}


async def get_event_v2(request: Request) -> Response:
    if denied := auth(request, read=True):
        return denied
    found = find(state_of(request), "uid", request.path_params["event_id"])
    return JSONResponse({"data": v2_event(found)}) if found else errors(404, "Event not found")


def _answer(request: Request, page: mock_search.Page, link: Any = None) -> Response:
    hits, after = mock_search.select(state_of(request).events, page)
    meta: dict[str, Any] = {"elapsed": 1, "status": "done"}
    body: dict[str, Any] = {"data": [v2_listed(e) for e in hits], "meta": meta, "links": {}}
    if after is not None:
        meta["page"] = {"after": after}
        if link is not None:
            body["links"]["next"] = link(after)
    return JSONResponse(body)


async def list_events_v2(request: Request) -> Response:
    """GET /api/v2/events: filter[query|from|to], sort, page[cursor], page[limit]; `links.next`
    carries the next page's URL, `meta.page.after` its cursor."""
    if denied := auth(request, read=True):
        return denied
    params = request.query_params
    try:
        page = mock_search.page_of(
            params.get("filter[query]", "*"),
            (
                params.get("filter[from]", mock_search.DEFAULT_FROM),
                params.get("filter[to]", mock_search.DEFAULT_TO),
            ),
            params.get("sort", mock_search.DEFAULT_SORT),
            params.get("page[cursor]"),
            params.get("page[limit]", mock_search.DEFAULT_LIMIT),
            clock_of(request).now(),
        )
    except mock_search.SearchError as exc:
        return errors(400, str(exc))

    def link(after: str) -> str:
        # This mock's own URL, so a client that follows `links.next` stays on it.
        kept = [(k, v) for k, v in params.multi_items() if k != "page[cursor]"]
        return str(request.url.replace(query=urlencode([*kept, ("page[cursor]", after)])))

    return _answer(request, page, link)


def _search_page(body: dict[str, Any], now: float) -> mock_search.Page:
    found = body.get("filter") or {}
    page = body.get("page") or {}
    if not isinstance(found, dict) or not isinstance(page, dict):
        raise mock_search.SearchError("filter and page are objects")
    return mock_search.page_of(
        found.get("query", "*"),
        (found.get("from", mock_search.DEFAULT_FROM), found.get("to", mock_search.DEFAULT_TO)),
        body.get("sort", mock_search.DEFAULT_SORT),
        page.get("cursor"),
        page.get("limit", mock_search.DEFAULT_LIMIT),
        now,
    )


async def search_events_v2(request: Request) -> Response:
    """POST /api/v2/events/search: an `EventsListRequest` (the body is optional)."""
    if denied := auth(request, read=True):
        return denied
    body = await optional_object(request)
    if isinstance(body, Response):
        return body
    try:
        page = _search_page(body, clock_of(request).now())
    except mock_search.SearchError as exc:
        return errors(400, str(exc))
    return _answer(request, page)
