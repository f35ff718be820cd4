"""Opsgenie's HTTP manners, shared by the mock's modules: the standard answer (`took`,
`requestId`, `X-Request-ID`, `X-Response-Time`), GenieKey authentication, the 422 field map,
the not-found and method answers, and routes that keep an encoded slash in its segment.

Pages followed: docs.opsgenie.com/docs/response (standard fields and headers; 401 "apiKey is
invalid or integration is disabled", 403 code 40301, 404 "Resource or handler not found", 405
"URL is valid but HTTP method not supported"), docs.opsgenie.com/docs/authentication (GenieKey);
vendor-contracts.md § 4.2 (the 401 and 403 bodies).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.routing import Route as StarletteRoute
from starlette.types import Scope

from opwire.mock.app import json_body, mock_state

# An API key is a UUID, and a UUID's hex digits are case-insensitive on input (RFC 9562 § 4):
# Opsgenie shows keys in lower case, an operator may paste them upper-cased, both are the key
# (as OPSGENIE_API_KEY's check accepts; that Opsgenie compares them so is UNCONFIRMED).
GENIE_KEY = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)
KEY_KINDS = ("integration", "global", "team", "user", "disabled")
NOT_PROCESSABLE = "Request body is not processable. Please check the errors."
# The 404 and 405 texts are docs.opsgenie.com/docs/response's descriptions of those statuses;
# that the bodies say just that, and the bad-JSON wording, are UNCONFIRMED.
TEXTS = {
    "bad_json": "Could not parse the request body",
    "not_found": "Resource or handler not found",
    "not_allowed": "URL is valid but HTTP method not supported",
}


SLASH = "\ue000"  # stands for a `%2F` inside one path segment while a route matches


def _segments_kept(scope: Scope) -> str | None:
    """The path with each `%2F` kept inside its segment and runs of slashes merged (a client
    whose base URL ends in `/` asks for `//v2/alerts`; UNCONFIRMED that Opsgenie's front
    merges them, as nginx does by default), None when the path needs neither."""
    raw, path = scope.get("raw_path"), str(scope.get("path", ""))
    encoded = isinstance(raw, bytes) and b"%2f" in raw.lower()
    if not encoded and "//" not in path:
        return None
    if not isinstance(raw, bytes):
        return re.sub("/{2,}", "/", path)
    source = re.sub("/{2,}", "/", raw.decode("latin-1").partition("?")[0])
    return "/".join(unquote(part).replace("/", SLASH) for part in source.split("/"))


class Route(StarletteRoute):
    """A route whose `{identifier}` may hold a slash: the SDK sends an alias `db/down` as
    `db%2Fdown` (api_client.py quotes path parameters with no safe characters), one segment,
    which a plain route would read as two once the server decodes the path. A doubled slash
    matches as one."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        kept = _segments_kept(scope)
        if kept is None:
            return super().matches(scope)
        match, child = super().matches({**scope, "path": kept, "root_path": ""})
        params = child.get("path_params")
        if isinstance(params, dict):
            child["path_params"] = {
                name: value.replace(SLASH, "/") if isinstance(value, str) else value
                for name, value in params.items()
            }
        return match, child


# A paging number as the mock reads it: ASCII decimals only. int() also takes "١٢", "1_0" and
# " 5 "; whether Opsgenie does is UNCONFIRMED, so the mock refuses them (422) with the rest.
WHOLE = re.compile(r"[+-]?[0-9]{1,18}")


def whole(value: str) -> int:
    """`value` as an integer when it is one written in ASCII decimals, else ValueError."""
    if not WHOLE.fullmatch(value):
        raise ValueError(f"{value!r} is not a whole number")
    return int(value)


def iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def answer(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    request_id = str(uuid.uuid4())
    full = {**body, "took": 0.004, "requestId": request_id}
    standard = {"X-Request-ID": request_id, "X-Response-Time": "0.004"}
    return JSONResponse(full, status, {**standard, **(headers or {})})


def unprocessable(errors: dict[str, str]) -> Response:
    return answer(422, {"message": NOT_PROCESSABLE, "errors": errors})


def not_found(request: Request, status: int) -> Response:
    """Opsgenie's answer to a path no handler serves (404) or a method it does not take (405)."""
    return answer(status, {"message": TEXTS["not_found" if status == 404 else "not_allowed"]})


def auth(request: Request, *, write: bool) -> Response | None:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    state = mock_state(request).vendor
    kind = state.keys.get(key.strip().lower(), state.default_key_kind)
    if scheme != "GenieKey" or not GENIE_KEY.match(key.strip()) or kind == "disabled":
        return answer(401, {"message": "Could not authenticate"})
    if write and kind != "integration":
        return answer(
            403,
            {
                "code": 40301,
                "message": "To perform this action, use an API key from an API integration.",
            },
        )
    return None


async def body_of(request: Request) -> tuple[dict[str, Any] | None, int]:
    """The request's JSON object (an empty body is `{}`), None when it is not one; its size."""
    raw = await request.body()
    body = json_body(raw) if raw.strip() else {}
    return (body if isinstance(body, dict) else None), len(raw)
