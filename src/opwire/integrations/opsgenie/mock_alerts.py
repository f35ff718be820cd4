"""Opsgenie alert actions, for the mock: what each action needs and what it does.

Pages followed: docs.opsgenie.com/docs/alert-api (Acknowledge, Unacknowledge, Close, Snooze,
Escalate to Next, Assign, Add Responder, Add Team, Add Note, Add/Remove Tags, Add/Remove
Details, Update Priority/Message/Description, Custom Action, Delete: each "processed
asynchronously", answered 202 with a requestId), shared/specs/opsgenie/swagger.json (the
payload schemas: SnoozeAlertPayload needs `endTime`, EscalateAlertToNextPayload `escalation`,
AssignAlertPayload `owner`, AddResponderToAlertPayload `responder`, AddNoteToAlertPayload
`note`, AddTagsToAlertPayload `tags`, AddDetailsToAlertPayload `details`,
AddTeamToAlertPayload `team`, UpdateAlertPriorityPayload `priority` P1-P5,
UpdateAlertMessagePayload `message`, UpdateAlertDescriptionPayload `description`; DELETE
tags/details take the comma-separated `tags`/`keys` query parameter).

Pure functions on plain alert dicts: mock.py owns the routes, mock_store.py the state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Alert = dict[str, Any]
Body = dict[str, Any]

NOTE_LIMIT, TAG_LIMIT, TAGS_LIMIT = 25000, 50, 20
MESSAGE_LIMIT, DESCRIPTION_LIMIT = 130, 15000
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
RESPONDER_TYPES = ("team", "user", "escalation", "schedule")
# Wording of logs and statuses that no page we could read records: UNCONFIRMED, kept here.
LOG_TYPE = "system"


@dataclass(frozen=True, slots=True)
class Action:
    """One alert action: its request-status `action` name, what its body must hold (a check
    returning field -> reason), what it does, the status and log it leaves."""

    name: str
    check: Callable[[Body, Mapping[str, str]], dict[str, str]]
    apply: Callable[[Alert, Body, Mapping[str, str], str], str | None]  # -> failure, or None
    status: str
    log: str


def _nothing(body: Body, query: Mapping[str, str]) -> dict[str, str]:
    return {}


def _text(name: str, limit: int) -> Callable[[Body, Mapping[str, str]], dict[str, str]]:
    def check(body: Body, query: Mapping[str, str]) -> dict[str, str]:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            return {name: f"{name.capitalize()} can not be empty."}
        if len(value) > limit:
            return {name: f"{name.capitalize()} can not be longer than {limit} characters."}
        return {}

    return check


def _end_time(body: Body, query: Mapping[str, str]) -> dict[str, str]:
    if parse_time(body.get("endTime")) is None:
        return {"endTime": "endTime should be an ISO 8601 date and time."}
    return {}


def _recipient(name: str, keys: tuple[str, ...]) -> Callable[[Body, Mapping[str, str]], Any]:
    def check(body: Body, query: Mapping[str, str]) -> dict[str, str]:
        value = body.get(name)
        if not isinstance(value, dict) or not named_by(value, keys):
            return {name: f"{name.capitalize()} should have one of: {', '.join(keys)}."}
        if name == "responder" and value.get("type") not in RESPONDER_TYPES:
            return {"responder#type": f"Invalid recipient type '{value.get('type')}'"}
        return {}

    return check


def named_by(value: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    """Whether a recipient names itself by one of `keys`, each one it gives being a string
    (a name that is a list or an object is no name: refused as it arrives, never processed)."""
    given = [value[k] for k in keys if value.get(k) is not None]
    return bool(given) and all(isinstance(v, str) for v in given)


def _tags(body: Body, query: Mapping[str, str]) -> dict[str, str]:
    tags = body.get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
        return {"tags": "Tags should be a non-empty list of strings."}
    if any(len(t) > TAG_LIMIT for t in tags):
        return {"tags": f"A tag can not be longer than {TAG_LIMIT} characters."}
    return {}


def _details(body: Body, query: Mapping[str, str]) -> dict[str, str]:
    details = body.get("details")
    if not isinstance(details, dict) or not details:
        return {"details": "Details should be a non-empty map of strings."}
    if not all(isinstance(v, str) for v in details.values()):
        return {"details": "Details values should be strings."}
    return {}


def _priority(body: Body, query: Mapping[str, str]) -> dict[str, str]:
    if body.get("priority") not in PRIORITIES:
        return {"priority": f"Priority should be one of {list(PRIORITIES)}"}
    return {}


def _description(body: Body, query: Mapping[str, str]) -> dict[str, str]:
    value = body.get("description")
    if not isinstance(value, str) or len(value) > DESCRIPTION_LIMIT:
        return {"description": f"Description should be at most {DESCRIPTION_LIMIT} characters."}
    return {}


def _listed(name: str) -> Callable[[Body, Mapping[str, str]], dict[str, str]]:
    def check(body: Body, query: Mapping[str, str]) -> dict[str, str]:
        return {} if csv(query.get(name)) else {name: f"{name.capitalize()} can not be empty."}

    return check


def csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_time(value: Any) -> float | None:
    """Unix seconds of an ISO 8601 time (`Z`, an offset, or none: UTC), else None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A time without an offset is read as UTC (the SDK sends a naive datetime so; that
    # Opsgenie reads it so is UNCONFIRMED).
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()


def by(body: Body, default: str) -> str:
    user = body.get("user")
    return user if isinstance(user, str) and user else default


def _since_created(alert: Alert, now: str) -> int:
    """Milliseconds from the alert's creation to `now`: Get Alert's `report.ackTime` and
    `closeTime` (the docs' sample: `"ackTime": 15702`, `"closeTime": 60503`)."""
    start, end = parse_time(alert["createdAt"]), parse_time(now)
    return max(int((end - start) * 1000), 0) if start is not None and end is not None else 0


def _acknowledge(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    alert["acknowledged"] = True
    alert["report"]["acknowledgedBy"] = by(body, "opwire")
    alert["report"]["ackTime"] = _since_created(alert, now)


def _unacknowledge(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    alert["acknowledged"] = False


def _close(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    alert["status"] = "closed"
    alert["report"]["closedBy"] = by(body, "opwire")
    alert["report"]["closeTime"] = _since_created(alert, now)


def _snooze(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> str | None:
    until, current = parse_time(body["endTime"]), parse_time(now)
    if until is None or current is None or until <= current:
        return "Snooze end time should be in the future"
    moment = datetime.fromtimestamp(until, UTC).isoformat(timespec="milliseconds")
    alert["snoozed"], alert["snoozedUntil"] = True, moment.replace("+00:00", "Z")
    return None


def _assign(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    owner = body["owner"]
    alert["owner"] = str(owner.get("username") or owner.get("id"))


def _add_responder(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    responder = resolved(body["responder"])
    if responder not in alert["responders"]:
        alert["responders"].append(responder)


def _add_tags(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> str | None:
    tags = alert["tags"] + [t for t in body["tags"] if t not in alert["tags"]]
    if len(tags) > TAGS_LIMIT:
        return f"An alert can have at most {TAGS_LIMIT} tags"
    alert["tags"] = tags
    return None


def _remove_tags(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    gone = set(csv(query.get("tags")))
    alert["tags"] = [t for t in alert["tags"] if t not in gone]


def _add_details(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    alert["details"].update(body["details"])


def _remove_details(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    for key in csv(query.get("keys")):
        alert["details"].pop(key, None)


def _set(name: str) -> Callable[[Alert, Body, Mapping[str, str], str], None]:
    """An update of one field to the body's value (priority, message, description)."""

    def apply(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
        alert[name] = body[name]

    return apply


def _add_team(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    responder = resolved({**body["team"], "type": "team"})
    if responder not in alert["responders"]:
        alert["responders"].append(responder)


def custom(name: str) -> Action:
    """A custom action (POST .../actions/{name}): it runs when the alert lists it in `actions`."""

    def apply(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> str | None:
        return None if name in alert["actions"] else f"Alert does not have action [{name}]"

    return Action(name, _nothing, apply, f"Executed action [{name}]", f"Action [{name}] executed")


def _keep(alert: Alert, body: Body, query: Mapping[str, str], now: str) -> None:
    """An action whose only trace is its log (and note): escalate, add note, delete."""


def resolved(responder: Mapping[str, Any]) -> dict[str, str]:
    """A stored responder carries an id, as Opsgenie's Get Alert answers (name -> stable id)."""
    import uuid

    given = str(responder.get("id") or responder.get("name") or responder.get("username"))
    ident = given if responder.get("id") else str(uuid.uuid5(uuid.NAMESPACE_URL, given))
    return {"type": str(responder.get("type")), "id": ident}


# (path after /v2/alerts/{identifier}, HTTP method) -> the action. The request-status names
# beyond "Create" and "Acknowledge" (the docs' samples) are UNCONFIRMED, as are the texts.
ACTIONS: dict[tuple[str, str], Action] = {
    ("acknowledge", "POST"): Action(
        "Acknowledge", _nothing, _acknowledge, "Acknowledged alert", "Alert acknowledged via API"
    ),
    ("unacknowledge", "POST"): Action(
        "UnAcknowledge", _nothing, _unacknowledge, "Unacknowledged alert", "Alert unacknowledged"
    ),
    ("close", "POST"): Action("Close", _nothing, _close, "Closed alert", "Alert closed via API"),
    ("snooze", "POST"): Action("Snooze", _end_time, _snooze, "Snoozed alert", "Alert snoozed"),
    ("escalate", "POST"): Action(
        "EscalateToNext",
        _recipient("escalation", ("id", "name")),
        _keep,
        "Escalated alert to next",
        "Alert escalated to next",
    ),
    ("assign", "POST"): Action(
        "Assign",
        _recipient("owner", ("id", "username")),
        _assign,
        "Assigned alert",
        "Alert owner changed",
    ),
    ("responders", "POST"): Action(
        "AddResponder",
        _recipient("responder", ("id", "name", "username")),
        _add_responder,
        "Added responder to alert",
        "Responder added",
    ),
    ("notes", "POST"): Action(
        "AddNote", _text("note", NOTE_LIMIT), _keep, "Added note to alert", "Note added"
    ),
    ("tags", "POST"): Action("AddTags", _tags, _add_tags, "Added tags to alert", "Tags added"),
    ("tags", "DELETE"): Action(
        "RemoveTags", _listed("tags"), _remove_tags, "Removed tags from alert", "Tags removed"
    ),
    ("details", "POST"): Action(
        "AddDetails", _details, _add_details, "Added details to alert", "Details added"
    ),
    ("details", "DELETE"): Action(
        "RemoveDetails",
        _listed("keys"),
        _remove_details,
        "Removed details from alert",
        "Details removed",
    ),
}
ACTIONS |= {
    ("priority", "PUT"): Action(
        "UpdatePriority", _priority, _set("priority"), "Updated priority", "Priority updated"
    ),
    ("message", "PUT"): Action(
        "UpdateMessage",
        _text("message", MESSAGE_LIMIT),
        _set("message"),
        "Updated message",
        "Message updated",
    ),
    ("description", "PUT"): Action(
        "UpdateDescription",
        _description,
        _set("description"),
        "Updated description",
        "Description updated",
    ),
    ("teams", "POST"): Action(
        "AddTeam", _recipient("team", ("id", "name")), _add_team, "Added team", "Team added"
    ),
}
DELETE = Action("Delete", _nothing, _keep, "Deleted alert", "Alert deleted")


def check(action: Action, body: Body, query: Mapping[str, str]) -> dict[str, str]:
    """What is wrong with an action's body (field -> reason), the note's length included."""
    errors = action.check(body, query)
    note = body.get("note", query.get("note"))
    if note is not None and (not isinstance(note, str) or len(note) > NOTE_LIMIT):
        errors["note"] = f"Note should be a string of at most {NOTE_LIMIT} characters."
    for name in ("user", "source"):
        if name in body and not isinstance(body[name], str):
            errors[name] = f"{name.capitalize()} should be a string."
    return errors
