"""The ladder a probe walks: each rung is a request whose reply is checked and diagnosed.

Probes call `ProbeContext.call` and `.poll`; they never catch transport exceptions themselves
(HOUSE-STYLE "Errors and results"). The context records steps; the status follows from them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opwire.diagnosis import Diagnosis, Rule, by_code, diagnose_reply, diagnose_transport
from opwire.http import Budget, Exchange, Http, Reply
from opwire.results import Outcome, Step

Check = Callable[[Reply], bool]


@dataclass(frozen=True, slots=True)
class NoteLine:
    """A line of output that is not a request: a skipped rung, a warning, a stack notice."""

    integration: str
    text: str


@dataclass(slots=True)
class ProbeContext:
    slug: str
    real: bool
    run_id: str
    http: Http
    budget: Budget
    rules: Sequence[Rule]
    say: Callable[[NoteLine], None]
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed_already(self) -> bool:
        return any(s.outcome is Outcome.FAILED for s in self.steps)

    async def call(self, step: str, method: str, url: str, *, ok: Check, **kw: Any) -> Reply | None:
        """One rung: send (with retries), check the reply, record the step. None on failure."""
        exchange = await self.http.request(self.slug, self.budget, method, url, **kw)
        reply = exchange.reply
        if reply is not None and ok(reply):
            self._after_retries(step, exchange)
            self.passed(step, f"HTTP {reply.status}")
            return reply
        self.failed(step, self._diagnose(step, exchange))
        return None

    async def poll(
        self,
        step: str,
        method: str,
        url: str,
        *,
        ok: Check,
        found: Check,
        within_s: float,
        missing: str,
        **kw: Any,
    ) -> Reply | None:
        """Read back until `found`, polling fast then backing off; `missing` names the diagnosis."""
        window = self.budget.child(within_s)
        delay = 0.1
        while True:
            exchange = await self.http.request(self.slug, window, method, url, **kw)
            reply = exchange.reply
            if reply is None or not ok(reply):
                self.failed(step, self._diagnose(step, exchange))
                return None
            if found(reply):
                self.passed(step, f"found after {window.seconds - window.remaining():.1f} s")
                return reply
            if window.remaining() <= delay:
                detail = f"not found within {window.seconds:.0f} s"
                self.failed(step, by_code(self.rules, missing, detail))
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    def passed(self, step: str, detail: str = "") -> None:
        self.steps.append(Step(step, Outcome.OK, detail))

    def failed(self, step: str, diagnosis: Diagnosis) -> None:
        self.steps.append(Step(step, Outcome.FAILED, diagnosis.detail, diagnosis))

    def skipped(self, step: str, why: str) -> None:
        """A rung not walked (no read credential): the integration ends UNCONFIRMED."""
        self.steps.append(Step(step, Outcome.SKIPPED, why))
        self.note(f"{step} skipped: {why}")

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.say(NoteLine(self.slug, text))

    def _after_retries(self, step: str, exchange: Exchange) -> None:
        if exchange.attempts > 1:
            self.note(f"{step}: throttled or flaky, not broken: passed after {exchange.observed}")

    def _diagnose(self, step: str, exchange: Exchange) -> Diagnosis:
        reply = exchange.reply
        if reply is None:
            return diagnose_transport(exchange.failure_kind or "budget", exchange.observed)
        diagnosis = diagnose_reply(step, reply.status, reply.text, self.rules)
        if exchange.attempts > 1:
            diagnosis = diagnosis.with_detail(f"{diagnosis.detail} ({exchange.observed})")
        return diagnosis
