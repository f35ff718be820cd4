"""`opwire cleanup`: finish the cleanups a killed run left in the journal (DESIGN § 3).

Each journal entry names a vendor artifact (a PagerDuty incident, an Opsgenie alert, a Sentry
issue) that a run created and did not get to clean up; this resolves or closes it. Entries are
cleaned side by side, a few at a time, all inside one budget (OPERATOR_WIRING_BUDGET_S); an entry
not finished by then stays open and says why. The confirmed ones leave the journal in one write
at the end: a cleanup killed midway leaves them listed, and cleaning one twice is harmless.

What is not safe to act on is reported and left in the journal as it was: an entry opwire did not
write, a mock URL that is not on this machine, the artifact of a run still in progress.

Each entry ends with one of three verdicts, and the reason: "confirmed gone" (it left the
journal), "still open" (the vendor answered, and the artifact is not gone), "cannot reach" (no
answer, or not safe to ask: its state is unknown). An interrupt gives the entries in flight a
short grace (`Stop.scope`), then reports the rest as "cannot reach".
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import TypeVar
from urllib.parse import urlsplit

from opwire import integrations
from opwire.config import ConfigError, Lookup, Redactor, RunSettings
from opwire.http import Budget, Http, RetryPolicy, Timeouts, make_client
from opwire.interrupt import Interrupted, Stop
from opwire.probing import ProbeContext
from opwire.results import list_document_schema
from opwire.state import Journal, JournalEntry, Rejected, owner_running
from opwire.verify import Event

# Entries cleaned at once per destination (a vendor, or one mock): no vendor sees more than a
# handful of requests from one cleanup at a time (PagerDuty's Events API rate-limits), and a
# destination that hangs holds only its own slots, never another's.
CONCURRENCY = 8
# An entry's share ends this much before the overall deadline, so what its requests observed
# ("3 attempts over 2.7 s: read timeout") is reported, not the hard stop behind it.
MARGIN_S = 0.25
T = TypeVar("T")


class State(StrEnum):
    """What happened to the entry; the JSON `state` field."""

    CLEANED = "cleaned"
    OPEN = "open"  # tried and not confirmed: run `opwire cleanup` again
    RUNNING = "running"  # its run is alive and will clean it itself
    SKIPPED = "skipped"  # not safe to act on: left in the journal for a person


class Verdict(StrEnum):
    """What the operator reads about the artifact: one of three, always with a reason."""

    GONE = "confirmed gone"
    OPEN = "still open"
    UNREACHED = "cannot reach"


# The verdict a state implies unless the reason says otherwise (no answer: UNREACHED).
VERDICTS = {
    State.CLEANED: Verdict.GONE,
    State.OPEN: Verdict.OPEN,
    State.RUNNING: Verdict.OPEN,
    State.SKIPPED: Verdict.UNREACHED,
}


@dataclass(frozen=True, slots=True)
class Cleaned:
    slug: str
    run_id: str
    state: State
    how: str
    verdict: Verdict = Verdict.OPEN
    entry: str = ""  # the journal entry's id, for `opwire cleanup --forget`

    @property
    def done(self) -> bool:
        return self.state is State.CLEANED

    @property
    def settled(self) -> bool:
        """Nothing for a person to do: cleaned, or still in the hands of its own run."""
        return self.state in (State.CLEANED, State.RUNNING)


CLEANUP_SCHEMA_ID = "opwire.cleanup/1"
_S = {"type": "string"}
CLEANUP_SCHEMA = list_document_schema(
    CLEANUP_SCHEMA_ID,
    "cleaned",
    {
        "slug": _S,
        "run_id": _S,
        "id": {"type": ["string", "null"]},
        "done": {"type": "boolean"},
        "state": {"enum": [s.value for s in State]},
        "verdict": {"enum": [v.value for v in Verdict]},
        "how": _S,
    },
)


def cleanup_json(cleaned: list[Cleaned]) -> dict[str, object]:
    """The `opwire cleanup --json` document; its shape is CLEANUP_SCHEMA."""
    return {
        "schema": CLEANUP_SCHEMA_ID,
        "cleaned": [
            {
                "slug": c.slug,
                "run_id": c.run_id,
                "id": c.entry or None,
                "done": c.done,
                "state": c.state.value,
                "verdict": c.verdict.value,
                "how": c.how,
            }
            for c in cleaned
        ],
    }


def is_loopback(url: str) -> bool:
    """True for an http(s) URL on this machine: 127.0.0.0/8, ::1 or localhost."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises on a malformed port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost would need a DNS lookup to place


async def clean_journal(
    journal: Journal,
    lookup: Lookup,
    run: RunSettings,
    sink: Callable[[Event], None],
    redact: Redactor,
    stop: Stop | None = None,
) -> list[Cleaned]:
    """Clean every entry the journal holds, inside `run.budget_s`; [] when there is none.
    After an interrupt, the entries get `stop.grace_s` more, and none after a second.

    Raises JournalError (exit 2) when the journal cannot be read; then nothing is touched."""
    contents = journal.read()
    results = [_rejected(r, journal) for r in contents.rejected]
    if not contents.entries:
        return results
    async with make_client() as client:
        http = Http(
            client,
            lambda line: sink(line),
            redact,
            Timeouts(run.connect_timeout_s, run.read_timeout_s),
            RetryPolicy(max_attempts=run.max_attempts),
        )
        job = _Job(lookup, run, http, sink, redact, Budget(run.budget_s), stop or Stop())
        try:
            results += await asyncio.gather(*(job.clean(e) for e in contents.entries))
        finally:
            journal.remove(*job.removed)  # once, even when interrupted: what is done stays done
    return results


def _rejected(item: Rejected, journal: Journal) -> Cleaned:
    how = (
        f"not an entry opwire wrote: {item.reason}; kept in {journal.path} as it is: "
        "look at it by hand"
    )
    return Cleaned("journal", f"entry {item.position}", State.SKIPPED, how, Verdict.UNREACHED)


def _result(entry: JournalEntry, state: State, how: str, verdict: Verdict | None = None) -> Cleaned:
    return Cleaned(entry.slug, entry.run_id, state, how, verdict or VERDICTS[state], entry.id)


@dataclass(slots=True)
class _Job:
    """What the entries of one cleanup share: settings, the client, the budget, the slots
    per destination, the mock health checks."""

    lookup: Lookup
    run: RunSettings
    http: Http
    sink: Callable[[Event], None]
    redact: Redactor
    budget: Budget
    stop: Stop
    slots: dict[tuple[str, str], asyncio.Semaphore] = field(default_factory=dict)
    health: dict[tuple[str, str], asyncio.Future[bool]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    async def clean(self, entry: JournalEntry) -> Cleaned:
        result = self._vet(entry)
        if result is None:
            try:
                async with self.stop.scope(self.stop.grace_s):
                    async with asyncio.timeout(self.budget.remaining()):
                        result = await self._reach(entry)
            except TimeoutError:
                result = _result(entry, State.OPEN, self._unreached(), Verdict.UNREACHED)
            except Interrupted:
                result = _result(entry, State.OPEN, self._interrupted(), Verdict.UNREACHED)
        if result.done:
            self.removed.append(entry.id)
        return result

    def _vet(self, entry: JournalEntry) -> Cleaned | None:
        """The checks that need no network: whose entry it is, where its mock would be."""
        if owner_running(entry.pid, entry.started):
            return _result(
                entry,
                State.RUNNING,
                f"its run (pid {entry.pid}) is still in progress and cleans up after itself; "
                "left in the journal",
                Verdict.OPEN,
            )
        if not entry.real and not is_loopback(entry.mock_base):
            return _result(
                entry,
                State.SKIPPED,
                f"its mock_base {entry.mock_base!r} is not a loopback URL (127.0.0.0/8, ::1, "
                "localhost): opwire cleanup talks only to mocks on this machine; kept in the "
                f"journal: `opwire cleanup --forget {entry.id}` drops it if it is yours",
            )
        return None

    async def _reach(self, entry: JournalEntry) -> Cleaned:
        if not entry.real and not await self._answers(entry.mock_base, entry.slug):
            return _result(entry, State.CLEANED, "its mock is gone, and the artifact with it")
        destination = (entry.slug, "" if entry.real else entry.mock_base)
        async with self.slots.setdefault(destination, asyncio.Semaphore(CONCURRENCY)):
            left = self.budget.remaining() - MARGIN_S
            if left <= 0:  # its turn came too late to send anything
                return _result(entry, State.OPEN, self._unreached(), Verdict.UNREACHED)
            return await self._clean_one(
                entry, self.budget.child(min(self.run.integration_budget_s, left))
            )

    async def _answers(self, mock_base: str, slug: str) -> bool:
        """Is the entry's mock still up? Asked once per mock, off the event loop."""
        from opwire.mock.stack import answers

        key = (mock_base, slug)
        if key not in self.health:
            self.health[key] = asyncio.ensure_future(_off_loop(lambda: answers(mock_base, slug)))
        # Shielded: one entry running out of time must not cancel the check the others await.
        return await asyncio.shield(self.health[key])

    async def _clean_one(self, entry: JournalEntry, share: Budget) -> Cleaned:
        vendor = integrations.load(entry.slug)
        try:
            settings = vendor.load_settings(self.lookup, entry.real, entry.mock_base)
        except ConfigError as exc:
            return _result(entry, State.OPEN, str(exc), Verdict.UNREACHED)
        self.redact.add(settings.secrets())
        ctx = ProbeContext(
            vendor.slug,
            entry.real,
            entry.run_id,
            self.http,
            share,
            vendor.rules(),
            self.sink,
            mock_base=entry.mock_base,
        )
        try:
            done = await vendor.run_cleanup(ctx, settings, dict(entry.artifact))
        except Exception as exc:  # a bug in one cleanup must not stop the others
            detail = self.redact(f"{type(exc).__name__}: {exc}")
            how = f"opwire.internal_error: {detail}"
            return _result(entry, State.OPEN, how, Verdict.UNREACHED)
        if done:
            return _result(entry, State.CLEANED, "cleaned up and confirmed")
        verdict, how = _why_open(ctx)
        return _result(entry, State.OPEN, how, verdict)

    def _unreached(self) -> str:
        return (
            f"not finished within the {self.run.budget_s:g} s cleanup budget "
            "(OPERATOR_WIRING_BUDGET_S); run `opwire cleanup` again, or give it more time"
        )

    def _interrupted(self) -> str:
        cut = (
            f"a second {self.stop.cause} cut its cleanup short"
            if self.stop.hurried
            else f"interrupted by {self.stop.cause}, not finished within the "
            f"{self.stop.grace_s:g} s grace"
        )
        return f"{cut}; run `opwire cleanup` again"


def _why_open(ctx: ProbeContext) -> tuple[Verdict, str]:
    """A vendor that answered and still holds the artifact is "still open"; no answer at all
    (a network failure, the budget) leaves it unknown: "cannot reach"."""
    diagnosis = next((s.diagnosis for s in ctx.steps if s.diagnosis), None)
    if diagnosis is None:
        return Verdict.OPEN, "its cleanup did not confirm it gone"
    unanswered = diagnosis.code.startswith("net.")
    observed = f" ({diagnosis.detail})" if diagnosis.detail else ""
    how = f"{diagnosis.code}{observed}: {diagnosis.fix}"
    return (Verdict.UNREACHED if unanswered else Verdict.OPEN), how


async def _off_loop(call: Callable[[], T]) -> T:
    """Run a blocking call in a daemon thread. Not `asyncio.to_thread`: `asyncio.run` joins
    that pool at exit, so a check abandoned at the deadline would hold up the command."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def work() -> None:
        outcome: Callable[[], None]
        try:
            outcome = partial(future.set_result, call())
        except Exception as exc:
            outcome = partial(future.set_exception, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, future, outcome)

    threading.Thread(target=work, name="opwire-cleanup-check", daemon=True).start()
    return await future


def _settle(future: asyncio.Future[T], outcome: Callable[[], None]) -> None:
    if not future.done():  # cancelled while the call ran
        outcome()
