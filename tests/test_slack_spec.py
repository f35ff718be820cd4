"""Slack mock answers checked against Slack's own OpenAPI (shared/specs/slack, Swagger 2.0).

The spec is archived (2021). Documented deviations, each where the spec disagrees with itself or
with the live API: `response_metadata` appears in the spec's own example but not its
conversations.history or conversations.replies schema; the replies' reply form predates the
`bot_id`, `bot_profile` and `team` of a bot's message (checked without them); `not_in_channel` is a
documented live error missing from the stale error enum; the Web API's 429 body says
`ratelimited` (what slack_sdk reads), where the chat.postMessage enum still says `rate_limited`,
so the 429 is not checked against it; pins.list's `items: [file pin, message pin]` sits on an
array, where JSON Schema reads it as a tuple, so a message pin is checked against its own form.

The spec writes "one of these" as a list under `items` on a schema that is no array (objs_user,
objs_conversation, a message's `bot_id`, conversations.replies' parent and reply): JSON Schema
ignores `items` on an object, so such a schema would check nothing. `one_of` turns each such list
into the `anyOf` it means, so those answers are checked against every field the spec names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from conftest import Mock, serve, spec_path

SPEC = "slack/slack_web_openapi_v2.json"


@pytest.fixture(scope="module")
def _one_mock() -> Iterator[Mock]:
    yield from serve("slack")


@pytest.fixture
def slack_mock(_one_mock: Mock) -> Mock:
    """One mock for the module, reset to a clean start before each test."""
    _one_mock.control("POST", "reset")
    return _one_mock


HOOK = "/services/T0SPECTST/B0SPECTST/SpecSecretSpecSecret1234"
TOKEN = {"Authorization": "Bearer xoxb-spec-test-token"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(spec_path(SPEC).read_text())
    return document


def one_of(node: Any) -> Any:
    """The spec with each `items: [A, B]` on a schema that is no array read as `anyOf: [A, B]`."""
    if isinstance(node, list):
        return [one_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: one_of(value) for key, value in node.items()}
    if isinstance(node.get("items"), list) and node.get("type") != "array":
        converted["anyOf"] = converted.pop("items")
    return converted


def validate(
    spec: dict[str, Any],
    status: str,
    body: dict[str, Any],
    path: str = "/conversations.history",
    verb: str = "get",
) -> None:
    schema = spec["paths"][path][verb]["responses"][status]["schema"]
    whole = one_of({**schema, "definitions": spec["definitions"]})
    jsonschema.Draft4Validator(whole).validate(body)


def test_history_success_matches_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    assert httpx.post(slack_mock.url + HOOK, json={"text": "plain"}).text == "ok"
    with_attachment = {"text": "t", "attachments": [{"fallback": "f", "image_url": "https://x"}]}
    assert httpx.post(slack_mock.url + HOOK, json=with_attachment).text == "ok"
    reply = httpx.get(
        f"{slack_mock.url}/api/conversations.history",
        params={"channel": "C0OPWIRE01"},
        headers=TOKEN,
    )
    body = reply.json()
    assert reply.headers["content-type"].startswith("application/json")
    assert set(body.pop("response_metadata")) == {"next_cursor"}
    validate(spec, "200", body)


@pytest.mark.parametrize(
    ("params", "headers", "error"),
    [
        ({"channel": "C0NOWHERE1"}, TOKEN, "channel_not_found"),
        ({"channel": "C0OPWIRE01"}, {}, "not_authed"),
        ({"channel": "C0OPWIRE01"}, {"Authorization": "Bearer nope"}, "invalid_auth"),
        ({"channel": "C0OPWIRE01", "oldest": "yesterday"}, TOKEN, "invalid_ts_oldest"),
        ({"channel": "C0OPWIRE01", "latest": "later"}, TOKEN, "invalid_ts_latest"),
    ],
)
def test_history_errors_match_the_spec(
    slack_mock: Mock,
    spec: dict[str, Any],
    params: dict[str, str],
    headers: dict[str, str],
    error: str,
) -> None:
    reply = httpx.get(f"{slack_mock.url}/api/conversations.history", params=params, headers=headers)
    assert reply.status_code == 200 and reply.json()["error"] == error
    validate(spec, "default", reply.json())


# --- round 2: every Web API method the mock serves, against its own path in the spec ----------

BOT = {"Authorization": "Bearer xoxb-spec-test-token"}
USER = {"Authorization": "Bearer xoxp-spec-user-token"}
CHANNEL = "C0OPWIRE01"


def call(mock: Mock, method: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    """One Web API call as an application makes it: a POST form body, the token in the header."""
    reply = httpx.post(f"{mock.url}/api/{method}", data=params, headers=headers)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    body: dict[str, Any] = reply.json()
    return body


def test_chat_methods_match_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/chat.postMessage and /chat.update (post): success and error schemas."""
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "*x*"}}])
    attachments = json.dumps([{"fallback": "f", "image_url": "https://x.example/i.png"}])
    posted = call(
        slack_mock,
        "chat.postMessage",
        BOT,
        channel=CHANNEL,
        text="t",
        blocks=blocks,
        attachments=attachments,
    )
    validate(spec, "200", posted, "/chat.postMessage", "post")
    reply = call(
        slack_mock, "chat.postMessage", BOT, channel=CHANNEL, text="r", thread_ts=posted["ts"]
    )
    validate(spec, "200", reply, "/chat.postMessage", "post")
    missing = call(slack_mock, "chat.postMessage", BOT, channel="C0NOWHERE1", text="t")
    validate(spec, "default", missing, "/chat.postMessage", "post")
    plain = call(slack_mock, "chat.postMessage", BOT, channel=CHANNEL, text="plain")
    updated = call(slack_mock, "chat.update", BOT, channel=CHANNEL, ts=plain["ts"], text="new")
    validate(spec, "200", updated, "/chat.update", "post")
    gone = call(slack_mock, "chat.update", BOT, channel=CHANNEL, ts="1700000000.000001", text="x")
    assert gone["error"] == "message_not_found"
    validate(spec, "default", gone, "/chat.update", "post")


def test_threads_match_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/conversations.replies (its parent and reply forms) and a thread's parent in
    /conversations.history (objs_message's reply fields)."""
    parent = call(slack_mock, "chat.postMessage", USER, channel=CHANNEL, text="p")
    for text in ("r1", "r2"):
        call(
            slack_mock, "chat.postMessage", BOT, channel=CHANNEL, text=text, thread_ts=parent["ts"]
        )
    thread = call(slack_mock, "conversations.replies", USER, channel=CHANNEL, ts=parent["ts"])
    assert [m["text"] for m in thread["messages"]] == ["p", "r1", "r2"]
    # The spec's reply form predates bot messages' bot_id, bot_profile and team: checked
    # without them.
    for message in thread["messages"][1:]:
        del message["bot_id"], message["team"], message["bot_profile"]
    assert set(thread.pop("response_metadata")) == {"next_cursor"}
    validate(spec, "200", thread, "/conversations.replies")
    lost = call(slack_mock, "conversations.replies", USER, channel=CHANNEL, ts="1.000001")
    assert lost["error"] == "thread_not_found"
    validate(spec, "default", lost, "/conversations.replies")
    history = call(slack_mock, "conversations.history", USER, channel=CHANNEL)
    assert history["messages"][0]["reply_count"] == 2
    del history["response_metadata"]
    validate(spec, "200", history)


def test_conversations_match_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/conversations.info and /conversations.list: objs_conversation, errors."""
    slack_mock.control("POST", "slack/channels", {"id": "G0PRIVATE4", "private": True})
    for channel in (CHANNEL, "G0PRIVATE4"):
        info = call(slack_mock, "conversations.info", BOT, channel=channel, include_num_members=1)
        validate(spec, "200", info, "/conversations.info")
    missing = call(slack_mock, "conversations.info", BOT, channel="C0NOWHERE1")
    validate(spec, "default", missing, "/conversations.info")
    listed = call(
        slack_mock, "conversations.list", BOT, types="public_channel,private_channel", limit=1
    )
    assert listed["response_metadata"]["next_cursor"]
    validate(spec, "200", listed, "/conversations.list")
    validate(spec, "default", call(slack_mock, "conversations.list", {}), "/conversations.list")


def test_users_and_auth_match_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/users.info (objs_user, both the bot user and a person), /auth.test, /api.test."""
    for user in ("U0OPWIRE0", "U0OPWIRE1"):
        found = call(slack_mock, "users.info", BOT, user=user, include_locale="true")
        validate(spec, "200", found, "/users.info")
    validate(spec, "default", call(slack_mock, "users.info", BOT, user="U0NOBODY0"), "/users.info")
    for headers in (BOT, USER):
        validate(spec, "200", call(slack_mock, "auth.test", headers), "/auth.test")
    bad = call(slack_mock, "auth.test", {"Authorization": "Bearer nope"})
    validate(spec, "default", bad, "/auth.test")
    validate(spec, "200", call(slack_mock, "api.test", {}, foo="bar"), "/api.test")
    failed = call(slack_mock, "api.test", {}, error="my_error")
    assert failed == {"ok": False, "error": "my_error", "args": {"error": "my_error"}}
    validate(spec, "default", failed, "/api.test")


# --- round 3: the methods added for applications' other calls ---------------------------------


def test_more_chat_methods_match_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/chat.delete, /chat.postEphemeral, /chat.getPermalink, /chat.scheduleMessage,
    /chat.scheduledMessages.list and /chat.deleteScheduledMessage: success and error schemas."""
    sent = call(slack_mock, "chat.postMessage", BOT, channel=CHANNEL, text="t")
    link = httpx.get(
        f"{slack_mock.url}/api/chat.getPermalink",
        params={"channel": CHANNEL, "message_ts": sent["ts"]},
        headers=BOT,
    ).json()
    validate(spec, "200", link, "/chat.getPermalink")
    ephemeral = call(
        slack_mock, "chat.postEphemeral", BOT, channel=CHANNEL, user="U0OPWIRE1", text="e"
    )
    validate(spec, "200", ephemeral, "/chat.postEphemeral", "post")
    nobody = call(
        slack_mock, "chat.postEphemeral", BOT, channel=CHANNEL, user="U0NOBODY0", text="e"
    )
    validate(spec, "default", nobody, "/chat.postEphemeral", "post")
    post_at = int(float(ephemeral["message_ts"])) + 3600
    scheduled = call(
        slack_mock, "chat.scheduleMessage", BOT, channel=CHANNEL, text="s", post_at=post_at
    )
    validate(spec, "200", scheduled, "/chat.scheduleMessage", "post")
    past = call(slack_mock, "chat.scheduleMessage", BOT, channel=CHANNEL, text="s", post_at=1)
    assert past["error"] == "time_in_past"
    validate(spec, "default", past, "/chat.scheduleMessage", "post")
    listed = httpx.get(f"{slack_mock.url}/api/chat.scheduledMessages.list", headers=BOT).json()
    validate(spec, "200", listed, "/chat.scheduledMessages.list")
    sid = scheduled["scheduled_message_id"]
    for expected in ("200", "default"):
        dropped = call(
            slack_mock,
            "chat.deleteScheduledMessage",
            BOT,
            channel=CHANNEL,
            scheduled_message_id=sid,
        )
        validate(spec, expected, dropped, "/chat.deleteScheduledMessage", "post")
    validate(spec, "200", call(slack_mock, "chat.delete", BOT, channel=CHANNEL, ts=sent["ts"]),
             "/chat.delete", "post")  # fmt: skip
    again = call(slack_mock, "chat.delete", BOT, channel=CHANNEL, ts=sent["ts"])
    validate(spec, "default", again, "/chat.delete", "post")


def test_reactions_and_pins_match_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/reactions.add, /reactions.get (objs_message with objs_reaction), /reactions.remove,
    /pins.add, /pins.list (a message pin), /pins.remove: success and error schemas."""
    sent = call(slack_mock, "chat.postMessage", USER, channel=CHANNEL, text="t")
    where = {"channel": CHANNEL, "timestamp": sent["ts"]}
    validate(spec, "200", call(slack_mock, "reactions.add", BOT, name="eyes", **where),
             "/reactions.add", "post")  # fmt: skip
    twice = call(slack_mock, "reactions.add", BOT, name="eyes", **where)
    assert twice["error"] == "already_reacted"
    validate(spec, "default", twice, "/reactions.add", "post")
    got = httpx.get(f"{slack_mock.url}/api/reactions.get", params=where, headers=BOT).json()
    assert got["message"]["reactions"] == [{"name": "eyes", "users": ["U0OPWIRE0"], "count": 1}]
    validate(spec, "200", got, "/reactions.get")
    validate(spec, "200", call(slack_mock, "reactions.remove", BOT, name="eyes", **where),
             "/reactions.remove", "post")  # fmt: skip
    none = call(slack_mock, "reactions.remove", BOT, name="eyes", **where)
    validate(spec, "default", none, "/reactions.remove", "post")
    validate(spec, "200", call(slack_mock, "pins.add", BOT, **where), "/pins.add", "post")
    validate(spec, "default", call(slack_mock, "pins.add", BOT, **where), "/pins.add", "post")
    pins = httpx.get(f"{slack_mock.url}/api/pins.list", params={"channel": CHANNEL}, headers=BOT)
    (pin,) = pins.json()["items"]
    # The spec's pin list is `items: [file pin, message pin]` on an array, which JSON Schema
    # reads as a tuple (a file pin first); it means either: the pin is checked as a message pin.
    validate(spec, "200", {**pins.json(), "items": []}, "/pins.list")
    listed = spec["paths"]["/pins.list"]["get"]["responses"]["200"]["schema"]["items"][0]
    message_pin = listed["properties"]["items"]["items"][1]
    jsonschema.Draft4Validator(
        one_of({**message_pin, "definitions": spec["definitions"]})
    ).validate(pin)
    validate(spec, "200", call(slack_mock, "pins.remove", BOT, **where), "/pins.remove", "post")
    validate(spec, "default", call(slack_mock, "pins.remove", BOT, **where), "/pins.remove", "post")


def test_directory_methods_match_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/conversations.join (with and without the already_in_channel warning),
    /conversations.members, /users.list, /users.lookupByEmail, /bots.info, /team.info."""
    slack_mock.control("POST", "slack/channels", {"id": "C0OUTSIDE4", "member": False})
    for _ in range(2):
        joined = call(slack_mock, "conversations.join", BOT, channel="C0OUTSIDE4")
        validate(spec, "200", joined, "/conversations.join", "post")
    assert joined["warning"] == "already_in_channel"
    missing = call(slack_mock, "conversations.join", BOT, channel="C0NOWHERE1")
    validate(spec, "default", missing, "/conversations.join", "post")

    def get(method: str, **params: Any) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(
            f"{slack_mock.url}/api/{method}", params=params, headers=BOT
        ).json()
        return body

    validate(spec, "200", get("conversations.members", channel=CHANNEL), "/conversations.members")
    validate(spec, "default", get("conversations.members", channel="C0NOWHERE1"),
             "/conversations.members")  # fmt: skip
    validate(spec, "200", get("users.list", include_locale="true"), "/users.list")
    found = get("users.lookupByEmail", email="operator@opwire.example")
    validate(spec, "200", found, "/users.lookupByEmail")
    validate(
        spec, "default", get("users.lookupByEmail", email="x@y.example"), "/users.lookupByEmail"
    )
    validate(spec, "200", get("bots.info", bot="B0OPWIRE0"), "/bots.info")
    validate(spec, "default", get("bots.info", bot="B0NOBODY00"), "/bots.info")
    validate(spec, "200", get("team.info"), "/team.info")


def test_channel_management_matches_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/conversations.create, /conversations.invite, /conversations.setTopic, /setPurpose,
    /conversations.rename, /conversations.archive, /conversations.open (both forms),
    /users.conversations and /auth.test's is_enterprise_install: success and error schemas."""
    created = call(slack_mock, "conversations.create", USER, name="inc-1")
    validate(spec, "200", created, "/conversations.create", "post")
    taken = call(slack_mock, "conversations.create", USER, name="inc-1")
    validate(spec, "default", taken, "/conversations.create", "post")
    room = created["channel"]["id"]
    invited = call(slack_mock, "conversations.invite", USER, channel=room, users="U0OPWIRE0")
    validate(spec, "200", invited, "/conversations.invite", "post")
    again = call(slack_mock, "conversations.invite", USER, channel=room, users="U0OPWIRE0")
    validate(spec, "default", again, "/conversations.invite", "post")
    for method, field in (("setTopic", "topic"), ("setPurpose", "purpose")):
        changed = call(slack_mock, f"conversations.{method}", BOT, channel=room, **{field: "x"})
        validate(spec, "200", changed, f"/conversations.{method}", "post")
    renamed = call(slack_mock, "conversations.rename", BOT, channel=room, name="inc-1-db")
    validate(spec, "200", renamed, "/conversations.rename", "post")
    for expected in ("200", "default"):
        archived = call(slack_mock, "conversations.archive", BOT, channel=room)
        validate(spec, expected, archived, "/conversations.archive", "post")
    opened = call(slack_mock, "conversations.open", BOT, users="U0OPWIRE1")
    validate(spec, "200", opened, "/conversations.open", "post")
    full = call(slack_mock, "conversations.open", BOT, users="U0OPWIRE1", return_im="true")
    validate(spec, "200", full, "/conversations.open", "post")
    nobody = call(slack_mock, "conversations.open", BOT, users="U0NOBODY0")
    validate(spec, "default", nobody, "/conversations.open", "post")
    mine = httpx.get(
        f"{slack_mock.url}/api/users.conversations", params={"types": "public_channel,im"},
        headers=BOT,
    ).json()  # fmt: skip
    assert len(mine["channels"]) == 3  # the archived room too: exclude_archived was not set
    validate(spec, "200", mine, "/users.conversations")
    validate(spec, "200", call(slack_mock, "auth.test", BOT), "/auth.test")


def test_leave_kick_profile_presence_match_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    """/conversations.leave (both ok forms), /conversations.kick, /users.profile.get
    (objs_user_profile), /users.getPresence."""
    for _ in range(2):
        left = call(slack_mock, "conversations.leave", BOT, channel=CHANNEL)
        validate(spec, "200", left, "/conversations.leave", "post")
    validate(spec, "default", call(slack_mock, "conversations.leave", USER, channel=CHANNEL),
             "/conversations.leave", "post")  # fmt: skip
    call(slack_mock, "conversations.join", BOT, channel=CHANNEL)
    kicked = call(slack_mock, "conversations.kick", USER, channel=CHANNEL, user="U0OPWIRE0")
    validate(spec, "200", kicked, "/conversations.kick", "post")
    again = call(slack_mock, "conversations.kick", USER, channel=CHANNEL, user="U0OPWIRE0")
    validate(spec, "default", again, "/conversations.kick", "post")
    for user in ("U0OPWIRE0", "U0OPWIRE1"):
        profile = httpx.get(
            f"{slack_mock.url}/api/users.profile.get", params={"user": user}, headers=USER
        ).json()
        validate(spec, "200", profile, "/users.profile.get")
    here = httpx.get(f"{slack_mock.url}/api/users.getPresence", headers=USER).json()
    validate(spec, "200", here, "/users.getPresence")
