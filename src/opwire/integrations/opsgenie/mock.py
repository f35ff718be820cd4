"""Opsgenie mock: alerts, asynchronous request status, count, heartbeat ping.

Pages followed: docs.opsgenie.com/docs/alert-api (create, close, acknowledge, get by alias, count,
request status), docs.opsgenie.com/docs/response (statuses), opsgenie-go-sdk-v2 client.go (404 +
`X-Opsgenie-Errortype: RequestNotProcessed` while pending), shared/specs/opsgenie/swagger.json;
vendor-contracts.md § 4.

Every write is accepted (202) and processed after a delay; a responder team that does not exist
fails at processing (`isSuccess: false`), not at create. Teams are mock state, default `opwire`:
`POST /_opwire/opsgenie/config {"teams": [...], "request_delay_s": 0.2, "keys": {KEY: KIND}}`.
Alerts, requests, heartbeats and keys keep the newest entries and count what they drop
(`/_opwire/health`).
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, field_value, run_id_in, unix
from opwire.mock.limits import CONFIGURED, ENTRIES, TOO_LARGE, CappedDict
from opwire.mock.scenarios import Scenario, credentials_abroad, vendor_state
from opwire.mock.state import clock_of
from opwire.mock.values import ControlError, number

# An API key is a UUID, and a UUID's hex digits are case-insensitive on input (RFC 9562 § 4):
# Opsgenie shows keys in lower case, an operator may paste them upper-cased, both are the key
# (as OPSGENIE_API_KEY's check accepts; that Opsgenie compares them so is UNCONFIRMED).
GENIE_KEY = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)
DEFAULT_TEAMS = ("opwire",)
KEY_KINDS = ("integration", "global", "team", "user", "disabled")
RESPONDER_TYPES = ("team", "user", "escalation", "schedule")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
ACTIONS = {"close": "Close", "acknowledge": "Acknowledge"}
MESSAGE_LIMIT, ALIAS_LIMIT, TAGS_LIMIT = 130, 512, 20
# Wording that is not recorded anywhere we could read: UNCONFIRMED, kept here to correct.
TEXTS = {
    "team_missing": "No team exists with name [{name}]",
    "alert_missing": "Alert does not exist",
    "pending": "Request has not been processed yet",
    "no_request": "Request not found",
    "deduplicated": "Alert with alias [{alias}] is deduplicated; count increased",
    "bad_json": "Could not parse the request body",
}
NOT_PROCESSABLE = "Request body is not processable. Please check the errors."
OVERHEAD = 512  # a stored alert or request beyond its body's bytes


@dataclass(slots=True)
class Pending:
    id: str
    action: str
    ready_at: float  # on the mock clock's monotonic seconds
    body: dict[str, Any]
    identifier: str = ""
    identifier_type: str = "id"
    result: dict[str, Any] | None = None


@dataclass(slots=True)
class OpsgenieState:
    teams: set[str] = field(default_factory=lambda: set(DEFAULT_TEAMS))
    # in arrival (= ready) order; each is also in `requests`, so it is bounded by that store
    unprocessed: deque[Pending] = field(default_factory=deque)
    request_delay_s: float = 0.2
    default_key_kind: str = "integration"
    integration_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    tiny_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    dropped: Counter[str] = field(default_factory=Counter)
    keys: CappedDict[str, str] = field(init=False)
    alerts: CappedDict[str, dict[str, Any]] = field(init=False)
    requests: CappedDict[str, Pending] = field(init=False)
    heartbeats: CappedDict[str, float] = field(init=False)

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


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _answer(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    request_id = str(uuid.uuid4())
    full = {**body, "took": 0.004, "requestId": request_id}
    return JSONResponse(full, status, {"X-Request-ID": request_id, **(headers or {})})


def _auth(request: Request, *, write: bool) -> Response | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    state = _state(request)
    kind = state.keys.get(key.strip().lower(), state.default_key_kind)
    if scheme != "GenieKey" or not GENIE_KEY.match(key.strip()) or kind == "disabled":
        return _answer(401, {"message": "Could not authenticate"})
    if write and kind != "integration":
        return _answer(
            403,
            {
                "code": 40301,
                "message": "To perform this action, use an API key from an API integration.",
            },
        )
    return None


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
    for responder in body.get("responders") or []:
        kind = responder.get("type") if isinstance(responder, dict) else None
        if kind not in RESPONDER_TYPES:
            errors["recipients#type"] = f"Invalid recipient type '{kind}'"
    return errors


def _accept(
    state: OpsgenieState,
    clock: MockClock,
    action: str,
    body: dict[str, Any],
    weight: int,
    identifier: str = "",
    identifier_type: str = "id",
) -> Response:
    request_id = str(uuid.uuid4())
    pending = Pending(
        request_id,
        action,
        clock.monotonic() + state.request_delay_s,
        body,
        identifier,
        identifier_type,
    )
    state.keep_request(pending, weight + OVERHEAD)
    state.process_due(clock)
    return JSONResponse(
        {"result": "Request will be processed", "took": 0.302, "requestId": request_id},
        202,
        {"X-Request-ID": request_id},
    )


async def create_alert(request: Request) -> Response:
    if denied := _auth(request, write=True):
        return denied
    raw = await request.body()
    body = json_body(raw)
    if not isinstance(body, dict):
        return _answer(400, {"message": TEXTS["bad_json"]})
    if errors := _create_errors(body):
        return _answer(422, {"message": NOT_PROCESSABLE, "errors": errors})
    return _accept(_state(request), clock_of(request), "Create", body, len(raw))


def _find(state: OpsgenieState, identifier: str, kind: str) -> dict[str, Any] | None:
    if kind == "id":
        return state.alerts.get(identifier)
    field_name = "alias" if kind == "alias" else "tinyId"
    matches = [a for a in state.alerts.values() if a[field_name] == identifier]
    open_ones = [a for a in matches if a["status"] == "open"]
    candidates = open_ones or matches
    return candidates[-1] if candidates else None


def _process(state: OpsgenieState, pending: Pending, now: float) -> dict[str, Any]:
    """The request's outcome, processed at `now` (unix seconds)."""
    body = pending.body
    result = {
        "success": True,
        "action": pending.action,
        "processedAt": _iso(now),
        "integrationId": state.integration_id,
        "isSuccess": True,
    }
    if pending.action == "Create":
        return {**result, **_process_create(state, body, now)}
    alert = _find(state, pending.identifier, pending.identifier_type)
    if alert is None:
        return {**result, "success": False, "isSuccess": False, "status": TEXTS["alert_missing"]}
    alert["updatedAt"] = _iso(now)
    if pending.action == "Close":
        alert["status"] = "closed"
        alert["report"]["closedBy"] = body.get("user", "opwire")
    else:
        alert["acknowledged"] = True
        alert["report"]["acknowledgedBy"] = body.get("user", "opwire")
    done = "Closed" if pending.action == "Close" else "Acknowledged"
    return {**result, "status": f"{done} alert", "alertId": alert["id"], "alias": alert["alias"]}


def _process_create(state: OpsgenieState, body: dict[str, Any], now: float) -> dict[str, Any]:
    for responder in body.get("responders") or []:
        name = responder.get("name") or responder.get("id")
        if responder.get("type") == "team" and name not in state.teams:
            return {
                "success": False,
                "isSuccess": False,
                "status": TEXTS["team_missing"].format(name=name),
            }
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
    state.alerts.put(alert["id"], alert, len(str(body)) + OVERHEAD)
    return {"status": "Created alert", "alertId": alert["id"], "alias": alias}


def _resolved(responder: dict[str, Any]) -> dict[str, str]:
    """A stored responder carries an id, as Opsgenie's Get Alert answers (name -> stable id)."""
    given = str(responder.get("id") or responder.get("name") or responder.get("username"))
    ident = given if responder.get("id") else str(uuid.uuid5(uuid.NAMESPACE_URL, given))
    return {"type": str(responder.get("type")), "id": ident}


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
        "tags": list(body.get("tags") or []),
        "snoozed": False,
        "count": 1,
        "lastOccurredAt": now,
        "createdAt": now,
        "updatedAt": now,
        "source": str(body.get("source", "127.0.0.1")),
        "owner": "",
        "priority": body.get("priority", "P3"),
        "responders": [_resolved(r) for r in body.get("responders") or []],
        "integration": {"id": state.integration_id, "name": "opwire mock API", "type": "API"},
        "report": {"ackTime": 0, "closeTime": 0, "acknowledgedBy": "", "closedBy": ""},
        "actions": list(body.get("actions") or []),
        "entity": str(body.get("entity", "")),
        "description": str(body.get("description", "")),
        "details": dict(body.get("details") or {}),
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
    return kind if kind in ("id", "alias", "tiny") else None


async def get_alert(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    kind = _identifier_type(request)
    if kind is None:
        return _answer(422, {"message": "Invalid identifierType: use id, alias or tiny"})
    alert = _find(_state(request), request.path_params["identifier"], kind)
    if alert is None:
        return _answer(404, {"message": TEXTS["alert_missing"]})
    return _answer(200, {"data": alert})


async def alert_action(request: Request) -> Response:
    if denied := _auth(request, write=True):
        return denied
    kind = _identifier_type(request)
    if kind is None:
        return _answer(422, {"message": "Invalid identifierType: use id, alias or tiny"})
    raw = await request.body()
    body = json_body(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        return _answer(400, {"message": TEXTS["bad_json"]})
    action = ACTIONS.get(request.path_params["action"])
    if action is None:
        return _answer(404, {"message": "Unknown alert action"})
    identifier = request.path_params["identifier"]
    return _accept(_state(request), clock_of(request), action, body, len(raw), identifier, kind)


def _query_match(query: str) -> Any:
    terms = [t for t in re.split(r"\s+(?:AND\s+)?", query.strip()) if t]
    fields = {"status": "status", "alias": "alias", "message": "message", "tinyId": "tinyId"}

    def match(alert: dict[str, Any]) -> bool:
        for term in terms:
            key, _, value = term.partition(":")
            if key in ("tag", "tags"):
                ok = value in alert["tags"]
            elif key == "acknowledged":
                ok = str(alert["acknowledged"]).lower() == value.lower()
            elif key in fields:
                ok = str(alert[fields[key]]) == value
            else:
                raise ValueError(term)
            if not ok:
                return False
        return True

    return match


async def count_alerts(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    try:
        match = _query_match(request.query_params.get("query", ""))
    except ValueError as exc:
        return _answer(422, {"message": f"Invalid query: {exc}"})
    hits = [a for a in _state(request).alerts.values() if match(a)]
    return _answer(200, {"data": {"count": len(hits)}})


async def list_alerts(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    try:
        match = _query_match(request.query_params.get("query", ""))
        limit = min(max(int(request.query_params.get("limit", 20)), 1), 100)
        offset = max(int(request.query_params.get("offset", 0)), 0)
    except ValueError as exc:
        return _answer(422, {"message": f"Invalid parameter: {exc}"})
    hits = sorted(
        (a for a in _state(request).alerts.values() if match(a)),
        key=lambda a: a["createdAt"],
        reverse=True,
    )
    return _answer(200, {"data": hits[offset : offset + limit], "paging": {}})


async def heartbeat_ping(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    _state(request).heartbeats[request.path_params["name"]] = clock_of(request).now()
    return JSONResponse(
        {"result": "PONG - Heartbeat received", "took": 0.009, "requestId": str(uuid.uuid4())}, 202
    )


def _config_problem(data: Any) -> str | None:
    """What is wrong with a config body, or None (checked whole before any of it applies)."""
    if not isinstance(data, dict):
        return "expected a JSON object: {teams?, request_delay_s?, keys?}"
    teams, keys = data.get("teams", []), data.get("keys", {})
    if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
        return "teams is a list of team names"
    if not isinstance(keys, dict) or not all(kind in KEY_KINDS for kind in keys.values()):
        return f"keys maps API keys to a kind: {', '.join(KEY_KINDS)}"
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
    for key, kind in data.get("keys", {}).items():
        state.keys[key.lower()] = kind  # one key, whichever case it is written in
    return JSONResponse(
        {
            "teams": sorted(state.teams),
            "request_delay_s": state.request_delay_s,
            "alerts": list(state.alerts.values()),
            "heartbeats": state.heartbeats,
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
    for name, pinged in state.heartbeats.items():
        heartbeat = {"name": name, "lastPingTime": _iso(pinged)}
        yield Item("heartbeat", pinged, run_id_in(name), heartbeat)


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
            Route("/v2/alerts/{identifier}/{action:str}", alert_action, methods=["POST"]),
            Route("/v2/heartbeats/{name}/ping", heartbeat_ping, methods=["GET", "POST", "PUT"]),
        ],
        OpsgenieState,
        credential_of,
        [Route("/_opwire/opsgenie/config", control_config, methods=["GET", "POST"])],
        region="us",
        wrong_region=wrong_region,
        scenarios=SCENARIOS,
        throttled=(
            '{"message":"Rate limit exceeded","took":0.0,"requestId":"throttled"}',
            "application/json",
        ),
        too_large=TOO_LARGE["opsgenie"],
        inventory=Inventory(("alert", "heartbeat"), items),
    )
