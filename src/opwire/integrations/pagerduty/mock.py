"""PagerDuty mock: Events API v2 (alert and change events), REST incidents, alerts, abilities.

Pages followed: developer.pagerduty.com docs/events-API-v2/{01-Overview,02-Trigger-Events,
03-Change-Events,05-Rate-Limits}, REST-API/{02-Authentication,14-Errors};
shared/specs/pagerduty/events-v2 and REST openapiv3.json; vendor-contracts.md § 3.

Dedup: the same routing key and dedup_key act on the open alert; after resolve a trigger opens a
new incident; acknowledge or resolve with nothing open is accepted (202) and dropped. A paused
service accepts events (202) and opens nothing (`POST /_opwire/pagerduty/services`).

`PUT /incidents/{id}` is the REST spec's updateIncident (id or incident number): a `From` header
with the email of the acting user is required (missing: 400 code 2016, as go-pagerduty#32 and
pdpyras#78 observed it; malformed: 400 code 1028, go-pagerduty#336); `{"incident": {"type":
"incident_reference", "status": "acknowledged" | "resolved" | "triggered"}}` moves the incident as
a person would. Any well-formed address is a user here. Resolving frees the dedup key (a later
trigger opens a new incident); reopening a resolved incident does not take the key back
(UNCONFIRMED).

Alerts (each with its incident), change events and services keep the newest entries and count
what they drop (`/_opwire/health`).

Slack extensions (`/_opwire/pagerduty/extensions`, extensions.py): a new incident of a service
(not a trigger deduplicated into an open one) posts its message to each of the service's Slack
webhooks, over HTTP and fire-and-forget (mock/deliver.py); what each extension sent, and what
failed, is in its `delivery` counts. POST an extension or a list (one replaces the extension
with its id), DELETE `?id=` one or all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.integrations.pagerduty.extensions import Extension, parse_extensions, slack_message
from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.deliver import Outbox
from opwire.mock.inventory import Inventory, Item, run_id_in, unix
from opwire.mock.limits import CONFIGURED, TOO_LARGE, CappedDict, CappedList
from opwire.mock.scenarios import Scenario, faults
from opwire.mock.state import clock_of
from opwire.mock.values import ControlError, positive, whole_number

HOST = "https://api.pagerduty.com"
APP = "https://opwire-mock.pagerduty.com"
ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
API_TOKEN = re.compile(r"^[A-Za-z0-9_+=-]{16,}$")  # 20-char keys are usual; shape UNCONFIRMED
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_BYTES = 512_000
DEFAULT_RANGE = timedelta(days=30)
RATE = (120, 60.0)  # events per window seconds per routing key
# Each allowed event is a timestamp held for the rate window: at most this many are held, so a
# rate set above it from the control route means unlimited, not an unlimited store.
MAX_RATE = 100_000
ALERT_OVERHEAD = 1024  # an alert and its incident beyond the event's own bytes
# Error texts: only the routing-key one is recorded (alertmanager fixtures); the others follow
# its style and are UNCONFIRMED. One table so they are easy to correct.
TEXTS = {
    "key_length": "Length of 'routing_key' is incorrect (should be 32 characters)",
    "action": "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)",
    "dedup_missing": "'dedup_key' is missing or blank",
    "dedup_long": "'dedup_key' is too long (maximum 255 characters)",
    "payload": "'payload' is missing or not an object",
    "summary": "'payload.summary' is missing or blank",
    "summary_long": "'payload.summary' is too long (maximum 1024 characters)",
    "source": "'payload.source' is missing or blank",
    "severity": "'payload.severity' is invalid (must be one of: critical, error, warning, info)",
    "too_large": "Event object is too large (maximum 512 KB)",
    "ruleset": "Change events cannot be sent to a ruleset routing key",
}
# updateIncident's requester: observed texts and codes (see the module docstring).
FROM_MISSING = (
    'You must specify a user\'s email address in the "From" header to perform this action',
    2016,
)
FROM_MALFORMED = ('Malformed "From" header', 1028)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UPDATE_STATUSES = ("triggered", "acknowledged", "resolved")
INVALID_INPUT = ("Invalid Input Provided", 2001)  # the REST error doc's code for bad input
# The REST spec's example answer of GET /abilities (listAbilities): the names, nothing else.
ABILITIES = ("teams", "read_only_users", "service_support_hours", "urgencies")
THROTTLED = {
    "status": "throttle event",
    "message": "Requests for this integration key are arriving too quickly. Please retry later.",
}  # 429 body UNCONFIRMED


@dataclass(slots=True)
class Service:
    id: str
    name: str
    paused: bool = False
    sent: deque[float] = field(default_factory=lambda: deque(maxlen=MAX_RATE))


@dataclass(slots=True)
class PagerDutyState:
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    service_numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    rate: tuple[int, float] = RATE
    pause_all: bool = False
    dropped: Counter[str] = field(default_factory=Counter)
    # Every routing key makes a service, so they are capped like the rest.
    services: CappedDict[str, Service] = field(init=False)
    # One alert per incident: the alerts are capped and an incident goes with its alert.
    alerts: CappedDict[str, dict[str, Any]] = field(init=False)
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    open_alerts: dict[tuple[str, str], str] = field(default_factory=dict)
    change_events: CappedList[dict[str, Any]] = field(init=False)
    extensions: CappedDict[str, Extension] = field(init=False)
    outbox: Outbox = field(default_factory=Outbox)

    def __post_init__(self) -> None:
        self.services = CappedDict("services", self.dropped, CONFIGURED)
        self.alerts = CappedDict("alerts", self.dropped)
        self.change_events = CappedList("change_events", self.dropped)
        self.extensions = CappedDict("extensions", self.dropped, CONFIGURED)

    def service(self, routing_key: str) -> Service:
        if routing_key not in self.services:
            n = next(self.service_numbers)  # a counter: ids stay unique once old ones are dropped
            self.services.put(
                routing_key,
                Service(f"PSVC{n:03d}", f"opwire mock service {n}", paused=self.pause_all),
            )
        return self.services[routing_key]

    def keep_alert(self, alert: dict[str, Any], weight: int) -> None:
        """Store an alert; an alert dropped for room takes its incident and open entry along."""
        for old_id, old in self.alerts.put(alert["id"], alert, weight):
            self.incidents.pop(old["incident"]["id"], None)
            opened = [k for k, v in self.open_alerts.items() if v == old_id]
            for key in opened:
                del self.open_alerts[key]


def _state(request: Request) -> PagerDutyState:
    state: PagerDutyState = mock_state(request).vendor
    return state


def _now(request: Request) -> str:
    """The mock clock's time as PagerDuty writes it (whole seconds, UTC)."""
    return datetime.fromtimestamp(clock_of(request).now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:13].upper()


def _invalid(*errors: str) -> Response:
    return JSONResponse(
        {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)},
        400,
    )


async def _event_body(request: Request) -> dict[str, Any] | Response:
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        return _invalid(TEXTS["too_large"])
    body = json_body(raw)
    if not isinstance(body, dict):
        return JSONResponse(
            {
                "status": "Unrecognized object",
                "message": "Event object format is unrecognized",
                "errors": ["JSON parse error"],
            },
            400,
        )
    if not ROUTING_KEY.match(str(body.get("routing_key", ""))):
        return _invalid(TEXTS["key_length"])
    return body


def _alert_errors(body: dict[str, Any]) -> list[str]:
    action, dedup = body.get("event_action"), body.get("dedup_key")
    if action not in ACTIONS:
        return [TEXTS["action"]]
    errors = []
    if dedup is not None and len(str(dedup)) > 255:
        errors.append(TEXTS["dedup_long"])
    if action != "trigger":
        return errors + ([TEXTS["dedup_missing"]] if not dedup else [])
    payload = body.get("payload")
    if not isinstance(payload, dict):
        return [*errors, TEXTS["payload"]]
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append(TEXTS["summary"])
    elif len(summary) > 1024:
        errors.append(TEXTS["summary_long"])
    if not isinstance(payload.get("source"), str) or not payload["source"].strip():
        errors.append(TEXTS["source"])
    if payload.get("severity") not in SEVERITIES:
        errors.append(TEXTS["severity"])
    return errors


def _throttled(state: PagerDutyState, service: Service, now: float) -> bool:
    """True when the service's rate window, ending at `now` (monotonic seconds), is full."""
    limit, window = state.rate
    while service.sent and now - service.sent[0] > window:
        service.sent.popleft()
    if len(service.sent) >= limit:
        return True
    service.sent.append(now)
    return False


async def enqueue(request: Request) -> Response:
    body = await _event_body(request)
    if isinstance(body, Response):
        return body
    if errors := _alert_errors(body):
        return _invalid(*errors)
    state = _state(request)
    service = state.service(body["routing_key"])
    if _throttled(state, service, clock_of(request).monotonic()):
        return JSONResponse(THROTTLED, 429)
    dedup = str(body.get("dedup_key") or uuid.uuid4().hex)
    if not service.paused:
        opened = _apply(state, service, (body["routing_key"], dedup), body, _now(request))
        if opened is not None:
            _notify(request, body["routing_key"], service, opened)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": dedup}, 202
    )


def _apply(
    state: PagerDutyState,
    service: Service,
    key: tuple[str, str],
    body: dict[str, Any],
    now: str,
) -> dict[str, Any] | None:
    """Act on the open alert of `key` (routing key, dedup key), at `now` (PagerDuty's format);
    the incident when the event opened one."""
    action, open_id = body["event_action"], state.open_alerts.get(key)
    if action == "trigger" and open_id is None:
        alert_id = state.open_alerts[key] = _open(state, service, key[1], body, now)
        return state.incidents.get(state.alerts[alert_id]["incident"]["id"])
    if action == "trigger" and open_id is not None:
        state.incidents[state.alerts[open_id]["incident"]["id"]]["updated_at"] = now
    elif open_id is not None:  # acknowledge or resolve of the open alert; otherwise dropped
        alert = state.alerts[open_id]
        incident = state.incidents[alert["incident"]["id"]]
        status = "acknowledged" if action == "acknowledge" else "resolved"
        incident.update(status=status, updated_at=now, last_status_change_at=now)
        if status == "resolved" and incident.get("acknowledgements"):
            incident["acknowledgements"] = []  # emptied once resolved (the spec's words)
        if status == "resolved":
            alert["status"], incident["resolved_at"] = "resolved", now
            del state.open_alerts[key]
    return None


def _notify(request: Request, routing_key: str, service: Service, incident: dict[str, Any]) -> None:
    """A new incident: each Slack extension of its service posts the incident's message."""
    state = _state(request)
    for extension in list(state.extensions.values()):
        if extension.serves(routing_key, service.id):
            state.outbox.send(
                extension.webhook_url,
                slack_message(incident),
                extension.delivery,
                clock_of(request),
                mask=extension.mask,
            )


def _ref(kind: str, obj_id: str, summary: str) -> dict[str, Any]:
    path = {"service_reference": "services", "incident_reference": "incidents"}[kind]
    return {
        "id": obj_id,
        "type": kind,
        "summary": summary,
        "self": f"{HOST}/{path}/{obj_id}",
        "html_url": f"{APP}/{path}/{obj_id}",
    }


def _open(
    state: PagerDutyState, service: Service, dedup: str, body: dict[str, Any], now: str
) -> str:
    payload, number = body["payload"], next(state.numbers)
    incident_id, alert_id = _id("Q"), _id("A")
    incident = {
        "id": incident_id,
        "type": "incident",
        "summary": f"[#{number}] {payload['summary']}",
        "self": f"{HOST}/incidents/{incident_id}",
        "html_url": f"{APP}/incidents/{incident_id}",
        "incident_number": number,
        "title": payload["summary"],
        "created_at": now,
        "updated_at": now,
        "status": "triggered",
        "incident_key": dedup,
        "service": _ref("service_reference", service.id, service.name),
        "assignments": [],
        "assigned_via": "escalation_policy",
        "last_status_change_at": now,
        "urgency": "high" if payload["severity"] in ("critical", "error") else "low",
        "alert_counts": {"all": 1, "triggered": 1, "resolved": 0},
    }
    state.incidents[incident_id] = incident
    alert = {
        "id": alert_id,
        "type": "alert",
        "summary": payload["summary"],
        "self": f"{HOST}/alerts/{alert_id}",
        "html_url": f"{APP}/alerts/{alert_id}",
        "created_at": now,
        "status": "triggered",
        "alert_key": dedup,
        "suppressed": False,
        "severity": payload["severity"],
        "service": incident["service"],
        "incident": _ref("incident_reference", incident_id, incident["summary"]),
        "body": {
            "type": "alert_body",
            "contexts": [],
            "details": payload.get("custom_details") or {},
        },
    }
    state.keep_alert(alert, len(json.dumps(payload)) + ALERT_OVERHEAD)
    return alert_id


async def change_enqueue(request: Request) -> Response:
    body = await _event_body(request)
    if isinstance(body, Response):
        return body
    if str(body["routing_key"]).startswith("R"):
        return _invalid(TEXTS["ruleset"])
    payload = body.get("payload")
    summary = payload.get("summary") if isinstance(payload, dict) else None
    if not isinstance(summary, str) or not summary.strip():
        return _invalid(TEXTS["summary"])
    if len(summary) > 1024:
        return _invalid(TEXTS["summary_long"])
    event = {"id": _id("C"), "summary": summary, "timestamp": _now(request)}
    _state(request).change_events.append(event)
    return JSONResponse({"message": "Change event processed", "status": "success"}, 202)


def _rest_error(status: int, message: str, code: int, *errors: str) -> Response:
    error: dict[str, Any] = {"message": message, "code": code}
    if errors:
        error["errors"] = list(errors)
    return JSONResponse({"error": error}, status)


def _rest_auth(request: Request) -> Response | None:
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Token token=").strip() if header.startswith("Token ") else ""
    if not API_TOKEN.match(token):
        return _rest_error(401, "Authentication failed", 2006)
    return None


def _page(request: Request, key: str, items: list[dict[str, Any]]) -> Response:
    params = request.query_params
    try:
        limit = min(max(int(params.get("limit", 25)), 1), 100)
        offset = max(int(params.get("offset", 0)), 0)
    except ValueError:
        return _rest_error(400, "Invalid Input Provided", 2001, "limit and offset are integers")
    total = len(items) if params.get("total") == "true" else None
    return JSONResponse(
        {
            key: items[offset : offset + limit],
            "limit": limit,
            "offset": offset,
            "total": total,
            "more": offset + limit < len(items),
        }
    )


def _window(request: Request) -> tuple[str, str] | None:
    """(since, until) as sortable UTC strings; the default range is the last month."""
    params = request.query_params
    if params.get("date_range") == "all":
        return "", "9999"
    try:
        now = datetime.fromtimestamp(clock_of(request).now(), UTC)
        until = _parse_time(params["until"]) if "until" in params else now
        since = _parse_time(params["since"]) if "since" in params else until - DEFAULT_RANGE
    except ValueError:
        return None
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return since.strftime(fmt), until.strftime(fmt)


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


async def list_incidents(request: Request) -> Response:
    if denied := _rest_auth(request):
        return denied
    window = _window(request)
    if window is None:
        return _rest_error(
            400,
            "Invalid Input Provided",
            2004,
            "Invalid time values in 'since' and/or 'until' parameters",
        )
    params = request.query_params
    statuses, key = set(params.getlist("statuses[]")), params.get("incident_key")
    hits = [
        i
        for i in _state(request).incidents.values()
        if window[0] <= i["created_at"] <= window[1]
        and (not statuses or i["status"] in statuses)
        and (key is None or i["incident_key"] == key)
    ]
    return _page(request, "incidents", hits)


def _incident(state: PagerDutyState, key: str) -> dict[str, Any] | None:
    """The incident by its id or, as getIncident and updateIncident accept, its number."""
    found = state.incidents.get(key)
    if found is None and key.isascii() and key.isdigit():
        number = int(key)
        found = next((i for i in state.incidents.values() if i["incident_number"] == number), None)
    return found


async def get_incident(request: Request) -> Response:
    if denied := _rest_auth(request):
        return denied
    incident = _incident(_state(request), request.path_params["id"])
    if incident is None:
        return _rest_error(404, "Not Found", 2100)
    return JSONResponse({"incident": incident})


def _update_problem(body: Any) -> str | None:
    """What is wrong with an updateIncident body (the spec: `incident` with its `type`)."""
    incident = body.get("incident") if isinstance(body, dict) else None
    if not isinstance(incident, dict):
        return "incident is required and must be an object"
    if incident.get("type") not in ("incident", "incident_reference"):
        return "incident.type must be incident or incident_reference"
    if "status" in incident and incident["status"] not in UPDATE_STATUSES:
        return f"incident.status must be one of {', '.join(UPDATE_STATUSES)}"
    title = incident.get("title", "t")
    if not isinstance(title, str) or not title.strip() or len(title) > 1024:
        return "incident.title must be a string of 1 to 1024 characters"
    return None


async def update_incident(request: Request) -> Response:
    """updateIncident: acknowledge, resolve or reopen an incident as the `From` user."""
    if denied := _rest_auth(request):
        return denied
    sender = request.headers.get("from", "").strip()
    if not sender:
        return _rest_error(400, *FROM_MISSING)
    if not EMAIL.match(sender):
        return _rest_error(400, *FROM_MALFORMED)
    body = json_body(await request.body())
    if problem := _update_problem(body):
        return _rest_error(400, *INVALID_INPUT, problem)
    state = _state(request)
    incident = _incident(state, request.path_params["id"])
    if incident is None:
        return _rest_error(404, "Not Found", 2100)
    change, now = body["incident"], _now(request)
    if "title" in change:
        incident.update(title=change["title"], updated_at=now)
        incident["summary"] = f"[#{incident['incident_number']}] {change['title']}"
    if change.get("status", incident["status"]) != incident["status"]:
        _move(state, incident, change["status"], now, _user(sender))
    return JSONResponse({"incident": incident})


def _user(email: str) -> dict[str, Any]:
    """The user reference of a `From` address (a stable id per address)."""
    user_id = "PU" + hashlib.sha256(email.lower().encode()).hexdigest()[:8].upper()
    return {
        "id": user_id,
        "type": "user_reference",
        "summary": email,
        "self": f"{HOST}/users/{user_id}",
        "html_url": f"{APP}/users/{user_id}",
    }


def _move(
    state: PagerDutyState, incident: dict[str, Any], status: str, now: str, user: dict[str, Any]
) -> None:
    """The incident's new `status`, set by `user` at `now`, and its alert with it."""
    alert = next((a for a in state.alerts.values() if a["incident"]["id"] == incident["id"]), None)
    incident.update(
        status=status, updated_at=now, last_status_change_at=now, last_status_change_by=user
    )
    if status == "acknowledged":
        incident["acknowledgements"] = [{"at": now, "acknowledger": user}]
    else:
        incident["acknowledgements"] = []
    if status != "resolved":
        incident.pop("resolved_at", None)  # the spec's resolved_at is a string, never null
    if alert is None:
        return
    alert["status"] = "resolved" if status == "resolved" else "triggered"
    if status == "resolved":
        incident["resolved_at"] = now
        for key in [k for k, alert_id in state.open_alerts.items() if alert_id == alert["id"]]:
            del state.open_alerts[key]


async def incident_alerts(request: Request) -> Response:
    if denied := _rest_auth(request):
        return denied
    state, incident_id = _state(request), request.path_params["id"]
    if incident_id not in state.incidents:
        return _rest_error(404, "Not Found", 2100)
    params = request.query_params
    statuses, key = set(params.getlist("statuses[]")), params.get("alert_key")
    hits = [
        a
        for a in state.alerts.values()
        if a["incident"]["id"] == incident_id
        and (not statuses or a["status"] in statuses)
        and key in (None, a["alert_key"])
    ]
    return _page(request, "alerts", hits)


async def abilities(request: Request) -> Response:
    """The REST spec's listAbilities: 200 `{"abilities": [...]}`, 401 without a good token."""
    return _rest_auth(request) or JSONResponse({"abilities": list(ABILITIES)})


async def change_events(request: Request) -> Response:
    if denied := _rest_auth(request):
        return denied
    return _page(request, "change_events", list(_state(request).change_events))


def _service_problem(data: Any) -> str | None:
    """What is wrong with a service body, or None (checked whole before any of it applies)."""
    if not isinstance(data, dict) or not ROUTING_KEY.match(str(data.get("routing_key", ""))):
        return "expected {routing_key (32 chars), paused?, name?, rate_limit?, rate_window_s?}"
    if not isinstance(data.get("paused", False), bool) or not isinstance(data.get("name", ""), str):
        return "paused is true or false, name a string"
    try:
        whole_number(data.get("rate_limit", 0), "rate_limit")
        positive(data.get("rate_window_s", RATE[1]), "rate_window_s")
    except ControlError as exc:
        return str(exc)
    return None


async def control_services(request: Request) -> Response:
    state, data = _state(request), json_body(await request.body())
    if request.method == "POST":
        if problem := _service_problem(data):
            return JSONResponse({"error": problem}, 400)
        service = state.service(data["routing_key"])
        service.paused = data.get("paused", service.paused)
        service.name = data.get("name", service.name)
        if "rate_limit" in data:
            state.rate = (data["rate_limit"], float(data.get("rate_window_s", RATE[1])))
    return JSONResponse(
        {
            "services": [
                {"id": s.id, "name": s.name, "paused": s.paused} for s in state.services.values()
            ]
        }
    )


async def control_extensions(request: Request) -> Response:
    """Slack extensions: GET lists them (secrets masked) with what each sent; POST one or a
    list (each replaces the extension with its id, or is added); DELETE `?id=` one, or all."""
    state = _state(request)
    if request.method == "POST":
        try:
            added = parse_extensions(json_body(await request.body()), len(state.extensions))
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        for extension in added:
            if extension.id in state.extensions:
                del state.extensions[extension.id]
            state.extensions.put(extension.id, extension)
    elif request.method == "DELETE":
        wanted = request.query_params.get("id")
        for ext_id in [e for e in state.extensions if wanted in (None, e)]:
            del state.extensions[ext_id]
    return JSONResponse({"extensions": [e.to_json() for e in state.extensions.values()]})


def items(state: PagerDutyState, clock: MockClock) -> Iterator[Item]:
    """Each incident (its run id is its dedup key, PagerDuty's `incident_key`, or in its title,
    as an alert from Sentry carries it) and change event held, as the REST API answers them."""
    for incident in state.incidents.values():
        found = run_id_in(incident["incident_key"], incident["title"])
        yield Item("incident", unix(incident["created_at"]), found, incident)
    for event in state.change_events:
        found = run_id_in(event["summary"])
        yield Item("change_event", unix(event["timestamp"]), found, event)


def credential_of(incoming: Incoming) -> str | None:
    auth = incoming.headers.get("authorization", "")
    if auth.startswith("Token token="):
        return auth.removeprefix("Token token=").strip() or None
    match = re.search(rb'"routing_key"\s*:\s*"([^"]{1,64})"', incoming.body[:MAX_BYTES])
    return match.group(1).decode("latin-1") if match else None


def wrong_region(incoming: Incoming) -> Response:
    if incoming.path.startswith("/v2/"):
        # A key of the other service region: answer text as third-party mocks have it (UNCONFIRMED).
        return _invalid("Invalid routing key")
    return _rest_error(401, "Authentication failed", 2006)


def _pause_all(state: Any) -> None:
    state.vendor.pause_all = True
    for service in state.vendor.services.values():
        service.paused = True


SCENARIOS = (
    Scenario(
        "pagerduty/paused_service",
        "events are accepted (202) but the service is paused: no incident opens",
        _pause_all,
        "PagerDuty probe returns 202 but no incident appears",
    ),
    Scenario(
        "pagerduty/invalid_key",
        "every routing key is refused (400)",
        faults(
            {
                "method": "POST",
                "path": "/v2/*",
                "status": 400,
                "content_type": "application/json",
                "body": json.dumps(
                    {
                        "status": "invalid event",
                        "message": "Event object is invalid",
                        "errors": [TEXTS["key_length"]],
                    }
                ),
            }
        ),
    ),
    Scenario(
        "pagerduty/token_invalid",
        "the REST API refuses the API token",
        faults(
            *(
                {
                    "method": "GET",
                    "path": path,
                    "status": 401,
                    "content_type": "application/json",
                    "body": '{"error":{"message":"Authentication failed","code":2006}}',
                }
                for path in ("/incidents*", "/abilities*", "/change_events*")
            )
        ),
    ),
)


def create_app() -> ASGIApp:
    return create_mock_app(
        "pagerduty",
        [
            Route("/v2/enqueue", enqueue, methods=["POST"]),
            Route("/v2/change/enqueue", change_enqueue, methods=["POST"]),
            Route("/incidents", list_incidents, methods=["GET"]),
            Route("/incidents/{id}", get_incident, methods=["GET"]),
            Route("/incidents/{id}", update_incident, methods=["PUT"]),
            Route("/incidents/{id}/alerts", incident_alerts, methods=["GET"]),
            Route("/change_events", change_events, methods=["GET"]),
            Route("/abilities", abilities, methods=["GET"]),
        ],
        PagerDutyState,
        credential_of,
        [
            Route("/_opwire/pagerduty/services", control_services, methods=["GET", "POST"]),
            Route(
                "/_opwire/pagerduty/extensions",
                control_extensions,
                methods=["GET", "POST", "DELETE"],
            ),
        ],
        region="us",
        wrong_region=wrong_region,
        scenarios=SCENARIOS,
        throttled=(json.dumps(THROTTLED), "application/json"),
        too_large=TOO_LARGE["pagerduty"],
        inventory=Inventory(("incident", "change_event"), items),
    )
