"""Slack Web API: the chat methods besides posting and updating — delete, ephemeral messages,
permalinks, and scheduled messages.

Pages followed (docs.slack.dev/reference/methods/<name>, and shared/specs/slack for each answer's
schema and error enum): chat.delete (`{ok, channel, ts}`; only the author's messages,
`cant_delete_message`), chat.postEphemeral (`{ok, message_ts}`; `user_not_in_channel`; never in
the history), chat.getPermalink (`{ok, channel, permalink}`), chat.scheduleMessage (`{ok, channel,
scheduled_message_id, post_at, message}`; `invalid_time`, `time_in_past`, `time_too_far` past
120 days), chat.deleteScheduledMessage (`invalid_scheduled_message_id`),
chat.scheduledMessages.list (`{id, channel_id, post_at, date_created, text}`, cursor pages).

UNCONFIRMED, chosen as most likely: a deleted thread parent that still has replies stays as
Slack's tombstone ("This message was deleted.", subtype `tombstone`); a scheduled message is
posted when the mock's clock reaches `post_at` (at the next request that reads or writes).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from opwire.integrations.slack.mock_methods import (
    author,
    bot_profile,
    content,
    postable,
    readable,
    thread_fields,
)
from opwire.integrations.slack.mock_state import (
    SLACKBOT,
    TEAM_ID,
    USERS,
    WORKSPACE_URL,
    Scheduled,
    replies_to,
    weigh,
)
from opwire.integrations.slack.mock_web import (
    ApiError,
    Call,
    limit,
    page,
    required,
    text,
    ts_window,
    web_method,
)

SCHEDULE_MAX_S = 120 * 86_400  # "up to 120 days in the future"
SCHEDULED_LIMIT_MAX = 100
TOMBSTONE = {"subtype": "tombstone", "text": "This message was deleted.", "user": "USLACKBOT"}


def _message(call: Call, channel_id: str, ts_name: str) -> dict[str, Any]:
    message = call.state.message(channel_id, text(call.params, ts_name))
    if message is None:
        raise ApiError("message_not_found")
    return message


def delete(call: Call) -> dict[str, Any]:
    channel = readable(call, text(call.params, "channel"))
    message = _message(call, channel.id, "ts")
    if message.get("user") != author(call)["user"]:
        raise ApiError("cant_delete_message")
    if replies_to(call.state.in_channel(channel.id), message["ts"]):
        for key in ("blocks", "attachments", "bot_id", "edited", "reactions", "files"):
            message.pop(key, None)
        message.update(TOMBSTONE, hidden=True)
    else:
        call.state.delete(channel.id, message["ts"])
    return {"channel": channel.id, "ts": message["ts"]}


def post_ephemeral(call: Call) -> dict[str, Any]:
    channel = postable(call)
    content(call)
    thread_fields(call, channel)
    if text(call.params, "user") not in USERS or text(call.params, "user") == SLACKBOT:
        raise ApiError("user_not_in_channel")
    return {"message_ts": call.state.next_ts(call.now)}


def permalink(call: Call) -> dict[str, Any]:
    channel = readable(call, required(call.params, "channel"))
    message = _message(call, channel.id, "message_ts")
    link = f"{WORKSPACE_URL}archives/{channel.id}/p{message['ts'].replace('.', '')}"
    thread = message.get("thread_ts")
    if thread and thread != message["ts"]:
        link += f"?thread_ts={thread}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


def _post_at(call: Call) -> int:
    given = required(call.params, "post_at")
    try:
        post_at = int(float(given))
    except (ValueError, OverflowError):
        raise ApiError("invalid_time") from None
    if post_at <= call.now:
        raise ApiError("time_in_past")
    if post_at > call.now + SCHEDULE_MAX_S:
        raise ApiError("time_too_far")
    return post_at


def schedule(call: Call) -> dict[str, Any]:
    channel = postable(call)
    body, thread, post_at = content(call), thread_fields(call, channel), _post_at(call)
    who = author(call)
    message = {"type": "message", **who, **bot_profile(call), **body, "team": TEAM_ID, **thread}
    scheduled = Scheduled(call.state.new_id("Q"), channel.id, post_at, int(call.now), message)
    call.state.scheduled.put(scheduled.id, scheduled, weigh(message))
    # The answer's message is the delayed one, in the spec's few fields.
    shown = {"type": "delayed_message", "text": body["text"], **who, "team": TEAM_ID}
    return {
        "channel": channel.id,
        "scheduled_message_id": scheduled.id,
        "post_at": post_at,
        "message": shown,
    }


def delete_scheduled(call: Call) -> dict[str, Any]:
    channel = readable(call, required(call.params, "channel"))
    scheduled = call.state.scheduled.get(required(call.params, "scheduled_message_id"))
    if scheduled is None or scheduled.channel != channel.id:
        raise ApiError("invalid_scheduled_message_id")
    del call.state.scheduled[scheduled.id]
    return {}


def scheduled_list(call: Call) -> dict[str, Any]:
    wanted = text(call.params, "channel")
    if wanted and wanted not in call.state.channels:
        raise ApiError("invalid_channel")
    within = ts_window(call.params, call.now + SCHEDULE_MAX_S)
    pending = sorted(call.state.scheduled.values(), key=lambda s: (s.post_at, s.id))
    shown = [
        {
            "id": s.id,
            "channel_id": s.channel,
            "post_at": s.post_at,
            "date_created": s.created,
            "text": s.message.get("text", ""),
        }
        for s in pending
        if wanted in ("", s.channel) and within({"ts": s.post_at})
    ]
    found, cursor = page(shown, call.params, limit(call.params, 100, SCHEDULED_LIMIT_MAX))
    return {"scheduled_messages": found, "response_metadata": {"next_cursor": cursor}}


def routes() -> list[Route]:
    return [
        web_method("chat.delete", delete),
        web_method("chat.postEphemeral", post_ephemeral),
        web_method("chat.getPermalink", permalink),
        web_method("chat.scheduleMessage", schedule),
        web_method("chat.deleteScheduledMessage", delete_scheduled),
        web_method("chat.scheduledMessages.list", scheduled_list),
    ]
