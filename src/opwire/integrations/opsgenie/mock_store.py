"""The Opsgenie mock's state and its processing: alerts, the asynchronous requests that make
and change them, and how one is found (by id, alias or tiny id).

Pages followed: docs.opsgenie.com/docs/alert-api and /docs/alert-api-continued (every write is
"processed asynchronously"; Get Request Status's `isSuccess`, `status`, `alertId`, `alias`;
Create Alert's alias deduplication while open), vendor-contracts.md § 4.3-4.5.

Every write is accepted (202) and processed after `request_delay_s` on the mock clock; what
fails (a responder team that does not exist, an alert that is not there) fails at processing
(`isSuccess: false`), not at the 202. A read (request status, get, list, count, logs) first
waits for the writes due within SETTLE_S, so a client that reads right after a write sees it:
the SDK's own samples and its SuccessResponse.retrieve_result() ask at once and do not catch a
404. How long Opsgenie takes to process a request is UNCONFIRMED (the default 0.2 s stands for
it); a delay beyond SETTLE_S keeps answering 404 RequestNotProcessed until it passes.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.opsgenie import mock_alerts as actions
from opwire.integrations.opsgenie import mock_heartbeats as beats
from opwire.integrations.opsgenie.mock_http import answer as _answer
from opwire.integrations.opsgenie.mock_http import auth as _auth
from opwire.integrations.opsgenie.mock_http import iso as _iso
from opwire.integrations.opsgenie.mock_incidents import Incidents
from opwire.integrations.opsgenie.mock_journal import Journal, add_recipients, offset_of
from opwire.mock.app import mock_state
from opwire.mock.clock import MockClock
from opwire.mock.limits import CONFIGURED, ENTRIES, CappedDict
from opwire.mock.state import clock_of

DEFAULT_TEAMS = ("opwire",)
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
IDENTIFIER_TYPES = ("id", "alias", "tiny")
MESSAGE_LIMIT, ALIAS_LIMIT, TAGS_LIMIT = 130, 512, 20
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
    "failed": "Request could not be processed",
}
SETTLE_S = 1.0  # a read waits for the writes due within this many seconds (see above)
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
    kind: actions.Action | None = None  # what an action request does (None: create)


@dataclass(slots=True)
class OpsgenieState:
    teams: set[str] = field(default_factory=lambda: set(DEFAULT_TEAMS))
    # Until a test names the account's teams (config `teams`), any team a client names exists:
    # the mock holds no account, and a client's own team name is as real as `opwire`.
    any_team: bool = True
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
    journals: dict[str, Journal] = field(default_factory=dict)
    keys: CappedDict[str, str] = field(init=False)
    alerts: CappedDict[str, dict[str, Any]] = field(init=False)
    requests: CappedDict[str, Pending] = field(init=False)
    heartbeats: CappedDict[str, beats.Beat] = field(init=False)
    searches: CappedDict[str, dict[str, Any]] = field(init=False)  # saved searches, by id
    incidents: Incidents = field(init=False)  # the v1 Incident API's

    def __post_init__(self) -> None:
        self.keys = CappedDict("keys", self.dropped, ENTRIES)
        self.alerts = CappedDict("alerts", self.dropped)
        self.requests = CappedDict("requests", self.dropped)
        self.heartbeats = CappedDict("heartbeats", self.dropped, CONFIGURED)
        self.searches = CappedDict("searches", self.dropped, CONFIGURED)
        self.incidents = Incidents(self.dropped)  # its drops counted with the alerts' own

    def keep_request(self, pending: Pending, weight: int) -> None:
        """Store a request to be processed; one dropped for room is forgotten unprocessed."""
        self.unprocessed.append(pending)
        for _, old in self.requests.put(pending.id, pending, weight):
            # The oldest request is first in line when it is still waiting.
            if self.unprocessed and self.unprocessed[0] is old:
                self.unprocessed.popleft()

    def keep_alert(self, alert: dict[str, Any]) -> None:
        """Store (or re-weigh) an alert with its journal; the oldest make room, journals too."""
        journal = self.journals.setdefault(alert["id"], Journal())
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
            try:
                pending.result = process(self, pending, clock.now())
            except Exception:  # one request's fault is its own failure, never the queue's
                failed = {**_failed(TEXTS["failed"]), "alertId": "", "alias": ""}
                pending.result = {**_base(self, pending, clock.now()), **failed}


def state_of(request: Request) -> OpsgenieState:
    state: OpsgenieState = mock_state(request).vendor
    state.process_due(clock_of(request))
    return state


async def settled(request: Request) -> OpsgenieState:
    """The state once the writes due within SETTLE_S are processed (a read's view of it)."""
    state, clock = state_of(request), clock_of(request)
    horizon = clock.monotonic() + SETTLE_S
    due = [
        p.ready_at for p in itertools.takewhile(lambda p: p.ready_at <= horizon, state.unprocessed)
    ]
    if due:
        await asyncio.sleep(max(due[-1] - clock.monotonic(), 0.0))
        state.process_due(clock)
    return state


def new_pending(action: str, body: dict[str, Any], **where: Any) -> Pending:
    return Pending(str(uuid.uuid4()), action, 0.0, body, **where)


def fresh(alert: dict[str, Any], now: float) -> dict[str, Any]:
    """The alert as it is at `now` (unix seconds): a snooze whose end has passed is over."""
    until = actions.parse_time(alert.get("snoozedUntil"))
    if alert["snoozed"] and until is not None and until <= now:
        alert["snoozed"] = False
    return alert


def find(state: OpsgenieState, identifier: str, kind: str) -> dict[str, Any] | None:
    if kind == "id":
        return state.alerts.get(identifier)
    field_name = "alias" if kind == "alias" else "tinyId"
    matches = [a for a in state.alerts.values() if a[field_name] == identifier]
    open_ones = [a for a in matches if a["status"] == "open"]
    candidates = open_ones or matches
    return candidates[-1] if candidates else None


def record(
    state: OpsgenieState, alert: dict[str, Any], log: str, body: Mapping[str, Any], now: float
) -> None:
    """The alert's log of an action, and its note when the action carried one."""
    journal = state.journals.setdefault(alert["id"], Journal())
    owner, millis = actions.by(dict(body), INTEGRATION_NAME), int(now * 1000)
    entry = {"log": log, "type": actions.LOG_TYPE, "owner": owner, "createdAt": _iso(now)}
    journal.logs.append({**entry, "offset": offset_of(millis, next(state.sequence))})
    add_recipients(journal, dict(body), _iso(now))
    note = body.get("note")
    if isinstance(note, str) and note:
        offset = offset_of(millis, next(state.sequence))
        journal.notes.append(
            {"note": note, "owner": owner, "createdAt": _iso(now), "offset": offset}
        )
    state.keep_alert(alert)


def process(state: OpsgenieState, pending: Pending, now: float) -> dict[str, Any]:
    """The request's outcome, processed at `now` (unix seconds)."""
    result = _base(state, pending, now)
    if pending.action == "Create":
        return {**result, **_process_create(state, pending.body, now)}
    alert = find(state, pending.identifier, pending.identifier_type)
    if alert is None:
        return {**result, **_failed(TEXTS["alert_missing"]), "alertId": "", "alias": ""}
    done = {"alertId": alert["id"], "alias": alert["alias"]}
    if pending.action == "Delete":
        state.forget_alert(alert["id"])
        return {**result, **done, "status": actions.DELETE.status}
    return {**result, **done, **_process_action(state, pending, fresh(alert, now), now)}


def _base(state: OpsgenieState, pending: Pending, now: float) -> dict[str, Any]:
    return {
        "success": True,
        "action": pending.action,
        "processedAt": _iso(now),
        "integrationId": state.integration_id,
        "isSuccess": True,
    }


def _failed(status: str) -> dict[str, Any]:
    return {"success": False, "isSuccess": False, "status": status}


def _process_action(
    state: OpsgenieState, pending: Pending, alert: dict[str, Any], now: float
) -> dict[str, Any]:
    action = pending.kind or actions.DELETE
    body, query = pending.body, pending.query
    team = body.get("team")
    named = [
        body.get("responder") or {},
        {**team, "type": "team"} if isinstance(team, dict) else {},
    ]
    if missing := _missing_team(state, named):
        return _failed(missing)
    if failure := action.apply(alert, body, query, _iso(now)):
        return _failed(failure)
    alert["updatedAt"] = _iso(now)
    note = body.get("note", query.get("note"))
    record(state, alert, action.log, {**body, "note": note}, now)
    return {"status": action.status}


def _missing_team(state: OpsgenieState, responders: list[Any]) -> str | None:
    for responder in responders:
        if not isinstance(responder, dict) or responder.get("type") != "team":
            continue
        name = responder.get("name") or responder.get("id")
        if not state.any_team and (not isinstance(name, str) or name not in state.teams):
            return TEXTS["team_missing"].format(name=name)
    return None


def _process_create(state: OpsgenieState, body: dict[str, Any], now: float) -> dict[str, Any]:
    if missing := _missing_team(state, body.get("responders") or []):
        return _failed(missing)
    alias = str(body.get("alias") or uuid.uuid4())
    existing = find(state, alias, "alias")
    if existing is not None and existing["status"] == "open":
        existing["count"] += 1
        existing["lastOccurredAt"] = existing["updatedAt"] = _iso(now)
        return {
            "status": TEXTS["deduplicated"].format(alias=alias),
            "alertId": existing["id"],
            "alias": alias,
        }
    alert = _new_alert(state, body, alias, now)
    record(state, alert, TEXTS["created_log"], body, now)
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


def identifier_type(request: Request, param: str = "identifierType") -> str | None:
    kind = request.query_params.get(param, "id")
    return kind if kind in IDENTIFIER_TYPES else None


async def alert_of(
    request: Request, *, write: bool = False, param: str = "identifierType"
) -> dict[str, Any] | Response:
    """The alert the path names (by its `identifierType`, or the attachment routes'
    `alertIdentifierType`), or the answer saying why not."""
    if denied := _auth(request, write=write):
        return denied
    kind = identifier_type(request, param)
    if kind is None:
        return _answer(422, {"message": TEXTS["bad_identifier_type"]})
    alert = find(await settled(request), request.path_params["identifier"], kind)
    if alert is None:
        return _answer(404, {"message": TEXTS["alert_missing"]})
    return fresh(alert, clock_of(request).now())
