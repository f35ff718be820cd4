"""Slack Web API: managing conversations — what an incident bot does to open a war room.

Pages followed (docs.slack.dev/reference/methods/<name>, and shared/specs/slack for each answer's
schema and error enum): conversations.create (`name`: lowercase letters, numbers, hyphens and
underscores, at most 80 characters; `name_taken`, `invalid_name_specials`,
`invalid_name_maxlength`, `invalid_name_required`), conversations.invite (`users`: a comma-
separated list; `already_in_channel`, `cant_invite_self`, `user_not_found`),
conversations.setTopic / setPurpose (`{ok, channel}`; at most 250 characters, `too_long`; a
`channel_topic` / `channel_purpose` message in the history), conversations.rename,
conversations.archive (`already_archived`, `not_in_channel`) / unarchive (`not_archived`; the
caller is added), conversations.leave
(`not_in_channel: true` on an ok answer when not in it), conversations.kick (`cant_kick_self`,
`not_in_channel`), conversations.open
(`users` or `channel`; `{ok, channel: {id}}`, the whole im with `return_im`; `already_open` and
`no_op` when it was open), users.conversations (the caller's conversations, objs_conversation
without `is_member` and `num_members`).

The mock's workspace has two people: the operator (in every channel it can see) and the bot
(in the channels it joined or was invited to), so inviting the operator is always
`already_in_channel`, and the operator can neither leave (`last_member`) nor be kicked
(`restricted_action`). UNCONFIRMED, chosen as most likely: a new channel's id is a `C…` id for
private channels too (as Slack has made them since 2021); the history's topic message reads
"set the channel topic: …".
"""

from __future__ import annotations

import re
from typing import Any

from starlette.routing import Route

from opwire.integrations.slack.mock_methods import (
    LIST_LIMIT_MAX,
    author,
    conversation,
    in_it,
    readable,
    types_of,
)
from opwire.integrations.slack.mock_state import BOT_USER, TEAM_ID, USERS, Channel
from opwire.integrations.slack.mock_web import (
    ApiError,
    Call,
    flag,
    limit,
    page,
    required,
    text,
    web_method,
)

NAME = re.compile(r"^[a-z0-9_-]+$")
NAME_MAX, ABOUT_MAX = 80, 250


def _name(call: Call) -> str:
    name = text(call.params, "name")
    if not name:
        raise ApiError("invalid_name_required")
    if len(name) > NAME_MAX:
        raise ApiError("invalid_name_maxlength")
    if not NAME.match(name):
        raise ApiError("invalid_name_specials")
    if any(c.name == name for c in call.state.channels.values()):
        raise ApiError("name_taken")
    return name


def create(call: Call) -> dict[str, Any]:
    name = _name(call)
    channel = call.state.channel(call.state.new_id("C"))
    channel.name, channel.private = name, flag(call.params, "is_private")
    channel.member = call.kind == "bot"  # its creator is in it; the bot only if it created it
    return {"channel": conversation(channel)}


def _managed(call: Call) -> Channel:
    """A channel the caller is in and may change (not archived, no direct message)."""
    channel = readable(call, required(call.params, "channel"))
    if channel.im_user:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.archived:
        raise ApiError("is_archived")
    if call.kind == "bot" and not channel.member:
        raise ApiError("not_in_channel")
    return channel


def invite(call: Call) -> dict[str, Any]:
    channel = _managed(call)
    users = [u.strip() for u in required(call.params, "users").split(",") if u.strip()]
    if not users:
        raise ApiError("no_user")
    me = author(call)["user"]
    if me in users:
        raise ApiError("cant_invite_self")
    if any(u not in USERS for u in users):
        raise ApiError("user_not_found")
    if all(u != BOT_USER or channel.member for u in users):
        raise ApiError("already_in_channel")
    channel.member = True
    return {"channel": conversation(channel)}


def _about(call: Call, which: str) -> dict[str, Any]:
    channel = _managed(call)
    value = text(call.params, which)
    if len(value) > ABOUT_MAX:
        raise ApiError("too_long")
    who = author(call)
    setattr(channel, which, (value, who["user"], int(call.now)))
    said = f"set the channel {which}: {value}" if value else f"cleared the channel {which}"
    message = {"type": "message", "subtype": f"channel_{which}", **who, "text": said,
               which: value, "ts": call.state.next_ts(call.now), "team": TEAM_ID}  # fmt: skip
    call.state.store(channel.id, message)
    return {"channel": conversation(channel)}


def set_topic(call: Call) -> dict[str, Any]:
    return _about(call, "topic")


def set_purpose(call: Call) -> dict[str, Any]:
    return _about(call, "purpose")


def rename(call: Call) -> dict[str, Any]:
    channel = _managed(call)
    channel.name = _name(call)
    return {"channel": conversation(channel)}


def archive(call: Call) -> dict[str, Any]:
    channel = readable(call, required(call.params, "channel"))
    if not in_it(call, channel):
        raise ApiError("not_in_channel")
    if channel.archived:
        raise ApiError("already_archived")
    if channel.im_user:
        raise ApiError("method_not_supported_for_channel_type")
    channel.archived = True
    return {}


def unarchive(call: Call) -> dict[str, Any]:
    """Not `not_in_channel` (its error table has none): "The calling user is added to the
    conversation" (docs.slack.dev/reference/methods/conversations.unarchive)."""
    channel = readable(call, required(call.params, "channel"))
    if not channel.archived:
        raise ApiError("not_archived")
    channel.archived = False
    channel.member = channel.member or call.kind == "bot"
    return {}


def leave(call: Call) -> dict[str, Any]:
    """The caller leaves; one that is not there is ok with `not_in_channel: true`. Only the bot
    can leave (the operator is in every channel it sees, as the mock's workspace has it)."""
    channel = readable(call, required(call.params, "channel"))
    if channel.im_user:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.archived:
        raise ApiError("is_archived")
    if call.kind != "bot":
        raise ApiError("last_member")
    if not channel.member:
        return {"not_in_channel": True}
    channel.member = False
    return {}


def kick(call: Call) -> dict[str, Any]:
    channel = _managed(call)
    user = required(call.params, "user")
    if user == author(call)["user"]:
        raise ApiError("cant_kick_self")
    if user not in USERS:
        raise ApiError("user_not_found")
    if user != BOT_USER or not channel.member:
        raise ApiError("not_in_channel" if user == BOT_USER else "restricted_action")
    channel.member = False
    return {}


def open_conversation(call: Call) -> dict[str, Any]:
    given, users = text(call.params, "channel"), text(call.params, "users")
    if given:
        channel = readable(call, given)
    elif not users:
        raise ApiError("users_list_not_supplied")
    else:
        wanted = [u.strip() for u in users.split(",") if u.strip()]
        if any(u not in USERS for u in wanted):
            raise ApiError("user_not_found")
        others = [u for u in wanted if u != author(call)["user"]]
        if len(others) != 1:
            raise ApiError(
                "not_enough_users" if not others else "method_not_supported_for_channel_type"
            )
        opened = any(c.im_user == others[0] for c in call.state.channels.values())
        channel = call.state.im_with(others[0])
        if not opened:
            return {"channel": _opened(call, channel)}
    return {"channel": _opened(call, channel), "no_op": True, "already_open": True}


def _opened(call: Call, channel: Channel) -> dict[str, Any]:
    return conversation(channel) if flag(call.params, "return_im") else {"id": channel.id}


def users_conversations(call: Call) -> dict[str, Any]:
    types, hide_archived = types_of(call), flag(call.params, "exclude_archived")
    size = limit(call.params, 100, LIST_LIMIT_MAX, refuse=True)
    bot = text(call.params, "user") == BOT_USER or (
        call.kind == "bot" and not call.params.get("user")
    )

    def mine(channel: Channel) -> bool:
        kind = (
            "im" if channel.im_user else "private_channel" if channel.private else "public_channel"
        )
        member = channel.member or not bot
        return kind in types and member and not (hide_archived and channel.archived)

    shown = [_without_membership(conversation(c)) for c in call.state.channels.values() if mine(c)]
    found, cursor = page(shown, call.params, size)
    return {"channels": found, "response_metadata": {"next_cursor": cursor}}


def _without_membership(shown: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in shown.items() if k not in ("is_member", "num_members")}


def routes() -> list[Route]:
    return [
        web_method("conversations.create", create),
        web_method("conversations.invite", invite),
        web_method("conversations.setTopic", set_topic),
        web_method("conversations.setPurpose", set_purpose),
        web_method("conversations.rename", rename),
        web_method("conversations.archive", archive),
        web_method("conversations.unarchive", unarchive),
        web_method("conversations.open", open_conversation),
        web_method("conversations.leave", leave),
        web_method("conversations.kick", kick),
        web_method("users.conversations", users_conversations),
    ]
