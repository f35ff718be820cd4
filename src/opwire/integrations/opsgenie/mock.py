"""Opsgenie mock: alerts and their actions, asynchronous request status, logs, notes, search,
count, heartbeats.

Pages followed: docs.opsgenie.com/docs/alert-api and /docs/alert-api-continued (create, actions,
delete, get, list, count, logs, notes, request status), docs.opsgenie.com/docs/response
(statuses, `X-Request-ID`), docs.opsgenie.com/docs/pagination, docs.opsgenie.com/docs/
alerts-search-query-help (mock_query.py), docs.opsgenie.com/docs/heartbeat-api
(mock_heartbeats.py), docs.opsgenie.com/docs/api-rate-limiting, opsgenie-go-sdk-v2 client.go
(404 + `X-Opsgenie-Errortype: RequestNotProcessed` while pending), shared/specs/opsgenie/
swagger.json; vendor-contracts.md § 4.

Every write is accepted (202) and processed after a delay; what fails (a responder team that
does not exist, an alert that is not there) fails at processing (`isSuccess: false`), not at the
202. A body that misses what the action needs is refused at once (422, a field -> reason map).
Teams are mock state, default `opwire`: `POST /_opwire/opsgenie/config {"teams": [...],
"request_delay_s": 0.2, "keys": {KEY: KIND}, "strict_heartbeats": false}`. A ping to a heartbeat
nobody created makes it (the mock holds no account to create it in) unless `strict_heartbeats`,
when it gets Opsgenie's 404, as Get Heartbeat always does.
Alerts, requests, heartbeats and keys keep the newest entries and count what they drop
(`/_opwire/health`).
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.integrations.opsgenie import mock_alerts as actions
from opwire.integrations.opsgenie import mock_heartbeats as beats
from opwire.integrations.opsgenie.mock_http import KEY_KINDS, not_found
from opwire.integrations.opsgenie.mock_http import TEXTS as HTTP_TEXTS
from opwire.integrations.opsgenie.mock_http import answer as _answer
from opwire.integrations.opsgenie.mock_http import auth as _auth
from opwire.integrations.opsgenie.mock_http import body_of as _body
from opwire.integrations.opsgenie.mock_http import iso as _iso
from opwire.integrations.opsgenie.mock_http import unprocessable as _unprocessable
from opwire.integrations.opsgenie.mock_query import QueryError, compile_query, sort_key
from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, field_value, run_id_in, unix
from opwire.mock.limits import CONFIGURED, ENTRIES, TOO_LARGE, CappedDict
from opwire.mock.scenarios import Scenario, credentials_abroad, vendor_state
from opwire.mock.state import clock_of
from opwire.mock.values import ControlError, number

DEFAULT_TEAMS = ("opwire",)
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
IDENTIFIER_TYPES = ("id", "alias", "tiny")
MESSAGE_LIMIT, ALIAS_LIMIT, TAGS_LIMIT = 130, 512, 20
LIST_LIMIT, LIST_DEFAULT = 100, 20  # the spec: "Default value is 20 and maximum value is 100"
# The spec's `sort` values for List Alerts (default createdAt, order desc).
SORTS = (
    "createdAt",
    "updatedAt",
    "tinyId",
    "alias",
    "message",
    "status",
    "acknowledged",
    "isSeen",
    "snoozed",
    "snoozedUntil",
    "count",
    "lastOccurredAt",
    "source",
    "owner",
    "integration.name",
    "integration.type",
    "report.ackTime",
    "report.closeTime",
    "report.acknowledgedBy",
    "report.closedBy",
)
LISTED = ("actions", "entity", "description", "details")  # Get Alert's, not List Alerts' (spec)
INTEGRATION_NAME = "opwire mock API"
# Wording that is not recorded anywhere we could read: UNCONFIRMED, kept here to correct.
TEXTS = {
    "team_missing": "No team exists with name [{name}]",
    "alert_missing": "Alert does not exist",
    "pending": "Request has not been processed yet",
    "no_request": "Request not found",
    "deduplicated": "Alert with alias [{alias}] is deduplicated; count increased",
    "bad_identifier_type": "Invalid identifierType: use id, alias or tiny",
    "no_saved_search": "Saved search does not exist",
    "created_log": "Alert created via API",
}
# The throttle answer and headers (spec responses.Accepted names the headers; their
# values and the body's text are UNCONFIRMED).
THROTTLED = '{"message":"Rate limit exceeded","took":0.0,"requestId":"throttled"}'
THROTTLE_HEADERS = {
    "X-RateLimit-State": "THROTTLED",
    "X-RateLimit-Reason": "Alert",
    "X-RateLimit-Period-In-Sec": "60",
}
OVERHEAD = 512  # a stored alert or request beyond its body's bytes


@dataclass(slots=True)
class Pending:
    id: str
    action: str  # the request status's `action`: "Create", "Delete" or an Action's name
    ready_at: float  # on the mock clock's monotonic seconds
    body: dict[str, Any]
    identifier: str = ""
    identifier_type: str = "id"
    query: dict[str, str] = field(default_factory=dict)  # DELETE tags/details take theirs here
    result: dict[str, Any] | None = None


@dataclass(slots=True)
class OpsgenieState:
    teams: set[str] = field(default_factory=lambda: set(DEFAULT_TEAMS))
    # in arrival (= ready) order; each is also in `requests`, so it is bounded by that store
    unprocessed: deque[Pending] = field(default_factory=deque)
    request_delay_s: float = 0.2
    default_key_kind: str = "integration"
    strict_heartbeats: bool = False
    integration_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    tiny_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    sequence: itertools.count[int] = field(default_factory=itertools.count)
    dropped: Counter[str] = field(default_factory=Counter)
    # each alert's logs and notes, by alert id; an alert dropped from `alerts` takes its own
    journals: dict[str, actions.Journal] = field(default_factory=dict)
    keys: CappedDict[str, str] = field(init=False)
    alerts: CappedDict[str, dict[str, Any]] = field(init=False)
    requests: CappedDict[str, Pending] = field(init=False)
    heartbeats: CappedDict[str, beats.Beat] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = CappedDict("keys", self.dropped, ENTRIES)
        self.alerts = CappedDict("alerts", self.dropped)
        self.requests = CappedDict("requests", self.dropped)
        self.heartbeats = CappedDict("heartbeats", self.dropped, CONFIGURED)

    def keep_request(self, pending: Pending, weight: int) -> None:
        """Store a request to be processed; one dropped for room is forgotten unprocessed."""
        self.unprocessed.append(pending)
        for _, old in self.requests.put(pending.id, pending, weight):
            # The oldest request is first in line when it is still waiting.
            if self.unprocessed and self.unprocessed[0] is old:
                self.unprocessed.popleft()

    def keep_alert(self, alert: dict[str, Any]) -> None:
        """Store (or re-weigh) an alert with its journal; the oldest make room, journals too."""
        journal = self.journals.setdefault(alert["id"], actions.Journal())
        weight = len(str(alert)) + OVERHEAD + journal.weight
        for gone, _ in self.alerts.put(alert["id"], alert, weight):
            self.journals.pop(gone, None)

    def forget_alert(self, alert_id: str) -> None:
        if alert_id in self.alerts:
            del self.alerts[alert_id]
        self.journals.pop(alert_id, None)

    def process_due(self, clock: MockClock) -> None:
        """Process every request whose delay has passed on `clock`."""
        now = clock.monotonic()
        while self.unprocessed and self.unprocessed[0].ready_at <= now:
            pending = self.unprocessed.popleft()
            pending.result = _process(self, pending, clock.now())


def _state(request: Request) -> OpsgenieState:
    state: OpsgenieState = mock_state(request).vendor
    state.process_due(clock_of(request))
    return state


def _create_errors(body: dict[str, Any]) -> dict[str, str]:
    errors = {}
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        errors["message"] = "Message can not be empty."
    if len(str(body.get("alias", ""))) > ALIAS_LIMIT:
        errors["alias"] = f"Alias can not be longer than {ALIAS_LIMIT} characters."
    tags = body.get("tags", [])
    if not isinstance(tags, list) or len(tags) > TAGS_LIMIT:
        errors["tags"] = f"Tags should be a list of at most {TAGS_LIMIT} items."
    if body.get("priority", "P3") not in PRIORITIES:
        errors["priority"] = f"Priority should be one of {list(PRIORITIES)}"
    responders = body.get("responders") or []
    for responder in responders if isinstance(responders, list) else [None]:
        kind = responder.get("type") if isinstance(responder, dict) else None
        if kind not in actions.RESPONDER_TYPES:
            errors["recipients#type"] = f"Invalid recipient type '{kind}'"
    if not isinstance(body.get("details") or {}, dict):
        errors["details"] = "Details should be a map of strings."
    return errors


def _accept(request: Request, pending: Pending, weight: int) -> Response:
    state, clock = _state(request), clock_of(request)
    pending.ready_at = clock.monotonic() + state.request_delay_s
    state.keep_request(pending, weight + OVERHEAD)
    state.process_due(clock)
    return JSONResponse(
        {"result": "Request will be processed", "took": 0.302, "requestId": pending.id},
        202,
        {"X-Request-ID": pending.id, "X-Response-Time": "0.302"},
    )


def _pending(action: str, body: dict[str, Any], **where: Any) -> Pending:
    return Pending(str(uuid.uuid4()), action, 0.0, body, **where)


async def create_alert(request: Request) -> Response:
    if denied := _auth(request, write=True):
        return denied
    body, size = await _body(request)
    if body is None:
        return _answer(400, {"message": HTTP_TEXTS["bad_json"]})
    if errors := _create_errors(body):
        return _unprocessable(errors)
    return _accept(request, _pending("Create", body), size)


def _fresh(alert: dict[str, Any], now: float) -> dict[str, Any]:
    """The alert as it is at `now` (unix seconds): a snooze whose end has passed is over."""
    until = actions.parse_time(alert.get("snoozedUntil"))
    if alert["snoozed"] and until is not None and until <= now:
        alert["snoozed"] = False
    return alert


def _find(state: OpsgenieState, identifier: str, kind: str) -> dict[str, Any] | None:
    if kind == "id":
        return state.alerts.get(identifier)
    field_name = "alias" if kind == "alias" else "tinyId"
    matches = [a for a in state.alerts.values() if a[field_name] == identifier]
    open_ones = [a for a in matches if a["status"] == "open"]
    candidates = open_ones or matches
    return candidates[-1] if candidates else None


def _record(
    state: OpsgenieState, alert: dict[str, Any], log: str, body: Mapping[str, Any], now: float
) -> None:
    """The alert's log of an action, and its note when the action carried one."""
    journal = state.journals.setdefault(alert["id"], actions.Journal())
    owner, millis = actions.by(dict(body), INTEGRATION_NAME), int(now * 1000)
    entry = {"log": log, "type": actions.LOG_TYPE, "owner": owner, "createdAt": _iso(now)}
    journal.logs.append({**entry, "offset": actions.offset_of(millis, next(state.sequence))})
    note = body.get("note")
    if isinstance(note, str) and note:
        offset = actions.offset_of(millis, next(state.sequence))
        journal.notes.append(
            {"note": note, "owner": owner, "createdAt": _iso(now), "offset": offset}
        )
    state.keep_alert(alert)


def _process(state: OpsgenieState, pending: Pending, now: float) -> dict[str, Any]:
    """The request's outcome, processed at `now` (unix seconds)."""
    result = {
        "success": True,
        "action": pending.action,
        "processedAt": _iso(now),
        "integrationId": state.integration_id,
        "isSuccess": True,
    }
    if pending.action == "Create":
        return {**result, **_process_create(state, pending.body, now)}
    alert = _find(state, pending.identifier, pending.identifier_type)
    if alert is None:
        return {**result, **_failed(TEXTS["alert_missing"]), "alertId": "", "alias": ""}
    done = {"alertId": alert["id"], "alias": alert["alias"]}
    if pending.action == "Delete":
        state.forget_alert(alert["id"])
        return {**result, **done, "status": actions.DELETE.status}
    return {**result, **done, **_process_action(state, pending, _fresh(alert, now), now)}


def _failed(status: str) -> dict[str, Any]:
    return {"success": False, "isSuccess": False, "status": status}


def _process_action(
    state: OpsgenieState, pending: Pending, alert: dict[str, Any], now: float
) -> dict[str, Any]:
    action = next(a for a in actions.ACTIONS.values() if a.name == pending.action)
    body, query = pending.body, pending.query
    if missing := _missing_team(state, [body.get("responder") or {}]):
        return _failed(missing)
    if failure := action.apply(alert, body, query, _iso(now)):
        return _failed(failure)
    alert["updatedAt"] = _iso(now)
    note = body.get("note", query.get("note"))
    _record(state, alert, action.log, {**body, "note": note}, now)
    return {"status": action.status}


def _missing_team(state: OpsgenieState, responders: list[Any]) -> str | None:
    for responder in responders:
        if not isinstance(responder, dict) or responder.get("type") != "team":
            continue
        name = responder.get("name") or responder.get("id")
        if name not in state.teams:
            return TEXTS["team_missing"].format(name=name)
    return None


def _process_create(state: OpsgenieState, body: dict[str, Any], now: float) -> dict[str, Any]:
    if missing := _missing_team(state, body.get("responders") or []):
        return _failed(missing)
    alias = str(body.get("alias") or uuid.uuid4())
    existing = _find(state, alias, "alias")
    if existing is not None and existing["status"] == "open":
        existing["count"] += 1
        existing["lastOccurredAt"] = existing["updatedAt"] = _iso(now)
        return {
            "status": TEXTS["deduplicated"].format(alias=alias),
            "alertId": existing["id"],
            "alias": alias,
        }
    alert = _new_alert(state, body, alias, now)
    _record(state, alert, TEXTS["created_log"], body, now)
    return {"status": "Created alert", "alertId": alert["id"], "alias": alias}


def _new_alert(
    state: OpsgenieState, body: dict[str, Any], alias: str, seconds: float
) -> dict[str, Any]:
    now = _iso(seconds)
    return {
        "id": str(uuid.uuid4()),
        "tinyId": str(next(state.tiny_ids)),  # a counter: unique once old alerts are dropped
        "alias": alias,
        "message": str(body["message"])[:MESSAGE_LIMIT],
        "status": "open",
        "acknowledged": False,
        "isSeen": False,
        "tags": [str(t) for t in body.get("tags") or []],
        "snoozed": False,
        "count": 1,
        "lastOccurredAt": now,
        "createdAt": now,
        "updatedAt": now,
        "source": str(body.get("source", "127.0.0.1")),
        "owner": "",
        "priority": body.get("priority", "P3"),
        "responders": [actions.resolved(r) for r in body.get("responders") or []],
        "integration": {"id": state.integration_id, "name": INTEGRATION_NAME, "type": "API"},
        "report": {"ackTime": 0, "closeTime": 0, "acknowledgedBy": "", "closedBy": ""},
        "actions": [str(a) for a in body.get("actions") or []],
        "entity": str(body.get("entity", "")),
        "description": str(body.get("description", "")),
        "details": {str(k): str(v) for k, v in dict(body.get("details") or {}).items()},
    }


async def request_status(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    pending = _state(request).requests.get(request.path_params["request_id"])
    if pending is None:
        return _answer(404, {"message": TEXTS["no_request"]})
    if pending.result is None:
        return _answer(
            404, {"message": TEXTS["pending"]}, {"X-Opsgenie-Errortype": "RequestNotProcessed"}
        )
    return _answer(200, {"data": pending.result})


def _identifier_type(request: Request) -> str | None:
    kind = request.query_params.get("identifierType", "id")
    return kind if kind in IDENTIFIER_TYPES else None


def _alert_of(request: Request) -> dict[str, Any] | Response:
    """The alert the path names (by its `identifierType`), or the answer saying why not."""
    if denied := _auth(request, write=False):
        return denied
    kind = _identifier_type(request)
    if kind is None:
        return _answer(422, {"message": TEXTS["bad_identifier_type"]})
    alert = _find(_state(request), request.path_params["identifier"], kind)
    if alert is None:
        return _answer(404, {"message": TEXTS["alert_missing"]})
    return _fresh(alert, clock_of(request).now())


async def get_alert(request: Request) -> Response:
    alert = _alert_of(request)
    return alert if isinstance(alert, Response) else _answer(200, {"data": alert})


async def alert_action(request: Request) -> Response:
    """POST (or DELETE) /v2/alerts/{identifier}/{action}: taken, to be processed."""
    action = actions.ACTIONS.get((request.path_params["action"], request.method))
    if action is None:
        return not_found(request, 404)
    return await _take(request, action.name, action)


async def delete_alert(request: Request) -> Response:
    return await _take(request, actions.DELETE.name, actions.DELETE)


async def _take(request: Request, name: str, action: actions.Action) -> Response:
    if denied := _auth(request, write=True):
        return denied
    kind = _identifier_type(request)
    if kind is None:
        return _answer(422, {"message": TEXTS["bad_identifier_type"]})
    body, size = await _body(request)
    if body is None:
        return _answer(400, {"message": HTTP_TEXTS["bad_json"]})
    query = dict(request.query_params)
    if errors := actions.check(action, body, query):
        return _unprocessable(errors)
    where = {"identifier": request.path_params["identifier"], "identifier_type": kind}
    return _accept(request, _pending(name, body, query=query, **where), size)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    """A paging number, held within [low, high] (ValueError when it is not an integer)."""
    return default if value is None else min(max(int(value), low), high)


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get(name, allowed[0])
    if value not in allowed:
        raise ValueError(f"{name} should be one of {', '.join(allowed)}")
    return value


async def alert_journal(request: Request) -> Response:
    """GET /v2/alerts/{identifier}/logs and /notes, paged by entry offset."""
    alert = _alert_of(request)
    if isinstance(alert, Response):
        return alert
    try:
        limit = _int(request.query_params.get("limit"), LIST_DEFAULT, 1, LIST_LIMIT)
        direction = _choice(request, "direction", ("next", "prev"))
        order = _choice(request, "order", ("desc", "asc"))
        offset = request.query_params.get("offset") or None
        if offset is not None and actions.offset_key(offset) is None:
            raise ValueError("offset is not an offset this list gave")
    except ValueError as exc:
        return _answer(422, {"message": f"Invalid parameter: {exc}"})
    journal = _state(request).journals.get(alert["id"]) or actions.Journal()
    kind = "logs" if request.url.path.endswith("/logs") else "notes"
    found = actions.page(list(getattr(journal, kind)), offset, direction, limit, order)
    paging = {"first": _page_url(request, {"offset": None, "direction": None})}
    if found.next_offset is not None:
        paging["next"] = _page_url(request, {"offset": found.next_offset, "direction": "next"})
    return _answer(200, {"data": found.entries, "paging": paging})


def _page_url(request: Request, changes: Mapping[str, str | int | None]) -> str:
    params: dict[str, str | int] = {**request.query_params}
    for name, value in changes.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    return str(request.url.replace(query=urlencode(params)))


def _searched(request: Request) -> list[dict[str, Any]]:
    """The alerts the request's `query` matches (QueryError, ValueError when it cannot)."""
    if request.query_params.get("searchIdentifier"):
        raise ValueError(TEXTS["no_saved_search"])  # the mock holds no saved searches
    match = compile_query(request.query_params.get("query", ""))
    state, now = _state(request), clock_of(request).now()
    return [alert for alert in state.alerts.values() if match(_fresh(alert, now))]


async def count_alerts(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    try:
        hits = _searched(request)
    except (QueryError, ValueError) as exc:
        return _answer(422, {"message": f"Invalid query: {exc}"})
    return _answer(200, {"data": {"count": len(hits)}})


async def list_alerts(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    try:
        limit = _int(request.query_params.get("limit"), LIST_DEFAULT, 1, LIST_LIMIT)
        offset = _int(request.query_params.get("offset"), 0, 0, 1 << 31)
        sort = _choice(request, "sort", SORTS)
        order = _choice(request, "order", ("desc", "asc"))
        hits = _searched(request)
    except (QueryError, ValueError) as exc:
        return _answer(422, {"message": f"Invalid parameter: {exc}"})
    hits.sort(key=sort_key(sort), reverse=order == "desc")
    shown = [{k: v for k, v in a.items() if k not in LISTED} for a in hits[offset:][:limit]]
    paging = _list_paging(request, offset, limit, len(hits))
    headers = {f"X-Paging-{name.capitalize()}": url for name, url in paging.items()}
    return _answer(200, {"data": shown, "paging": paging}, headers)


def _list_paging(request: Request, offset: int, limit: int, total: int) -> dict[str, str]:
    """docs.opsgenie.com/docs/pagination: the links to the next, previous, first, last page."""
    last = max(total - 1, 0) // limit * limit
    paging = {"first": _page_url(request, {"offset": 0, "limit": limit})}
    if offset + limit < total:
        paging["next"] = _page_url(request, {"offset": offset + limit, "limit": limit})
    if offset > 0:
        paging["prev"] = _page_url(request, {"offset": max(offset - limit, 0), "limit": limit})
    paging["last"] = _page_url(request, {"offset": last, "limit": limit})
    return paging


# --- control ------------------------------------------------------------------------------


def _config_problem(data: Any) -> str | None:
    """What is wrong with a config body, or None (checked whole before any of it applies)."""
    if not isinstance(data, dict):
        return "expected a JSON object: {teams?, request_delay_s?, keys?, strict_heartbeats?}"
    teams, keys = data.get("teams", []), data.get("keys", {})
    if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
        return "teams is a list of team names"
    if not isinstance(keys, dict) or not all(kind in KEY_KINDS for kind in keys.values()):
        return f"keys maps API keys to a kind: {', '.join(KEY_KINDS)}"
    if not isinstance(data.get("strict_heartbeats", False), bool):
        return "strict_heartbeats is true or false"
    try:
        number(data.get("request_delay_s", 0), "request_delay_s")
    except ControlError as exc:
        return str(exc)
    return None


async def control_config(request: Request) -> Response:
    state, raw = _state(request), await request.body()
    data = json_body(raw) if raw.strip() else {}
    if problem := _config_problem(data):
        return JSONResponse({"error": problem}, 400)
    if "teams" in data:
        state.teams = set(data["teams"])
    if "request_delay_s" in data:
        state.request_delay_s = float(data["request_delay_s"])
    state.strict_heartbeats = data.get("strict_heartbeats", state.strict_heartbeats)
    for key, kind in data.get("keys", {}).items():
        state.keys[key.lower()] = kind  # one key, whichever case it is written in
    pinged = {n: b.pinged for n, b in state.heartbeats.items() if b.pinged is not None}
    return JSONResponse(
        {
            "teams": sorted(state.teams),
            "request_delay_s": state.request_delay_s,
            "alerts": list(state.alerts.values()),
            "heartbeats": pinged,
        }
    )


def items(state: OpsgenieState, clock: MockClock) -> Iterator[Item]:
    """Each alert held, as Get Alert answers it (an alert exists once its create request is
    processed; the run id is its `details.run_id`, else in its alias), and each heartbeat's last
    ping (`name`, `lastPingTime`, as the Heartbeat API names them)."""
    state.process_due(clock)
    for alert in state.alerts.values():
        found = field_value(alert["details"]) or run_id_in(alert["alias"], alert["message"])
        yield Item("alert", unix(alert["createdAt"]), found, alert)
    for name, beat in state.heartbeats.items():
        if beat.pinged is not None:
            heartbeat = {"name": name, "lastPingTime": _iso(beat.pinged)}
            yield Item("heartbeat", beat.pinged, run_id_in(name), heartbeat)


def credential_of(incoming: Incoming) -> str | None:
    scheme, _, key = incoming.headers.get("authorization", "").partition(" ")
    return key.strip() or None if scheme == "GenieKey" else None


def wrong_region(incoming: Incoming) -> Response:
    return JSONResponse(
        {"message": "Could not authenticate", "took": 0.002, "requestId": str(uuid.uuid4())}, 401
    )


SCENARIOS = (
    Scenario(
        "opsgenie/team_not_found",
        "no team exists: alerts fail at processing",
        vendor_state(teams=set()),
        'Opsgenie probe returns 422 "team not found"',
    ),
    Scenario(
        "opsgenie/key_not_integration",
        "every key is an account key, not an API integration's (403 40301)",
        vendor_state(default_key_kind="global"),
    ),
    Scenario(
        "opsgenie/wrong_region",
        "every key belongs to the other region (401)",
        credentials_abroad("us", "eu"),
    ),
    Scenario(
        "opsgenie/never_processed",
        "requests are accepted and never processed",
        vendor_state(request_delay_s=1e9),
    ),
)


def create_app() -> ASGIApp:
    return create_mock_app(
        "opsgenie",
        [
            Route("/v2/alerts", create_alert, methods=["POST"]),
            Route("/v2/alerts", list_alerts, methods=["GET"]),
            Route("/v2/alerts/count", count_alerts, methods=["GET"]),
            Route("/v2/alerts/requests/{request_id}", request_status, methods=["GET"]),
            Route("/v2/alerts/{identifier}", get_alert, methods=["GET"]),
            Route("/v2/alerts/{identifier}", delete_alert, methods=["DELETE"]),
            Route("/v2/alerts/{identifier}/logs", alert_journal, methods=["GET"]),
            Route("/v2/alerts/{identifier}/notes", alert_journal, methods=["GET"]),
            Route("/v2/alerts/{identifier}/{action}", alert_action, methods=["POST", "DELETE"]),
            Route("/v2/heartbeats", beats.create_heartbeat, methods=["POST"]),
            Route("/v2/heartbeats", beats.list_heartbeats, methods=["GET"]),
            Route("/v2/heartbeats/{name}", beats.get_heartbeat, methods=["GET"]),
            # The spec's ping is GET; that POST and PUT also ping is UNCONFIRMED (kept as before)
            Route(
                "/v2/heartbeats/{name}/ping", beats.heartbeat_ping, methods=["GET", "POST", "PUT"]
            ),
        ],
        OpsgenieState,
        credential_of,
        [Route("/_opwire/opsgenie/config", control_config, methods=["GET", "POST"])],
        region="us",
        wrong_region=wrong_region,
        scenarios=SCENARIOS,
        throttled=(THROTTLED, "application/json"),
        throttle_headers=THROTTLE_HEADERS,
        not_found=not_found,
        too_large=TOO_LARGE["opsgenie"],
        inventory=Inventory(("alert", "heartbeat"), items),
    )
