"""Slack Web API plumbing for the mock: a method's arguments, its token, its errors, its pages.

Pages followed: docs.slack.dev/apis/web-api ("HTTP 200 with `ok` false and an `error`";
arguments as a query string, a form-encoded POST body, or a JSON POST body with the token in the
Authorization header); api.slack.com/changelog/2020-11-no-more-tokens-in-querystrings-for-
newly-created-apps (the token in the Authorization header or as a POST body parameter, never the
query string, for apps created since 2021-02-24); docs.slack.dev/apis/web-api/pagination (cursor
in, `response_metadata.next_cursor` out, "" on the last page); docs.slack.dev/apis/web-api/
rate-limits (HTTP 429 with Retry-After); shared/specs/slack (each method's error enum:
`not_authed`, `invalid_auth`, `invalid_json`, `json_not_object`, `invalid_post_type`,
`missing_post_type`).

Facts the sources here leave open, in one table (each the most likely behaviour; * UNCONFIRMED):

| fact | the mock's answer |
|---|---|
| the Web API's 429 | `{"ok": false, "error": "ratelimited"}` + Retry-After (as the SDKs read it) |
| a token only in the query string | ignored, as for apps made since 2021-02-24: `not_authed`* |
| a token inside a JSON body | ignored (JSON takes the header's): `not_authed`* |
| an app-level token (`xapp-`) | `not_allowed_token_type` on every method but api.test* |
| an unknown method | HTTP 404* `{"ok": false, "error": "unknown_method", "req_method": …}` |
| a verb but GET/POST on a method | HTTP 405 `{"ok": false, "error": "method_not_allowed"}`* |
| GET on a webhook URL | HTTP 400 text `invalid_payload`* |
| any other path | HTTP 404 text `not_found`* (slack.com serves a web page) |
| a required argument missing | `invalid_arguments`, `[ERROR] missing required field: …`* |
| a JSON body without a charset | ok + `warning: missing_charset` (changelog 2016-09-28) |
| a form body with a charset | ok + `warning: superfluous_charset` (python-slack-sdk#692) |
| a multipart/form-data body | its plain fields read as arguments (file parts ignored)* |
| Block Kit problems' wording | `[ERROR] unsupported type: … [json-pointer:/blocks/N/type]`* |
| chat.delete of a parent with replies | a tombstone stays ("This message was deleted.")* |
| a scheduled message | posted at the first request once the mock's clock passes post_at* |
| reactions with colons (`:eyes:`) | the name without them* |
| bots.info without `bot` | the calling bot (a user token: `bot_not_found`)* |
| team.info naming another team | `team_not_found`* |
| files: the upload URL | on the mock itself; an unknown one: HTTP 404 text `not_found`* |
| files.completeUploadExternal, a file never uploaded | `file_not_found`* |
| files.upload (sunset 2025-11-12) | `method_deprecated`* |
| history without `include_all_metadata` | no `metadata` on its messages* |
| the scope headers | lower-case `x-oauth-scopes`, `x-accepted-oauth-scopes`; all scopes granted* |
| conversations.create, private | a `C…` id; history gets "set the channel topic: …" on setTopic* |
| search.messages | every word in the text, `in:`/`from:` honoured, newest first* |
| who is in a channel | a person's token: every one; the bot: where it joined or was invited* |

Each module names its own pages and such facts: mock_methods.py, mock_chat.py, mock_items.py,
mock_directory.py, mock_channels.py, mock_files.py, mock_search.py, mock_blocks.py,
mock_scopes.py.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from opwire.integrations.slack import mock_scopes
from opwire.integrations.slack.mock_state import SlackState
from opwire.mock.app import json_body, mock_state
from opwire.mock.state import clock_of

TOKEN = re.compile(r"^(xoxb|xoxp|xapp)-[A-Za-z0-9-]{10,}$")
TOKEN_KINDS = {"xoxb": "bot", "xoxp": "user", "xapp": "app"}
BOT_OR_USER = ("bot", "user")
FORM = "application/x-www-form-urlencoded"
# Content types a POST may carry (docs.slack.dev/apis/web-api "POST bodies").
POST_TYPES = (FORM, "application/json", "multipart/form-data")


class ApiError(Exception):
    """A Web API failure: `{"ok": false, "error": …}`, HTTP 200 unless a 429 (or 404)."""

    def __init__(
        self,
        error: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(error)
        self.error, self.status, self.headers = error, status, headers or {}
        self.extra = extra or {}

    def response(self) -> Response:
        body = {"ok": False, "error": self.error, **self.extra}
        return JSONResponse(body, self.status, self.headers)


def ratelimited(retry_after_s: int) -> ApiError:
    return ApiError("ratelimited", 429, {"Retry-After": str(retry_after_s)})


@dataclass(frozen=True, slots=True)
class Call:
    """One Web API call: its arguments (strings, or JSON values), who made it, and when."""

    params: dict[str, Any]
    kind: str  # bot, user or app ("" when the method takes no token)
    state: SlackState
    now: float  # unix seconds, on the mock clock
    monotonic: float
    base_url: str = ""  # the mock's own root, as the caller reached it (no trailing slash)


Method = Callable[[Call], dict[str, Any]]


def web_method(name: str, handler: Method, kinds: Sequence[str] | None = BOT_OR_USER) -> Route:
    """The route of one Web API method; `kinds` are the token kinds it takes (None: no token)."""

    async def endpoint(request: Request) -> Response:
        kind = ""
        try:
            params, form_token = await _arguments(request)
            kind = "" if kinds is None else _token_kind(request, form_token, kinds)
            clock = clock_of(request)
            state, base = _state(request), str(request.base_url).rstrip("/")
            state.deliver_due(clock.now())
            call = Call(params, kind, state, clock.now(), clock.monotonic(), base)
            body = _with_warning({"ok": True, **handler(call)}, _charset(request))
            return JSONResponse(body, headers=mock_scopes.headers(name, kind))
        except ApiError as failure:
            failure.headers = {**mock_scopes.headers(name, kind), **failure.headers}
            return failure.response()

    return Route(f"/api/{name}", endpoint, methods=["GET", "POST"])


CHARSET_WARNINGS = {
    "missing_charset": "A Content-Type HTTP header was presented but did not declare a charset, "
    "such as a 'utf-8'",
    "superfluous_charset": "A Content-Type HTTP header was presented with a charset the "
    "content type does not take",
}


def _charset(request: Request) -> str:
    """The charset warning a POST body earns: JSON without a charset, a form with one."""
    if request.method != "POST":
        return ""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("application/json") and "charset" not in content_type:
        return "missing_charset"
    if content_type.startswith(FORM) and "charset" in content_type:
        return "superfluous_charset"
    return ""


def _with_warning(body: dict[str, Any], warning: str) -> dict[str, Any]:
    """A success body with Slack's `warning` and `response_metadata.warnings`/`messages`."""
    warnings = [w for w in (body.get("warning", ""), warning) if w]
    if not warning:
        return body
    metadata = dict(body.get("response_metadata") or {})
    metadata["warnings"] = [*metadata.get("warnings", []), warning]
    metadata["messages"] = [*metadata.get("messages", []), f"[WARN] {CHARSET_WARNINGS[warning]}"]
    return {**body, "warning": ",".join(warnings), "response_metadata": metadata}


def _state(request: Request) -> SlackState:
    state: SlackState = mock_state(request).vendor
    return state


async def _arguments(request: Request) -> tuple[dict[str, Any], str | None]:
    """The call's arguments, and the token of a form body (the only body that may carry one)."""
    params: dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "token"}
    body = await request.body()
    if request.method != "POST" or not body:
        return params, None
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind:
        raise ApiError("missing_post_type")
    if kind not in POST_TYPES:
        raise ApiError("invalid_post_type")
    if kind == "application/json":
        document = json_body(body)
        if document is None:
            raise ApiError("invalid_json")
        if not isinstance(document, dict):
            raise ApiError("json_not_object")
        return {**params, **{k: v for k, v in document.items() if k != "token"}}, None
    if kind == "multipart/form-data":
        form = _multipart(request.headers.get("content-type", ""), body)
    else:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    token = form.pop("token", None)
    return {**params, **form}, token


def whole(given: str) -> int | None:
    """An ASCII decimal number, or None: `str.isdigit()` also takes "²", which `int()` refuses,
    and `int()` refuses past 4300 digits."""
    if not (given.isascii() and given.isdigit()):
        return None
    try:
        return int(given)
    except ValueError:
        return None


def form_fields(content_type: str, body: bytes) -> dict[str, str]:
    """The plain fields of a multipart body, none when it is no readable multipart (the request
    log's masking looks for a token there)."""
    try:
        return _multipart(content_type, body)
    except ApiError:
        return {}


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    """The plain fields of a multipart/form-data body (a part with a filename is the file)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not parsed.is_multipart():
        raise ApiError("invalid_form_data")
    fields: dict[str, str] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and part.get_filename() is None:
            payload = part.get_payload(decode=True)
            fields[name] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return fields


def _token_kind(request: Request, form_token: str | None, kinds: Sequence[str]) -> str:
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else form_token
    if not token:
        raise ApiError("not_authed")
    found = TOKEN.match(token)
    if found is None:
        raise ApiError("invalid_auth")
    kind = TOKEN_KINDS[found.group(1)]
    if kind not in kinds:
        raise ApiError("not_allowed_token_type")
    return kind


def text(params: dict[str, Any], name: str) -> str:
    """An argument as text ("" when absent); an array or object where text belongs is refused."""
    value = params.get(name)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ApiError("invalid_arguments")


def required(params: dict[str, Any], name: str) -> str:
    """A required argument; Slack's newer methods answer its absence with `invalid_arguments`
    and the field it missed in `response_metadata.messages` (UNCONFIRMED for each method)."""
    given = text(params, name)
    if not given:
        messages = [f"[ERROR] missing required field: {name}"]
        raise ApiError("invalid_arguments", extra={"response_metadata": {"messages": messages}})
    return given


def flag(params: dict[str, Any], name: str) -> bool:
    return text(params, name).lower() in ("1", "true")


def json_array(params: dict[str, Any], name: str) -> list[Any] | None:
    """`blocks` or `attachments`: a JSON array, or one "presented as a URL-encoded string"."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError(f"invalid_{name}") from None
    if not isinstance(value, list):
        raise ApiError(f"invalid_{name}")
    return value


def limit(params: dict[str, Any], default: int, most: int, refuse: bool = False) -> int:
    """The `limit` argument, at most `most`; a value that is no whole number is the default, or
    `invalid_limit` where the method documents it."""
    given = text(params, "limit")
    if not given:
        return default
    number = whole(given)
    if number is None:
        if refuse:
            raise ApiError("invalid_limit")
        return default
    return min(max(number, 1), most)


def page(items: list[Any], params: dict[str, Any], size: int) -> tuple[list[Any], str]:
    """One page of `items` from the call's cursor, and the cursor of the next ("" at the end)."""
    offset = _cursor_offset(text(params, "cursor"))
    more = offset + size < len(items)
    cursor = base64.b64encode(f"offset:{offset + size}".encode()).decode() if more else ""
    return items[offset : offset + size], cursor


def ts_page(
    messages: list[dict[str, Any]], params: dict[str, Any], size: int, newest_first: bool
) -> tuple[list[dict[str, Any]], str]:
    """One page of messages from the call's cursor, and the next page's cursor ("" at the end).

    A history's cursor names the ts its next page starts at, as Slack's do (base64 of
    `next_ts:<ts without its dot>`), so messages posted while a reader pages do not shift it."""
    start = 0
    cursor = text(params, "cursor")
    if cursor:
        at = whole(_decoded(cursor).removeprefix("next_ts:"))
        if at is None:
            raise ApiError("invalid_cursor")
        digits = [int(m["ts"].replace(".", "")) for m in messages]
        later = [n for n, d in enumerate(digits) if (d <= at if newest_first else d >= at)]
        start = later[0] if later else len(messages)
    found = messages[start : start + size]
    if start + size >= len(messages):
        return found, ""
    following = messages[start + size]["ts"].replace(".", "")
    return found, base64.b64encode(f"next_ts:{following}".encode()).decode()


def _decoded(cursor: str) -> str:
    try:
        return base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid_cursor") from None


def _cursor_offset(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid_cursor") from None
    offset = whole(decoded.removeprefix("offset:"))
    if not decoded.startswith("offset:") or offset is None:
        raise ApiError("invalid_cursor")
    return offset


def ts_window(params: dict[str, Any], now: float) -> Callable[[dict[str, Any]], bool]:
    """Whether a message falls between `oldest` and `latest` (`inclusive` keeps the ends)."""
    bounds = []
    for name, default in (("oldest", 0.0), ("latest", now + 1)):
        given = text(params, name)
        try:
            bounds.append(float(given) if given else default)
        except ValueError:
            raise ApiError(f"invalid_ts_{name}") from None
    oldest, latest = bounds
    if flag(params, "inclusive"):
        return lambda m: oldest <= float(m["ts"]) <= latest
    return lambda m: oldest < float(m["ts"]) < latest


def not_found(request: Request, status: int) -> Response:
    """Slack's answer to a path or verb nothing serves (the table in the module docstring)."""
    path = request.url.path
    if path.startswith("/api/"):
        if status == 405:
            return JSONResponse({"ok": False, "error": "method_not_allowed"}, 405)
        name = path.removeprefix("/api/")
        return JSONResponse({"ok": False, "error": "unknown_method", "req_method": name}, 404)
    if path.startswith("/services/"):
        if status == 405:
            return PlainTextResponse("invalid_payload", 400)
        return PlainTextResponse("no_service", 404)
    return PlainTextResponse("not_found", 404)
