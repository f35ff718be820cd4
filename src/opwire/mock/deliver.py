"""What a mock sends on its own, as the vendor's integrations do: a Sentry alert rule's trigger to
PagerDuty, a PagerDuty Slack extension's message to a webhook.

Each send is fire-and-forget from the request that caused it: it runs as a task on the mock's
loop, after its delay on the mock clock (so `POST /_opwire/clock` moves it too), over HTTP to
whatever URL the control route named (another mock on this machine, or a compose service by its
name). Its outcome is counted on the hook that sent it (`Delivery`), shown by that hook's control
route; a failure never reaches the client whose request caused the send.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from opwire import __version__
from opwire.mock.clock import MockClock

TIMEOUT_S = 10.0
STEP_S = 0.05  # how often a delayed send looks at the mock clock
ERROR_CHARS = 200


def is_http_url(text: str) -> bool:
    """An http(s) URL with a host (and a valid port, if any): where a hook may send."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@dataclass(slots=True)
class Delivery:
    """What one hook has sent so far: each send is pending, then delivered (2xx) or failed."""

    fired: int = 0
    delivered: int = 0
    failed: int = 0
    last_status: int | None = None
    last_error: str | None = None

    @property
    def pending(self) -> int:
        return self.fired - self.delivered - self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "fired": self.fired,
            "pending": self.pending,
            "delivered": self.delivered,
            "failed": self.failed,
            "last_status": self.last_status,
            "last_error": self.last_error,
        }


@dataclass(slots=True)
class Outbox:
    """The sends in flight (held here: the loop keeps only weak references to tasks)."""

    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def send(
        self,
        url: str,
        body: dict[str, Any],
        counts: Delivery,
        clock: MockClock,
        *,
        delay_s: float = 0.0,
        mask: Callable[[str], str] = lambda text: text,
    ) -> None:
        """POST `body` as JSON to `url` after `delay_s` on `clock`; count the outcome."""
        counts.fired += 1
        task = asyncio.get_running_loop().create_task(
            _post(url, body, counts, clock, delay_s, mask)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def _post(
    url: str,
    body: dict[str, Any],
    counts: Delivery,
    clock: MockClock,
    delay_s: float,
    mask: Callable[[str], str],
) -> None:
    await _wait(clock, delay_s)
    try:
        # No proxy from the environment (mocks talk to mocks); the system's CAs, which
        # SSL_CERT_FILE extends, for a peer served with --tls.
        async with httpx.AsyncClient(
            timeout=TIMEOUT_S, trust_env=False, verify=ssl.create_default_context()
        ) as client:
            reply = await client.post(
                url,
                content=json.dumps(body).encode(),
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": f"opwire-mock/{__version__}",
                },
            )
    except (httpx.HTTPError, OSError, ValueError) as exc:
        _failed(counts, None, mask(f"{type(exc).__name__}: {exc}"))
        return
    if 200 <= reply.status_code < 300:
        counts.delivered += 1
        counts.last_status, counts.last_error = reply.status_code, None
    else:
        _failed(counts, reply.status_code, mask(f"HTTP {reply.status_code}: {reply.text}"))


def _failed(counts: Delivery, status: int | None, error: str) -> None:
    counts.failed += 1
    counts.last_status = status
    counts.last_error = error[:ERROR_CHARS] or "no answer"


async def _wait(clock: MockClock, delay_s: float) -> None:
    due = clock.monotonic() + delay_s
    while (left := due - clock.monotonic()) > 0:
        await asyncio.sleep(min(left, STEP_S))
