"""Opsgenie heartbeats, for the mock: what Create Heartbeat needs, and a heartbeat as read back.

Pages followed: docs.opsgenie.com/docs/heartbeat-api (Create, Get, List, Update (PATCH), Delete,
Enable, Disable, Ping: `GET /v2/heartbeats/{name}/ping` answers 202 "PONG - Heartbeat
received"), shared/specs/opsgenie/
swagger.json (CreateHeartbeatPayload: `name` <= 200, `interval` >= 1, `intervalUnit` in
minutes/hours/days, `enabled` required; `alertMessage` <= 130, `alertTags` <= 20 of <= 50,
`alertPriority` P1-P5; Heartbeat: name, description, interval, enabled, intervalUnit, expired,
lastPingTime; UpdateHeartbeatPayload: all optional; Update, Enable and Disable answer 200 with
a HeartbeatMeta `{name, enabled, expired}`, Delete 200 with a SuccessResponse).

The routes are here; mock.py holds the state (`heartbeats`, `strict_heartbeats`) and lists
them. A ping to a heartbeat nobody created makes it (the mock has no account to create it in)
unless `strict_heartbeats`, when it gets Opsgenie's 404, as Get Heartbeat always does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.opsgenie.mock_http import TEXTS as HTTP_TEXTS
from opwire.integrations.opsgenie.mock_http import answer, auth, body_of, unprocessable
from opwire.mock.app import mock_state
from opwire.mock.state import clock_of

UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
NAME_LIMIT, DESCRIPTION_LIMIT, MESSAGE_LIMIT, TAGS_LIMIT, TAG_LIMIT = 200, 10000, 130, 20, 50
# A heartbeat the mock makes on its first ping (see mock.py: unknown names are provisioned,
# unless `strict_heartbeats`): Opsgenie's own create defaults are UNCONFIRMED.
PINGED_INTO_BEING = {"interval": 10, "intervalUnit": "minutes", "enabled": True}
# Wording no page we could read records: UNCONFIRMED.
TEXTS = {
    "missing": "Heartbeat with name [{name}] does not exist",
    "exists": "Heartbeat with name [{name}] already exists",
}
OVERHEAD = 512  # a stored heartbeat beyond its body's bytes
OPTIONAL = ("description", "ownerTeam", "alertMessage", "alertTags", "alertPriority")
UPDATABLE = ("interval", "intervalUnit", "enabled", *OPTIONAL)


@dataclass(slots=True)
class Beat:
    fields: dict[str, Any]  # what was created, as Create Heartbeat takes it
    created: float  # unix seconds on the mock clock
    pinged: float | None = None


def create_errors(body: dict[str, Any]) -> dict[str, str]:
    """What is wrong with a Create Heartbeat body (field -> reason)."""
    errors = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_LIMIT:
        errors["name"] = f"Name should be a non-empty string of at most {NAME_LIMIT} characters."
    interval = body.get("interval")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        errors["interval"] = "Interval should be a positive integer."
    unit = body.get("intervalUnit")
    if not isinstance(unit, str) or unit not in UNITS:  # a list or an object is unhashable
        errors["intervalUnit"] = f"Interval unit should be one of {list(UNITS)}."
    if not isinstance(body.get("enabled"), bool):
        errors["enabled"] = "Enabled should be true or false."
    errors.update(_optional_errors(body))
    return errors


def _optional_errors(body: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if not _text(body.get("description", ""), DESCRIPTION_LIMIT):
        errors["description"] = f"Description can be at most {DESCRIPTION_LIMIT} characters."
    if not _text(body.get("alertMessage", ""), MESSAGE_LIMIT):
        errors["alertMessage"] = f"Alert message can be at most {MESSAGE_LIMIT} characters."
    tags = body.get("alertTags", [])
    if (
        not isinstance(tags, list)
        or len(tags) > TAGS_LIMIT
        or not all(_text(t, TAG_LIMIT) for t in tags)
    ):
        errors["alertTags"] = f"Alert tags are at most {TAGS_LIMIT} strings of {TAG_LIMIT}."
    if body.get("alertPriority", "P3") not in PRIORITIES:
        errors["alertPriority"] = f"Alert priority should be one of {list(PRIORITIES)}."
    if not isinstance(body.get("ownerTeam", {}), dict):
        errors["ownerTeam"] = "Owner team should be an object with an id or a name."
    return errors


def _text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and len(value) <= limit


def new_beat(body: dict[str, Any], now: float) -> Beat:
    fields = {
        "name": body["name"],
        "interval": body["interval"],
        "intervalUnit": body["intervalUnit"],
        "enabled": body["enabled"],
    }
    fields |= {key: body[key] for key in OPTIONAL if key in body}
    fields.setdefault("description", "")
    fields.setdefault("alertMessage", f"{body['name']} is expired")
    fields.setdefault("alertPriority", "P3")  # the spec: "default priority is P3"
    return Beat(fields, now)


def pinged_into_being(name: str, now: float) -> Beat:
    return new_beat({"name": name, **PINGED_INTO_BEING}, now)


def expired(beat: Beat, now: float) -> bool:
    """Enabled, and no ping within its interval (since its last ping, else since created)."""
    fields = beat.fields
    window = fields["interval"] * UNITS[fields["intervalUnit"]]
    since = beat.pinged if beat.pinged is not None else beat.created
    return bool(fields["enabled"]) and now - since > window


def view(beat: Beat, now: float) -> dict[str, Any]:
    """The heartbeat as Get Heartbeat answers it."""
    shown = {**beat.fields, "expired": expired(beat, now)}
    if beat.pinged is not None:
        moment = datetime.fromtimestamp(beat.pinged, UTC)
        shown["lastPingTime"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return shown


# --- routes -------------------------------------------------------------------------------
# Opsgenie's heartbeat management wants a key with configuration access; the mock models key
# rights for alert writes only, so any valid key may manage heartbeats here (UNCONFIRMED).


def _heartbeat_missing(name: str) -> Response:
    return answer(404, {"message": TEXTS["missing"].format(name=name)})


async def create_heartbeat(request: Request) -> Response:
    if denied := auth(request, write=False):
        return denied
    body, _ = await body_of(request)
    if body is None:
        return answer(400, {"message": HTTP_TEXTS["bad_json"]})
    if errors := create_errors(body):
        return unprocessable(errors)
    state, now = mock_state(request).vendor, clock_of(request).now()
    if body["name"] in state.heartbeats:
        # docs.opsgenie.com/docs/response: 409 "ID or name conflicts with another entity"
        return answer(409, {"message": TEXTS["exists"].format(name=body["name"])})
    beat = new_beat(body, now)
    state.heartbeats.put(body["name"], beat, len(str(body)) + OVERHEAD)
    return answer(201, {"result": "Created", "data": view(beat, now)})


async def list_heartbeats(request: Request) -> Response:
    if denied := auth(request, write=False):
        return denied
    state, now = mock_state(request).vendor, clock_of(request).now()
    shown = [view(beat, now) for beat in state.heartbeats.values()]
    return answer(200, {"data": {"heartbeats": shown}})


async def get_heartbeat(request: Request) -> Response:
    if denied := auth(request, write=False):
        return denied
    name, now = request.path_params["name"], clock_of(request).now()
    beat = mock_state(request).vendor.heartbeats.get(name)
    return _heartbeat_missing(name) if beat is None else answer(200, {"data": view(beat, now)})


async def heartbeat_ping(request: Request) -> Response:
    if denied := auth(request, write=False):
        return denied
    state, name, now = (
        mock_state(request).vendor,
        request.path_params["name"],
        clock_of(request).now(),
    )
    beat = state.heartbeats.get(name)
    if beat is None and state.strict_heartbeats:
        return _heartbeat_missing(name)
    if beat is None:
        beat = pinged_into_being(name, now)
        state.heartbeats.put(name, beat, len(name) + OVERHEAD)
    beat.pinged = now
    return answer(202, {"result": "PONG - Heartbeat received"})


def update_errors(body: dict[str, Any]) -> dict[str, str]:
    """What is wrong with an Update Heartbeat body: Create's rules, each field optional."""
    merged = {"name": "n", "interval": 1, "intervalUnit": "minutes", "enabled": True, **body}
    errors = create_errors(merged)
    errors.pop("name", None)  # the path names the heartbeat; a body's `name` is not a rename
    return errors


def meta(name: str, beat: Beat, now: float) -> dict[str, Any]:
    """HeartbeatMeta, as Update, Enable and Disable answer it."""
    return {"name": name, "enabled": bool(beat.fields["enabled"]), "expired": expired(beat, now)}


def _named(request: Request) -> tuple[str, Beat] | Response:
    if denied := auth(request, write=False):
        return denied
    name = request.path_params["name"]
    beat = mock_state(request).vendor.heartbeats.get(name)
    return _heartbeat_missing(name) if beat is None else (name, beat)


async def update_heartbeat(request: Request) -> Response:
    """PATCH /v2/heartbeats/{name}: the fields given change, the others stay."""
    found = _named(request)
    if isinstance(found, Response):
        return found
    body, _ = await body_of(request)
    if body is None:
        return answer(400, {"message": HTTP_TEXTS["bad_json"]})
    if errors := update_errors(body):
        return unprocessable(errors)
    name, beat = found
    beat.fields |= {k: v for k, v in body.items() if k in UPDATABLE}
    # re-weighed: a PATCH that enlarges a heartbeat counts against the store's bound
    mock_state(request).vendor.heartbeats.put(name, beat, len(str(beat.fields)) + OVERHEAD)
    return answer(200, {"result": "Updated", "data": meta(name, beat, clock_of(request).now())})


async def switch_heartbeat(request: Request) -> Response:
    """POST /v2/heartbeats/{name}/enable and /disable."""
    found = _named(request)
    if isinstance(found, Response):
        return found
    name, beat = found
    on = request.url.path.endswith("/enable")
    beat.fields["enabled"] = on
    now = clock_of(request).now()
    result = "Enabled" if on else "Disabled"
    return answer(200, {"result": result, "data": meta(name, beat, now)})


async def delete_heartbeat(request: Request) -> Response:
    found = _named(request)
    if isinstance(found, Response):
        return found
    del mock_state(request).vendor.heartbeats[found[0]]
    return answer(200, {"result": "Deleted"})
