"""The official slack_sdk clients, unmodified but for the URL, against the Slack mock."""

from __future__ import annotations

import asyncio
import json
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


def _mock_now(mock: Mock) -> float:
    """The mock's clock, read from a message it stamps (its ts is its time)."""
    return float(
        web(mock).chat_postEphemeral(channel=CHANNEL, user="U0OPWIRE1", text=".")["message_ts"]
    )


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
