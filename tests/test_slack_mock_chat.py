"""The official slack_sdk WebClient against the Slack mock: chat.* (post, update, delete,
ephemeral, permalink, scheduled), reactions, pins, Block Kit and message metadata.

Split from test_slack_mock_sdk.py (its helpers are imported from there)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_slack_mock_sdk import (
    BOT_TOKEN,
    CHANNEL,
    USER_TOKEN,
    _mock_now,
    api_error,
    web,
)

from conftest import Mock, serve


@pytest.fixture(scope="module")
def _one_mock() -> Iterator[Mock]:
    yield from serve("slack")


@pytest.fixture
def slack_mock(_one_mock: Mock) -> Mock:
    """One mock for the module, reset to a clean start before each test."""
    _one_mock.control("POST", "reset")
    return _one_mock


def test_post_message_by_id_and_by_name_reads_back(slack_mock: Mock) -> None:
    """chat.postMessage: channel "an encoded ID or channel name"; answers {ok, channel, ts,
    message}, the message as history shows it."""
    client = web(slack_mock)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*deploy*"}}]
    sent = client.chat_postMessage(channel=CHANNEL, text="deploy done", blocks=blocks)
    by_name = client.chat_postMessage(channel="#opwire-alerts", text="second")
    assert sent["ok"] is True and sent["channel"] == by_name["channel"] == CHANNEL
    assert sent["message"]["text"] == "deploy done" and sent["message"]["blocks"] == blocks
    assert sent["message"]["bot_id"] == "B0OPWIRE0" and sent["message"]["ts"] == sent["ts"]
    history = client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["ts"] for m in history] == [by_name["ts"], sent["ts"]]
    assert history[1] == sent["message"]


def test_chat_update_changes_the_message(slack_mock: Mock) -> None:
    """chat.update answers {ok, channel, ts, text, message}; only the author may update
    (cant_update_message); an unknown ts is message_not_found."""
    client = web(slack_mock)
    sent = client.chat_postMessage(channel=CHANNEL, text="firing")
    updated = client.chat_update(channel=CHANNEL, ts=sent["ts"], text="resolved")
    assert (updated["channel"], updated["ts"], updated["text"]) == (CHANNEL, sent["ts"], "resolved")
    assert updated["message"]["text"] == "resolved"
    (shown,) = client.conversations_history(channel=CHANNEL)["messages"]
    assert shown["text"] == "resolved" and shown["edited"]["user"] == "U0OPWIRE0"
    other = api_error(
        lambda: web(slack_mock, USER_TOKEN).chat_update(channel=CHANNEL, ts=sent["ts"], text="x")
    )
    assert other.response["error"] == "cant_update_message"
    gone = api_error(lambda: client.chat_update(channel=CHANNEL, ts="1700000000.000001", text="x"))
    assert gone.response["error"] == "message_not_found"


@pytest.mark.parametrize(
    ("channel", "kwargs", "error"),
    [
        ("C0MISSING1", {"text": "x"}, "channel_not_found"),
        ("C0ARCHIVE3", {"text": "x"}, "is_archived"),
        ("C0OUTSIDE4", {"text": "x"}, "not_in_channel"),
        (CHANNEL, {"text": "x" * 40_001}, "msg_too_long"),
        (CHANNEL, {"text": "x", "thread_ts": "soon"}, "invalid_thread_ts"),
        (CHANNEL, {"text": "x", "thread_ts": "1700000000.000001"}, "thread_not_found"),
        (CHANNEL, {"text": "x", "attachments": [{"text": "a"}] * 101}, "too_many_attachments"),
    ],
)
def test_post_message_errors(
    slack_mock: Mock, channel: str, kwargs: dict[str, Any], error: str
) -> None:
    """chat.postMessage's documented errors, each ok false under HTTP 200."""
    slack_mock.control("POST", "slack/channels", {"id": "C0ARCHIVE3", "archived": True})
    slack_mock.control("POST", "slack/channels", {"id": "C0OUTSIDE4", "member": False})
    failed = api_error(lambda: web(slack_mock).chat_postMessage(channel=channel, **kwargs))
    assert failed.response.data == {"ok": False, "error": error}


def test_post_message_without_text_is_no_text(slack_mock: Mock) -> None:
    reply = httpx.post(
        f"{slack_mock.url}/api/chat.postMessage",
        json={"channel": CHANNEL},
        headers={"authorization": f"Bearer {BOT_TOKEN}"},
    )
    assert reply.json() == {"ok": False, "error": "no_text"}


# --- round 3: the rest of what an application's Web API code calls -----------------------------
# Each answer is the one docs.slack.dev/reference/methods/<method> documents (the schemas in
# shared/specs/slack, checked in tests/test_slack_spec.py); the requests are slack_sdk's own.


def test_chat_delete_removes_the_message(slack_mock: Mock) -> None:
    """chat.delete answers {ok, channel, ts}; the message leaves conversations.history; another
    author's message is cant_delete_message; an unknown ts is message_not_found."""
    client = web(slack_mock)
    kept = client.chat_postMessage(channel=CHANNEL, text="keep")
    gone = client.chat_postMessage(channel=CHANNEL, text="oops")
    deleted = client.chat_delete(channel=CHANNEL, ts=gone["ts"])
    assert (deleted["channel"], deleted["ts"]) == (CHANNEL, gone["ts"])
    history = client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["ts"] for m in history] == [kept["ts"]]
    again = api_error(lambda: client.chat_delete(channel=CHANNEL, ts=gone["ts"]))
    assert again.response["error"] == "message_not_found"
    other = api_error(
        lambda: web(slack_mock, USER_TOKEN).chat_delete(channel=CHANNEL, ts=kept["ts"])
    )
    assert other.response["error"] == "cant_delete_message"


def test_chat_delete_of_a_parent_leaves_its_thread(slack_mock: Mock) -> None:
    """Deleting a thread's parent leaves Slack's tombstone while replies remain (UNCONFIRMED)."""
    client = web(slack_mock)
    parent = client.chat_postMessage(channel=CHANNEL, text="parent")
    client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=parent["ts"])
    client.chat_delete(channel=CHANNEL, ts=parent["ts"])
    (top,) = client.conversations_history(channel=CHANNEL)["messages"]
    assert (top["subtype"], top["reply_count"]) == ("tombstone", 1)
    replies = client.conversations_replies(channel=CHANNEL, ts=parent["ts"])["messages"]
    assert [m["text"] for m in replies] == ["This message was deleted.", "reply"]


def test_post_ephemeral_answers_message_ts_and_stays_out_of_history(slack_mock: Mock) -> None:
    """chat.postEphemeral answers {ok, message_ts}; the message is only the user's to see, never
    in the channel's history; a user who is not there is user_not_in_channel."""
    client = web(slack_mock)
    sent = client.chat_postEphemeral(channel=CHANNEL, user="U0OPWIRE1", text="only you")
    assert sent["ok"] is True and re.match(r"^\d{10}\.\d{6}$", sent["message_ts"])
    assert client.conversations_history(channel=CHANNEL)["messages"] == []
    missing = api_error(
        lambda: client.chat_postEphemeral(channel=CHANNEL, user="U0NOBODY0", text="x")
    )
    assert missing.response["error"] == "user_not_in_channel"


def test_get_permalink_for_a_message_and_a_reply(slack_mock: Mock) -> None:
    """chat.getPermalink: {ok, channel, permalink}, a reply's link names its thread and channel
    (…/archives/C…/p<ts without the dot>?thread_ts=…&cid=C…)."""
    client = web(slack_mock)
    parent = client.chat_postMessage(channel=CHANNEL, text="p")
    reply = client.chat_postMessage(channel=CHANNEL, text="r", thread_ts=parent["ts"])
    link = client.chat_getPermalink(channel=CHANNEL, message_ts=parent["ts"])
    assert link["channel"] == CHANNEL
    assert link["permalink"].endswith(f"/archives/{CHANNEL}/p{parent['ts'].replace('.', '')}")
    threaded = client.chat_getPermalink(channel=CHANNEL, message_ts=reply["ts"])["permalink"]
    assert threaded.endswith(f"?thread_ts={parent['ts']}&cid={CHANNEL}")
    lost = api_error(lambda: client.chat_getPermalink(channel=CHANNEL, message_ts="1.000001"))
    assert lost.response["error"] == "message_not_found"


def test_scheduled_messages_list_delete_and_arrive(slack_mock: Mock) -> None:
    """chat.scheduleMessage answers {ok, channel, scheduled_message_id (Q…), post_at, message};
    chat.scheduledMessages.list shows it until chat.deleteScheduledMessage; once its time
    comes, it is in the channel's history."""
    client = web(slack_mock)
    now = int(_mock_now(slack_mock))
    first = client.chat_scheduleMessage(channel=CHANNEL, text="later", post_at=now + 60)
    assert re.match(r"^Q[A-Z0-9]{8,}$", first["scheduled_message_id"])
    assert (first["channel"], first["post_at"], first["message"]["text"]) == (
        CHANNEL,
        now + 60,
        "later",
    )
    second = client.chat_scheduleMessage(channel=CHANNEL, text="much later", post_at=now + 600)
    listed = client.chat_scheduledMessages_list(channel=CHANNEL)
    assert [s["id"] for s in listed["scheduled_messages"]] == [
        first["scheduled_message_id"],
        second["scheduled_message_id"],
    ]
    assert listed["response_metadata"]["next_cursor"] == ""
    client.chat_deleteScheduledMessage(
        channel=CHANNEL, scheduled_message_id=second["scheduled_message_id"]
    )
    gone = api_error(
        lambda: client.chat_deleteScheduledMessage(
            channel=CHANNEL, scheduled_message_id=second["scheduled_message_id"]
        )
    )
    assert gone.response["error"] == "invalid_scheduled_message_id"
    slack_mock.control("POST", "clock", {"advance_s": 61})
    (arrived,) = client.conversations_history(channel=CHANNEL)["messages"]
    assert arrived["text"] == "later" and float(arrived["ts"]) >= now + 60
    assert client.chat_scheduledMessages_list()["scheduled_messages"] == []


@pytest.mark.parametrize(
    ("post_at", "error"),
    [("soon", "invalid_time"), (-1, "time_in_past"), (200 * 86_400, "time_too_far")],
)
def test_schedule_message_time_errors(slack_mock: Mock, post_at: Any, error: str) -> None:
    """chat.scheduleMessage: invalid_time, time_in_past, time_too_far (over 120 days ahead)."""
    when = post_at if isinstance(post_at, str) else int(_mock_now(slack_mock)) + post_at
    failed = api_error(
        lambda: web(slack_mock).chat_scheduleMessage(channel=CHANNEL, text="x", post_at=when)
    )
    assert failed.response["error"] == error


def test_reactions_add_get_remove(slack_mock: Mock) -> None:
    """reactions.add, then reactions.get shows {type: message, channel, message} with
    reactions [{name, users, count}]; a second add is already_reacted; reactions.remove, then
    a second remove is no_reaction; history shows the reactions too."""
    bot, user = web(slack_mock), web(slack_mock, USER_TOKEN)
    sent = bot.chat_postMessage(channel=CHANNEL, text="deploy failed")
    bot.reactions_add(channel=CHANNEL, name="eyes", timestamp=sent["ts"])
    user.reactions_add(channel=CHANNEL, name="eyes", timestamp=sent["ts"])
    user.reactions_add(channel=CHANNEL, name="white_check_mark", timestamp=sent["ts"])
    got = bot.reactions_get(channel=CHANNEL, timestamp=sent["ts"])
    assert (got["type"], got["channel"], got["message"]["ts"]) == ("message", CHANNEL, sent["ts"])
    assert got["message"]["reactions"] == [
        {"name": "eyes", "users": ["U0OPWIRE0", "U0OPWIRE1"], "count": 2},
        {"name": "white_check_mark", "users": ["U0OPWIRE1"], "count": 1},
    ]
    twice = api_error(lambda: bot.reactions_add(channel=CHANNEL, name="eyes", timestamp=sent["ts"]))
    assert twice.response["error"] == "already_reacted"
    user.reactions_remove(channel=CHANNEL, name="white_check_mark", timestamp=sent["ts"])
    none = api_error(
        lambda: user.reactions_remove(
            channel=CHANNEL, name="white_check_mark", timestamp=sent["ts"]
        )
    )
    assert none.response["error"] == "no_reaction"
    (shown,) = bot.conversations_history(channel=CHANNEL)["messages"]
    assert [r["name"] for r in shown["reactions"]] == ["eyes"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": "eyes", "timestamp": "1700000000.000001"}, "message_not_found"),
        ({"name": "eyes", "timestamp": "yesterday"}, "bad_timestamp"),
        ({"name": "no spaces!", "timestamp": "1700000000.000001"}, "invalid_name"),
    ],
)
def test_reactions_add_errors(slack_mock: Mock, kwargs: dict[str, str], error: str) -> None:
    """reactions.add's documented errors, each ok false under HTTP 200."""
    failed = api_error(lambda: web(slack_mock).reactions_add(channel=CHANNEL, **kwargs))
    assert failed.response.status_code == 200 and failed.response["error"] == error


def test_pins_add_list_remove(slack_mock: Mock) -> None:
    """pins.add, pins.list ({items: [{type: message, channel, created, created_by, message}]}),
    already_pinned, pins.remove, not_pinned; history's pin_count and the message's pinned_to."""
    client = web(slack_mock)
    sent = client.chat_postMessage(channel=CHANNEL, text="runbook: https://example.invalid/rb")
    client.pins_add(channel=CHANNEL, timestamp=sent["ts"])
    (item,) = client.pins_list(channel=CHANNEL)["items"]
    assert (item["type"], item["channel"], item["created_by"]) == ("message", CHANNEL, "U0OPWIRE0")
    assert item["message"]["ts"] == sent["ts"] and item["message"]["pinned_to"] == [CHANNEL]
    history = client.conversations_history(channel=CHANNEL)
    assert history["pin_count"] == 1
    again = api_error(lambda: client.pins_add(channel=CHANNEL, timestamp=sent["ts"]))
    assert again.response["error"] == "already_pinned"
    client.pins_remove(channel=CHANNEL, timestamp=sent["ts"])
    assert client.pins_list(channel=CHANNEL)["items"] == []
    unpinned = api_error(lambda: client.pins_remove(channel=CHANNEL, timestamp=sent["ts"]))
    assert unpinned.response["error"] == "not_pinned"


def test_invalid_blocks_say_which_block(slack_mock: Mock) -> None:
    """A block of no known type: invalid_blocks, the problem in `errors` and in
    response_metadata.messages with its JSON pointer (wording UNCONFIRMED)."""
    failed = api_error(
        lambda: web(slack_mock).chat_postMessage(
            channel=CHANNEL, text="x", blocks=[{"type": "divider"}, {"type": "banner"}]
        )
    )
    assert failed.response["error"] == "invalid_blocks"
    assert failed.response["response_metadata"]["messages"] == [
        "[ERROR] unsupported type: banner [json-pointer:/blocks/1/type]"
    ]


def test_unfurl_and_broadcast_flags_are_taken(slack_mock: Mock) -> None:
    """chat.postMessage takes unfurl_links/unfurl_media/mrkdwn flags (booleans the SDK sends)."""
    client = web(slack_mock)
    sent = client.chat_postMessage(
        channel=CHANNEL, text="<https://example.invalid|x>", unfurl_links=False, unfurl_media=False,
        mrkdwn=True,
    )  # fmt: skip
    assert sent["ok"] is True


def test_bot_messages_carry_bot_profile(slack_mock: Mock) -> None:
    """A bot token's message has bot_profile (objs_bot_profile: id, app_id, name, icons,
    team_id), the same one bots.info describes; a person's message has none."""
    client = web(slack_mock)
    profile = client.chat_postMessage(channel=CHANNEL, text="x")["message"]["bot_profile"]
    assert (profile["id"], profile["app_id"], profile["team_id"]) == (
        "B0OPWIRE0",
        "A0OPWIRE0",
        "T0OPWIRE0",
    )
    assert client.bots_info(bot="B0OPWIRE0")["bot"]["app_id"] == profile["app_id"]
    person = web(slack_mock, USER_TOKEN).chat_postMessage(channel=CHANNEL, text="y")
    assert "bot_profile" not in person["message"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"blocks": [{"type": "divider"}] * 51},
            "invalid_blocks",
            "[ERROR] no more than 50 items allowed [json-pointer:/blocks]",
        ),
        (
            {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]},
            "invalid_blocks",
            "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ),
        ({"attachments": ["not an object"]}, "invalid_attachments", None),
    ],
)
def test_block_kit_limits(
    slack_mock: Mock, kwargs: dict[str, Any], error: str, message: str | None
) -> None:
    """Block Kit's limits (docs.slack.dev/reference/block-kit/blocks: 50 blocks a message, 3000
    characters of section text) are invalid_blocks, the problem in response_metadata.messages;
    an attachment that is no object is invalid_attachments."""
    failed = api_error(
        lambda: web(slack_mock).chat_postMessage(channel=CHANNEL, text="x", **kwargs)
    )
    assert failed.response["error"] == error
    if message:
        assert failed.response["response_metadata"]["messages"] == [message]


def test_message_metadata(slack_mock: Mock) -> None:
    """chat.postMessage's metadata ({event_type, event_payload}, docs.slack.dev/messaging/
    message-metadata) comes back from conversations.history with include_all_metadata=true
    (not without it); a metadata without event_type is invalid_metadata_format."""
    client = web(slack_mock)
    metadata = {"event_type": "incident_opened", "event_payload": {"id": "INC-7", "sev": 2}}
    sent = client.chat_postMessage(channel=CHANNEL, text="INC-7 opened", metadata=metadata)
    assert sent["message"]["metadata"] == metadata
    (plain,) = client.conversations_history(channel=CHANNEL)["messages"]
    assert "metadata" not in plain
    (tagged,) = client.conversations_history(channel=CHANNEL, include_all_metadata=True)["messages"]
    assert tagged["metadata"] == metadata
    bad = api_error(
        lambda: client.chat_postMessage(channel=CHANNEL, text="x", metadata={"event_payload": {}})
    )
    assert bad.response["error"] == "invalid_metadata_format"
