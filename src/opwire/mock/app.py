"""Build a vendor mock: its routes plus the shared control routes, fault rules and request log.

After DataDog's fakeintake and LocalStack: control routes live under the reserved `/_opwire/`
prefix, every received request is recorded with the fingerprint of the credential it carried
(never the credential), and a test can override any answer at run time with a fault rule.

What a client can make a mock hold is bounded (mock/limits.py): a request body is read up to the
mock's cap and refused past it with the vendor's own too-large answer, which each room declares;
the request log, fault rules and every store keep the newest entries and count what they drop,
shown by `/_opwire/health`.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opwire.mock.control import control_routes
from opwire.mock.faults import FaultRule, first_match
from opwire.mock.inventory import Inventory, run_id_in
from opwire.mock.limits import BODY_CAP, CONTROL_TOO_LARGE, DRAIN_CAP, TooLargeAnswer
from opwire.mock.scenarios import Scenario, Throttle, generic
from opwire.mock.state import (
    CONTROL,
    CredentialOf,
    Incoming,
    MockState,
    WrongRegion,
    fingerprint,
    json_body,
    mock_state,
)

# What rooms import from here; the state itself lives in mock/state.py.
__all__ = [
    "BODY_LIMIT",
    "CredentialOf",
    "Handler",
    "Incoming",
    "MockState",
    "NotFound",
    "Throttle",
    "WrongRegion",
    "create_mock_app",
    "fingerprint",
    "json_body",
    "mock_state",
]

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "x-sentry-auth",
        "dd-api-key",
        "dd-application-key",
        "cookie",
        "proxy-authorization",
        "x-api-key",
    }
)
# Query parameters that carry a secret, whichever credential the request is fingerprinted by.
SECRET_PARAM = re.compile(
    r"(?i)((?:^|&)(?:api_key|application_key|app_key|token|sentry_key|sentry_secret"
    r"|password|client_secret)=)[^&]*"
)
BODY_LIMIT = 64 * 1024
# A credential cut by BODY_LIMIT leaves its start at the edge; this much of it is masked too.
EDGE_MIN = 8
HANG_CAP_S = 600.0
# A refused body is drained for at most this long before the answer goes out.
DRAIN_S = 10.0


def create_mock_app(
    slug: str,
    routes: Sequence[BaseRoute],
    new_vendor_state: Callable[[], Any],
    credential_of: CredentialOf,
    room_control: Sequence[BaseRoute] = (),
    *,
    region: str = "",
    wrong_region: WrongRegion | None = None,
    scenarios: Sequence[Scenario] = (),
    throttled: tuple[str, str] = ("rate limited", "text/plain; charset=utf-8"),
    throttle_headers: Mapping[str, str] | None = None,
    throttles: Sequence[Throttle] = (),
    retry_after: bool = True,
    not_found: NotFound | None = None,
    too_large: TooLargeAnswer,
    inventory: Inventory,
    body_cap: int = BODY_CAP,
) -> ASGIApp:
    """A vendor mock: its routes, state, how to find the credential, its region behaviour, its
    named scenarios (plus the generic ones, built from its 429 `throttled` answer), its answer
    to a request body past `body_cap` raw bytes (`too_large`, from mock/limits.py's table), and
    the `inventory` of what its state holds (for /_opwire/state and /_opwire/counts).

    `throttle_headers` are the vendor's own rate-limit headers, sent beside Retry-After by the
    throttle scenarios (`{wait}` in a value is the scenario's wait; `retry_after=False` for a
    vendor whose 429 has no Retry-After); `throttles` are particular paths' own 429s (a vendor
    with two APIs; tried before the rest). `not_found(request, status)` is the vendor's answer
    to a path no route serves (404) or a method the path does not take (405): never the
    framework's plain-text page. No path is redirected to its trailing-slash twin (a vendor
    answers it, or 404s)."""
    state = MockState(
        slug,
        new_vendor_state(),
        new_vendor_state,
        too_large,
        inventory,
        body_cap,
        region=region,
        wrong_region=wrong_region,
    )
    limits = dict(throttle_headers or {})
    generic_ones = generic(slug, throttled, limits, tuple(throttles), retry_after)
    state.scenarios = {s.name: s for s in (*generic_ones, *scenarios)}
    refuse = not_found or default_not_found
    app = Starlette(
        routes=[*control_routes(), *room_control, *routes],
        exception_handlers={
            404: _refusal(refuse, 404),
            405: _refusal(refuse, 405),
        },
    )
    app.router.redirect_slashes = False
    app.state.mock = state
    return _Recorder(app, state, credential_of)


NotFound = Callable[[Request, int], Response]


def default_not_found(request: Request, status: int) -> Response:
    """A JSON 404/405 for a room that has not declared its vendor's own."""
    reason = "Not Found" if status == 404 else "Method Not Allowed"
    return JSONResponse({"error": reason, "path": request.url.path}, status)


def _refusal(refuse: NotFound, status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        # Starlette raises HTTPException(404/405) for an unrouted path or method; a route that
        # raises one itself gets the same vendor answer. A 405 keeps the methods it names (Allow).
        answer = refuse(request, status)
        allow = (getattr(exc, "headers", None) or {}).get("Allow")
        if status == 405 and allow and "allow" not in answer.headers:
            answer.headers["Allow"] = allow
        return answer

    return handler


class _Recorder:
    """ASGI middleware: caps request bodies, applies fault rules, records each vendor request
    with secrets masked."""

    def __init__(self, app: Starlette, state: MockState, credential_of: CredentialOf) -> None:
        self.app, self.state, self.credential_of = app, state, credential_of

    @property
    def routes(self) -> list[BaseRoute]:
        """The mock's routes, control routes first: what the fuzz and schema tests walk."""
        return list(self.app.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body, whole = await _read_body(receive, self.state.body_cap, _declared_length(scope))
        if scope["path"].startswith(CONTROL + "/"):
            answer = self.app if whole else CONTROL_TOO_LARGE.response()
            await answer(scope, _replay(body, receive), send)
            return
        incoming = Incoming(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            body,
        )
        entry = self._record(incoming)
        try:
            await self._answer(scope, receive, _capture_status(send, entry), incoming, entry, whole)
        finally:
            # Answered (wholly, or cut short by a fault): how long it took on the wire, in real
            # milliseconds, not on the mock clock. A hang that was never answered stays null.
            if entry["status"] is not None:
                entry["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        incoming: Incoming,
        entry: dict[str, Any],
        whole: bool,
    ) -> None:
        if not whole:
            # Refused before any route or fault runs, as a vendor's front end refuses it.
            entry["too_large"] = True
            await self.state.too_large.response()(scope, receive, send)
            return
        if self.state.wrong_region and self.state.foreign(self.credential_of(incoming)):
            entry["region"] = "wrong"
            await self.state.wrong_region(incoming)(scope, receive, send)
            return
        rule = first_match(self.state.faults, incoming.method, incoming.path)
        entry["fault"] = self.state.faults.index(rule) if rule else None
        if rule is not None and await _apply_fault(rule, scope, receive, send):
            return
        await self.app(scope, _replay(incoming.body, receive), send)

    def _record(self, incoming: Incoming) -> dict[str, Any]:
        self.state.seq += 1
        credential = self.credential_of(incoming)
        mask = _masker(credential)
        body = _logged_body(incoming.body, credential)
        path, query = mask(incoming.path), _mask_params(mask(incoming.query))
        entry: dict[str, Any] = {
            "seq": self.state.seq,
            "time": self.state.clock.now(),
            "method": incoming.method,
            "path": path,
            "query": query,
            "headers": {
                k: ("****" if k in SENSITIVE_HEADERS else mask(v))
                for k, v in incoming.headers.items()
            },
            "body": body,
            "body_bytes": len(incoming.body),
            "credential": fingerprint(credential) if credential else None,
            "status": None,
            "duration_ms": None,
            # Read from what the log keeps (masked, cut at BODY_LIMIT; a compressed body hides it).
            "run_id": run_id_in(path, query, body),
        }
        self.state.requests.append(entry, len(body) + 512)
        return entry


def _mask_params(query: str) -> str:
    """The query string with the value of every secret-named parameter masked: a key that is
    not the request's credential (Datadog's `application_key=`) is still a secret."""
    return SECRET_PARAM.sub(lambda found: found.group(1) + "****", query)


def _masker(credential: str | None) -> Callable[[str], str]:
    if not credential:
        return lambda text: text
    return lambda text: text.replace(credential, "****")


def _logged_body(body: bytes, credential: str | None) -> str:
    """The body as the log keeps it: the credential masked in the whole body, then the cut at
    BODY_LIMIT, then any start of the credential (EDGE_MIN characters or more) left at the cut,
    so a credential straddling the cut leaks no part of itself."""
    if credential:
        body = body.replace(credential.encode(), b"****")
    text = body[:BODY_LIMIT].decode("utf-8", "replace")
    # A form body's secret-named fields (Splunk's `password=` to auth/login or a user edit) are
    # secrets too, though not the request's credential.
    text = _mask_params(text)
    return _mask_edge(text, credential) if credential else text


def _mask_edge(text: str, credential: str) -> str:
    for size in range(min(len(credential) - 1, len(text)), EDGE_MIN - 1, -1):
        if text.endswith(credential[:size]):
            return text[:-size] + "****"
    return text


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            return int(value) if value.strip().isdigit() else None
    return None


async def _read_body(receive: Receive, cap: int, declared: int | None) -> tuple[bytes, bool]:
    """(the body, True); or, once it passes `cap`, (its first bytes, False). A declared length
    past the cap is refused before a byte is read; a refused body is drained, never held, so the
    client reads the refusal rather than a reset (RFC 9112 § 9.6, "tear-down")."""
    if declared is not None and declared > cap:
        if declared <= DRAIN_CAP:
            await _drain(receive)
        return b"", False
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = bool(message.get("more_body", False))
        if size > cap:
            if more:
                await _drain(receive)
            return _head(chunks, BODY_LIMIT + 1024), False
        if not more:
            break
    return b"".join(chunks), True


def _head(chunks: list[bytes], size: int) -> bytes:
    """The first `size` bytes of the chunks, joining no more of them than that takes."""
    taken, total = [], 0
    for chunk in chunks:
        if total >= size:
            break
        taken.append(chunk)
        total += len(chunk)
    return b"".join(taken)[:size]


async def _drain(receive: Receive) -> None:
    """Read and drop the rest of a refused body: at most DRAIN_CAP bytes, for at most DRAIN_S."""

    async def drain() -> None:
        left = DRAIN_CAP
        while left > 0:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
            left -= len(message.get("body", b""))

    try:
        await asyncio.wait_for(drain(), DRAIN_S)
    except TimeoutError:
        return


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _capture_status(send: Send, entry: dict[str, Any]) -> Send:
    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry["status"] = message["status"]
        await send(message)

    return capture


async def _apply_fault(rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> bool:
    """True when the fault answered (or hung up) and the vendor route must not run."""
    if rule.latency_ms:
        await asyncio.sleep(rule.latency_ms / 1000)
    if rule.hang:
        await _wait_for_disconnect(receive)
        return True
    if rule.status is None:
        return False
    headers = {"content-type": rule.content_type, **{k.lower(): v for k, v in rule.headers.items()}}
    if rule.drip_ms or rule.truncate or rule.body_repeat > 1:
        await _raw_answer(rule, headers, send)
        return True
    await Response(rule.body, rule.status, headers)(scope, receive, send)
    return True


async def _raw_answer(rule: FaultRule, headers: dict[str, str], send: Send) -> None:
    """An answer that misbehaves on the wire: dripped, truncated, or enormous."""
    body = rule.body.encode()
    length = len(body) * rule.body_repeat + (1024 if rule.truncate else 0)
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": rule.status, "headers": raw})
    for piece in _pieces(body, rule.body_repeat, 1 if rule.drip_ms else 1 << 20):
        await send({"type": "http.response.body", "body": piece, "more_body": True})
        if rule.drip_ms:
            await asyncio.sleep(rule.drip_ms / 1000)
    if not rule.truncate:  # a truncated answer just stops: the server closes the connection
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _pieces(body: bytes, repeat: int, step: int) -> Iterator[bytes]:
    """`body * repeat` in pieces of at most `step` bytes, never built whole (it may be 64 MiB,
    and several clients may ask at once)."""
    if not body:
        return
    per_block = max(1, step // len(body))
    block = body * min(per_block, repeat)
    full, rest = divmod(repeat, per_block)
    for piece in itertools.chain(itertools.repeat(block, full), [body * rest] if rest else []):
        for start in range(0, len(piece), step):
            yield piece[start : start + step]


async def _wait_for_disconnect(receive: Receive) -> None:
    """Hold the request open without answering until the client gives up (or a long cap)."""

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_disconnect(), HANG_CAP_S)
    except TimeoutError:
        return


Handler = Callable[[Request], Awaitable[Response]]
