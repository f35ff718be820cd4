"""Mock mode: use a mock stack that already answers, else start the mocks in-process for the run."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from opwire.config import RunSettings, host_for_url

if TYPE_CHECKING:
    from opwire.mock.server import MockStack


@dataclass(slots=True)
class MockBases:
    urls: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stack: MockStack | None = None

    def close(self) -> None:
        if self.stack is not None:
            self.stack.stop()


HEALTH_TIMEOUT_S = 0.5


def answers(url: str, slug: str, timeout: float = HEALTH_TIMEOUT_S) -> bool:
    """True when a mock of `slug` answers its health route at `url`."""
    try:
        # A plain-http loopback probe: no TLS context to build, no proxy to consult.
        reply = httpx.get(f"{url}/_opwire/health", timeout=timeout, trust_env=False, verify=False)
        return reply.status_code == 200 and reply.json().get("vendor") == slug
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def mock_bases(slugs: Sequence[str], run: RunSettings) -> MockBases:
    """Base URLs for the mock-mode slugs; starts what is not running, on ephemeral ports.

    The health checks run side by side, each within HEALTH_TIMEOUT_S, so they cost one timeout
    at most, not one per mock (they count against the run's budget)."""
    bases = MockBases()
    host = host_for_url(run.mock_host)
    urls = {slug: f"http://{host}:{run.mock_ports[slug]}" for slug in slugs}
    timeout = min(HEALTH_TIMEOUT_S, run.budget_s)
    with ThreadPoolExecutor(max_workers=max(1, len(urls))) as pool:
        up = dict(zip(urls, pool.map(lambda s: answers(urls[s], s, timeout), urls), strict=True))
    missing = [slug for slug in slugs if not up[slug]]
    for slug in slugs:
        if up[slug]:
            bases.urls[slug] = urls[slug]
            bases.notes.append(f"using the running {slug} mock at {urls[slug]}")
    if missing:
        from opwire.mock.server import MockStack  # server code only when it is needed

        bases.stack = MockStack(missing, "127.0.0.1").start()
        for slug, url in bases.stack.urls.items():
            bases.urls[slug] = url
            port = run.mock_ports[slug]
            bases.notes.append(
                f"no {slug} mock answered on {host}:{port}; started it in-process at {url} "
                "for this run"
            )
    return bases
