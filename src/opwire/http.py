"""The one HTTP client factory: timeouts, budgets, retries, and one redacted line per request.

DESIGN § 4. Transport exceptions become a short `kind` at this one boundary (`EXC_KINDS`, after
httpx's own HTTPCORE_EXC_MAP); nothing here raises into a probe.
"""

from __future__ import annotations

import asyncio
import errno
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from opwire.config import Redactor
from opwire.encoding import DecodeError, Decoder, TooLarge
from opwire.events import RequestLine as RequestLine  # re-exported: its older home
from opwire.resolve import install

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# No vendor answer opwire reads is anywhere near this; a bigger one is a proxy or portal page.
MAX_BODY = 8 << 20
GUARD_GRACE_S = 0.2


class BodyTooLarge(Exception):
    """The answer's body passed MAX_BODY; it is not read further."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-request timeouts in seconds; connect is short, read allows a slow vendor."""

    connect: float = 3.0
    read: float = 10.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    base_s: float = 0.25
    cap_s: float = 8.0
    jitter: float = 0.25

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Exponential backoff after `attempt` (1-based) with +-jitter."""
        delay = min(self.cap_s, self.base_s * 2.0 ** (attempt - 1))
        return delay * (1 + self.jitter * (2 * rand() - 1))


class Budget:
    """A deadline on a monotonic clock; `child` never outlives its parent."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.seconds = seconds
        self.deadline = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self.deadline - self._clock())

    def child(self, seconds: float) -> Budget:
        return Budget(min(seconds, self.remaining()), self._clock)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP-date (RFC 9110 § 10.2.3)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None


def _sentry_wait(value: str) -> float | None:
    """X-Sentry-Rate-Limits `seconds:categories:scope…, …`: the longest wait of the limits on
    every category or on events (error, default), as sentry-sdk's transport reads it."""
    waits = []
    for limit in value.split(","):
        seconds, _, rest = limit.strip().partition(":")
        categories = set(rest.partition(":")[0].split(";")) - {""}
        wait = _seconds(seconds)
        if wait is not None and (not categories or categories & {"error", "default"}):
            waits.append(wait)
    return max(waits, default=None)


# A 429 without Retry-After: the vendor's own header that says how long the limit lasts.
RATE_LIMIT_WAITS: tuple[tuple[str, Callable[[str], float | None]], ...] = (
    ("X-RateLimit-Reset", _seconds),  # Datadog: seconds until the window resets (§ 1.7)
    ("ratelimit-reset", _seconds),  # PagerDuty REST: seconds until the limit resets
    ("X-Sentry-Rate-Limits", _sentry_wait),  # Sentry ingest (develop.sentry.dev rate-limiting)
)


def answered_wait(status: int, headers: Mapping[str, str]) -> tuple[float, str] | None:
    """How long an answer says to wait, and the header that said it: Retry-After on any
    answer, else on a 429 the vendor's rate-limit header. Headers are keyed lower-case."""
    wait = parse_retry_after(headers.get("retry-after"))
    if wait is not None:
        return wait, "Retry-After"
    for name, parse in RATE_LIMIT_WAITS if status == 429 else ():
        value = headers.get(name.lower())
        if value and (wait := parse(value)) is not None:
            return wait, name
    return None


EXC_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (httpx.ConnectTimeout, "connect_timeout"),
    (httpx.ReadTimeout, "timeout"),
    (httpx.WriteTimeout, "timeout"),
    (httpx.PoolTimeout, "timeout"),
    (httpx.ConnectError, "connect"),
    (httpx.ReadError, "reset"),
    (httpx.WriteError, "reset"),
    (httpx.CloseError, "reset"),
    (httpx.RemoteProtocolError, "protocol"),
    (httpx.LocalProtocolError, "protocol"),
    (httpx.ProxyError, "proxy"),
    (httpx.UnsupportedProtocol, "bad_url"),
    (httpx.DecodingError, "protocol"),
    (httpx.TooManyRedirects, "protocol"),
    (httpx.InvalidURL, "bad_url"),
)

_CONNECT_HINTS = (
    (
        "dns",
        (
            "Name or service not known",
            "Temporary failure in name resolution",
            "nodename nor servname",
            "No address associated",
            "getaddrinfo failed",
        ),
    ),
    ("refused", ("Connection refused", "Connect call failed")),
    ("unreachable", ("Network is unreachable", "No route to host")),
    ("tls", ("CERTIFICATE_VERIFY_FAILED", "SSL", "certificate")),
)


def classify(exc: BaseException) -> str:
    """The failure kind of a transport exception: dns, refused, timeout, tls, reset, ..."""
    if isinstance(exc, BodyTooLarge):
        return "too_large"
    if (isinstance(exc, httpx.RemoteProtocolError) and "incomplete" in str(exc).lower()) or (
        "peer closed connection" in str(exc).lower()
    ):
        return "reset"  # the server hung up mid-answer
    kind = next((k for t, k in EXC_KINDS if isinstance(exc, t)), "protocol")
    return _refine_connect(exc) if kind == "connect" else kind


def _refine_connect(exc: BaseException) -> str:
    chain: list[BaseException] = []
    node: BaseException | None = exc
    while node is not None and len(chain) < 8:
        chain.append(node)
        node = node.__cause__ or node.__context__
    for item in chain:
        if isinstance(item, socket.gaierror):
            return "dns"
        if isinstance(item, ssl.SSLError):
            return "tls"
        if isinstance(item, ConnectionRefusedError):
            return "refused"
        if isinstance(item, OSError) and item.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "unreachable"
    text = " ".join(str(item) for item in chain)
    return next((k for k, hints in _CONNECT_HINTS if any(h in text for h in hints)), "refused")


KIND_WORDS = {
    "dns": "DNS lookup failed",
    "refused": "connection refused",
    "unreachable": "network unreachable",
    "connect_timeout": "connect timeout",
    "timeout": "read timeout",
    "tls": "TLS failure",
    "reset": "connection reset",
    "protocol": "protocol error",
    "proxy": "proxy error",
    "bad_url": "bad URL",
    "budget": "budget exhausted",
    "too_large": "answer too large",
}


@dataclass(frozen=True, slots=True, repr=False)
class Outbound:
    """One request, as a value: what a room's client.py builds and `Http.request` sends.

    The body is `json` (a document to encode), `content` (bytes as they go) or neither. Headers
    and URL may hold revealed credentials, so the repr names only the method and the origin."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None

    def __post_init__(self) -> None:
        if self.json is not None and self.content is not None:
            raise ValueError("an Outbound has a json body or a content body, not both")

    def __repr__(self) -> str:
        return f"Outbound({self.method} {origin(self.url) or '?'})"

    def arguments(self) -> dict[str, Any]:
        """httpx's keyword arguments, only those set: given an empty `params`, httpx drops the
        query the URL already has."""
        given = {
            "headers": self.headers or None,
            "params": self.params or None,
            "json": self.json,
            "content": self.content,
        }
        return {key: value for key, value in given.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.text)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Exchange:
    """What one logical request came to, after its retries."""

    reply: Reply | None
    failure_kind: str | None
    attempts: int
    elapsed_s: float
    observed: str = ""
    kinds: tuple[str | None, ...] = ()  # each attempt's failure kind, None for an answer


@dataclass(slots=True)
class Http:
    """Wraps one httpx.AsyncClient for a run; emits a RequestLine per attempt."""

    client: httpx.AsyncClient
    emit: Callable[[RequestLine], None]
    redact: Redactor
    timeouts: Timeouts = Timeouts()
    policy: RetryPolicy = RetryPolicy()
    rand: Callable[[], float] = field(default=random.random)
    # TLS verification off for this one origin only (SPLUNK_HEC_INSECURE=1 covers the HEC host,
    # never the search host): requests to it go through `insecure`.
    insecure: httpx.AsyncClient | None = None
    insecure_origin: str = ""

    def client_for(self, url: str) -> httpx.AsyncClient:
        if self.insecure is not None and self.insecure_origin == (origin(url) or None):
            return self.insecure
        return self.client

    async def request(self, integration: str, budget: Budget, outbound: Outbound) -> Exchange:
        """Send with retries of transient failures, all inside `budget`; never raises."""
        started = time.monotonic()
        attempt, observed = 0, ""
        reply: Reply | None = None
        kind: str | None = None
        kinds: list[str | None] = []
        while True:
            attempt += 1
            if budget.remaining() <= 0.01:
                kind = kind or "budget"
                break
            reply, kind, ms = await self._send_once(budget, outbound)
            kinds.append(kind)
            observed = KIND_WORDS[kind] if kind else f"HTTP {reply.status}" if reply else ""
            delay, note = self._next_delay(attempt, budget, reply, kind)
            shown = self._shown(outbound)
            self.emit(RequestLine(integration, outbound.method, shown, observed, ms, note))
            if delay is None:
                break
            await asyncio.sleep(delay)
        elapsed = time.monotonic() - started
        summary = f"{attempt} attempt{'s' if attempt != 1 else ''} over {elapsed:.1f} s: {observed}"
        return Exchange(reply, kind, attempt, elapsed, summary, tuple(kinds))

    async def _send_once(
        self, budget: Budget, outbound: Outbound
    ) -> tuple[Reply | None, str | None, int]:
        left = budget.remaining()
        timeout = httpx.Timeout(
            connect=min(self.timeouts.connect, left),
            read=min(self.timeouts.read, left),
            write=min(self.timeouts.read, left),
            pool=min(self.timeouts.connect, left),
        )
        t0 = time.monotonic()
        try:
            # The outer guard: a whole answer gets connect + 2 x read timeout, so a server that
            # drips a byte just inside the read timeout still ends, and never past the budget.
            # The inner timeouts end at `left` too; the guard's small grace lets them report what
            # ran out (a DNS lookup, a connect) instead of a bare timeout.
            cap = min(left, self.timeouts.connect + 2 * self.timeouts.read) + GUARD_GRACE_S
            reply = await asyncio.wait_for(self._fetch(outbound, timeout), cap)
        except (httpx.HTTPError, httpx.InvalidURL, BodyTooLarge) as exc:
            return None, classify(exc), _ms(t0)
        except TimeoutError:
            return None, "timeout", _ms(t0)
        return reply, None, _ms(t0)

    async def _fetch(self, outbound: Outbound, timeout: httpx.Timeout) -> Reply:
        client = self.client_for(outbound.url)
        method, url, kwargs = outbound.method, outbound.url, outbound.arguments()
        async with client.stream(method, url, timeout=timeout, **kwargs) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            decoder = _decoder(headers)
            raw = bytearray()
            async for chunk in response.aiter_raw():
                raw += chunk
                if len(raw) > MAX_BODY:
                    raise BodyTooLarge(f"more than {MAX_BODY} bytes")
                _feed(decoder, chunk)
            body = _finish(decoder, bytes(raw))
            return Reply(response.status_code, headers, _text(body, response))

    def _next_delay(
        self, attempt: int, budget: Budget, reply: Reply | None, kind: str | None
    ) -> tuple[float | None, str]:
        transient = kind not in (None, "bad_url", "tls", "too_large") or (
            reply is not None and reply.status in RETRY_STATUSES
        )
        if not transient:
            return None, ""
        if attempt >= self.policy.max_attempts:
            return None, f"gave up after {attempt} attempts"
        said = answered_wait(reply.status, reply.headers) if reply else None
        delay = said[0] if said else self.policy.backoff(attempt, self.rand)
        left = budget.remaining()
        if delay >= left - 0.05:
            why = f"{said[1]} {said[0]:g} s" if said else f"next retry in {delay:.1f} s"
            return None, f"not retrying: {why} exceeds the {left:.1f} s left in the budget"
        return delay, f"retry {attempt}/{self.policy.max_attempts - 1} in {delay:.1f} s"

    def _shown(self, outbound: Outbound) -> str:
        url = outbound.url
        if outbound.params:
            url = str(httpx.URL(url, params=outbound.params))
        return self.redact(url)


def _decoder(headers: Mapping[str, str]) -> Decoder | None:
    """An incremental decoder for the answer's Content-Encoding, capped at MAX_BODY decoded;
    None for an encoding opwire cannot decode (the body is then shown as it came)."""
    try:
        return Decoder(headers.get("content-encoding"), MAX_BODY)
    except DecodeError:
        return None


def _feed(decoder: Decoder | None, chunk: bytes) -> None:
    """Decode as the bytes arrive, so a bomb stops at the cap instead of after the download."""
    if decoder is None:
        return
    try:
        decoder.feed(chunk)
    except TooLarge:
        raise BodyTooLarge(f"decompressed answer is more than {MAX_BODY} bytes") from None
    except DecodeError:
        return  # finish() reports it: the raw body is shown instead


def _finish(decoder: Decoder | None, raw: bytes) -> bytes:
    if decoder is None:
        return raw
    try:
        return decoder.finish()
    except TooLarge:
        raise BodyTooLarge(f"decompressed answer is more than {MAX_BODY} bytes") from None
    except DecodeError:
        return raw


def _text(body: bytes, response: httpx.Response) -> str:
    """The body as text in the answer's charset; an unknown charset falls back to UTF-8."""
    charset = response.charset_encoding or "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def origin(url: str) -> str:
    """scheme://host:port with the default port spelled out, for comparing URLs' hosts."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return ""
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
    return f"{parsed.scheme}://{parsed.host}:{port}"


def _ms(t0: float) -> int:
    return round((time.monotonic() - t0) * 1000)


# Loopback is never sent through a proxy from the environment: HTTP_PROXY with mocks on
# 127.0.0.1 otherwise fails as a misleading "connection refused" at the mock's own URL.
LOOPBACK_MOUNTS = ("all://127.0.0.1", "all://localhost", "all://[::1]")
# Mounting these to no transport cancels every proxy the environment configures (mock traffic)
# while trust_env still reads SSL_CERT_FILE.
NO_PROXY_MOUNTS = ("all://", "http://", "https://")


def make_client(*, verify: bool | ssl.SSLContext = True, proxies: bool = True) -> httpx.AsyncClient:
    """The one client factory: no redirects followed (credentials never go to another host),
    names resolved inside the budget (`resolve`), loopback never proxied; `proxies=False`
    ignores the proxy variables altogether (mock traffic)."""
    client = httpx.AsyncClient(
        follow_redirects=False,
        verify=verify,
        trust_env=True,
        headers={"User-Agent": "opwire-verify/0.1"},
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
        mounts=dict.fromkeys(LOOPBACK_MOUNTS + (() if proxies else NO_PROXY_MOUNTS)),
    )
    return install(client)
