"""Datadog mock: validate, metric intake (v1, v2), events (v1, v2), event search, metric query.

Pages followed: shared/specs/datadog/v1/openapi.yaml and v2/openapi.yaml (paths, limits,
encodings), the recorded exchanges in shared/specs/datadog/cassettes/ (exact bodies and content
types), docs.datadoghq.com/api/latest/rate-limits; vendor-contracts.md § 1.

Submit routes need `DD-API-KEY` (or `?api_key=`); read routes need `DD-APPLICATION-KEY` too.
Events and points keep the newest entries and count what they drop (`/_opwire/health`).
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.encoding import DecodeError, decode_body
from opwire.integrations.datadog.query import QueryError, run_query
from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, run_id_in, tagged
from opwire.mock.limits import TOO_LARGE, CappedList
from opwire.mock.scenarios import Scenario, credentials_abroad, faults, vendor_state
from opwire.mock.state import clock_of

APP_URL = "https://app.datadoghq.com"
# Key shapes: 32 hex (API), 40 hex (APP). UNCONFIRMED (widely known; vendor-contracts § 1.2).
API_KEY = re.compile(r"^[0-9a-f]{32}$")
APP_KEY = re.compile(r"^[0-9a-f]{40}$")
# Spec limits: v2 series 512000 compressed / 5242880 decompressed; v1 3.2 MB / 62 MB.
LIMITS = {"v2": (512_000, 5_242_880), "v1": (3_200_000, 62_914_560)}
EVENT_MAX_AGE_S = 18 * 3600  # spec: date_happened at most 18 hours old
# A tuple, not a set: membership of an unhashable JSON value (a list) must be False, not a 500.
ALERT_TYPES = ("error", "warning", "info", "success", "user_update", "recommendation", "snapshot")
# Stored points: one row is a small tuple sharing its series' metric and tags, so count alone
# bounds them; events carry client text and are weighed too.
POINTS = 200_000
EVENT_OVERHEAD = 512


@dataclass(slots=True)
class DatadogState:
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(6327818702635911562))
    drop_points: bool = False  # intake answers 202 and keeps nothing (it has, for bad keys)
    dropped: Counter[str] = field(default_factory=Counter)
    events: CappedList[dict[str, Any]] = field(init=False)
    points: CappedList[tuple[str, frozenset[str], float, float]] = field(init=False)

    def __post_init__(self) -> None:
        self.events = CappedList("events", self.dropped)
        self.points = CappedList("points", self.dropped, POINTS)


def _state(request: Request) -> DatadogState:
    state: DatadogState = mock_state(request).vendor
    return state


def _errors(status: int, *messages: str, content_type: str = "application/json") -> Response:
    import json

    return Response(json.dumps({"errors": list(messages)}), status, media_type=content_type)


def _api_key(request: Request) -> str | None:
    return request.headers.get("dd-api-key") or request.query_params.get("api_key")


def _app_key(request: Request) -> str | None:
    return request.headers.get("dd-application-key") or request.query_params.get("application_key")


def _auth(request: Request, *, read: bool) -> Response | None:
    """None when the keys pass; otherwise Datadog's 403 (recorded body when the key is absent)."""
    key = _api_key(request)
    if not key:
        return _errors(403, "API key required")
    if not API_KEY.match(key):
        return _errors(403, "Forbidden")
    if read and not APP_KEY.match(_app_key(request) or ""):
        return _errors(403, "Forbidden")
    return None


async def validate(request: Request) -> Response:
    return _auth(request, read=False) or JSONResponse({"valid": True})


async def _payload(request: Request, version: str) -> Any | Response:
    compressed, decompressed = LIMITS[version]
    body = await request.body()
    if len(body) > compressed:
        return TOO_LARGE["datadog"].response()
    try:
        raw = decode_body(body, request.headers.get("content-encoding"), decompressed)
    except DecodeError as exc:
        return TOO_LARGE["datadog"].response() if exc.too_large else _errors(400, str(exc))
    document = json_body(raw)
    if not isinstance(document, dict) or not isinstance(document.get("series"), list):
        return _errors(400, "Invalid payload: expected an object with a 'series' array")
    return document


def _tags(value: Any) -> frozenset[str] | None:
    if value is None:
        return frozenset()
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return frozenset(value)
    return None


Row = tuple[str, frozenset[str], float, float]
PointReader = Callable[[Any], tuple[float, float] | None]


def _point_v2(point: Any) -> tuple[float, float] | None:
    if isinstance(point, dict) and _numbers(point.get("timestamp"), point.get("value")):
        return float(point["timestamp"]), float(point["value"])
    return None


def _point_v1(point: Any) -> tuple[float, float] | None:
    if isinstance(point, list) and len(point) == 2 and _numbers(*point):
        return float(point[0]), float(point[1])
    return None


def _rows(document: dict[str, Any], read: PointReader, shape: str) -> list[Row] | Response:
    rows: list[Row] = []
    for n, series in enumerate(document["series"]):
        points = series.get("points") if isinstance(series, dict) else None
        tags = _tags(series.get("tags")) if isinstance(series, dict) else None
        metric = series.get("metric") if isinstance(series, dict) else None
        if not isinstance(points, list) or tags is None or not isinstance(metric, str):
            return _errors(400, f"Invalid series at index {n}: metric and points are required")
        for point in points:
            parsed = read(point)
            if parsed is None:
                return _errors(400, f"Invalid point in series {n}: {shape}")
            rows.append((str(metric), tags, *parsed))
    return rows


async def _intake(request: Request, version: str, read: PointReader, shape: str) -> Response | None:
    """Store the points of a series payload; an error answer when it is refused."""
    denied = _auth(request, read=False)
    document = denied or await _payload(request, version)
    if isinstance(document, Response):
        return document
    rows = _rows(document, read, shape)
    if isinstance(rows, Response):
        return rows
    if not _state(request).drop_points:
        _state(request).points.extend(rows)
    return None


async def series_v2(request: Request) -> Response:
    refused = await _intake(request, "v2", _point_v2, "timestamp and value are numbers")
    return refused or JSONResponse({"errors": []}, 202)


async def series_v1(request: Request) -> Response:
    refused = await _intake(request, "v1", _point_v1, "expected [timestamp, value]")
    # The recorded exchange answers with this exact body and content type.
    return refused or Response('{"status": "ok"}', 202, headers={"content-type": "text/json"})


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _event_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "Invalid JSON body"
    if not isinstance(body.get("title"), str) or not isinstance(body.get("text"), str):
        return "Event title and text are required"
    if len(body["text"]) > 4000:
        return "Event text exceeds 4000 characters"
    if body.get("alert_type", "info") not in ALERT_TYPES or _tags(body.get("tags")) is None:
        return "Invalid alert_type or tags"
    return None


async def post_event_v1(request: Request) -> Response:
    if denied := _auth(request, read=False):
        return denied
    body = json_body(await request.body())
    if problem := _event_problem(body):
        return _errors(400, problem)
    now = int(clock_of(request).now())
    happened = body.get("date_happened", now)
    if not _numbers(happened):
        return _errors(400, "date_happened must be a POSIX timestamp")
    if happened < now - EVENT_MAX_AGE_S:
        # Recorded: JSON text, but served as text/plain.
        return _errors(400, "Event too far in the past", content_type="text/plain; charset=utf-8")
    event = _store_event(_state(request), body, int(happened))
    return JSONResponse({"status": "ok", "event": _v1_created(event)}, 202)


def _store_event(state: DatadogState, body: dict[str, Any], happened: int) -> dict[str, Any]:
    event_id = next(state.ids)
    event = {
        "id": event_id,
        "id_str": str(event_id),
        "title": body["title"],
        "text": body["text"],
        "date_happened": happened,
        "handle": None,
        "priority": body.get("priority"),
        "related_event_id": body.get("related_event_id"),
        "tags": list(body.get("tags") or []),
        "alert_type": body.get("alert_type", "info"),
        "host": body.get("host"),
        "source_type_name": body.get("source_type_name"),
        "url": f"{APP_URL}/event/event?id={event_id}",
    }
    weight = len(event["title"]) + len(event["text"]) + sum(len(str(t)) for t in event["tags"])
    state.events.append(event, weight + EVENT_OVERHEAD)
    return event


def _v1_created(event: dict[str, Any]) -> dict[str, Any]:
    keys = (
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
    return {k: event[k] for k in keys}


async def list_events_v1(request: Request) -> Response:
    if denied := _auth(request, read=True):
        return denied
    params = request.query_params
    try:
        start, end = int(params["start"]), int(params["end"])
    except (KeyError, ValueError):
        return _errors(400, "start and end are required POSIX timestamps")
    wanted = {t.strip() for t in params.get("tags", "").split(",") if t.strip()}
    hits = [
        _v1_listed(e)
        for e in reversed(_state(request).events)
        if start <= e["date_happened"] <= end and wanted <= set(e["tags"])
    ]
    return JSONResponse({"events": hits[:1000]})


def _v1_listed(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the read routes list it; unset fields are left out (the spec has no nulls)."""
    listed = {
        **event,
        "resource": f"/api/v1/events/{event['id']}",
        "is_aggregate": False,
        "children": [],
        "comments": [],
    }
    return {k: v for k, v in listed.items() if v is not None}


async def get_event_v1(request: Request) -> Response:
    if denied := _auth(request, read=True):
        return denied
    wanted = request.path_params["event_id"]
    for event in _state(request).events:
        if event["id_str"] == wanted:
            return JSONResponse({"event": _v1_listed(event)})
    return _errors(404, "Event not found")


async def post_event_v2(request: Request) -> Response:
    if denied := _auth(request, read=False):
        return denied
    body = json_body(await request.body())
    attributes = (
        ((body or {}).get("data") or {}).get("attributes") if isinstance(body, dict) else None
    )
    if not isinstance(attributes, dict):
        return _jsonapi_error("JSON validation failed at $.data.attributes: value is required.")
    if attributes.get("category") not in ("alert", "change"):
        return _jsonapi_error(
            "JSON validation failed at $.data.attributes.category: value must "
            'be one of: ["alert", "change"].'
        )
    text = str(attributes.get("message", ""))
    legacy = {
        "title": str(attributes.get("title", "")),
        "text": text,
        "tags": attributes.get("tags") or [],
    }
    event = _store_event(_state(request), legacy, int(clock_of(request).now()))
    uid = f"AZ{event['id_str'][-20:]}"
    return JSONResponse(
        {
            "data": {
                "attributes": {"attributes": {"evt": {"id": event["id_str"], "uid": uid}}},
                "id": "_",
                "type": "event",
            },
            "links": {"self": f"{APP_URL}/event/event?uid={uid}"},
        },
        202,
    )


def _jsonapi_error(detail: str) -> Response:
    return JSONResponse(
        {"errors": [{"status": "400", "title": "Bad Request", "detail": detail}]}, 400
    )


def _matcher(query: str) -> Callable[[dict[str, Any]], bool]:
    import fnmatch

    terms = [t for t in re.split(r"\s+(?:AND\s+)?", query.strip()) if t and t != "*"]

    def match(event: dict[str, Any]) -> bool:
        for term in terms:
            tag = term.removeprefix("tags:")
            if ":" in tag:
                if not any(fnmatch.fnmatchcase(t, tag) for t in event["tags"]):
                    return False
            elif tag.lower() not in (event["title"] + " " + event["text"]).lower():
                return False
        return True

    return match


async def search_events_v2(request: Request) -> Response:
    if denied := _auth(request, read=True):
        return denied
    body = json_body(await request.body()) or {}
    if not isinstance(body, dict):
        return _errors(400, "Invalid JSON body")
    page = body.get("page") or {}
    if page.get("cursor") is not None:
        # Recorded exchange: an unknown cursor is a 400 in this nested legacy shape.
        return _errors(
            400,
            "{'errors': [u\"input_validation_error(Field 'page' is invalid: invalid cursor)\"]}",
        )
    match = _matcher(str((body.get("filter") or {}).get("query", "*")))
    limit = page.get("limit", 10) if isinstance(page.get("limit", 10), int) else 10
    hits = [e for e in reversed(_state(request).events) if match(e)][: max(1, min(limit, 1000))]
    return JSONResponse(
        {
            "data": [_v2_listed(e) for e in hits],
            "meta": {"elapsed": 1, "status": "done", "page": {}},
            "links": {},
        }
    )


async def list_events_v2(request: Request) -> Response:
    if denied := _auth(request, read=True):
        return denied
    match = _matcher(request.query_params.get("filter[query]", "*"))
    return JSONResponse(
        {"data": [_v2_listed(e) for e in reversed(_state(request).events) if match(e)]}
    )


def _v2_listed(event: dict[str, Any]) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(event["date_happened"]))
    return {
        "id": event["id_str"],
        "type": "event",
        "attributes": {
            "timestamp": stamp,
            "tags": event["tags"],
            "message": event["text"],
            "attributes": {"title": event["title"], "evt": {"id": event["id_str"]}},
        },
    }


async def query(request: Request) -> Response:
    if denied := _auth(request, read=True):
        return denied
    params = request.query_params
    try:
        start, end = int(params["from"]), int(params["to"])
        body = run_query(params["query"], start, end, _state(request).points)
    except (KeyError, ValueError):
        return _errors(400, "from, to and query are required")
    except QueryError as exc:
        return _errors(400, f"Error parsing query: {exc}")
    return JSONResponse(body)


def items(state: DatadogState, clock: MockClock) -> Iterator[Item]:
    """Each event held, as GET /api/v1/events/{id} answers it, and each metric point, in the v2
    series' words (`metric`, `tags`, `timestamp`, `value`); the run id is the `run_id:` tag."""
    for event in state.events:
        found = tagged(event["tags"]) or run_id_in(event["title"], event["text"])
        yield Item("event", float(event["date_happened"]), found, _v1_listed(event))
    for metric, tags, stamp, value in state.points:
        point = {"metric": metric, "tags": sorted(tags), "timestamp": stamp, "value": value}
        yield Item("metric_point", stamp, tagged(tags), point)


def credential_of(incoming: Incoming) -> str | None:
    from urllib.parse import parse_qs

    found = parse_qs(incoming.query).get("api_key")
    return incoming.headers.get("dd-api-key") or (found[0] if found else None)


def wrong_site(incoming: Incoming) -> Response:
    # A key from another site gets the same answer as a revoked key (vendor-contracts § 1.2).
    return _errors(403, "Forbidden")


SCENARIOS = (
    Scenario(
        "datadog/wrong_site",
        "every key belongs to another Datadog site: a silent 403",
        credentials_abroad("datadoghq.com", "datadoghq.eu"),
        "Datadog probe returns 403 with no body",
    ),
    Scenario(
        "datadog/app_key_invalid",
        "reads refuse the application key (403)",
        faults(
            {
                "method": "GET",
                "path": "/api/v1/events/*",
                "status": 403,
                "body": '{"errors":["Forbidden"]}',
                "content_type": "application/json",
            },
            {
                "method": "GET",
                "path": "/api/v1/query",
                "status": 403,
                "body": '{"errors":["Forbidden"]}',
                "content_type": "application/json",
            },
        ),
    ),
    Scenario(
        "datadog/clock_skew",
        "events are refused as too far in the past",
        faults(
            {
                "method": "POST",
                "path": "/api/v1/events",
                "status": 400,
                "body": '{"errors":["Event too far in the past"]}',
            }
        ),
    ),
    Scenario(
        "datadog/metric_dropped",
        "metric intake answers 202 and keeps nothing",
        vendor_state(drop_points=True),
    ),
)


def create_app() -> ASGIApp:
    return create_mock_app(
        "datadog",
        [
            Route("/api/v1/validate", validate, methods=["GET"]),
            Route("/api/v2/series", series_v2, methods=["POST"]),
            Route("/api/v1/series", series_v1, methods=["POST"]),
            Route("/api/v1/events", post_event_v1, methods=["POST"]),
            Route("/api/v1/events", list_events_v1, methods=["GET"]),
            Route("/api/v1/events/{event_id}", get_event_v1, methods=["GET"]),
            Route("/api/v2/events", post_event_v2, methods=["POST"]),
            Route("/api/v2/events", list_events_v2, methods=["GET"]),
            Route("/api/v2/events/search", search_events_v2, methods=["POST"]),
            Route("/api/v1/query", query, methods=["GET"]),
        ],
        DatadogState,
        credential_of,
        region="datadoghq.com",
        wrong_region=wrong_site,
        scenarios=SCENARIOS,
        throttled=('{"errors":["Too many requests"]}', "application/json"),
        too_large=TOO_LARGE["datadog"],
        inventory=Inventory(("event", "metric_point"), items),
    )
