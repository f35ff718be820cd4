"""The HTTP layer: Retry-After and the vendors' rate-limit waits, backoff, budgets and the
exception map."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime

import httpx
import pytest

from opwire.config import Redactor
from opwire.events import RequestLine
from opwire.http import (
    EXC_KINDS,
    KIND_WORDS,
    Budget,
    Http,
    Outbound,
    RetryPolicy,
    answered_wait,
    classify,
    parse_retry_after,
)

from conftest import Mock

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("0", 0.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Fri, 27 Nov 2026 12:00:30 GMT", 30.0),
        ("Fri, 27 Nov 2026 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_s=0.25, cap_s=2.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.25, 0.5, 1.0, 2.0, 2.0]


def test_backoff_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(base_s=1.0, jitter=0.25)
    assert policy.backoff(1, lambda: 0.0) == 0.75
    assert policy.backoff(1, lambda: 1.0) == 1.25


def test_budget_on_an_injected_clock() -> None:
    now = [100.0]
    budget = Budget(10, clock=lambda: now[0])
    now[0] = 104.0
    assert budget.remaining() == 6.0
    child = budget.child(30)
    assert child.seconds == 6.0
    now[0] = 200.0
    assert budget.remaining() == 0.0 and child.remaining() == 0.0


def _transport_errors() -> list[type[Exception]]:
    found, todo = [], [httpx.TransportError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if not c.__subclasses__()]


@pytest.mark.parametrize("exc_type", _transport_errors(), ids=lambda c: c.__name__)
def test_every_httpx_transport_error_is_mapped(exc_type: type[Exception]) -> None:
    assert any(issubclass(exc_type, mapped) for mapped, _ in EXC_KINDS), exc_type
    assert classify(exc_type("x")) in KIND_WORDS


def test_connect_errors_are_told_apart_by_cause() -> None:
    def connect_error(cause: BaseException) -> httpx.ConnectError:
        exc = httpx.ConnectError(str(cause))
        exc.__cause__ = cause
        return exc

    assert classify(connect_error(socket.gaierror(-3, "Temporary failure"))) == "dns"
    assert classify(connect_error(ConnectionRefusedError(111, "refused"))) == "refused"
    assert classify(connect_error(OSError(101, "Network is unreachable"))) == "unreachable"


@pytest.mark.parametrize(
    ("status", "headers", "said"),
    [
        (429, {"retry-after": "2", "x-ratelimit-reset": "9"}, (2.0, "Retry-After")),
        (503, {"retry-after": "4"}, (4.0, "Retry-After")),
        (429, {"x-ratelimit-reset": "7"}, (7.0, "X-RateLimit-Reset")),
        (429, {"ratelimit-reset": "30"}, (30.0, "ratelimit-reset")),
        (
            429,
            {"x-sentry-rate-limits": "60:transaction:key, 5:error;default:organization"},
            (5.0, "X-Sentry-Rate-Limits"),
        ),
        (
            429,
            {"x-sentry-rate-limits": "12::organization:quota_exceeded"},
            (12.0, "X-Sentry-Rate-Limits"),
        ),
        (429, {"x-sentry-rate-limits": "60:transaction:key"}, None),
        (429, {"x-ratelimit-reset": "soon"}, None),
        (429, {"x-ratelimit-reset": "nan"}, None),
        (500, {"x-ratelimit-reset": "7"}, None),
        (429, {}, None),
    ],
)
def test_the_wait_an_answer_names(
    status: int, headers: dict[str, str], said: tuple[float, str] | None
) -> None:
    """Retry-After first (RFC 9110 § 10.2.3); on a 429 without it, the vendor's header:
    Datadog's X-RateLimit-Reset, PagerDuty's ratelimit-reset, Sentry's X-Sentry-Rate-Limits for
    events (develop.sentry.dev/sdk/expected-features/rate-limiting/)."""
    assert answered_wait(status, headers) == said


def test_a_429_retries_after_the_vendors_reset_header(datadog_mock: Mock) -> None:
    """A 429 that carries only X-RateLimit-Reset (Datadog's recorded answer) is retried after the
    seconds it names, not after opwire's own backoff."""
    datadog_mock.fault(status=429, times=1, headers={"X-RateLimit-Reset": "0.6"}, body="{}")
    lines: list[RequestLine] = []
    http = Http(httpx.AsyncClient(), lines.append, Redactor(), rand=lambda: 0.5)

    async def send() -> int:
        async with http.client:
            outbound = Outbound("GET", f"{datadog_mock.url}/api/v1/validate")
            exchange = await http.request("datadog", Budget(10), outbound)
        return exchange.reply.status if exchange.reply else 0

    assert asyncio.run(send()) != 429
    assert len(lines) == 2 and lines[0].outcome == "HTTP 429"
    assert lines[0].note == "retry 1/3 in 0.6 s", lines[0]
