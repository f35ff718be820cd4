"""How the PagerDuty mock's REST API v2 changes an incident: updateIncident and
updateIncidents (status, resolution, title, urgency, priority, escalation policy and level,
assignments), createIncidentSnooze.

Pages followed: shared/specs/pagerduty/REST/openapiv3.json (updateIncident: `incident` with
`type` required, `status`, `resolution`, `title`, `priority` a reference or a string,
`escalation_level`, `assignments[].assignee`, `escalation_policy`, `urgency`; `From` required;
updateIncidents: "A maximum of 250 incidents may be updated at a time", each with its `id`;
createIncidentSnooze: `duration` in seconds, answer 201 `{"incident"}`; Incident
`pending_actions`); developer.pagerduty.com REST-API/14-Errors (2001 Invalid Input Provided).

UNCONFIRMED, chosen here: each change is checked whole before any of it applies; a `priority`
of null or "" clears it; empty `assignments` change nothing (a resolved incident sent back
whole has them empty); `escalation_level` must be a level of the policy (it has one) and
assigns that level's on-call again; an assignee must be a user the account knows (the owner, or
someone the mock has seen act); reassigning writes an assign log entry; only an acknowledged
incident can be snoozed, and the snooze shows as a pending `unacknowledge` at its end (the mock
does not act on it); a duration outside 1 s to 7 days is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.pagerduty import mock_directory as directory
from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty.mock_rest import (
    INVALID_INPUT,
    UPDATE_STATUSES,
    Refused,
    actor,
    answer,
    incident_of,
)
from opwire.integrations.pagerduty.mock_state import PagerDutyState, vendor
from opwire.mock.app import json_body
from opwire.mock.state import clock_of

MAX_BULK = 250  # updateIncidents: "A maximum of 250 incidents may be updated at a time"
MAX_SNOOZE_S = 7 * 86400
LEVELS = 1  # the seeded policy's escalation rules


def _invalid(problem: str) -> Refused:
    return Refused(400, *INVALID_INPUT, problem)


def _reference(value: Any, name: str, kind: str) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise _invalid(f"{name} must be a reference with an id")
    if value.get("type") not in (kind, kind.removesuffix("_reference")):
        raise _invalid(f"{name}.type must be {kind}")
    return str(value["id"])


def _basics(change: dict[str, Any], bulk: bool) -> None:
    if bulk and not isinstance(change.get("id"), str):
        raise _invalid("each incident needs its id")
    if change.get("type") not in ("incident", "incident_reference"):
        raise _invalid("incident.type must be incident or incident_reference")
    if "status" in change and change["status"] not in UPDATE_STATUSES:
        raise _invalid(f"incident.status must be one of {', '.join(UPDATE_STATUSES)}")
    title = change.get("title", "t")
    if not isinstance(title, str) or not title.strip() or len(title) > 1024:
        raise _invalid("incident.title must be a string of 1 to 1024 characters")
    if not isinstance(change.get("resolution", ""), str):
        raise _invalid("incident.resolution must be a string")
    if change.get("urgency", "high") not in ("high", "low"):
        raise _invalid("incident.urgency must be high or low")


def _priority(change: dict[str, Any]) -> dict[str, Any] | None:
    value = change["priority"]
    if value in (None, ""):
        return None
    found = directory.priority_ref(_reference(value, "incident.priority", "priority_reference"))
    if found is None:
        raise _invalid("incident.priority must name a priority of the account")
    return found


def _assignees(state: PagerDutyState, change: dict[str, Any]) -> list[dict[str, Any]]:
    items = change["assignments"]
    if not isinstance(items, list) or not items:
        raise _invalid("incident.assignments must be an array")
    known = directory.users_by_id(state)
    found = []
    for item in items:
        assignee = item.get("assignee") if isinstance(item, dict) else None
        user_id = _reference(assignee, "assignments[].assignee", "user_reference")
        if user_id not in known:
            raise _invalid(f"assignee {user_id} is not a user of the account")
        found.append(shapes.ref("user_reference", user_id, known[user_id]["name"]))
    return found


def _checked(state: PagerDutyState, given: Any, bulk: bool) -> dict[str, Any]:
    """One incident's change, checked whole; what it sets, by field."""
    if not isinstance(given, dict):
        raise _invalid("incident is required and must be an object")
    change: dict[str, Any] = given
    _basics(change, bulk)
    if "priority" in change:
        change = {**change, "priority": _priority(change)}
    if change.get("assignments") == []:  # an incident read back and sent whole: no change
        change = {k: v for k, v in change.items() if k != "assignments"}
    elif "assignments" in change:
        change = {**change, "assignments": _assignees(state, change)}
    if "escalation_policy" in change:
        policy = _reference(
            change["escalation_policy"], "incident.escalation_policy", "escalation_policy_reference"
        )
        if policy != directory.POLICY[0]:
            raise _invalid("incident.escalation_policy must name an escalation policy")
    level = change.get("escalation_level", 1)
    if type(level) is not int or not 1 <= level <= LEVELS:
        raise _invalid(f"incident.escalation_level must be between 1 and {LEVELS}")
    return change


def _apply(
    state: PagerDutyState,
    incident: dict[str, Any],
    change: dict[str, Any],
    user: dict[str, Any],
    now: str,
) -> None:
    if "title" in change:
        incident.update(title=change["title"], updated_at=now)
        incident["summary"] = f"[#{incident['incident_number']}] {change['title']}"
    for name in ("urgency", "priority"):
        if name in change:
            incident[name] = change[name]
            incident["updated_at"] = now
            if incident[name] is None:
                del incident[name]
    if "assignments" in change or "escalation_level" in change:
        people = change.get("assignments") or [directory.owner_ref()]
        incident["assignments"] = [{"at": now, "assignee": who} for who in people]
        incident["updated_at"] = now
        state.keep_entry(shapes.log_entry("assign", incident, user, now, assignees=people))
    if "status" in change:
        state.move(incident, change["status"], user, now, change.get("resolution"))


async def update_incident(request: Request) -> Response:
    """updateIncident: acknowledge, resolve, reopen, retitle, reprioritize or reassign an
    incident as the acting user."""
    user = actor(request)
    body = json_body(await request.body())
    state = vendor(request)
    change = _checked(state, body.get("incident") if isinstance(body, dict) else None, False)
    incident = incident_of(state, request.path_params["id"])
    _apply(state, incident, change, user, shapes.stamp(clock_of(request).now()))
    return answer(request, {"incident": incident})


async def update_incidents(request: Request) -> Response:
    """updateIncidents: up to 250 changes, checked whole before any applies."""
    user = actor(request)
    body = json_body(await request.body())
    changes = body.get("incidents") if isinstance(body, dict) else None
    if not isinstance(changes, list) or not changes:
        raise _invalid("incidents must be a non-empty array")
    if len(changes) > MAX_BULK:
        raise Refused(413, "Request Entity Too Large", 2001, f"at most {MAX_BULK} incidents")
    state, now = vendor(request), shapes.stamp(clock_of(request).now())
    changes = [_checked(state, change, bulk=True) for change in changes]
    found = [incident_of(state, change["id"]) for change in changes]
    for incident, change in zip(found, changes, strict=True):
        _apply(state, incident, change, user, now)
    return answer(
        request,
        {"incidents": found, "limit": len(found), "offset": 0, "total": None, "more": False},
    )


async def snooze(request: Request) -> Response:
    """createIncidentSnooze: 201 `{"incident"}`, unacknowledged again after `duration`."""
    user = actor(request)
    body = json_body(await request.body())
    duration = body.get("duration") if isinstance(body, dict) else None
    if type(duration) is not int or not 1 <= duration <= MAX_SNOOZE_S:
        raise _invalid(f"duration must be a whole number of seconds, 1 to {MAX_SNOOZE_S}")
    state, moment = vendor(request), clock_of(request).now()
    incident = incident_of(state, request.path_params["id"])
    if incident["status"] != "acknowledged":
        raise _invalid("Incident must be acknowledged to be snoozed")
    now = shapes.stamp(moment)
    until = datetime.fromtimestamp(moment, UTC) + timedelta(seconds=duration)
    incident["pending_actions"] = [{"type": "unacknowledge", "at": until.strftime(shapes.TIME)}]
    incident["updated_at"] = now
    state.keep_entry(shapes.log_entry("snooze", incident, user, now))
    reply = answer(request, {"incident": incident})
    reply.status_code = 201
    return reply


# The REST routes that change an incident (authenticated by mock.py).
ROUTES = (
    ("/incidents", "PUT", update_incidents),
    ("/incidents/{id}", "PUT", update_incident),
    ("/incidents/{id}/snooze", "POST", snooze),
)
