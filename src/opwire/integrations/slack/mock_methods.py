"""The Slack Web API methods the mock serves, each a small `Call -> success body` function.

Pages followed (docs.slack.dev/reference/methods/<name>, and shared/specs/slack for each answer's
schema and error enum): chat.postMessage (channel by ID or name; `thread_ts` makes a reply,
`reply_broadcast` also shows it in the channel; answers `{ok, channel, ts, message}`),
chat.update (`{ok, channel, ts, text, message}`), conversations.history (parents only, newest
first), conversations.replies (the parent, then its replies, oldest first), conversations.info,
conversations.list (`types`, default public_channel; `exclude_archived`; `limit` at most 1000;
cursor pages), auth.test, api.test (echoes its arguments as `args`; `error=` makes it
fail with that error, `args` included).

Leaving out conversations.history's, .replies' or .info's `channel` (or .replies' `ts`) is
`invalid_arguments`, the field named in `response_metadata.messages` (node-slack-sdk#1415).

chat.postMessage and chat.update take `metadata` (docs.slack.dev/messaging/message-metadata:
`event_type`, `event_payload`); conversations.history shows it with `include_all_metadata`.

UNCONFIRMED, chosen as most likely: without `include_all_metadata` the history shows no
metadata at all; a `thread_ts` that is no message of the channel is
`thread_not_found` (malformed: `invalid_thread_ts`); text past 40,000 characters is
`msg_too_long`; conversations.replies on a reply's ts answers that reply alone.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.routing import Route

from opwire.integrations.slack.mock_blocks import check_blocks
from opwire.integrations.slack.mock_state import (
    APP_ID,
    BOT_ICON,
    BOT_ID,
    BOT_USER,
    CREATED,
    HUMAN_USER,
    TEAM_ID,
    TEAM_NAME,
    USERS,
    WORKSPACE_URL,
    Channel,
    in_history,
    is_reply,
    replies_to,
    with_thread,
)
from opwire.integrations.slack.mock_web import (
    ApiError,
    Call,
    flag,
    json_array,
    limit,
    page,
    ratelimited,
    required,
    text,
    ts_page,
    ts_window,
    web_method,
)

TS = re.compile(r"^\d{10}\.\d{6}$")
TEXT_MAX = 40_000
ATTACHMENTS_MAX = 100
HISTORY_LIMIT_MAX = 999
LIST_LIMIT_MAX = 1000
CHANNEL_TYPES = {"public_channel", "private_channel", "mpim", "im"}


def numbered(attachments: list[Any]) -> list[dict[str, Any]]:
    """Stored attachments, numbered from 1 as Slack numbers them (objs_message requires `id`)."""
    return [{**a, "id": n} for n, a in enumerate(attachments, 1) if isinstance(a, dict)]


def author(call: Call) -> dict[str, str]:
    """Who a message of this call is from: the bot (and its bot_id), or the token's user."""
    return {"user": BOT_USER, "bot_id": BOT_ID} if call.kind == "bot" else {"user": HUMAN_USER}


def bot_profile(call: Call) -> dict[str, Any]:
    """A bot's message carries its bot_profile (objs_bot_profile); a person's does not."""
    if call.kind != "bot":
        return {}
    icons = {f"image_{n}": BOT_ICON.format(size=n) for n in (36, 48, 72)}
    profile = {"id": BOT_ID, "deleted": False, "name": "opwire-bot", "updated": CREATED,
               "app_id": APP_ID, "icons": icons, "team_id": TEAM_ID}  # fmt: skip
    return {"bot_profile": profile}


def in_it(call: Call, channel: Channel) -> bool:
    """Whether the caller is in the channel: the bot where it joined (`member`), the operator
    (a person's token) in every channel of the mock's workspace."""
    return channel.member or call.kind == "user"


def readable(call: Call, given: str) -> Channel:
    channel = call.state.channels.get(given)
    if channel is None or (channel.private and not in_it(call, channel)):
        raise ApiError("channel_not_found")
    return channel


def content(call: Call) -> dict[str, Any]:
    """The text, blocks and attachments of a post or an update, or Slack's error for them."""
    # markdown_text stands in for text (slack_sdk 3.3x sends either).
    body = text(call.params, "text") or text(call.params, "markdown_text")
    blocks = json_array(call.params, "blocks")
    if blocks:
        check_blocks(blocks)
    attachments = json_array(call.params, "attachments")
    if not (body or blocks or attachments):
        raise ApiError("no_text")
    if len(body) > TEXT_MAX:
        raise ApiError("msg_too_long")
    if attachments and len(attachments) > ATTACHMENTS_MAX:
        raise ApiError("too_many_attachments")
    if attachments and not all(isinstance(a, dict) for a in attachments):
        raise ApiError("invalid_attachments")
    content: dict[str, Any] = {"text": body}
    if blocks:
        content["blocks"] = blocks
    if attachments:
        content["attachments"] = numbered(attachments)
    metadata = _metadata(call)
    if metadata:
        content["metadata"] = metadata
    return content


def _metadata(call: Call) -> dict[str, Any] | None:
    """`metadata` (an object, or one "presented as a URL-encoded string"): its `event_type`
    (text) and `event_payload` (an object), or `invalid_metadata_format`."""
    given = call.params.get("metadata")
    if given is None or given == "":
        return None
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except ValueError:
            raise ApiError("invalid_metadata_format") from None
    if not isinstance(given, dict):
        raise ApiError("invalid_metadata_format")
    kind, payload = given.get("event_type"), given.get("event_payload", {})
    if not isinstance(kind, str) or not kind or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_format")
    return {"event_type": kind, "event_payload": payload}


def _without_metadata(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "metadata"}


def postable(call: Call) -> Channel:
    given = text(call.params, "channel")
    # A user's id posts into the app's direct message with that user (chat.postMessage).
    channel = call.state.im_with(given) if given in USERS else call.state.find_channel(given)
    if channel is None or (channel.private and not in_it(call, channel)):
        raise ApiError("channel_not_found")
    if channel.archived:
        raise ApiError("is_archived")
    if not in_it(call, channel):
        raise ApiError("not_in_channel")
    return channel


def thread_fields(call: Call, channel: Channel) -> dict[str, Any]:
    """The reply fields of a post with `thread_ts`, pointed at the thread's parent."""
    given = text(call.params, "thread_ts")
    if not given:
        return {}
    if not TS.match(given):
        raise ApiError("invalid_thread_ts")
    parent = call.state.message(channel.id, given)
    if parent is None:
        raise ApiError("thread_not_found")
    root = call.state.message(channel.id, parent["thread_ts"]) if is_reply(parent) else parent
    root = root or parent
    fields: dict[str, Any] = {"thread_ts": root["ts"]}
    if root.get("user"):
        fields["parent_user_id"] = root["user"]
    if flag(call.params, "reply_broadcast"):
        fields["subtype"] = "thread_broadcast"
    return fields


def post_message(call: Call) -> dict[str, Any]:
    channel = postable(call)
    body, thread = content(call), thread_fields(call, channel)
    # chat.postMessage: about one message per second per channel, short bursts allowed.
    if not call.state.take_token(channel.bucket, call.monotonic):
        raise ratelimited(call.state.wait_s(channel.bucket))
    ts = call.state.next_ts(call.now)
    who = {**author(call), **bot_profile(call)}
    message = {"type": "message", **who, **body, "ts": ts, "team": TEAM_ID, **thread}
    call.state.store(channel.id, message)
    return {"channel": channel.id, "ts": ts, "message": message}


def update(call: Call) -> dict[str, Any]:
    channel = readable(call, text(call.params, "channel"))
    message = call.state.message(channel.id, text(call.params, "ts"))
    if message is None:
        raise ApiError("message_not_found")
    if message.get("user") != author(call)["user"]:
        raise ApiError("cant_update_message")
    changed = content(call)
    for key in ("blocks", "attachments"):
        message.pop(key, None)
    message.update(changed, edited={"user": message["user"], "ts": call.state.next_ts(call.now)})
    call.state.store(channel.id, message)  # weighed again: an update may make it far larger
    shown = {k: v for k, v in message.items() if k in ("text", "user", "bot_id", *changed)}
    return {"channel": channel.id, "ts": message["ts"], "text": message["text"], "message": shown}


def member_channel(call: Call) -> Channel:
    channel = readable(call, required(call.params, "channel"))
    if not in_it(call, channel):
        raise ApiError("not_in_channel")
    return channel


def history(call: Call) -> dict[str, Any]:
    channel = member_channel(call)
    within = ts_window(call.params, call.now)
    held = call.state.in_channel(channel.id)
    hits = [with_thread(m, held) for m in reversed(held) if in_history(m) and within(m)]
    if not flag(call.params, "include_all_metadata"):
        hits = [_without_metadata(m) for m in hits]
    size = limit(call.params, 100, HISTORY_LIMIT_MAX)
    found, cursor = ts_page(hits, call.params, size, newest_first=True)
    return {
        "messages": found,
        "has_more": bool(cursor),
        "pin_count": sum(1 for key in call.state.pins if key.startswith(f"{channel.id}/")),
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


def replies(call: Call) -> dict[str, Any]:
    channel = member_channel(call)
    held = call.state.in_channel(channel.id)
    parent = call.state.message(channel.id, required(call.params, "ts"))
    if parent is None:
        raise ApiError("thread_not_found")
    thread = [parent] if is_reply(parent) else [parent, *replies_to(held, parent["ts"])]
    within = ts_window(call.params, call.now)
    hits = [with_thread(m, held) for m in thread if within(m)]
    found, cursor = ts_page(hits, call.params, limit(call.params, 1000, LIST_LIMIT_MAX), False)
    return {
        "messages": found,
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


def conversation(channel: Channel, num_members: bool = False) -> dict[str, Any]:
    """A channel as objs_conversation shows it (its first, channel-like, form; a direct message
    in its third, im, form)."""
    if channel.im_user:
        return {"id": channel.id, "created": CREATED, "is_im": True, "is_org_shared": False,
                "user": channel.im_user, "is_user_deleted": False, "priority": 0}  # fmt: skip
    shown: dict[str, Any] = {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "created": CREATED,
        "creator": HUMAN_USER,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.private,
        "is_archived": channel.archived,
        "is_general": False,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "is_pending_ext_shared": False,
        "is_member": channel.member,
        "unlinked": 0,
        "topic": _about(channel.topic),
        "purpose": _about(channel.purpose),
        "previous_names": [],
        "pending_shared": [],
    }
    if num_members:
        shown["num_members"] = 2 if channel.member else 1
    return shown


def _about(value: tuple[str, str, int]) -> dict[str, Any]:
    return {"value": value[0], "creator": value[1], "last_set": value[2]}


def info(call: Call) -> dict[str, Any]:
    channel = readable(call, required(call.params, "channel"))
    return {"channel": seen_by(call, channel, flag(call.params, "include_num_members"))}


def seen_by(call: Call, channel: Channel, num_members: bool = False) -> dict[str, Any]:
    """The channel as the caller sees it (its `is_member` is the caller's)."""
    shown = conversation(channel, num_members)
    if "is_member" in shown:
        shown["is_member"] = in_it(call, channel)
    return shown


def types_of(call: Call) -> set[str]:
    given = {t.strip() for t in (text(call.params, "types") or "public_channel").split(",")}
    if not given <= CHANNEL_TYPES:
        raise ApiError("invalid_types")
    return given


def list_conversations(call: Call) -> dict[str, Any]:
    types, hide_archived = types_of(call), flag(call.params, "exclude_archived")
    size = limit(call.params, 100, LIST_LIMIT_MAX, refuse=True)

    def listed(channel: Channel) -> bool:
        kind = "private_channel" if channel.private else "public_channel"
        kind = "im" if channel.im_user else kind
        visible = in_it(call, channel) or not channel.private
        return kind in types and visible and not (hide_archived and channel.archived)

    shown = [seen_by(call, c) for c in call.state.channels.values() if listed(c)]
    found, cursor = page(shown, call.params, size)
    return {"channels": found, "response_metadata": {"next_cursor": cursor}}


def auth_test(call: Call) -> dict[str, Any]:
    who = {"user_id": BOT_USER, "bot_id": BOT_ID} if call.kind == "bot" else {"user_id": HUMAN_USER}
    return {
        "url": WORKSPACE_URL,
        "team": TEAM_NAME,
        "user": USERS[who["user_id"]].name,
        "team_id": TEAM_ID,
        **who,
        "is_enterprise_install": False,
    }


def api_test(call: Call) -> dict[str, Any]:
    """Echoes its arguments; `error=` makes it fail with that error (the args echoed too)."""
    args = {"args": call.params} if call.params else {}
    failure = text(call.params, "error")
    if failure:
        raise ApiError(failure, extra=args)
    return args


def routes() -> list[Route]:
    return [
        web_method("chat.postMessage", post_message),
        web_method("chat.update", update),
        web_method("conversations.history", history),
        web_method("conversations.replies", replies),
        web_method("conversations.info", info),
        web_method("conversations.list", list_conversations),
        web_method("auth.test", auth_test),
        web_method("api.test", api_test, kinds=None),
    ]
