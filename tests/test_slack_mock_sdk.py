"""The official slack_sdk clients, unmodified but for the URL, against the Slack mock."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler, builtin_handlers
from slack_sdk.webhook import WebhookClient

from conftest import Mock, serve

TEAM, BOT = "T0SDKTEST", "B0SDKTEST"


@pytest.fixture(scope="module")
def _one_mock() -> Iterator[Mock]:
    yield from serve("slack")


@pytest.fixture
def slack_mock(_one_mock: Mock) -> Mock:
    """One mock for the module, reset to a clean start before each test."""
    _one_mock.control("POST", "reset")
    return _one_mock


SECRET = "SdkSecretSdkSecretSdk123"


def hook_url(mock: Mock) -> str:
    return f"{mock.url}/services/{TEAM}/{BOT}/{SECRET}"


def test_webhook_client_success_lands_in_channel_history(slack_mock: Mock) -> None:
    slack_mock.control("POST", "slack/hooks", {"team": TEAM, "bot": BOT, "channel": "C0SDKCHAN1"})
    response = WebhookClient(hook_url(slack_mock)).send(
        text="fallback", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    )
    assert (response.status_code, response.body) == (200, "ok")
    client = WebClient(token="xoxb-sdk-test-token-000", base_url=f"{slack_mock.url}/api/")
    history = client.conversations_history(channel="C0SDKCHAN1", limit=10)
    assert history["ok"] is True
    (message,) = history["messages"]
    assert message["text"] == "fallback" and message["blocks"][0]["type"] == "section"
    assert message["subtype"] == "bot_message" and message["bot_id"] == BOT


@pytest.mark.parametrize(
    ("state", "status", "body"),
    [
        ("revoked", 404, "no_service"),
        ("channel_not_found", 404, "channel_not_found"),
        ("archived", 410, "channel_is_archived"),
        ("prohibited", 403, "action_prohibited"),
        ("general_denied", 403, "posting_to_general_channel_denied"),
        ("invalid_token", 403, "invalid_token"),
        ("team_disabled", 403, "team_disabled"),
        ("user_not_found", 400, "user_not_found"),
    ],
)
def test_webhook_client_error_states(slack_mock: Mock, state: str, status: int, body: str) -> None:
    slack_mock.control("POST", "slack/hooks", {"team": TEAM, "bot": BOT, "state": state})
    response = WebhookClient(hook_url(slack_mock)).send(text="x")
    assert (response.status_code, response.body) == (status, body)


def test_webhook_client_payload_errors(slack_mock: Mock) -> None:
    client = WebhookClient(hook_url(slack_mock))
    assert (client.send(text="").status_code, client.send(text="").body) == (400, "no_text")
    bad = client.send_dict({"text": "x", "blocks": "not a list"})
    assert (bad.status_code, bad.body) == (400, "invalid_payload")
    many = client.send(text="x", attachments=[{"text": str(i)} for i in range(101)])
    assert (many.status_code, many.body) == (400, "too_many_attachments")
    # A block the Web API refuses is a bare 400 invalid_blocks (java-slack-sdk#1017).
    blocks = client.send(text="x", blocks=[{"type": "banner"}])
    assert (blocks.status_code, blocks.body) == (400, "invalid_blocks")


def test_malformed_json_and_form_payloads(slack_mock: Mock) -> None:
    import httpx

    url = hook_url(slack_mock)
    assert (
        httpx.post(url, content=b"{nope", headers={"content-type": "application/json"}).text
        == "invalid_payload"
    )
    form = httpx.post(url, data={"payload": '{"text": "legacy form"}'})
    assert (form.status_code, form.text) == (200, "ok")
    assert form.headers["content-type"].startswith("text/plain")


def test_malformed_webhook_path_is_no_service(slack_mock: Mock) -> None:
    response = WebhookClient(f"{slack_mock.url}/services/T0SDKTEST/B0SDKTEST/short").send(text="x")
    assert (response.status_code, response.body) == (404, "no_service")


def test_webhook_client_sees_429_with_retry_after(slack_mock: Mock) -> None:
    slack_mock.control("POST", "slack/rate", {"burst": 1, "per_second": 0.5})
    client = WebhookClient(hook_url(slack_mock))
    assert client.send(text="one").status_code == 200
    limited = client.send(text="two")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"][0]) >= 1


@pytest.mark.parametrize(
    ("token", "channel", "error"),
    [
        ("bogus", "C0OPWIRE01", "invalid_auth"),
        ("xoxb-sdk-test-token-000", "C0MISSING1", "channel_not_found"),
    ],
)
def test_web_client_errors(slack_mock: Mock, token: str, channel: str, error: str) -> None:
    client = WebClient(token=token, base_url=f"{slack_mock.url}/api/")
    with pytest.raises(SlackApiError) as raised:
        client.conversations_history(channel=channel)
    assert raised.value.response["error"] == error


def test_web_client_without_token_is_not_authed(slack_mock: Mock) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=f"{slack_mock.url}/api/").conversations_history(channel="C0OPWIRE01")
    assert raised.value.response["error"] == "not_authed"


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


def test_auth_test(slack_mock: Mock) -> None:
    web = WebClient(token="xoxb-sdk-test-token-000", base_url=f"{slack_mock.url}/api/")
    assert web.auth_test()["ok"] is True


# --- the Web API methods an application calls (round 2) ---------------------------------------
# Each answer is the one docs.slack.dev/reference/methods/<method> documents; the shapes are also
# checked against shared/specs/slack in tests/test_slack_spec.py.

BOT_TOKEN, USER_TOKEN = "xoxb-sdk-test-token-000", "xoxp-sdk-user-token-000"
APP_TOKEN = "xapp-1-A0SDK-000-sdk"
CHANNEL = "C0OPWIRE01"


def web(mock: Mock, token: str | None = BOT_TOKEN, **kwargs: Any) -> WebClient:
    return WebClient(token=token, base_url=f"{mock.url}/api/", **kwargs)


def api_error(call: Callable[[], Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


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


def test_users_info(slack_mock: Mock) -> None:
    """users.info: the user object; an unknown user is user_not_found."""
    client = web(slack_mock)
    bot = client.users_info(user="U0OPWIRE0")["user"]
    assert (bot["id"], bot["is_bot"], bot["profile"]["bot_id"]) == ("U0OPWIRE0", True, "B0OPWIRE0")
    human = client.users_info(user="U0OPWIRE1", include_locale=True)["user"]
    assert (human["is_bot"], human["locale"]) == (False, "en-US")
    # What apps show of a person: names and the avatar sizes (objs_user_profile).
    profile = human["profile"]
    assert (profile["first_name"], profile["last_name"]) == ("opwire", "operator")
    assert all(profile[f"image_{n}"].startswith("https://") for n in (24, 32, 48, 72, 192, 512))
    assert api_error(lambda: client.users_info(user="U0NOBODY0")).response["error"] == (
        "user_not_found"
    )


def test_api_test_echoes_and_fails_as_documented(slack_mock: Mock) -> None:
    """api.test: foo=bar answers {"ok": true, "args": {"foo": "bar"}}; error=my_error answers
    {"ok": false, "error": "my_error", "args": {"error": "my_error"}}; no token needed."""
    client = web(slack_mock, token=None)
    assert client.api_test()["ok"] is True
    assert client.api_test(foo="bar").data == {"ok": True, "args": {"foo": "bar"}}
    failed = api_error(lambda: client.api_test(error="my_error"))
    assert failed.response.status_code == 200
    assert failed.response.data == {"ok": False, "error": "my_error", "args": {"error": "my_error"}}


CALLS: dict[str, Callable[[WebClient], Any]] = {
    "chat.postMessage": lambda c: c.chat_postMessage(channel=CHANNEL, text="x"),
    "chat.update": lambda c: c.chat_update(channel=CHANNEL, ts="1700000000.000001", text="x"),
    "conversations.history": lambda c: c.conversations_history(channel=CHANNEL),
    "conversations.replies": lambda c: c.conversations_replies(channel=CHANNEL, ts="1.1"),
    "conversations.info": lambda c: c.conversations_info(channel=CHANNEL),
    "conversations.list": lambda c: c.conversations_list(),
    "users.info": lambda c: c.users_info(user="U0OPWIRE0"),
    "auth.test": lambda c: c.auth_test(),
}


@pytest.mark.parametrize("method", CALLS)
@pytest.mark.parametrize(
    ("token", "error"),
    [(None, "not_authed"), ("bogus", "invalid_auth"), (APP_TOKEN, "not_allowed_token_type")],
)
def test_tokens_a_method_refuses(slack_mock: Mock, method: str, token: str, error: str) -> None:
    """No token: not_authed; a malformed one: invalid_auth; an app-level token on a bot/user
    method: not_allowed_token_type; each HTTP 200 with ok false, as SlackApiError carries it."""
    failed = api_error(lambda: CALLS[method](web(slack_mock, token)))
    assert failed.response.status_code == 200
    assert failed.response.data == {"ok": False, "error": error}
    assert failed.response.api_url.endswith(f"/api/{method}")


def test_token_as_a_form_field_and_nowhere_else(slack_mock: Mock) -> None:
    """The token in the Authorization header or as a POST body parameter; not in the query
    string (changelog 2020-11-no-more-tokens-in-querystrings), not inside a JSON body. The
    request log never shows it."""
    api = f"{slack_mock.url}/api/chat.postMessage"
    blocks = json.dumps([{"type": "divider"}])
    form = httpx.post(
        api, data={"token": USER_TOKEN, "channel": CHANNEL, "text": "hi", "blocks": blocks}
    )
    assert form.json()["ok"] is True and form.json()["message"]["blocks"] == [{"type": "divider"}]
    query = httpx.post(api, params={"token": USER_TOKEN}, data={"channel": CHANNEL, "text": "x"})
    in_json = httpx.post(api, json={"token": USER_TOKEN, "channel": CHANNEL, "text": "x"})
    assert query.json()["error"] == in_json.json()["error"] == "not_authed"
    logged = json.dumps(slack_mock.requests())
    assert USER_TOKEN not in logged and USER_TOKEN[-8:] not in logged


@pytest.mark.parametrize(
    ("headers", "body", "error"),
    [
        ({"content-type": "application/json"}, b"{nope", "invalid_json"),
        ({"content-type": "application/json"}, b"[1]", "json_not_object"),
        ({"content-type": "text/csv"}, b"a,b", "invalid_post_type"),
        ({}, b"channel=C0OPWIRE01", "missing_post_type"),
    ],
)
def test_bodies_slack_cannot_read(
    slack_mock: Mock, headers: dict[str, str], body: bytes, error: str
) -> None:
    """The spec's shared errors for a POST body: invalid_json, json_not_object,
    invalid_post_type, missing_post_type."""
    reply = httpx.post(
        f"{slack_mock.url}/api/chat.postMessage",
        content=body,
        headers={"authorization": f"Bearer {BOT_TOKEN}", **headers},
    )
    assert reply.status_code == 200 and reply.json() == {"ok": False, "error": error}


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


def test_web_api_429_is_ratelimited_json_with_retry_after(slack_mock: Mock) -> None:
    """Past chat.postMessage's per-channel budget: HTTP 429, Retry-After, and the body slack_sdk
    reads (`error == "ratelimited"`, slack_sdk/socket_mode/client.py)."""
    slack_mock.control("POST", "slack/rate", {"burst": 1, "per_second": 0.5})
    client = web(slack_mock)
    client.chat_postMessage(channel=CHANNEL, text="one")
    limited = api_error(lambda: client.chat_postMessage(channel=CHANNEL, text="two"))
    assert limited.response.status_code == 429
    assert limited.response.data == {"ok": False, "error": "ratelimited"}
    assert limited.response.headers["Retry-After"] == "2"
    # Another channel has its own budget ("one message per second per channel").
    slack_mock.control("POST", "slack/channels", {"id": "C0OTHER005"})
    assert client.chat_postMessage(channel="C0OTHER005", text="elsewhere")["ok"] is True


def test_rate_limit_retry_handler_honours_retry_after(
    slack_mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slack_sdk's RateLimitErrorRetryHandler waits Retry-After and retries: its wait advances
    the mock's clock instead of sleeping, so the retry lands after the budget refilled."""
    waited: list[float] = []

    def wait(seconds: float) -> None:
        waited.append(seconds)
        slack_mock.control("POST", "clock", {"advance_s": seconds})

    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=wait))
    slack_mock.control("POST", "slack/rate", {"burst": 1, "per_second": 0.5})
    client = web(slack_mock, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    client.chat_postMessage(channel=CHANNEL, text="one")
    assert client.chat_postMessage(channel=CHANNEL, text="two")["ok"] is True
    assert len(waited) == 1 and 2 <= waited[0] < 3
    posts = [r["status"] for r in slack_mock.requests() if r["path"] == "/api/chat.postMessage"]
    assert posts == [200, 429, 200]


def test_throttle_scenarios_answer_each_host_in_its_own_shape(slack_mock: Mock) -> None:
    """slack/retry_after_storm: the Web API's JSON 429 on /api/, the webhook's bare word on
    /services/, both with Retry-After 3600 (Slack documents no other rate-limit header)."""
    slack_mock.control("POST", "scenarios", {"name": "slack/retry_after_storm"})
    limited = api_error(lambda: web(slack_mock).auth_test())
    assert limited.response.status_code == 429
    assert limited.response.data == {"ok": False, "error": "ratelimited"}
    assert limited.response.headers["Retry-After"] == "3600"
    hook = WebhookClient(hook_url(slack_mock)).send(text="x")
    assert (hook.status_code, hook.body, hook.headers["Retry-After"]) == (
        429,
        "rate_limited",
        "3600",
    )


def test_unknown_methods_paths_and_verbs(slack_mock: Mock) -> None:
    """An unknown method is Slack's unknown_method JSON (with req_method), never a framework
    page; so is a trailing-slash twin of a method; other verbs and paths get Slack-shaped
    answers too."""
    unknown = api_error(lambda: web(slack_mock).api_call("nothing.here"))
    assert unknown.response.status_code == 404
    assert unknown.response.data == {
        "ok": False,
        "error": "unknown_method",
        "req_method": "nothing.here",
    }
    slash = httpx.get(f"{slack_mock.url}/api/auth.test/")
    assert (slash.status_code, slash.json()["error"]) == (404, "unknown_method")
    put = httpx.put(f"{slack_mock.url}/api/chat.postMessage")
    assert (put.status_code, put.json()["ok"]) == (405, False)
    get_hook = httpx.get(hook_url(slack_mock))
    assert (get_hook.status_code, get_hook.text) == (400, "invalid_payload")
    elsewhere = httpx.get(f"{slack_mock.url}/nowhere")
    assert (elsewhere.status_code, elsewhere.text) == (404, "not_found")


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


def _mock_now(mock: Mock) -> float:
    """The mock's clock, read from a message it stamps (its ts is its time)."""
    return float(
        web(mock).chat_postEphemeral(channel=CHANNEL, user="U0OPWIRE1", text=".")["message_ts"]
    )


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


def test_users_list_lookup_by_email_bots_and_team(slack_mock: Mock) -> None:
    """users.list ({members, cache_ts, response_metadata}; the SDK iterates its pages),
    users.lookupByEmail (users_not_found), bots.info (bot_not_found), team.info."""
    client = web(slack_mock)
    everyone = client.users_list()
    assert [u["id"] for u in everyone["members"]] == ["U0OPWIRE0", "U0OPWIRE1", "USLACKBOT"]
    assert isinstance(everyone["cache_ts"], int)
    pages = [[u["id"] for u in page["members"]] for page in client.users_list(limit=2)]
    assert pages == [["U0OPWIRE0", "U0OPWIRE1"], ["USLACKBOT"]]
    slackbot = client.users_info(user="USLACKBOT")["user"]
    assert (slackbot["name"], slackbot["is_bot"]) == ("slackbot", False)
    found = client.users_lookupByEmail(email="operator@opwire.example")["user"]
    assert found["id"] == "U0OPWIRE1" and found["profile"]["email"] == "operator@opwire.example"
    nobody = api_error(lambda: client.users_lookupByEmail(email="nobody@opwire.example"))
    assert nobody.response["error"] == "users_not_found"
    bot = client.bots_info(bot="B0OPWIRE0")["bot"]
    assert (bot["id"], bot["user_id"], bot["deleted"]) == ("B0OPWIRE0", "U0OPWIRE0", False)
    assert set(bot["icons"]) == {"image_36", "image_48", "image_72"}
    missing = api_error(lambda: client.bots_info(bot="B0NOBODY00"))
    assert missing.response["error"] == "bot_not_found"
    team = client.team_info()["team"]
    assert (team["id"], team["name"]) == ("T0OPWIRE0", "opwire mock") and "domain" in team


def test_files_upload_v2_shares_into_the_channel(slack_mock: Mock) -> None:
    """files_upload_v2: files.getUploadURLExternal, the bytes POSTed to upload_url (HTTP 200),
    files.completeUploadExternal; the SDK answers the one file as `file`, and the channel's
    history has the message that shares it, with the initial comment."""
    client = web(slack_mock)
    done = client.files_upload_v2(
        channel=CHANNEL,
        content="line one\nline two\n",
        filename="incident.log",
        title="Incident log",
        initial_comment="log attached",
    )
    assert done["file"]["id"].startswith("F") and done["file"]["title"] == "Incident log"
    assert done["file"]["name"] == "incident.log" and done["file"]["size"] == 18
    (shared,) = client.conversations_history(channel=CHANNEL)["messages"]
    assert shared["text"] == "log attached" and shared["files"][0]["id"] == done["file"]["id"]
    assert client.files_info(file=done["file"]["id"])["file"]["channels"] == [CHANNEL]
    urls = [r["path"] for r in slack_mock.requests()]
    assert urls[:3] == [
        "/api/files.getUploadURLExternal",
        f"/upload/v1/{done['file']['id']}",
        "/api/files.completeUploadExternal",
    ]


def test_files_complete_upload_of_unknown_file_is_an_error(slack_mock: Mock) -> None:
    """files.completeUploadExternal with a file id never issued: file_not_found (UNCONFIRMED)."""
    failed = api_error(
        lambda: web(slack_mock).files_completeUploadExternal(files=[{"id": "F0NOTHING0"}])
    )
    assert failed.response["error"] == "file_not_found"


def test_missing_required_argument_is_invalid_arguments(slack_mock: Mock) -> None:
    """A required argument left out: invalid_arguments, with the field named in
    response_metadata.messages ("[ERROR] missing required field: email")."""
    reply = httpx.get(
        f"{slack_mock.url}/api/users.lookupByEmail",
        headers={"authorization": f"Bearer {BOT_TOKEN}"},
    )
    assert reply.json() == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": ["[ERROR] missing required field: email"]},
    }


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


def test_charset_warnings(slack_mock: Mock) -> None:
    """A JSON body without a charset is answered with the missing_charset warning (Slack
    changelog 2016-09-28, `warning` and response_metadata.warnings); slack_sdk's own requests
    (JSON with charset, forms without) earn none; a form that names a charset earns
    superfluous_charset (python-slack-sdk#692)."""
    api, auth = f"{slack_mock.url}/api/chat.postMessage", {"authorization": f"Bearer {BOT_TOKEN}"}
    bare = httpx.post(api, json={"channel": CHANNEL, "text": "x"}, headers=auth).json()
    assert bare["ok"] is True and bare["warning"] == "missing_charset"
    assert bare["response_metadata"]["warnings"] == ["missing_charset"]
    form = httpx.post(
        f"{slack_mock.url}/api/api.test",
        content=b"a=1",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    ).json()
    assert form["warning"] == "superfluous_charset"
    sdk = web(slack_mock).chat_postMessage(channel=CHANNEL, text="y")
    assert "warning" not in sdk.data


def test_token_as_a_form_field_and_json_with_header(slack_mock: Mock) -> None:
    """The token may be a POST body parameter of a form (docs.slack.dev/apis/web-api)."""
    form = httpx.post(
        f"{slack_mock.url}/api/chat.postMessage",
        data={"token": BOT_TOKEN, "channel": "#opwire-alerts", "text": "by form"},
    ).json()
    assert form["ok"] is True and form["channel"] == CHANNEL


def test_unfurl_and_broadcast_flags_are_taken(slack_mock: Mock) -> None:
    """chat.postMessage takes unfurl_links/unfurl_media/mrkdwn flags (booleans the SDK sends)."""
    client = web(slack_mock)
    sent = client.chat_postMessage(
        channel=CHANNEL, text="<https://example.invalid|x>", unfurl_links=False, unfurl_media=False,
        mrkdwn=True,
    )  # fmt: skip
    assert sent["ok"] is True


def test_async_web_client(slack_mock: Mock) -> None:
    """AsyncWebClient (aiohttp) makes the same calls: auth.test, chat.postMessage, and
    conversations.history through its async page iterator, which ends on next_cursor ""."""
    from slack_sdk.web.async_client import AsyncWebClient

    async def run() -> list[list[str]]:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=f"{slack_mock.url}/api/")
        assert (await client.auth_test())["user_id"] == "U0OPWIRE0"
        for n in range(3):
            await client.chat_postMessage(channel=CHANNEL, text=f"a{n}")
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C0MISSING1", text="x")
        assert raised.value.response["error"] == "channel_not_found"
        pages = []
        async for page in await client.conversations_history(channel=CHANNEL, limit=2):
            pages.append([m["text"] for m in page["messages"]])
        return pages

    assert asyncio.run(run()) == [["a2", "a1"], ["a0"]]


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


def test_scope_headers(slack_mock: Mock) -> None:
    """Every Web API answer to a token names the token's scopes (X-OAuth-Scopes) and the
    method's (X-Accepted-OAuth-Scopes), as apps read them from auth.test to check an install."""
    client = web(slack_mock)
    granted = client.auth_test().headers["x-oauth-scopes"].split(",")
    assert {"chat:write", "channels:history", "reactions:write"} <= set(granted)
    posted = client.chat_postMessage(channel=CHANNEL, text="x")
    assert posted.headers["x-accepted-oauth-scopes"] == "chat:write"
    missing = api_error(lambda: client.conversations_history(channel="C0MISSING1"))
    assert "channels:history" in missing.response.headers["x-accepted-oauth-scopes"].split(",")


def test_webhook_client_rate_limit_retry_handler(
    slack_mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WebhookClient with RateLimitErrorRetryHandler: the webhook's 429 carries Retry-After, the
    handler waits it (here: advances the mock's clock) and the retry is delivered."""
    waited: list[float] = []

    def wait(seconds: float) -> None:
        waited.append(seconds)
        slack_mock.control("POST", "clock", {"advance_s": seconds})

    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=wait))
    slack_mock.control("POST", "slack/rate", {"burst": 1, "per_second": 1})
    client = WebhookClient(
        hook_url(slack_mock), retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    assert client.send(text="one").body == "ok"
    second = client.send(text="two")
    assert (second.status_code, second.body) == (200, "ok") and len(waited) == 1
    statuses = [r["status"] for r in slack_mock.requests() if r["path"].startswith("/services/")]
    assert statuses == [200, 429, 200]


def test_async_web_client_rate_limit_retry_handler(
    slack_mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AsyncWebClient with AsyncRateLimitErrorRetryHandler: HTTP 429 + Retry-After on
    chat.postMessage, one wait, then ok."""
    from slack_sdk.http_retry import builtin_async_handlers
    from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient

    waited: list[float] = []

    async def wait(seconds: float) -> None:
        waited.append(seconds)
        slack_mock.control("POST", "clock", {"advance_s": seconds})

    monkeypatch.setattr(builtin_async_handlers, "asyncio", SimpleNamespace(sleep=wait))
    slack_mock.control("POST", "slack/rate", {"burst": 1, "per_second": 0.5})

    async def run() -> bool:
        client = AsyncWebClient(
            token=BOT_TOKEN,
            base_url=f"{slack_mock.url}/api/",
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
        )
        await client.chat_postMessage(channel=CHANNEL, text="one")
        return bool((await client.chat_postMessage(channel=CHANNEL, text="two"))["ok"])

    assert asyncio.run(run()) is True and len(waited) == 1 and waited[0] >= 2


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


def test_legacy_files_upload_is_gone(slack_mock: Mock) -> None:
    """files.upload was sunset on 2025-11-12 (Slack changelog 2024-04): slack_sdk's deprecated
    files_upload (a multipart body) gets ok false, method_deprecated (UNCONFIRMED name)."""
    with pytest.warns(UserWarning):
        failed = api_error(
            lambda: web(slack_mock).files_upload(channels=CHANNEL, content="x", filename="a.txt")
        )
    assert failed.response.status_code == 200
    assert failed.response["error"] == "method_deprecated"


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


def test_async_webhook_client_and_async_upload(slack_mock: Mock) -> None:
    """AsyncWebhookClient (aiohttp): 200 "ok", and the bare-word errors; AsyncWebClient's
    files_upload_v2 makes the same three steps as the sync client's."""
    from slack_sdk.web.async_client import AsyncWebClient
    from slack_sdk.webhook.async_client import AsyncWebhookClient

    async def run() -> tuple[Any, Any, Any]:
        hook = AsyncWebhookClient(hook_url(slack_mock))
        sent, empty = await hook.send(text="async hello"), await hook.send(text="")
        client = AsyncWebClient(token=BOT_TOKEN, base_url=f"{slack_mock.url}/api/")
        done = await client.files_upload_v2(channel=CHANNEL, content="abc", filename="a.txt")
        return sent, empty, done

    sent, empty, done = asyncio.run(run())
    assert (sent.status_code, sent.body) == (200, "ok")
    assert (empty.status_code, empty.body) == (400, "no_text")
    assert done["file"]["name"] == "a.txt" and done["file"]["size"] == 3
    texts = [m["text"] for m in web(slack_mock).conversations_history(channel=CHANNEL)["messages"]]
    assert texts == ["", "async hello"]


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
