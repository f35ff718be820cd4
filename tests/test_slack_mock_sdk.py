"""The official slack_sdk clients, unmodified but for the URL, against the Slack mock."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from conftest import Mock

TEAM, BOT = "T0SDKTEST", "B0SDKTEST"
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
