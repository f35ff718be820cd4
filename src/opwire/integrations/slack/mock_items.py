"""Slack Web API: reactions and pins on messages.

Pages followed (docs.slack.dev/reference/methods/<name>, and shared/specs/slack for each answer's
schema and error enum): reactions.add (`already_reacted`, `invalid_name`, `bad_timestamp`,
`message_not_found`, `no_item_specified`), reactions.get (`{ok, type: "message", channel,
message}`, the message with `reactions: [{name, users, count}]`, objs_reaction), reactions.remove
(`no_reaction`), pins.add (`already_pinned`), pins.list (`items: [{type: "message", channel,
created, created_by, message}]`, newest first), pins.remove (`not_pinned`). A pinned message
carries `pinned_to`; conversations.history counts the channel's pins in `pin_count`.

UNCONFIRMED, chosen as most likely: an emoji name given with its colons (`:eyes:`) is taken
as the name without them.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Route

from opwire.integrations.slack.mock_methods import TS, author, readable
from opwire.integrations.slack.mock_state import WORKSPACE_URL, with_thread
from opwire.integrations.slack.mock_web import ApiError, Call, text, web_method

EMOJI = re.compile(r"^[a-z0-9_+'-]+(::skin-tone-[2-6])?$")


def _target(call: Call) -> tuple[str, dict[str, Any]]:
    """The channel and message a reaction or pin names (`channel` and `timestamp`)."""
    given = text(call.params, "timestamp")
    if not given or not text(call.params, "channel"):
        raise ApiError("no_item_specified")
    channel = readable(call, text(call.params, "channel"))
    if not TS.match(given):
        raise ApiError("bad_timestamp")
    message = call.state.message(channel.id, given)
    if message is None:
        raise ApiError("message_not_found")
    return channel.id, message


def _name(call: Call) -> str:
    name = text(call.params, "name").strip(":")
    if not EMOJI.match(name):
        raise ApiError("invalid_name")
    return name


def add_reaction(call: Call) -> dict[str, Any]:
    name = _name(call)
    channel_id, message = _target(call)
    user = author(call)["user"]
    reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
    found = next((r for r in reactions if r["name"] == name), None)
    if found is None:
        reactions.append({"name": name, "users": [user], "count": 1})
    elif user in found["users"]:
        raise ApiError("already_reacted")
    else:
        found["users"].append(user)
        found["count"] = len(found["users"])
    call.state.store(channel_id, message)  # weighed again with its reactions
    return {}


def remove_reaction(call: Call) -> dict[str, Any]:
    name = _name(call)
    _, message = _target(call)
    user = author(call)["user"]
    reactions: list[dict[str, Any]] = message.get("reactions", [])
    found = next((r for r in reactions if r["name"] == name and user in r["users"]), None)
    if found is None:
        raise ApiError("no_reaction")
    found["users"].remove(user)
    found["count"] = len(found["users"])
    message["reactions"] = [r for r in reactions if r["count"]]
    if not message["reactions"]:
        del message["reactions"]
    return {}


def _shown(call: Call, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
    shown = with_thread(message, call.state.in_channel(channel_id))
    link = f"{WORKSPACE_URL}archives/{channel_id}/p{message['ts'].replace('.', '')}"
    return {**shown, "permalink": link}


def get_reactions(call: Call) -> dict[str, Any]:
    channel_id, message = _target(call)
    return {"type": "message", "channel": channel_id, "message": _shown(call, channel_id, message)}


def add_pin(call: Call) -> dict[str, Any]:
    channel_id, message = _target(call)
    key = f"{channel_id}/{message['ts']}"
    if key in call.state.pins:
        raise ApiError("already_pinned")
    call.state.pins[key] = (int(call.now), author(call)["user"])
    message["pinned_to"] = [channel_id]
    return {}


def remove_pin(call: Call) -> dict[str, Any]:
    channel_id, message = _target(call)
    key = f"{channel_id}/{message['ts']}"
    if key not in call.state.pins:
        raise ApiError("not_pinned")
    del call.state.pins[key]
    message.pop("pinned_to", None)
    return {}


def list_pins(call: Call) -> dict[str, Any]:
    channel = readable(call, text(call.params, "channel"))
    items = []
    for key, (created, by) in reversed(list(call.state.pins.items())):
        cid, ts = key.split("/", 1)
        message = call.state.message(cid, ts) if cid == channel.id else None
        if message is not None:
            shown = _shown(call, cid, message)
            items.append(
                {"type": "message", "channel": cid, "created": created, "created_by": by,
                 "message": shown}
            )  # fmt: skip
    return {"items": items}


def routes() -> list[Route]:
    return [
        web_method("reactions.add", add_reaction),
        web_method("reactions.get", get_reactions),
        web_method("reactions.remove", remove_reaction),
        web_method("pins.add", add_pin),
        web_method("pins.list", list_pins),
        web_method("pins.remove", remove_pin),
    ]
