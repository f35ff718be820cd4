"""What the PagerDuty mock holds, and how an incident moves: opened by a trigger, acknowledged,
resolved or reopened by the Events API (as its service) or by REST (as the `From` user), each
move written to the incident's log and to its one alert.

Pages followed: shared/specs/pagerduty/REST/openapiv3.json (Incident: `acknowledgements`
"empty if the status is resolved or triggered", `alert_counts`, `last_status_change_by`,
`resolved_at`, `first_trigger_log_entry`; updateIncident: "If the incident is currently
resolved, setting the status to triggered or acknowledged will reopen it"; Alert; LogEntry);
developer.pagerduty.com docs/events-API-v2/02-Trigger-Events (dedup: the same routing key and
dedup_key act on the open alert; after resolve a trigger opens a new incident).

UNCONFIRMED: reopening a resolved incident does not take its dedup key back (a later trigger
opens a new incident); a repeated acknowledgement by the same acknowledger replaces its entry in
`acknowledgements` (a new `at`) and is logged again.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty.extensions import Extension
from opwire.mock.app import mock_state
from opwire.mock.deliver import Outbox
from opwire.mock.limits import CONFIGURED, CappedDict, CappedList

RATE = (120, 60.0)  # events per window seconds per routing key
# Each allowed event is a timestamp held for the rate window: at most this many are held, so a
# rate set above it from the control route means unlimited, not an unlimited store.
MAX_RATE = 100_000
ALERT_OVERHEAD = 1024  # an alert and its incident beyond the event's own bytes
# The log entry a move writes, by (status before, status after).
MOVES = {
    ("triggered", "acknowledged"): "acknowledge",
    ("acknowledged", "acknowledged"): "acknowledge",
    ("resolved", "acknowledged"): "acknowledge",
    ("acknowledged", "triggered"): "unacknowledge",
    ("resolved", "triggered"): "trigger",
    ("triggered", "resolved"): "resolve",
    ("acknowledged", "resolved"): "resolve",
}


@dataclass(slots=True)
class Service:
    id: str
    name: str
    integration_id: str
    paused: bool = False
    sent: deque[float] = field(default_factory=lambda: deque(maxlen=MAX_RATE))

    @property
    def ref(self) -> dict[str, Any]:
        return shapes.ref("service_reference", self.id, self.name)


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
    # Log entries by id, oldest first, across all incidents (GET /log_entries reads them all).
    log: CappedDict[str, dict[str, Any]] = field(init=False)
    change_events: CappedList[dict[str, Any]] = field(init=False)
    extensions: CappedDict[str, Extension] = field(init=False)
    outbox: Outbox = field(default_factory=Outbox)

    def __post_init__(self) -> None:
        self.services = CappedDict("services", self.dropped, CONFIGURED)
        self.alerts = CappedDict("alerts", self.dropped)
        self.log = CappedDict("log_entries", self.dropped)
        self.change_events = CappedList("change_events", self.dropped)
        self.extensions = CappedDict("extensions", self.dropped, CONFIGURED)

    def service(self, routing_key: str) -> Service:
        if routing_key not in self.services:
            n = next(self.service_numbers)  # a counter: ids stay unique once old ones are dropped
            self.services.put(
                routing_key,
                Service(f"PSVC{n:03d}", f"opwire mock service {n}", f"PINT{n:03d}", self.pause_all),
            )
        return self.services[routing_key]

    def service_by_id(self, service_id: str) -> Service | None:
        return next((s for s in self.services.values() if s.id == service_id), None)

    def open(
        self, key: tuple[str, str], service: Service, body: dict[str, Any], now: str
    ) -> dict[str, Any]:
        """A new incident and its alert from a trigger event of `key` (routing key, dedup
        key), with its trigger log entry."""
        dedup = key[1]
        incident = _incident(next(self.numbers), service, dedup, body["payload"], now)
        entry = shapes.log_entry(
            "trigger",
            incident,
            service.ref,
            now,
            channel=_trigger_channel(body),
            contexts=shapes.contexts(body),
        )
        incident["first_trigger_log_entry"] = shapes.entry_ref(entry)
        alert = _alert(incident, body, entry)
        self.incidents[incident["id"]] = incident
        self.keep_alert(alert, len(json.dumps(body)) + ALERT_OVERHEAD)
        self.log.put(entry["id"], entry)
        self.open_alerts[key] = alert["id"]
        return incident

    def keep_alert(self, alert: dict[str, Any], weight: int) -> None:
        """Store an alert; an alert dropped for room takes its incident, its log entries and its
        open entry along."""
        for old_id, old in self.alerts.put(alert["id"], alert, weight):
            gone = old["incident"]["id"]
            self.incidents.pop(gone, None)
            for entry_id in [k for k, e in self.log.items() if e["incident"]["id"] == gone]:
                del self.log[entry_id]
            for key in [k for k, v in self.open_alerts.items() if v == old_id]:
                del self.open_alerts[key]

    def alert_of(self, incident: dict[str, Any]) -> dict[str, Any] | None:
        return next(
            (a for a in self.alerts.values() if a["incident"]["id"] == incident["id"]), None
        )

    def move(
        self,
        incident: dict[str, Any],
        status: str,
        agent: dict[str, Any],
        now: str,
        note: str | None = None,
    ) -> None:
        """Set `incident` to `status` as `agent` (a service or user reference) at `now`: its
        acknowledgements, alert, alert counts and log move with it. No move, no change."""
        action = MOVES.get((incident["status"], status))
        if action is None:
            return
        incident.update(
            status=status, updated_at=now, last_status_change_at=now, last_status_change_by=agent
        )
        _acknowledgements(incident, status, agent, now)
        incident.pop("resolved_at", None)  # the spec's resolved_at is a string, never null
        if status == "resolved":
            incident["resolved_at"] = now
        alert = self.alert_of(incident)
        if alert is not None:
            self._move_alert(incident, alert, status)
        extra = {"note": note} if note else {}
        entry = shapes.log_entry(action, incident, agent, now, **extra)
        self.log.put(entry["id"], entry)

    def _move_alert(self, incident: dict[str, Any], alert: dict[str, Any], status: str) -> None:
        resolved = status == "resolved"
        alert["status"] = "resolved" if resolved else "triggered"
        incident["alert_counts"] = {
            "all": 1,
            "triggered": int(not resolved),
            "resolved": int(resolved),
        }
        if resolved:
            for key in [k for k, alert_id in self.open_alerts.items() if alert_id == alert["id"]]:
                del self.open_alerts[key]

    def log_entries(self, incident_id: str | None = None) -> list[dict[str, Any]]:
        """The log, newest first (UNCONFIRMED order), of one incident or of all."""
        return [
            e for e in reversed(self.log.values()) if incident_id in (None, e["incident"]["id"])
        ]

    def incident(self, key: str) -> dict[str, Any] | None:
        """The incident by its id or, as getIncident and updateIncident accept, its number."""
        found = self.incidents.get(key)
        if found is None and key.isascii() and key.isdigit():
            number = int(key)
            found = next(
                (i for i in self.incidents.values() if i["incident_number"] == number), None
            )
        return found


def vendor(request: Request) -> PagerDutyState:
    state: PagerDutyState = mock_state(request).vendor
    return state


def _acknowledgements(
    incident: dict[str, Any], status: str, agent: dict[str, Any], now: str
) -> None:
    if status != "acknowledged":
        incident["acknowledgements"] = []
        return
    others = [
        a for a in incident.get("acknowledgements", []) if a["acknowledger"]["id"] != agent["id"]
    ]
    incident["acknowledgements"] = [*others, {"at": now, "acknowledger": agent}]


def _trigger_channel(body: dict[str, Any]) -> dict[str, Any]:
    """What a trigger log entry's channel shows of the event (UNCONFIRMED: its summary and
    custom details, as the Events API v1 channel did)."""
    payload = body["payload"]
    return {"summary": payload["summary"], "details": payload.get("custom_details") or {}}


def _incident(
    number: int, service: Service, dedup: str, payload: dict[str, Any], now: str
) -> dict[str, Any]:
    incident_id = shapes.new_id("Q")
    return {
        "id": incident_id,
        "type": "incident",
        "summary": f"[#{number}] {payload['summary']}",
        "self": f"{shapes.HOST}/incidents/{incident_id}",
        "html_url": f"{shapes.APP}/incidents/{incident_id}",
        "incident_number": number,
        "title": payload["summary"],
        "created_at": now,
        "updated_at": now,
        "status": "triggered",
        "incident_key": dedup,
        "service": service.ref,
        "assignments": [],
        "assigned_via": "escalation_policy",
        "acknowledgements": [],
        "last_status_change_at": now,
        "last_status_change_by": service.ref,
        "urgency": "high" if payload["severity"] in ("critical", "error") else "low",
        "alert_counts": {"all": 1, "triggered": 1, "resolved": 0},
        "teams": [],
        "is_mergeable": True,
    }


def _alert(incident: dict[str, Any], body: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    alert_id, payload = shapes.new_id("A"), body["payload"]
    return {
        "id": alert_id,
        "type": "alert",
        "summary": payload["summary"],
        "self": f"{shapes.HOST}/alerts/{alert_id}",
        "html_url": f"{shapes.APP}/alerts/{alert_id}",
        "created_at": incident["created_at"],
        "status": "triggered",
        "alert_key": incident["incident_key"],
        "suppressed": False,
        "severity": payload["severity"],
        "service": incident["service"],
        "first_trigger_log_entry": shapes.entry_ref(entry),
        "incident": shapes.ref("incident_reference", incident["id"], incident["summary"]),
        "body": {
            "type": "alert_body",
            "contexts": shapes.contexts(body),
            "details": payload.get("custom_details") or {},
        },
    }
