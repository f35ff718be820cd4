"""Slack mock: incoming webhooks and the Web API methods an application calls, with shared state.

Pages followed: api.slack.com/messaging/webhooks; api.slack.com/changelog/2016-05-17-changes-to-
errors-for-incoming-webhooks; docs.slack.dev/apis/web-api/rate-limits;
shared/specs/slack/slack_web_openapi_v2.json; vendor-contracts.md § 5. The Web API methods live
in mock_methods.py, mock_chat.py, mock_items.py, mock_directory.py, mock_channels.py,
mock_files.py and mock_search.py (their plumbing in mock_web.py, Block Kit's limits in
mock_blocks.py, the OAuth scopes in mock_scopes.py), the state in mock_state.py.

Webhook answers are bare words as text/plain; the Web API answers HTTP 200 with `ok` true or
false (a 429 `ratelimited` when throttled). Any well-formed webhook path and any `xoxb-`/`xoxp-`
token is accepted (`xapp-` app-level tokens are refused by every method but api.test). Webhooks
nobody registered deliver into the default channel `C0OPWIRE01` (#opwire-alerts).

Mock control, besides the shared /_opwire/ routes:
- `POST /_opwire/slack/hooks` `{"team": "T…", "bot": "B…", "channel": "C…", "state": "revoked"}`
- `POST /_opwire/slack/channels`
  `{"id": "C…", "name": "alerts", "member": false, "archived": true, "private": true}`
- `POST /_opwire/slack/rate` `{"burst": 1, "per_second": 1}` (each webhook's, and each
  channel's for chat.postMessage)
- `GET /_opwire/slack/messages?channel=C…`

Hooks, channels and messages keep the newest entries and count what they drop
(`/_opwire/health`); the messages of every channel share one store, so many channels cannot
multiply its cap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.integrations.slack import (
    mock_blocks,
    mock_channels,
    mock_chat,
    mock_directory,
    mock_files,
    mock_items,
    mock_methods,
    mock_search,
)
from opwire.integrations.slack.mock_state import (
    DEFAULT_CHANNEL,
    MESSAGE_OVERHEAD,
    PER_SECOND_MIN,
    Hook,
    SlackState,
)
from opwire.integrations.slack.mock_web import ApiError, form_fields, not_found
from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, run_id_in
from opwire.mock.limits import TOO_LARGE
from opwire.mock.scenarios import Scenario, Throttle, vendor_state
from opwire.mock.state import clock_of
from opwire.mock.values import ControlError, number

TEAM, BOT, SECRET = r"T[A-Z0-9]{6,}", r"B[A-Z0-9]{6,}", r"[A-Za-z0-9]{24}"
WEBHOOK = re.compile(rf"^/services/({TEAM})/({BOT})/({SECRET})$")

# Webhook hook states -> (HTTP status, body). Statuses marked UNCONFIRMED in
# vendor-contracts.md § 5.3/§ 9 are Slack's documented words with the most likely status.
HOOK_ANSWERS: dict[str, tuple[int, str]] = {
    "revoked": (404, "no_service"),
    "channel_not_found": (404, "channel_not_found"),
    "archived": (410, "channel_is_archived"),
    "prohibited": (403, "action_prohibited"),
    "general_denied": (403, "posting_to_general_channel_denied"),  # status UNCONFIRMED
    "invalid_token": (403, "invalid_token"),  # status UNCONFIRMED
    "team_disabled": (403, "team_disabled"),  # status UNCONFIRMED
    "user_not_found": (400, "user_not_found"),
}
RATE_LIMITED_BODY = "rate_limited"  # UNCONFIRMED: the real webhook 429 body is not documented
# The Web API's 429 body (slack_sdk and @slack/web-api read `error: ratelimited` from it).
WEB_RATELIMITED = json.dumps({"ok": False, "error": "ratelimited"})
# Slack documents no rate-limit header but Retry-After (docs.slack.dev/apis/web-api/rate-limits).
THROTTLE_HEADERS: dict[str, str] = {}
TEXT = "text/plain; charset=utf-8"


def _state(request: Request) -> SlackState:
    state: SlackState = mock_state(request).vendor
    return state


def _word(status: int, word: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(word, status, headers)


def _parse_message(content_type: str, body: bytes) -> dict[str, Any] | None:
    if content_type.startswith("application/x-www-form-urlencoded"):
        payload = parse_qs(body.decode("utf-8", "replace")).get("payload", [""])[0]
        document = json_body(payload.encode())
    else:
        document = json_body(body)
    # json_body refuses a lone surrogate ("\ud800"), which no answer could carry back.
    return document if isinstance(document, dict) else None


async def webhook(request: Request) -> Response:
    state = _state(request)
    match = WEBHOOK.match(request.url.path)
    if match is None:
        return _word(404, "no_service")
    hook = state.hooks.setdefault(
        f"{match.group(1)}/{match.group(2)}", Hook(state.default_channel, state.default_hook_state)
    )
    if hook.state in HOOK_ANSWERS:
        return _word(*HOOK_ANSWERS[hook.state])
    channel = state.channel(hook.channel)
    if channel.archived:
        return _word(410, "channel_is_archived")
    if not state.take_token(hook.bucket, clock_of(request).monotonic()):
        return _word(429, RATE_LIMITED_BODY, {"Retry-After": str(state.wait_s(hook.bucket))})
    raw = await request.body()
    message = _parse_message(request.headers.get("content-type", ""), raw)
    if message is None or not _valid_shape(message):
        return _word(400, "invalid_payload")
    if not (message.get("text") or message.get("blocks") or message.get("attachments")):
        return _word(400, "no_text")
    if len(message.get("attachments") or []) > 100:
        return _word(400, "too_many_attachments")
    if not _blocks_ok(message.get("blocks") or []):
        return _word(400, "invalid_blocks")
    state.deliver_due(clock_of(request).now())
    stored = _stored(message, match.group(2), state.next_ts(clock_of(request).now()))
    state.store(channel.id, stored, len(raw) + MESSAGE_OVERHEAD)
    return _word(200, "ok")


def _blocks_ok(blocks: list[Any]) -> bool:
    """Blocks the Web API would take; a webhook answers others with a bare 400 `invalid_blocks`
    (java-slack-sdk#1017: "a 400 invalid_blocks back ... posting a message to our webhook")."""
    try:
        mock_blocks.check_blocks(blocks)
    except ApiError:
        return False
    return True


def _valid_shape(message: dict[str, Any]) -> bool:
    text_ok = isinstance(message.get("text", ""), str)
    blocks_ok = isinstance(message.get("blocks", []), list)
    attachments_ok = isinstance(message.get("attachments", []), list)
    return text_ok and blocks_ok and attachments_ok


def _stored(message: dict[str, Any], bot: str, ts: str) -> dict[str, Any]:
    stored = {
        "type": "message",
        "subtype": "bot_message",
        "text": message.get("text", ""),
        "ts": ts,
        "bot_id": bot,
    }
    for key in ("blocks", "thread_ts"):
        if key in message:
            stored[key] = message[key]
    if message.get("attachments"):
        stored["attachments"] = mock_methods.numbered(message["attachments"])
    return stored


async def control_hooks(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        data = json_body(await request.body())
        if not _strings(data, required=("team", "bot"), optional=("channel", "state")):
            return JSONResponse({"error": "expected {team, bot, channel?, state?} strings"}, 400)
        if data.get("state", "active") not in {"active", *HOOK_ANSWERS}:
            return JSONResponse(
                {"error": f"state is one of active, {', '.join(HOOK_ANSWERS)}"}, 400
            )
        hook = state.hooks.setdefault(f"{data['team']}/{data['bot']}", Hook())
        hook.channel = str(data.get("channel", hook.channel))
        hook.state = str(data.get("state", hook.state))
        state.channel(hook.channel)
    return JSONResponse(
        {"hooks": {k: {"channel": h.channel, "state": h.state} for k, h in state.hooks.items()}}
    )


def _strings(data: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool:
    """True when `data` is an object whose `required` fields, and any `optional` ones present,
    are strings."""
    if not isinstance(data, dict) or not set(required) <= set(data):
        return False
    return all(isinstance(data[k], str) for k in (*required, *optional) if k in data)


CHANNEL_FLAGS = ("member", "archived", "private")


async def control_channels(request: Request) -> Response:
    state = _state(request)
    data = json_body(await request.body())
    flags_ok = isinstance(data, dict) and all(
        isinstance(data.get(flag, False), bool) for flag in CHANNEL_FLAGS
    )
    if not flags_ok or not _strings(data, required=("id",), optional=("name",)):
        return JSONResponse(
            {"error": "expected {id, name?, member?, archived?, private?}: strings, booleans"}, 400
        )
    channel = state.channel(data["id"])
    channel.name = data.get("name") or channel.name
    for flag in CHANNEL_FLAGS:
        setattr(channel, flag, bool(data.get(flag, getattr(channel, flag))))
    # The answer's shape is pinned by mock/control_schema.py (name and private not yet in it).
    return JSONResponse({"id": channel.id, "member": channel.member, "archived": channel.archived})


async def control_rate(request: Request) -> Response:
    state = _state(request)
    data = json_body(await request.body())
    if not isinstance(data, dict):
        return JSONResponse({"error": "expected {burst, per_second} numbers"}, 400)
    try:
        # per_second is divided by (the Retry-After): at least one message in ~17 minutes, so
        # the wait stays a number (1e-320 made it infinite, and every webhook a 500).
        burst = number(data.get("burst", state.burst), "burst")
        per_second = data.get("per_second", state.per_second)
        state.per_second = number(per_second, "per_second", minimum=PER_SECOND_MIN)
    except ControlError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    state.burst = burst
    for bucket in state.buckets():
        bucket.tokens = -1.0
    return JSONResponse({"burst": state.burst, "per_second": state.per_second})


async def control_messages(request: Request) -> Response:
    state = _state(request)
    state.deliver_due(clock_of(request).now())
    wanted = request.query_params.get("channel")
    return JSONResponse(
        {cid: found for cid, found in state.history().items() if wanted in (None, cid)}
    )


def items(state: SlackState, clock: MockClock) -> Iterator[Item]:
    """Each message held, as conversations.history shows it, with its `channel` (as Slack's
    message events carry it); the run id is in its text (or its blocks and attachments)."""
    state.deliver_due(clock.now())
    for channel, message in state.held():
        found = run_id_in(message["text"], message.get("blocks"), message.get("attachments"))
        yield Item("message", float(message["ts"]), found, {**message, "channel": channel})


def credential_of(incoming: Incoming) -> str | None:
    match = WEBHOOK.match(incoming.path)
    if match:
        return match.group(3)
    auth = incoming.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    for source in (incoming.query, incoming.body.decode("utf-8", "replace")):
        token = parse_qs(source).get("token")
        if token:
            return token[0]
    # The Web API takes a token from a multipart body's field too (mock_web._arguments).
    content_type = incoming.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        return form_fields(content_type, incoming.body).get("token") or None
    # Slack ignores a token inside a JSON body, but the log must not show it either.
    document = json_body(incoming.body) if incoming.body.startswith(b"{") else None
    token_in_json = document.get("token") if isinstance(document, dict) else None
    return token_in_json if isinstance(token_in_json, str) and token_in_json else None


def _channel(**values: Any) -> Any:
    def apply(state: Any) -> None:
        for name, value in values.items():
            setattr(state.vendor.channel(DEFAULT_CHANNEL), name, value)

    return apply


SCENARIOS = (
    Scenario(
        "slack/revoked",
        "every webhook is revoked (404 no_service)",
        vendor_state(default_hook_state="revoked"),
        "Slack webhook returns 404",
    ),
    Scenario("slack/archived", "the webhook's channel is archived (410)", _channel(archived=True)),
    Scenario("slack/bot_not_in_channel", "the bot cannot read the channel", _channel(member=False)),
    Scenario(
        "slack/wrong_channel",
        "webhooks post to another channel than the one read",
        vendor_state(default_channel="C0ELSEWHERE"),
    ),
    Scenario(
        "slack/rate_limited",
        "the webhook is rate limited for minutes",
        vendor_state(burst=0.0, per_second=0.005),
    ),
)


def _web_routes() -> list[Route]:
    modules = (
        mock_methods, mock_chat, mock_items, mock_directory, mock_channels, mock_files, mock_search
    )  # fmt: skip
    return [route for module in modules for route in module.routes()]


def create_app() -> ASGIApp:
    return create_mock_app(
        "slack",
        [Route("/services/{rest:path}", webhook, methods=["POST"]), *_web_routes()],
        SlackState,
        credential_of,
        [
            Route("/_opwire/slack/hooks", control_hooks, methods=["GET", "POST"]),
            Route("/_opwire/slack/channels", control_channels, methods=["POST"]),
            Route("/_opwire/slack/rate", control_rate, methods=["POST"]),
            Route("/_opwire/slack/messages", control_messages, methods=["GET"]),
        ],
        scenarios=SCENARIOS,
        throttled=(RATE_LIMITED_BODY, TEXT),
        throttle_headers=THROTTLE_HEADERS,
        # The Web API throttles in its own JSON shape; the webhooks with their plain word.
        throttles=(Throttle("/api/*", WEB_RATELIMITED, "application/json"),),
        not_found=not_found,
        too_large=TOO_LARGE["slack"],
        inventory=Inventory(("message",), items),
    )
