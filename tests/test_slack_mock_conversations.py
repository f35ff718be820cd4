"""The official slack_sdk WebClient against the Slack mock: conversations.* (history, replies,
list, join, members, manage, open), their paging, and search.messages.

Split from test_slack_mock_sdk.py (its helpers are imported from there)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from test_slack_mock_sdk import (
    CHANNEL,
    USER_TOKEN,
    _mock_now,
    api_error,
    hook_url,
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


def test_history_pages_newest_first_with_cursor(slack_mock: Mock) -> None:
    client = WebhookClient(hook_url(slack_mock))
    for n in range(5):
        assert client.send(text=f"m{n}").status_code == 200
    web = WebClient(token="xoxb-sdk-test-token-000", base_url=f"{slack_mock.url}/api/")
    first = web.conversations_history(channel="C0OPWIRE01", limit=3)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3", "m2"] and first["has_more"]
    cursor = first["response_metadata"]["next_cursor"]
    second = web.conversations_history(channel="C0OPWIRE01", limit=3, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["m1", "m0"] and not second["has_more"]
    ts = first["messages"][1]["ts"]
    newer = web.conversations_history(channel="C0OPWIRE01", oldest=ts)
    assert [m["text"] for m in newer["messages"]] == ["m4"]
    with_it = web.conversations_history(channel="C0OPWIRE01", oldest=ts, inclusive=True)
    assert [m["text"] for m in with_it["messages"]] == ["m4", "m3"]


def test_threads_history_shows_parents_replies_show_the_thread(slack_mock: Mock) -> None:
    """thread_ts makes a reply; conversations.history "returns parent messages only" with
    reply_count, reply_users and thread_ts; reply_broadcast also shows the reply in the channel;
    conversations.replies gives the parent, then its replies, oldest first."""
    client = web(slack_mock, USER_TOKEN)
    parent = client.chat_postMessage(channel=CHANNEL, text="incident opened")
    one = client.chat_postMessage(channel=CHANNEL, text="ack", thread_ts=parent["ts"])
    assert one["message"]["thread_ts"] == parent["ts"]
    assert one["message"]["parent_user_id"] == "U0OPWIRE1"
    # A reply to a reply joins the parent's thread.
    two = client.chat_postMessage(
        channel=CHANNEL, text="resolved", thread_ts=one["ts"], reply_broadcast=True
    )
    assert two["message"]["thread_ts"] == parent["ts"]
    history = client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["text"] for m in history] == ["resolved", "incident opened"]
    top = history[1]
    assert (top["thread_ts"], top["reply_count"], top["latest_reply"]) == (
        parent["ts"],
        2,
        two["ts"],
    )
    assert top["reply_users"] == ["U0OPWIRE1"] and top["reply_users_count"] == 1
    thread = client.conversations_replies(channel=CHANNEL, ts=parent["ts"])
    assert [m["text"] for m in thread["messages"]] == ["incident opened", "ack", "resolved"]
    assert thread["has_more"] is False
    first = client.conversations_replies(channel=CHANNEL, ts=parent["ts"], limit=2)
    assert first["has_more"] is True
    rest = client.conversations_replies(
        channel=CHANNEL, ts=parent["ts"], cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["resolved"]
    missing = api_error(lambda: client.conversations_replies(channel=CHANNEL, ts="1.000001"))
    assert missing.response["error"] == "thread_not_found"


def test_conversations_list_pages_types_and_info(slack_mock: Mock) -> None:
    """conversations.list: types (default public_channel), exclude_archived, limit and
    response_metadata.next_cursor ("" on the last page); the SDK iterates the pages.
    conversations.info: a private channel the caller is not in is channel_not_found."""
    for spec in (
        {"id": "C0PUBLIC02", "name": "deploys"},
        {"id": "C0ARCHIVE3", "name": "old", "archived": True},
        {"id": "G0PRIVATE4", "name": "secret", "private": True},
        {"id": "G0HIDDEN05", "name": "hidden", "private": True, "member": False},
    ):
        slack_mock.control("POST", "slack/channels", spec)
    client = web(slack_mock)
    # The SDK's iteration reuses one response object: read each page as it comes.
    pages = [[c["name"] for c in page["channels"]] for page in client.conversations_list(limit=2)]
    assert pages == [["opwire-alerts", "deploys"], ["old"]]
    live = client.conversations_list(exclude_archived=True)["channels"]
    assert [c["id"] for c in live] == [CHANNEL, "C0PUBLIC02"]
    private = client.conversations_list(types="private_channel")["channels"]
    assert [(c["id"], c["is_private"]) for c in private] == [("G0PRIVATE4", True)]
    info = client.conversations_info(channel="C0PUBLIC02", include_num_members=True)["channel"]
    assert (info["name"], info["is_member"], info["num_members"]) == ("deploys", True, 2)
    hidden = api_error(lambda: client.conversations_info(channel="G0HIDDEN05"))
    assert hidden.response["error"] == "channel_not_found"
    for bad, error in ({"cursor": "nope"}, "invalid_cursor"), ({"limit": "x"}, "invalid_limit"):
        failed = api_error(lambda bad=bad: client.conversations_list(**bad))  # type: ignore[misc]
        assert failed.response["error"] == error
    bad_types = api_error(lambda: client.conversations_list(types="public_channel,dm"))
    assert bad_types.response["error"] == "invalid_types"


def test_conversations_join_and_members(slack_mock: Mock) -> None:
    """conversations.join: the channel object, is_member true; joining again is ok with the
    already_in_channel warning (in `warning` and response_metadata.warnings); a private channel
    is method_not_supported_for_channel_type. conversations.members: ids, cursor pages."""
    slack_mock.control("POST", "slack/channels", {"id": "C0OUTSIDE4", "member": False})
    slack_mock.control("POST", "slack/channels", {"id": "G0PRIVATE4", "private": True})
    client = web(slack_mock)
    before = api_error(lambda: client.chat_postMessage(channel="C0OUTSIDE4", text="x"))
    assert before.response["error"] == "not_in_channel"
    joined = client.conversations_join(channel="C0OUTSIDE4")
    assert joined["channel"]["id"] == "C0OUTSIDE4" and joined["channel"]["is_member"] is True
    assert "warning" not in joined.data
    assert client.chat_postMessage(channel="C0OUTSIDE4", text="now in")["ok"] is True
    again = client.conversations_join(channel="C0OUTSIDE4")
    assert again["warning"] == "already_in_channel"
    assert again["response_metadata"]["warnings"] == ["already_in_channel"]
    private = api_error(lambda: client.conversations_join(channel="G0PRIVATE4"))
    assert private.response["error"] == "method_not_supported_for_channel_type"
    members = client.conversations_members(channel=CHANNEL)
    assert members["members"] == ["U0OPWIRE1", "U0OPWIRE0"]
    assert members["response_metadata"]["next_cursor"] == ""
    pages = [page["members"] for page in client.conversations_members(channel=CHANNEL, limit=1)]
    assert pages == [["U0OPWIRE1"], ["U0OPWIRE0"]]


def test_incident_war_room(slack_mock: Mock) -> None:
    """What an incident bot does: conversations.create (a name rule, name_taken), invite the
    bot (a person's token) and the operator (already_in_channel), setTopic (the channel's topic,
    and a channel_topic message in the history), post, archive (already_archived; posting then
    is is_archived), unarchive."""
    bot, person = web(slack_mock), web(slack_mock, USER_TOKEN)
    created = person.conversations_create(name="inc-2041-db-latency")["channel"]
    room = created["id"]
    assert re.match(r"^C[A-Z0-9]{8,}$", room) and created["name"] == "inc-2041-db-latency"
    taken = api_error(lambda: person.conversations_create(name="inc-2041-db-latency"))
    assert taken.response["error"] == "name_taken"
    bad = api_error(lambda: person.conversations_create(name="Inc 2041!"))
    assert bad.response["error"] == "invalid_name_specials"
    outside = api_error(lambda: bot.chat_postMessage(channel=room, text="x"))
    assert outside.response["error"] == "not_in_channel"
    person.conversations_invite(channel=room, users="U0OPWIRE0")
    already = api_error(lambda: bot.conversations_invite(channel=room, users=["U0OPWIRE1"]))
    assert already.response["error"] == "already_in_channel"
    topic = bot.conversations_setTopic(channel=room, topic="SEV2: db latency")["channel"]
    assert topic["topic"]["value"] == "SEV2: db latency" and topic["topic"]["creator"] == (
        "U0OPWIRE0"
    )
    bot.chat_postMessage(channel=room, text="status: investigating")
    history = bot.conversations_history(channel=room)["messages"]
    assert [(m.get("subtype"), m["text"]) for m in history] == [
        (None, "status: investigating"),
        ("channel_topic", "set the channel topic: SEV2: db latency"),
    ]
    assert bot.conversations_info(channel=room)["channel"]["topic"]["value"] == "SEV2: db latency"
    mine = [c["id"] for c in bot.users_conversations()["channels"]]
    assert mine == [CHANNEL, room]
    bot.conversations_archive(channel=room)
    twice = api_error(lambda: bot.conversations_archive(channel=room))
    assert twice.response["error"] == "already_archived"
    archived = api_error(lambda: bot.chat_postMessage(channel=room, text="x"))
    assert archived.response["error"] == "is_archived"
    bot.conversations_unarchive(channel=room)
    assert bot.chat_postMessage(channel=room, text="reopened")["ok"] is True


def test_direct_messages(slack_mock: Mock) -> None:
    """conversations.open with `users` answers {channel: {id: D…}}, then already_open and no_op;
    chat.postMessage to a user's id posts into that direct message (the answer's channel is the
    D… id); conversations.list types=im lists it."""
    client = web(slack_mock)
    opened = client.conversations_open(users="U0OPWIRE1")
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and set(opened["channel"]) == {"id"}
    assert "already_open" not in opened.data
    again = client.conversations_open(users=["U0OPWIRE1"], return_im=True)
    assert (again["already_open"], again["no_op"], again["channel"]["user"]) == (
        True,
        True,
        "U0OPWIRE1",
    )
    sent = client.chat_postMessage(channel="U0OPWIRE1", text="you are on call")
    assert sent["channel"] == dm
    (message,) = client.conversations_history(channel=dm)["messages"]
    assert message["text"] == "you are on call"
    ims = client.conversations_list(types="im")["channels"]
    assert [(c["id"], c["is_im"], c["user"]) for c in ims] == [(dm, True, "U0OPWIRE1")]
    nobody = api_error(lambda: client.conversations_open(users="U0NOBODY0"))
    assert nobody.response["error"] == "user_not_found"


def test_leave_kick_profile_and_presence(slack_mock: Mock) -> None:
    """conversations.leave (ok; then ok with not_in_channel: true), conversations.kick of the
    bot by a person (then the bot is not_in_channel), users.profile.get (objs_user_profile),
    users.getPresence (presence)."""
    bot, person = web(slack_mock), web(slack_mock, USER_TOKEN)
    assert "not_in_channel" not in bot.conversations_leave(channel=CHANNEL).data
    assert bot.conversations_leave(channel=CHANNEL)["not_in_channel"] is True
    gone = api_error(lambda: bot.conversations_history(channel=CHANNEL))
    assert gone.response["error"] == "not_in_channel"
    bot.conversations_join(channel=CHANNEL)
    person.conversations_kick(channel=CHANNEL, user="U0OPWIRE0")
    twice = api_error(lambda: person.conversations_kick(channel=CHANNEL, user="U0OPWIRE0"))
    assert twice.response["error"] == "not_in_channel"
    self_kick = api_error(lambda: person.conversations_kick(channel=CHANNEL, user="U0OPWIRE1"))
    assert self_kick.response["error"] == "cant_kick_self"
    profile = person.users_profile_get()["profile"]
    assert (profile["real_name"], profile["email"]) == (
        "opwire operator",
        "operator@opwire.example",
    )
    assert bot.users_profile_get(user="U0OPWIRE0")["profile"]["bot_id"] == "B0OPWIRE0"
    assert bot.users_getPresence(user="U0OPWIRE1")["presence"] == "active"
    missing = api_error(lambda: bot.users_profile_get(user="U0NOBODY0"))
    assert missing.response["error"] == "user_not_found"


@pytest.mark.parametrize(
    ("method", "params", "field"),
    [
        ("conversations.history", {}, "channel"),
        ("conversations.replies", {"channel": CHANNEL}, "ts"),
        ("conversations.info", {}, "channel"),
    ],
)
def test_reads_without_their_required_argument(
    slack_mock: Mock, method: str, params: dict[str, str], field: str
) -> None:
    """conversations.history without `channel`: invalid_arguments, "[ERROR] missing required
    field: channel" in response_metadata.messages (as node-slack-sdk#1415 shows Slack's answer)."""
    failed = api_error(lambda: web(slack_mock).api_call(method, http_verb="GET", params=params))
    assert failed.response.data == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": [f"[ERROR] missing required field: {field}"]},
    }


def test_history_cursor_survives_new_messages(slack_mock: Mock) -> None:
    """conversations.history's cursor names where the next page starts (Slack's decode to
    `next_ts:<ts>`): a message posted between two pages neither repeats nor skips one, and the
    SDK's page iterator ends."""
    client = web(slack_mock)
    for n in range(4):
        client.chat_postMessage(channel=CHANNEL, text=f"m{n}")
    first = client.conversations_history(channel=CHANNEL, limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    assert base64.b64decode(cursor).decode().startswith("next_ts:")
    client.chat_postMessage(channel=CHANNEL, text="late")
    second = client.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)
    assert [m["text"] for m in first["messages"] + second["messages"]] == ["m3", "m2", "m1", "m0"]
    assert second["response_metadata"]["next_cursor"] == "" and second["has_more"] is False
    pages = [
        len(page["messages"]) for page in client.conversations_history(channel=CHANNEL, limit=2)
    ]
    assert pages == [2, 2, 1]


def test_every_paged_list_iterates_to_its_end(slack_mock: Mock) -> None:
    """slack_sdk's page iterator follows response_metadata.next_cursor until it is "": each
    cursor-paged method the mock serves ends (chat.scheduledMessages.list, users.conversations,
    conversations.replies)."""
    client = web(slack_mock)
    now = int(_mock_now(slack_mock))
    for n in range(3):
        client.chat_scheduleMessage(channel=CHANNEL, text=f"s{n}", post_at=now + 60 + n)
    for n in range(2):
        slack_mock.control("POST", "slack/channels", {"id": f"C0PAGED00{n}"})
    parent = client.chat_postMessage(channel=CHANNEL, text="p")
    for n in range(2):
        client.chat_postMessage(channel=CHANNEL, text=f"r{n}", thread_ts=parent["ts"])

    def sizes(pages: Any, key: str) -> list[int]:
        return [len(page[key]) for page in pages]

    assert sizes(client.chat_scheduledMessages_list(limit=2), "scheduled_messages") == [2, 1]
    assert sizes(client.users_conversations(limit=2), "channels") == [2, 1]
    replies = client.conversations_replies(channel=CHANNEL, ts=parent["ts"], limit=2)
    assert sizes(replies, "messages") == [2, 1]


def test_search_messages(slack_mock: Mock) -> None:
    """search.messages (a user token; search:read): {query, messages: {total, matches, paging,
    pagination}}, each match with its channel, permalink and text; `in:` narrows to a channel;
    a bot token is not_allowed_token_type; no query is no_query."""
    bot, person = web(slack_mock), web(slack_mock, USER_TOKEN)
    slack_mock.control("POST", "slack/channels", {"id": "C0PUBLIC02", "name": "deploys"})
    bot.chat_postMessage(channel=CHANNEL, text="run r-1234 failed")
    bot.chat_postMessage(channel="C0PUBLIC02", text="deploy of r-1234 started")
    bot.chat_postMessage(channel=CHANNEL, text="unrelated")
    found = person.search_messages(query="r-1234")
    assert found["query"] == "r-1234" and found["messages"]["total"] == 2
    (first, second) = found["messages"]["matches"]
    assert (first["channel"]["id"], first["text"]) == ("C0PUBLIC02", "deploy of r-1234 started")
    assert second["permalink"].endswith(f"/archives/{CHANNEL}/p{second['ts'].replace('.', '')}")
    assert found["messages"]["paging"] == {"count": 20, "total": 2, "page": 1, "pages": 1}
    narrowed = person.search_messages(query="r-1234 in:#opwire-alerts")["messages"]["matches"]
    assert [m["text"] for m in narrowed] == ["run r-1234 failed"]
    refused = api_error(lambda: bot.search_messages(query="r-1234"))
    assert refused.response["error"] == "not_allowed_token_type"
    empty = api_error(lambda: person.search_messages(query=""))
    assert empty.response["error"] == "no_query"


def test_a_person_sees_every_channel_the_bot_only_its_own(slack_mock: Mock) -> None:
    """The mock's workspace: the operator (a person's token) is in every channel, the bot only
    where it joined or was invited. A private channel a person made is theirs to read and post
    in; to the bot it is channel_not_found until it is invited (is_member each caller's own)."""
    bot, person = web(slack_mock), web(slack_mock, USER_TOKEN)
    room = person.conversations_create(name="sec-incident", is_private=True)["channel"]["id"]
    assert person.chat_postMessage(channel=room, text="private note")["ok"] is True
    assert person.conversations_info(channel=room)["channel"]["is_member"] is True
    hidden = api_error(lambda: bot.conversations_info(channel=room))
    assert hidden.response["error"] == "channel_not_found"
    assert room not in [
        c["id"] for c in bot.conversations_list(types="private_channel")["channels"]
    ]
    person.conversations_invite(channel=room, users="U0OPWIRE0")
    assert bot.conversations_info(channel=room)["channel"]["is_member"] is True
    (note,) = bot.conversations_history(channel=room)["messages"]
    assert note["text"] == "private note"


def test_fetch_one_message_idiom(slack_mock: Mock) -> None:
    """The documented way to read one message (docs.slack.dev/messaging/retrieving-messages):
    conversations.history with latest=<ts>, inclusive=true, limit=1 answers that message."""
    client = web(slack_mock)
    sent = [client.chat_postMessage(channel=CHANNEL, text=f"m{n}")["ts"] for n in range(3)]
    (one,) = client.conversations_history(channel=CHANNEL, latest=sent[1], inclusive=True, limit=1)[
        "messages"
    ]
    assert (one["ts"], one["text"]) == (sent[1], "m1")
