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
import re
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
ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")  # an Events API v2 integration key
# Each allowed event is a timestamp held for the rate window: at most this many are held, so a
# rate set above it from the control route means unlimited, not an unlimited store.
MAX_RATE = 100_000
ALERT_OVERHEAD = 1024  # an alert and its incident beyond the event's own bytes
# Users deleted (deleteUser) stay left out of the users read from the log; the oldest of them
# is forgotten past this many.
MAX_DELETED_USERS = 10_000
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
    created_at: str = ""
    description: str | None = None
    # Its Events API integrations: id, name, type, key (the routing key), created_at.
    integrations: list[dict[str, str]] = field(default_factory=list)

    @property
    def ref(self) -> dict[str, Any]:
        return shapes.ref("service_reference", self.id, self.name)

    def integration_of(self, routing_key: str) -> str:
        """The id of the integration a routing key belongs to."""
        found = (i["id"] for i in self.integrations if i["key"] == routing_key)
        return next(found, self.integration_id)


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
    # Users made through REST (createUser), by id: at most MAX_USERS, past which createUser is
    # the API's 402 (an account's seats are limited), so none is ever dropped.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Ids of users deleted, oldest first (a dict as an ordered set), at most MAX_DELETED_USERS.
    deleted_users: dict[str, None] = field(default_factory=dict)
    # An incident merged away (mergeIncidents) goes when the incident it was merged into goes.
    # A set: each source once, however often a merge names it.
    merged: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.services = CappedDict("services", self.dropped, CONFIGURED)
        self.alerts = CappedDict("alerts", self.dropped)
        self.log = CappedDict("log_entries", self.dropped)
        self.change_events = CappedList("change_events", self.dropped)
        self.extensions = CappedDict("extensions", self.dropped, CONFIGURED)

    def service(self, routing_key: str, now: str = "") -> Service:
        """The service of an Events API routing key (made on first use, at `now`)."""
        if routing_key not in self.services:
            n = next(self.service_numbers)  # a counter: ids stay unique once old ones are dropped
            self.services.put(
                routing_key,
                Service(
                    f"PSVC{n:03d}",
                    f"opwire mock service {n}",
                    f"PINT{n:03d}",
                    self.pause_all,
                    created_at=now,
                    integrations=[_integration(f"PINT{n:03d}", routing_key, now)],
                ),
            )
        return self.services[routing_key]

    def add_integration(self, service: Service, key: str, name: str, now: str) -> dict[str, str]:
        """A new Events API integration of `service` (createServiceIntegration): its routing
        key reaches the service."""
        n = next(self.service_numbers)
        integration = _integration(f"PINT{n:03d}", key, now, name)
        service.integrations.append(integration)
        self.services.put(key, service)
        return integration

    def add_service(self, name: str, description: str | None, now: str) -> Service:
        """A service made through the REST API (createService): it has no routing key."""
        n = next(self.service_numbers)
        service = Service(f"PSVC{n:03d}", name, f"PINT{n:03d}", created_at=now)
        service.description = description
        self.services.put(f"rest:{service.id}", service)
        return service

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
        self.keep_entry(entry)
        self.open_alerts[key] = alert["id"]
        return incident

    def keep_alert(self, alert: dict[str, Any], weight: int) -> None:
        """Store an alert; an alert dropped for room takes its incident (and any merged into
        it), their log entries and its open entry along."""
        for old_id, old in self.alerts.put(alert["id"], alert, weight):
            self.forget(old["incident"]["id"])
            for key in [k for k, v in self.open_alerts.items() if v == old_id]:
                del self.open_alerts[key]

    def keep_entry(self, entry: dict[str, Any]) -> None:
        """Store a log entry; an incident made through REST (it has no alert to be dropped
        with) goes when its trigger entry is dropped for room."""
        for _, old in self.log.put(entry["id"], entry):
            incident = self.incidents.get(old["incident"]["id"])
            first = (incident or {}).get("first_trigger_log_entry", {}).get("id")
            if incident is not None and first == old["id"] and not self.alerts_of(incident):
                self.forget(incident["id"])

    def forget(self, incident_id: str) -> None:
        """Drop an incident, the incidents merged into it, and their log entries."""
        gone = {incident_id, *self.merged.pop(incident_id, [])}
        for one in gone:
            self.incidents.pop(one, None)
        for key, alert_id in list(self.open_alerts.items()):
            alert = self.alerts.get(alert_id)
            if alert is None or alert["incident"]["id"] in gone:
                del self.open_alerts[key]
        for entry_id in [k for k, e in self.log.items() if e["incident"]["id"] in gone]:
            del self.log[entry_id]

    def add_incident(self, incident: dict[str, Any], entry: dict[str, Any]) -> None:
        """An incident made through REST (createIncident), with its trigger log entry."""
        incident["first_trigger_log_entry"] = shapes.entry_ref(entry)
        self.incidents[incident["id"]] = incident
        self.keep_entry(entry)

    def alerts_of(self, incident: dict[str, Any]) -> list[dict[str, Any]]:
        return [a for a in self.alerts.values() if a["incident"]["id"] == incident["id"]]

    def count_alerts(self, incident: dict[str, Any]) -> None:
        """The incident's `alert_counts` from the alerts it holds."""
        alerts = self.alerts_of(incident)
        resolved = sum(a["status"] == "resolved" for a in alerts)
        incident["alert_counts"] = {
            "all": len(alerts),
            "triggered": len(alerts) - resolved,
            "resolved": resolved,
        }

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
        incident.pop("pending_actions", None)  # a snooze ends with the status it held
        if status == "resolved":
            incident["assignments"] = []
        elif not incident.get("assignments"):  # reopened: the on-call again
            incident["assignments"] = shapes.assigned(now)
        _acknowledgements(incident, status, agent, now)
        incident.pop("resolved_at", None)  # the spec's resolved_at is a string, never null
        if status == "resolved":
            incident["resolved_at"] = now
        for alert in self.alerts_of(incident):
            self._move_alert(alert, status)
        self.count_alerts(incident)
        extra = {"note": note} if note else {}
        self.keep_entry(shapes.log_entry(action, incident, agent, now, **extra))

    def resolve_alert(
        self, incident: dict[str, Any], alert: dict[str, Any], agent: dict[str, Any], now: str
    ) -> None:
        """An Events API resolve: the alert is resolved, and the incident with it once none of
        its alerts (several, after a merge) is open."""
        still_open = [
            a for a in self.alerts_of(incident) if a is not alert and a["status"] != "resolved"
        ]
        if not still_open:
            self.move(incident, "resolved", agent, now)
            return
        self._move_alert(alert, "resolved")
        self.count_alerts(incident)
        incident["updated_at"] = now

    def _move_alert(self, alert: dict[str, Any], status: str) -> None:
        resolved = status == "resolved"
        alert["status"] = "resolved" if resolved else "triggered"
        if resolved:
            for key in [k for k, alert_id in self.open_alerts.items() if alert_id == alert["id"]]:
                del self.open_alerts[key]

    def delete_user(self, user_id: str) -> None:
        """deleteUser: the user goes, and is not read back from what the log shows them do."""
        self.users.pop(user_id, None)
        self.deleted_users.pop(user_id, None)
        self.deleted_users[user_id] = None
        while len(self.deleted_users) > MAX_DELETED_USERS:
            del self.deleted_users[next(iter(self.deleted_users))]

    def merge(
        self, target: dict[str, Any], source: dict[str, Any], user: dict[str, Any], now: str
    ) -> None:
        """Merge `source` into `target` (mergeIncidents): its alerts move over, still open, and
        it is resolved."""
        reference = shapes.ref("incident_reference", target["id"], target["summary"])
        for alert in self.alerts_of(source):
            alert["incident"] = reference
        self.count_alerts(target)
        target["updated_at"] = now
        self.move(source, "resolved", user, now)
        self.count_alerts(source)
        moved = {source["id"], *self.merged.pop(source["id"], set())}
        self.merged.setdefault(target["id"], set()).update(moved)

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


def _integration(
    integration_id: str, key: str, now: str, name: str = "Events API v2"
) -> dict[str, str]:
    return {"id": integration_id, "name": name, "key": key, "created_at": now}


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
    channel = {"summary": payload["summary"], "details": payload.get("custom_details") or {}}
    # The event's monitoring client, as the Events API v1 channel showed it (UNCONFIRMED).
    channel.update({k: body[k] for k in ("client", "client_url") if isinstance(body.get(k), str)})
    return channel


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
        "assignments": shapes.assigned(now),
        "assigned_via": "escalation_policy",
        "escalation_policy": shapes.policy_ref(),
        "acknowledgements": [],
        "last_status_change_at": now,
        "last_status_change_by": service.ref,
        "urgency": "high" if payload["severity"] in ("critical", "error") else "low",
        "alert_counts": {"all": 1, "triggered": 1, "resolved": 0},
        "teams": [shapes.team_ref()],
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
