"""Slack mock: incoming webhooks and the Web API's conversations.history, with shared state.

Pages followed: api.slack.com/messaging/webhooks; api.slack.com/changelog/2016-05-17-changes-to-
errors-for-incoming-webhooks; api.slack.com/methods/conversations.history and
shared/specs/slack/slack_web_openapi_v2.json; vendor-contracts.md § 5.

Webhook answers are bare words as text/plain; the Web API answers HTTP 200 with `ok` true or
false. Any well-formed webhook path and any `xoxb-`/`xoxp-` token is accepted. Webhooks nobody
registered deliver into the default channel `C0OPWIRE01`.

Mock control, besides the shared /_opwire/ routes:
- `POST /_opwire/slack/hooks` `{"team": "T…", "bot": "B…", "channel": "C…", "state": "revoked"}`
- `POST /_opwire/slack/channels` `{"id": "C…", "member": false, "archived": true}`
- `POST /_opwire/slack/rate` `{"burst": 1, "per_second": 1}`
- `GET /_opwire/slack/messages?channel=C…`

Hooks, channels and messages keep the newest entries and count what they drop
(`/_opwire/health`); the messages of every channel share one store, so many channels cannot
multiply its cap.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, run_id_in
from opwire.mock.limits import CONFIGURED, TOO_LARGE, CappedDict, CappedList
from opwire.mock.scenarios import Scenario, vendor_state
from opwire.mock.state import clock_of
from opwire.mock.values import ControlError, number, positive

DEFAULT_CHANNEL = "C0OPWIRE01"
TEAM, BOT, SECRET = r"T[A-Z0-9]{6,}", r"B[A-Z0-9]{6,}", r"[A-Za-z0-9]{24}"
WEBHOOK = re.compile(rf"^/services/({TEAM})/({BOT})/({SECRET})$")
TOKEN = re.compile(r"^xox[bp]-[A-Za-z0-9-]{10,}$")
HISTORY_LIMIT_MAX = 999

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
RATE_LIMITED_BODY = "rate_limited"  # UNCONFIRMED: the real 429 body is not documented
MESSAGE_OVERHEAD = 512


@dataclass(slots=True)
class Channel:
    id: str
    member: bool = True
    archived: bool = False


@dataclass(slots=True)
class Hook:
    channel: str = DEFAULT_CHANNEL
    state: str = "active"
    tokens: float = -1.0
    refilled: float = 0.0


@dataclass(slots=True)
class SlackState:
    default_channel: str = DEFAULT_CHANNEL
    default_hook_state: str = "active"
    burst: float = 30.0  # about one message per second per webhook, short bursts allowed
    per_second: float = 1.0
    last_ts: float = 0.0
    dropped: Counter[str] = field(default_factory=Counter)
    # Every well-formed webhook path makes a hook, so they are capped like the rest.
    hooks: CappedDict[str, Hook] = field(init=False)
    channels: CappedDict[str, Channel] = field(init=False)
    # (channel id, message), oldest first
    messages: CappedList[tuple[str, dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.hooks = CappedDict("hooks", self.dropped)
        self.channels = CappedDict("channels", self.dropped, CONFIGURED)
        self.messages = CappedList("messages", self.dropped)
        self.channel(DEFAULT_CHANNEL)

    def channel(self, channel_id: str) -> Channel:
        return self.channels.setdefault(channel_id, Channel(channel_id))

    def history(self) -> dict[str, list[dict[str, Any]]]:
        """Each channel's messages, oldest first."""
        found: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        for cid, message in self.messages:
            found.setdefault(cid, []).append(message)
        return found

    def next_ts(self, now: float) -> str:
        """A message ts at `now` (unix seconds), later than every earlier one, as Slack's are."""
        self.last_ts = max(now, self.last_ts + 0.000001)
        return f"{self.last_ts:.6f}"

    def take_token(self, hook: Hook, now: float) -> bool:
        """One message from the hook's bucket, refilled up to `now` (monotonic seconds)."""
        if hook.tokens < 0:
            hook.tokens, hook.refilled = self.burst, now
        hook.tokens = min(self.burst, hook.tokens + (now - hook.refilled) * self.per_second)
        hook.refilled = now
        if hook.tokens < 1:
            return False
        hook.tokens -= 1
        return True


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
    if not state.take_token(hook, clock_of(request).monotonic()):
        wait = max(1, round((1 - hook.tokens) / state.per_second))
        return _word(429, RATE_LIMITED_BODY, {"Retry-After": str(wait)})
    raw = await request.body()
    message = _parse_message(request.headers.get("content-type", ""), raw)
    if message is None or not _valid_shape(message):
        return _word(400, "invalid_payload")
    if not (message.get("text") or message.get("blocks") or message.get("attachments")):
        return _word(400, "no_text")
    if len(message.get("attachments") or []) > 100:
        return _word(400, "too_many_attachments")
    stored = _stored(message, match.group(2), state.next_ts(clock_of(request).now()))
    state.messages.append((channel.id, stored), len(raw) + MESSAGE_OVERHEAD)
    return _word(200, "ok")


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
        # Slack numbers stored attachments from 1 (the spec's objs_message requires `id`).
        stored["attachments"] = [
            {**a, "id": n} for n, a in enumerate(message["attachments"], 1) if isinstance(a, dict)
        ]
    return stored


def _api_error(error: str) -> Response:
    return JSONResponse({"ok": False, "error": error})


async def _api_params(request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        body = (await request.body()).decode("utf-8", "replace")
        if request.headers.get("content-type", "").startswith("application/json"):
            document = json_body(body.encode())
            if isinstance(document, dict):
                params.update({k: str(v) for k, v in document.items()})
        else:
            params.update({k: v[0] for k, v in parse_qs(body).items()})
    return params


def _token(request: Request, params: dict[str, str]) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return params.get("token")


async def history(request: Request) -> Response:
    state, params = _state(request), await _api_params(request)
    token = _token(request, params)
    if not token:
        return _api_error("not_authed")
    if not TOKEN.match(token):
        return _api_error("invalid_auth")
    channel = state.channels.get(params.get("channel", ""))
    if channel is None:
        return _api_error("channel_not_found")
    if not channel.member:
        return _api_error("not_in_channel")
    for name in ("oldest", "latest"):
        if not _is_number(params.get(name) or "0"):
            return _api_error(f"invalid_ts_{name}")
    try:
        found = state.history().get(channel.id, [])
        return JSONResponse(_history_page(found, params, clock_of(request).now()))
    except ValueError:
        return _api_error("invalid_cursor")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _history_page(
    messages: list[dict[str, Any]], params: dict[str, str], now: float
) -> dict[str, Any]:
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or now + 1)
    inclusive = params.get("inclusive") in ("1", "true")
    limit_text = params.get("limit") or "100"
    limit = min(max(int(limit_text) if limit_text.isdigit() else 100, 1), HISTORY_LIMIT_MAX)
    offset = _cursor_offset(params.get("cursor", ""))

    def within(ts: float) -> bool:
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    hits = [m for m in reversed(messages) if within(float(m["ts"]))]
    page = hits[offset : offset + limit]
    more = offset + limit < len(hits)
    cursor = base64.b64encode(f"offset:{offset + limit}".encode()).decode() if more else ""
    return {
        "ok": True,
        "messages": page,
        "has_more": more,
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


def _cursor_offset(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError(cursor) from None
    if not decoded.startswith("offset:"):
        raise ValueError(cursor)
    offset = decoded.removeprefix("offset:")
    if not offset.isdigit():
        raise ValueError(cursor)
    return int(offset)


async def auth_test(request: Request) -> Response:
    token = _token(request, await _api_params(request))
    if not token:
        return _api_error("not_authed")
    if not TOKEN.match(token):
        return _api_error("invalid_auth")
    return JSONResponse(
        {
            "ok": True,
            "url": "https://opwire-mock.slack.com/",
            "team": "opwire mock",
            "user": "opwire-bot",
            "team_id": "T0OPWIRE0",
            "user_id": "U0OPWIRE0",
            "bot_id": "B0OPWIRE0",
        }
    )


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


async def control_channels(request: Request) -> Response:
    state = _state(request)
    data = json_body(await request.body())
    flags_ok = isinstance(data, dict) and all(
        isinstance(data.get(flag, False), bool) for flag in ("member", "archived")
    )
    if not flags_ok or not _strings(data, required=("id",)):
        return JSONResponse({"error": "expected {id, member?, archived?}: a string, booleans"}, 400)
    channel = state.channel(data["id"])
    channel.member = bool(data.get("member", channel.member))
    channel.archived = bool(data.get("archived", channel.archived))
    return JSONResponse({"id": channel.id, "member": channel.member, "archived": channel.archived})


async def control_rate(request: Request) -> Response:
    state = _state(request)
    data = json_body(await request.body())
    if not isinstance(data, dict):
        return JSONResponse({"error": "expected {burst, per_second} numbers"}, 400)
    try:
        # per_second is divided by (the Retry-After), so it is above 0.
        burst = number(data.get("burst", state.burst), "burst")
        state.per_second = positive(data.get("per_second", state.per_second), "per_second")
    except ControlError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    state.burst = burst
    for hook in state.hooks.values():
        hook.tokens = -1.0
    return JSONResponse({"burst": state.burst, "per_second": state.per_second})


async def control_messages(request: Request) -> Response:
    state = _state(request)
    wanted = request.query_params.get("channel")
    return JSONResponse(
        {cid: found for cid, found in state.history().items() if wanted in (None, cid)}
    )


def items(state: SlackState, clock: MockClock) -> Iterator[Item]:
    """Each message held, as conversations.history shows it, with its `channel` (as Slack's
    message events carry it); the run id is in its text (or its blocks and attachments)."""
    for channel, message in state.messages:
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
    return None


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


def create_app() -> ASGIApp:
    return create_mock_app(
        "slack",
        [
            Route("/services/{rest:path}", webhook, methods=["POST"]),
            Route("/api/conversations.history", history, methods=["GET", "POST"]),
            Route("/api/auth.test", auth_test, methods=["GET", "POST"]),
        ],
        SlackState,
        credential_of,
        [
            Route("/_opwire/slack/hooks", control_hooks, methods=["GET", "POST"]),
            Route("/_opwire/slack/channels", control_channels, methods=["POST"]),
            Route("/_opwire/slack/rate", control_rate, methods=["POST"]),
            Route("/_opwire/slack/messages", control_messages, methods=["GET"]),
        ],
        scenarios=SCENARIOS,
        throttled=(RATE_LIMITED_BODY, "text/plain; charset=utf-8"),
        too_large=TOO_LARGE["slack"],
        inventory=Inventory(("message",), items),
    )
