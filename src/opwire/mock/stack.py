"""Mock mode: use a mock stack that already answers, else start the mocks in-process for the run.

A running mock is not always a plain emulator: it may be rehearsing (a scenario or fault rules
switched on by `opwire drill` or by hand) or be another opwire version's. Its `/_opwire/health`
says which, `mock_bases` names it before the run, and `rehearsal_verdicts` makes a FAIL that a
rehearsal caused say so, instead of advising a fix at the vendor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from opwire import __version__
from opwire.config import RunSettings, host_for_url
from opwire.results import IntegrationResult, RunResult, Status, Step

if TYPE_CHECKING:
    from opwire.mock.server import MockStack


@dataclass(frozen=True, slots=True)
class MockHealth:
    """What a running mock's `/_opwire/health` says of itself."""

    url: str
    version: str
    scenarios: tuple[str, ...] = ()
    faults: int = 0

    @property
    def rehearsing(self) -> bool:
        return bool(self.scenarios or self.faults)

    def switched_on(self) -> str:
        """`scenario slack/revoked`, `2 fault rules`, or both joined by "and"."""
        named = f"scenario{'s' if len(self.scenarios) > 1 else ''} {', '.join(self.scenarios)}"
        rules = f"{self.faults} fault rule{'s' if self.faults != 1 else ''}"
        return " and ".join(
            part for part, shown in ((named, self.scenarios), (rules, self.faults)) if shown
        )

    def reset_hint(self) -> str:
        return f"reset the mock (`curl -X POST {self.url}/_opwire/reset`)"


@dataclass(slots=True)
class MockBases:
    urls: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stack: MockStack | None = None
    # The running mocks in use that have a scenario or fault rules switched on.
    rehearsing: dict[str, MockHealth] = field(default_factory=dict)

    def close(self) -> None:
        if self.stack is not None:
            self.stack.stop()

    def amend(self, result: RunResult) -> RunResult:
        """The run's result with the FAILs these rehearsing mocks caused said to be theirs."""
        return rehearsal_verdicts(result, self.rehearsing)


HEALTH_TIMEOUT_S = 0.5


def health(url: str, slug: str, timeout: float = HEALTH_TIMEOUT_S) -> MockHealth | None:
    """What a mock of `slug` at `url` says of itself; None when none answers there."""
    try:
        # A plain-http loopback probe: no TLS context to build, no proxy to consult.
        reply = httpx.get(f"{url}/_opwire/health", timeout=timeout, trust_env=False, verify=False)
        document = reply.json()
    except (httpx.HTTPError, ValueError):
        return None
    if reply.status_code != 200 or not isinstance(document, dict):
        return None
    if document.get("vendor") != slug:
        return None
    return MockHealth(
        url, str(document.get("opwire", "")), _names(document.get("scenarios")), _count(document)
    )


def _names(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _count(document: dict[str, Any]) -> int:
    # A mock of an opwire before the field existed reports none; its version is named instead.
    faults = document.get("faults")
    return faults if isinstance(faults, int) and not isinstance(faults, bool) else 0


def answers(url: str, slug: str, timeout: float = HEALTH_TIMEOUT_S) -> bool:
    """True when a mock of `slug` answers its health route at `url`."""
    return health(url, slug, timeout) is not None


def running_notes(slug: str, mock: MockHealth) -> list[str]:
    """The lines said before the run about a running mock: that it is used, and whether it is
    rehearsing or another opwire version's (either makes its answers not the plain emulator's)."""
    notes = [f"using the running {slug} mock at {mock.url}"]
    if mock.rehearsing:
        notes.append(
            f"the running {slug} mock has {mock.switched_on()} switched on: its answers are a "
            f"rehearsal, not the vendor's; to clear them, {mock.reset_hint()}"
        )
    if mock.version != __version__:
        notes.append(
            f"the running {slug} mock is opwire {mock.version or '(unknown version)'}, this is "
            f"opwire {__version__}: its answers may not be this version's; restart the mock "
            "stack from this opwire (`opwire mock up`)"
        )
    return notes


def rehearsal_verdicts(result: RunResult, rehearsing: Mapping[str, MockHealth]) -> RunResult:
    """Each mock-mode FAIL of a mock that is rehearsing says it is the rehearsal's, and its fix
    is to reset the mock: advice for the real vendor would send the operator to fix nothing."""
    return replace(
        result,
        integrations=tuple(_amended(i, rehearsing.get(i.slug)) for i in result.integrations),
    )


def _amended(result: IntegrationResult, mock: MockHealth | None) -> IntegrationResult:
    if mock is None or not mock.rehearsing or result.real or result.status is not Status.FAIL:
        return result
    return replace(result, steps=tuple(_rehearsed(s, result.slug, mock) for s in result.steps))


def _rehearsed(step: Step, slug: str, mock: MockHealth) -> Step:
    if step.diagnosis is None:
        return step
    said = (
        f"the running {slug} mock has {mock.switched_on()} switched on: this failure is the "
        "rehearsal, not the vendor"
    )
    detail = f"{step.diagnosis.detail}; {said}" if step.diagnosis.detail else said
    fix = f"Nothing to fix at the vendor: {mock.reset_hint()} and run verify again."
    diagnosis = replace(step.diagnosis, detail=detail, fix=fix)
    return replace(step, detail=detail, diagnosis=diagnosis)


def _detached_urls(slugs: Sequence[str], run: RunSettings) -> dict[str, str]:
    """The URLs of a running `opwire mock up --detach` stack of this state folder (it may serve
    on ephemeral ports); none when there is none or its record cannot be read."""
    from opwire.errors import ConfigError
    from opwire.mock.detached import read_record

    try:
        record = read_record(run.state_dir)
    except ConfigError:
        return {}
    if record is None or not record.running():
        return {}
    return {slug: url for slug, url in record.urls.items() if slug in slugs}


def mock_bases(slugs: Sequence[str], run: RunSettings) -> MockBases:
    """Base URLs for the mock-mode slugs; starts what is not running, on ephemeral ports.

    The health checks run side by side, each within HEALTH_TIMEOUT_S, so they cost one timeout
    at most, not one per mock (they count against the run's budget)."""
    bases = MockBases()
    host = host_for_url(run.mock_host)
    urls = {slug: f"http://{host}:{run.mock_ports[slug]}" for slug in slugs}
    urls.update(_detached_urls(slugs, run))
    timeout = min(HEALTH_TIMEOUT_S, run.budget_s)
    with ThreadPoolExecutor(max_workers=max(1, len(urls))) as pool:
        up = dict(zip(urls, pool.map(lambda s: health(urls[s], s, timeout), urls), strict=True))
    missing = [slug for slug in slugs if up[slug] is None]
    for slug in slugs:
        if (mock := up[slug]) is not None:
            bases.urls[slug] = mock.url
            bases.notes.extend(running_notes(slug, mock))
            if mock.rehearsing:
                bases.rehearsing[slug] = mock
    if missing:
        from opwire.mock.server import MockStack  # server code only when it is needed

        bases.stack = MockStack(missing, "127.0.0.1").start()
        for slug, url in bases.stack.urls.items():
            bases.urls[slug] = url
            where = urls[slug].removeprefix("http://")
            bases.notes.append(
                f"no {slug} mock answered on {where}; started it in-process at {url} for this run"
            )
    return bases
