"""The ladder a probe walks: each rung is a request whose reply is checked and diagnosed.

Probes call `ProbeContext.call` and `.poll`, and each answers a `Rung`: the reply, whether the
vendor refused, the diagnosis. Probes never catch transport exceptions themselves (HOUSE-STYLE
"Errors and results"). The context records steps; the status follows from them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from opwire.diagnosis import (
    MALFORMED,
    UNEXPECTED,
    Diagnosis,
    Rule,
    by_code,
    diagnose_reply,
    diagnose_transport,
)
from opwire.events import NoteLine as NoteLine  # re-exported: its older home
from opwire.http import Budget, Exchange, Http, Outbound, Reply
from opwire.interrupt import Stop
from opwire.results import Outcome, Step
from opwire.state import Journal

Check = Callable[[Reply], bool]
SWEEP_OFF = "OPERATOR_WIRING_REGION_SWEEP=0 or --no-region-sweep turns this off"
SWEEP_TARGETS = (
    "with an API URL override set, only the regions listed in the vendor's "
    "OPERATOR_WIRING_*_URLS variable are asked, never the public hosts around it"
)
# Failure kinds that prove a request never left this machine (the connection or its TLS
# handshake failed before any byte of it was sent): a send that met only these created nothing.
NEVER_SENT = frozenset({"dns", "refused", "tls"})


@dataclass(frozen=True, slots=True)
class Sweep:
    """What the region sweep learned: where the credential works, and whom it could not ask."""

    found: str | None
    unreachable: tuple[str, ...]


# What a predicate raises when the answer is valid JSON of the wrong shape (an array where the
# vendor documents an object, a string where a list is): the answer's fault, not opwire's.
SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError)


def holds(check: Check, reply: Reply | None) -> bool | None:
    """`check(reply)`, or None when the answer's shape made the check impossible."""
    if reply is None:
        return False
    try:
        return bool(check(reply))
    except SHAPE_ERRORS:
        return None


@dataclass(frozen=True, slots=True)
class Rung:
    """What one rung came to: the last answer (None when none came), whether the vendor refused
    the request, and the diagnosis of a failure (None when the rung passed)."""

    reply: Reply | None
    refused: bool = False  # a definite 4xx other than 429: the vendor took nothing, made nothing
    diagnosis: Diagnosis | None = None

    @property
    def ok(self) -> bool:
        return self.diagnosis is None

    @property
    def code(self) -> str | None:
        return None if self.diagnosis is None else self.diagnosis.code

    @property
    def answer(self) -> Reply:
        """The reply of a rung that got one (every rung that passed did)."""
        if self.reply is None:
            raise ValueError("this rung got no answer")
        return self.reply


def refusal(reply: Reply | None) -> bool:
    """A definite no: 4xx means the request was understood and not taken; 429 means "later"."""
    return reply is not None and 400 <= reply.status < 500 and reply.status != 429


@dataclass(slots=True)
class ProbeContext:
    slug: str
    real: bool
    run_id: str
    http: Http
    budget: Budget
    rules: Sequence[Rule]
    say: Callable[[NoteLine], None]
    journal: Journal | None = None
    mock_base: str = ""
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    stop: Stop | None = None
    # Artifacts remembered and not yet confirmed cleaned (entry -> artifact): what an interrupt
    # must still clean up. `unsent` is the entry whose creating request has not been tried.
    open: dict[str, dict[str, Any]] = field(default_factory=dict)
    unsent: str | None = None
    rung: str = ""  # the step under way: what an interrupt cut short

    @property
    def failed_already(self) -> bool:
        return any(s.outcome is Outcome.FAILED for s in self.steps)

    async def call(self, step: str, outbound: Outbound, *, ok: Check) -> Rung:
        """One rung: send (with retries), check the reply, record the step."""
        self.rung = step
        exchange = await self.http.request(self.slug, self.budget, outbound)
        self._after_send(step, exchange)
        reply = exchange.reply
        verdict = holds(ok, reply)
        if reply is not None and verdict:
            self._after_retries(step, exchange)
            self.passed(step, f"HTTP {reply.status}")
            return Rung(reply)
        return self._fell(step, exchange, malformed=verdict is None)

    async def poll(
        self,
        step: str,
        outbound: Outbound,
        *,
        ok: Check,
        found: Check,
        within_s: float,
        missing: str,
        pending: Check | None = None,
    ) -> Rung:
        """Read back until `found`, polling fast then backing off; `missing` names the diagnosis.

        A reply that is `pending` (say, Opsgenie's 404 RequestNotProcessed) means "not yet".
        """
        self.rung = step
        window = self.budget.child(within_s)
        delay = 0.1
        while True:
            exchange = await self.http.request(self.slug, window, outbound)
            reply = exchange.reply
            if not (pending is not None and holds(pending, reply)):
                good = holds(ok, reply)
                seen = holds(found, reply) if good else False
                if not good or seen is None:
                    return self._fell(step, exchange, malformed=good is None or seen is None)
                if seen:
                    self.passed(step, f"found after {window.seconds - window.remaining():.1f} s")
                    return Rung(reply)
            if window.remaining() <= delay:
                detail = f"not found within {window.seconds:.0f} s"
                diagnosis = by_code(self.rules, missing, detail)
                self.failed(step, diagnosis)
                return Rung(reply, diagnosis=diagnosis)  # answered, just not (yet) there
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def peek(self, outbound: Outbound, *, within_s: float | None = None) -> Reply | None:
        """A look that is not a rung: its failure is not recorded (cleanup's "anything left?",
        the region sweep)."""
        return (await self._look(outbound, within_s=within_s)).reply

    async def _look(self, outbound: Outbound, *, within_s: float | None = None) -> Exchange:
        budget = self.budget if within_s is None else self.budget.child(within_s)
        return await self.http.request(self.slug, budget, outbound)

    async def sweep(
        self,
        question: str,
        regions: Mapping[str, str],
        ask: Callable[[str], Outbound],
        ok: Check,
    ) -> Sweep:
        """The region sweep: send each of the vendor's other regions `ask(its base URL)` (its
        cheapest authenticated read) and name the first whose answer is `ok`. Regions that gave
        no answer at all are named, and the last failure says it could not ask them: an
        unreachable region proves nothing about the credential."""
        if not regions:
            self.note(f"region sweep skipped: no other region to ask ({SWEEP_TARGETS})")
            return Sweep(None, ())
        self.note(f"region sweep: {question} ({SWEEP_OFF})")
        unreachable: list[str] = []
        for region, base in regions.items():
            exchange = await self._look(ask(base), within_s=5)
            if exchange.reply is not None and ok(exchange.reply):
                return Sweep(region, tuple(unreachable))
            if exchange.reply is None:
                unreachable.append(f"{region}: {exchange.observed}")
        if unreachable:
            self.amend(
                f"could not ask the other regions ({'; '.join(unreachable)}), so it is not known "
                "whether the credential works there"
            )
        return Sweep(None, tuple(unreachable))

    def amend(self, detail: str, *, code: str | None = None, fix: str | None = None) -> None:
        """Sharpen the last failure with what was learned after it (the region sweep)."""
        for n in range(len(self.steps) - 1, -1, -1):
            step = self.steps[n]
            if step.outcome is Outcome.FAILED and step.diagnosis is not None:
                base = by_code(self.rules, code) if code else step.diagnosis
                fixed = replace(
                    base, detail=f"{step.diagnosis.detail}; {detail}", fix=fix or base.fix
                )
                self.steps[n] = replace(step, detail=fixed.detail, diagnosis=fixed)
                return

    def remember(self, artifact: dict[str, Any]) -> str:
        """Journal an artifact before creating it; returns the entry to forget once cleaned.
        The next `call` is taken to be the request that creates it.

        A journal that cannot be read raises JournalError here, on purpose: the probe stops
        before it creates an artifact that nothing would remember (its integration FAILs).
        After an interrupt it raises Interrupted: nothing new is created then."""
        if self.stop is not None:
            self.stop.check()
        if self.journal is None:
            entry = secrets.token_hex(6)  # no journal (the drills): tracked here only
        else:
            entry = self.journal.add(self.slug, self.run_id, self.real, self.mock_base, artifact)
        self.open[entry] = dict(artifact)
        self.unsent = entry
        return entry

    def forget(self, entry: str | None) -> None:
        """The cleanup is confirmed: drop this entry, and only this one."""
        if entry is None:
            return
        self.open.pop(entry, None)
        if self.journal is not None:
            self.journal.remove(entry)

    def _after_send(self, step: str, exchange: Exchange) -> None:
        """The creating request's outcome: when every attempt failed before sending a byte,
        the artifact cannot exist, and its journal entry goes now, not at a cleanup that would
        fail the same way (and leave the entry for `opwire cleanup` to trip over)."""
        entry, self.unsent = self.unsent, None
        if entry is None or exchange.reply is not None:
            return
        if exchange.kinds and all(kind in NEVER_SENT for kind in exchange.kinds):
            self.forget(entry)
            self.note(
                f"{step} never reached the vendor ({exchange.observed}): nothing was created, "
                "so nothing is left in the cleanup journal"
            )

    def fail_as(self, step: str, code: str, detail: str = "") -> None:
        """Record a failure the probe itself detected, by its code in the vendor's table."""
        self.failed(step, by_code(self.rules, code, detail))

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

    def _fell(self, step: str, exchange: Exchange, *, malformed: bool) -> Rung:
        """Record the rung's failure, diagnosed from what its last exchange came to."""
        diagnosis = self._diagnose(step, exchange, malformed=malformed)
        self.failed(step, diagnosis)
        return Rung(exchange.reply, refusal(exchange.reply), diagnosis)

    def _after_retries(self, step: str, exchange: Exchange) -> None:
        if exchange.attempts > 1:
            self.note(f"{step}: throttled or flaky, not broken: passed after {exchange.observed}")

    def _diagnose(self, step: str, exchange: Exchange, *, malformed: bool = False) -> Diagnosis:
        reply = exchange.reply
        if reply is None:
            kind = exchange.failure_kind or "budget"
            return diagnose_transport(kind, exchange.observed, self.rules)
        diagnosis = diagnose_reply(
            step, reply.status, reply.text, self.rules, redact=self.http.redact
        )
        # Every answer a probe reads is a JSON object or plain text: valid JSON of another shape
        # (an array, a bare string) that no rule explains is the answer's fault.
        other_shape = reply.json() is not None and not isinstance(reply.json(), dict)
        if diagnosis.code == UNEXPECTED.code and (malformed or other_shape):
            diagnosis = MALFORMED.diagnosis(diagnosis.detail)
        if 300 <= reply.status < 400 and reply.headers.get("location"):
            location = reply.headers["location"]
            diagnosis = diagnosis.with_detail(f"{diagnosis.detail} (Location: {location})")
        if exchange.attempts > 1:
            diagnosis = diagnosis.with_detail(f"{diagnosis.detail} ({exchange.observed})")
        return diagnosis
