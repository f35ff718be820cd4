"""The official slack_sdk clients against the Slack mock: odd input a real workspace refuses,
and the mock's bounds and secrets holding under it (findings of a review of the mock)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from conftest import Mock

BOT_TOKEN, USER_TOKEN = "xoxb-robust-test-token-0", "xoxp-robust-user-token-0"
CHANNEL = "C0OPWIRE01"
HOOK = "/services/T0ROBUST0/B0ROBUST0/RobustSecretRobustSecret"
LONE_SURROGATE = "\ud800"


def web(mock: Mock, token: str = BOT_TOKEN) -> WebClient:
    return WebClient(token=token, base_url=f"{mock.url}/api/")


def api_error(call: Callable[[], Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def test_lone_surrogates_are_refused_and_reads_keep_working(slack_mock: Mock) -> None:
    """slack_sdk's json.dumps escapes a lone surrogate as `"\\ud800"`, which no UTF-8 text can
    hold: chat.postMessage answers `invalid_json` (shared/specs/slack, the error every method
    lists), the webhook a 400 `invalid_payload` (api.slack.com/changelog/2016-05-17-changes-to-
    errors-for-incoming-webhooks), and the channel's history and the mock's own message list
    stay readable."""
    client = web(slack_mock)
    refused = api_error(lambda: client.chat_postMessage(channel=CHANNEL, text=LONE_SURROGATE))
    assert refused.response["error"] == "invalid_json"
    in_metadata = {"event_type": "t", "event_payload": {"k": LONE_SURROGATE}}
    refused = api_error(
        lambda: client.chat_postMessage(channel=CHANNEL, text="x", metadata=in_metadata)
    )
    assert refused.response["error"] == "invalid_json"
    hook = WebhookClient(f"{slack_mock.url}{HOOK}").send(text=LONE_SURROGATE)
    assert (hook.status_code, hook.body) == (400, "invalid_payload")
    assert client.conversations_history(channel=CHANNEL)["messages"] == []
    assert httpx.get(f"{slack_mock.url}/_opwire/slack/messages").status_code == 200


SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() says yes, int() says no


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("cursor", [f"offset:{SUPERSCRIPT_TWO}", f"next_ts:{SUPERSCRIPT_TWO}"])
@pytest.mark.parametrize(
    "method",
    [
        "conversations.list",
        "conversations.members",
        "conversations.history",
        "conversations.replies",
        "users.list",
        "users.conversations",
        "chat.scheduledMessages.list",
    ],
)
def test_unicode_digits_in_limits_and_cursors(slack_mock: Mock, method: str, cursor: str) -> None:
    """A `limit` or cursor that is no ASCII decimal number: the method's default page or
    `invalid_limit`, and `invalid_cursor` (docs.slack.dev/apis/web-api/pagination: "invalid_cursor
    ... the cursor is invalid"), never a failure of the mock."""
    client = web(slack_mock)
    ts = client.chat_postMessage(channel=CHANNEL, text="x")["ts"]
    args = {"channel": CHANNEL, "ts": ts}
    try:
        assert client.api_call(method, params={**args, "limit": SUPERSCRIPT_TWO})["ok"] is True
    except SlackApiError as failure:
        assert failure.response["error"] == "invalid_limit"
    failure = api_error(lambda: client.api_call(method, params={**args, "cursor": _cursor(cursor)}))
    assert failure.response["error"] == "invalid_cursor"


def test_unicode_digits_in_search_paging_and_upload_length(slack_mock: Mock) -> None:
    """search.messages' `count`/`page` that are no numbers fall back to their defaults (20, 1:
    docs.slack.dev/reference/methods/search.messages); files.getUploadURLExternal's `length` is
    a required integer (docs.slack.dev/reference/methods/files.getUploadURLExternal)."""
    person = web(slack_mock, USER_TOKEN)
    for name in ("count", "page"):
        found = person.search_messages(query="x", **{name: SUPERSCRIPT_TWO})
        assert found["messages"]["paging"]["count"] == 20
    failure = api_error(
        lambda: web(slack_mock).files_getUploadURLExternal(filename="a", length=SUPERSCRIPT_TWO)  # type: ignore[arg-type]
    )
    assert failure.response["error"] == "invalid_arguments"


def test_a_token_in_a_multipart_field_is_masked_in_the_request_log(slack_mock: Mock) -> None:
    """docs.slack.dev/apis/web-api: the token may be a POST body parameter, and multipart/form-
    data is a POST body the Web API reads: the call is authenticated by it, and the mock's
    request log never shows it."""
    planted = "xoxb-PLANTED0SECRET-4711"
    reply = httpx.post(
        f"{slack_mock.url}/api/auth.test",
        data={"token": planted},
        files={"file": ("a.txt", b"zz")},
    )
    assert reply.json()["ok"] is True
    logged = json.dumps(slack_mock.requests())
    assert "PLANTED0SECRET" not in logged


def test_completing_an_upload_twice_lists_its_channel_once(slack_mock: Mock) -> None:
    """files.completeUploadExternal shares the file into `channel_id`; a file's `channels` are
    the channels it is in (objs_file in shared/specs/slack), so a retried completion into the
    same channel leaves it listed there once."""
    client = web(slack_mock)
    upload = client.files_getUploadURLExternal(filename="a.txt", length=2)
    httpx.post(upload["upload_url"], content=b"zz")
    for _ in range(3):
        done = client.files_completeUploadExternal(
            files=[{"id": upload["file_id"]}], channel_id=CHANNEL
        )
    assert done["files"][0]["channels"] == [CHANNEL]
    assert client.files_info(file=upload["file_id"])["file"]["channels"] == [CHANNEL]


def test_a_refill_rate_too_slow_to_wait_for_is_refused(slack_mock: Mock) -> None:
    """POST /_opwire/slack/rate takes a per_second of 0.001 or more (README: a control value of
    the wrong kind "gets 400 and {"error": ...}", never a 500); at the slowest, a webhook's 429
    still carries a whole-second Retry-After (docs.slack.dev/apis/web-api/rate-limits)."""
    reply = httpx.post(
        f"{slack_mock.url}/_opwire/slack/rate", json={"burst": 0, "per_second": 1e-320}
    )
    assert reply.status_code == 400 and "per_second" in reply.json()["error"]
    slack_mock.control("POST", "slack/rate", {"burst": 0, "per_second": 0.001})
    throttled = WebhookClient(f"{slack_mock.url}{HOOK}").send(text="x")
    assert (throttled.status_code, throttled.body) == (429, "rate_limited")
    assert throttled.headers["Retry-After"] == "1000"  # one message at 0.001 per second


BIG = [{"fallback": "big", "text": "A" * (12 << 20)}]  # 12 MiB: six of them pass the 64 MiB store


def _dropped_messages(mock: Mock) -> int:
    return int(mock.control("GET", "health")["dropped"]["messages"])


def test_messages_grown_by_chat_update_count_against_the_store(slack_mock: Mock) -> None:
    """chat.update replaces a message's attachments (docs.slack.dev/reference/methods/
    chat.update); the mock's messages share one budget (README "Mocks": each store keeps the
    newest entries and counts what it drops in /_opwire/health), so updates that grow messages
    past it drop the oldest, as posting that much would."""
    client = web(slack_mock)
    for _ in range(6):
        ts = client.chat_postMessage(channel=CHANNEL, text="x")["ts"]
        client.chat_update(channel=CHANNEL, ts=ts, text="y", attachments=BIG)
    assert _dropped_messages(slack_mock) > 0
    assert client.conversations_history(channel=CHANNEL, limit=10)["ok"] is True


def test_scheduled_messages_count_against_the_store(slack_mock: Mock) -> None:
    """chat.scheduleMessage keeps a message until its post_at (docs.slack.dev/reference/methods/
    chat.scheduleMessage); the scheduled messages are weighed like posted ones, so large ones
    drop the oldest and are counted under `messages` in /_opwire/health."""
    client = web(slack_mock)
    now = float(
        client.chat_postEphemeral(channel=CHANNEL, user="U0OPWIRE1", text=".")["message_ts"]
    )
    for n in range(6):
        client.chat_scheduleMessage(
            channel=CHANNEL, text="later", post_at=int(now) + 3600 + n, attachments=BIG
        )
    assert _dropped_messages(slack_mock) > 0
    assert len(client.chat_scheduledMessages_list()["scheduled_messages"]) < 6


@pytest.mark.parametrize("section_text", ["bare words", ["a", "list"], {"type": "mrkdwn"}])
def test_a_section_whose_text_is_no_text_object_is_invalid_blocks(
    slack_mock: Mock, section_text: Any
) -> None:
    """A section block's `text` is a text object, `{"type", "text"}` (docs.slack.dev/reference/
    block-kit/blocks/section-block, composition-objects/text-object): anything else is
    `invalid_blocks` from chat.postMessage and a bare 400 `invalid_blocks` from a webhook
    (java-slack-sdk#1017)."""
    blocks = [{"type": "section", "text": section_text}]
    failure = api_error(
        lambda: web(slack_mock).chat_postMessage(channel=CHANNEL, text="x", blocks=blocks)
    )
    assert failure.response["error"] == "invalid_blocks"
    assert failure.response["errors"] == ["must be a text object [json-pointer:/blocks/0/text]"]
    hook = WebhookClient(f"{slack_mock.url}{HOOK}").send(text="x", blocks=blocks)
    assert (hook.status_code, hook.body) == (400, "invalid_blocks")
    fields = [{"type": "section", "fields": [{"type": "mrkdwn", "text": "*a*"}]}]
    assert web(slack_mock).chat_postMessage(channel=CHANNEL, text="x", blocks=fields)["ok"]


def test_a_bot_archives_only_a_channel_it_is_in_and_unarchiving_adds_it(slack_mock: Mock) -> None:
    """conversations.archive: `not_in_channel`, "The token can not be found in channel"
    (docs.slack.dev/reference/methods/conversations.archive, its error table); unarchive lists
    no such error and "the calling user is added to the conversation" (…/conversations.unarchive).
    """
    slack_mock.control("POST", "slack/channels", {"id": "C0OUTSIDE1", "member": False})
    bot, person = web(slack_mock), web(slack_mock, USER_TOKEN)
    failure = api_error(lambda: bot.conversations_archive(channel="C0OUTSIDE1"))
    assert failure.response["error"] == "not_in_channel"
    assert person.conversations_archive(channel="C0OUTSIDE1")["ok"] is True
    assert bot.conversations_unarchive(channel="C0OUTSIDE1")["ok"] is True
    assert bot.conversations_info(channel="C0OUTSIDE1")["channel"]["is_member"] is True
