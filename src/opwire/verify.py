"""Run the selected integrations' probes concurrently under one time budget. Never prints.

DESIGN § 3–4. One integration's crash is its own FAIL (`opwire.internal_error`), never the run's;
an integration that outlives its budget is cut off with `net.budget`. An interrupt (`Stop`) ends
every probe still running as FAIL `opwire.interrupted`, after its open artifacts got the grace to
be cleaned up by the room's own cleanup rungs; what stays open is named.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import math
import os
import secrets
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from opwire import integrations
from opwire.config import ConfigError, Lookup, Redactor, RunSettings, mode_name
from opwire.diagnosis import INTERNAL_ERROR, INTERRUPTED, NET_RULES, blocked, substrate_note
from opwire.events import Event as Event  # re-exported: callers import it from here too
from opwire.http import Budget, Http, RequestLine, RetryPolicy, Timeouts, make_client, origin
from opwire.interrupt import Interrupted, Stop
from opwire.probing import ProbeContext
from opwire.results import IntegrationResult, Outcome, RunResult, Status, Step, status_of
from opwire.state import Blocker, Journal, owner_running, process_start

# A cleanup's requests end this much before the grace does, so what they observed is reported,
# not the hard stop behind it.
GRACE_MARGIN_S = 0.25


@dataclass(frozen=True, slots=True)
class Target:
    slug: str
    real: bool
    vendor: integrations.Vendor
    settings: Any
    mock_base: str = ""

    @property
    def insecure_origin(self) -> str:
        """The one origin whose TLS certificate is not verified (SPLUNK_HEC_INSECURE=1 covers
        the HEC host only, dev only); empty for every other vendor."""
        if not getattr(self.settings, "insecure", False):
            return ""
        return origin(str(self.settings.hec_url))


def new_run_id(now: datetime | None = None) -> str:
    """`ow-<utc timestamp>-<random>`: the key every vendor artifact of this run carries."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"ow-{stamp}-{secrets.token_hex(3)}"


def plan(
    slugs: Sequence[str], lookup: Lookup, run: RunSettings, mock_bases: Mapping[str, str]
) -> list[Target]:
    """Load each selected room's settings; every configuration problem is reported at once."""
    targets, problems = [], []
    for slug in slugs:
        vendor = integrations.load(slug)
        real = slug in run.real
        try:
            settings = vendor.load_settings(lookup, real, mock_bases.get(slug, ""))
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        targets.append(Target(slug, real, vendor, settings, "" if real else mock_bases[slug]))
    if problems:
        raise ConfigError("\n".join(problems))
    return targets


def blocked_result(blocker: Blocker, real: bool = True) -> IntegrationResult:
    """An integration with an open credential blocker, in real mode: BLOCKED (a HOLD, exit 3
    without a FAIL), with the ticket, and nothing sent."""
    diagnosis = blocked(blocker.slug, blocker.ticket, blocker.since, blocker.note)
    step = Step("blocked", Outcome.SKIPPED, diagnosis.detail, diagnosis)
    note = (
        f"BLOCKED: ticket {blocker.ticket} (since {blocker.since}) in cred-blockers.md; "
        f"nothing sent. `opwire blocker resolve {blocker.slug}` once the credential lands"
    )
    return IntegrationResult(blocker.slug, real, Status.BLOCKED, (step,), (), 0.0, (note,))


def redactor_for(targets: Sequence[Target]) -> Redactor:
    return Redactor(s for t in targets for s in t.settings.secrets())


async def verify(
    targets: Sequence[Target],
    run: RunSettings,
    sink: Callable[[Event], None],
    redact: Redactor,
    *,
    run_id: str | None = None,
    tls_verify: bool | ssl.SSLContext = True,
    journal: Journal | None = None,
    started: float | None = None,
    stop: Stop | None = None,
    check: str = "probe",
    blocked: Sequence[IntegrationResult] = (),
) -> RunResult:
    """`started` is when the run began on the monotonic clock (the CLI's start, so the mock
    health checks before it count against the budget); the summary's time is wall time.
    `stop` carries the interrupts (the CLI's signals); by default nothing interrupts.
    `check` "whoami" runs each room's cheapest authenticated read instead of its probe.
    `blocked` are the results of integrations not probed for a credential blocker
    (`blocked_result`): they take their place among the others, in the registry's order."""
    stop = stop or Stop()
    run_id = run_id or new_run_id()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic() if started is None else started
    lines: dict[str, list[RequestLine]] = {t.slug: [] for t in targets}

    def on_request(line: RequestLine) -> None:
        lines[line.integration].append(line)
        sink(line)

    run_budget = Budget(run.budget_s - (time.monotonic() - t0))
    async with (
        make_client(verify=tls_verify) as client,
        make_client(verify=tls_verify, proxies=False) as direct,
        make_client(verify=False) as insecure,
    ):

        def http_for(target: Target) -> Http:
            return Http(
                client if target.real else direct,
                on_request,
                redact,
                Timeouts(run.connect_timeout_s, run.read_timeout_s),
                RetryPolicy(max_attempts=run.max_attempts),
                insecure=insecure,
                insecure_origin=target.insecure_origin,
            )

        contexts = [
            ProbeContext(
                t.slug,
                t.real,
                run_id,
                http_for(t),
                run_budget.child(run.integration_budget_s),
                t.vendor.rules(),
                sink,
                journal,
                t.mock_base,
                stop=stop,
            )
            for t in targets
        ]
        await asyncio.gather(
            *(_guarded(t, c, redact, stop, check) for t, c in zip(targets, contexts, strict=True))
        )
    results = tuple(
        IntegrationResult(
            c.slug,
            c.real,
            status_of(tuple(c.steps)),
            tuple(c.steps),
            tuple(lines[c.slug]),
            c.elapsed_s,
            tuple(c.notes),
        )
        for c in contexts
    )
    if blocked:  # in the seed's order among the others (targets come in that order)
        order = {slug: n for n, slug in enumerate(integrations.SLUGS)}
        results = tuple(sorted((*results, *blocked), key=lambda r: order.get(r.slug, len(order))))
    codes = [r.diagnosis.code for r in results if r.diagnosis]
    notes = (substrate_note(codes), _interrupt_note(stop, contexts))
    return RunResult(
        run_id,
        mode_name(run.real),
        started_at,
        time.monotonic() - t0,
        results,
        tuple(note for note in notes if note),
        stop.exit_code(0),
    )


async def _guarded(
    target: Target, ctx: ProbeContext, redact: Redactor, stop: Stop, check: str = "probe"
) -> None:
    """Run one probe; a bug or an overrun becomes this integration's FAIL only, an interrupt
    its FAIL after the grace cleanup."""
    started = time.monotonic()
    try:
        async with stop.scope():
            part = (
                target.vendor.run_whoami(ctx, target.settings)
                if check == "whoami"
                else target.vendor.run_probe(ctx, target.settings)
            )
            await asyncio.wait_for(part, ctx.budget.seconds + 1)
    except Interrupted:
        await _interrupted(target, ctx, redact, stop)
    except TimeoutError:
        detail = f"the probe was still running when its {ctx.budget.seconds:.0f} s budget ran out"
        ctx.failed("budget", NET_RULES["budget"].diagnosis(detail))
    except Exception as exc:  # one vendor's bug must never abort the other five
        detail = redact(f"{type(exc).__name__}: {exc}")
        ctx.failed("internal", INTERNAL_ERROR.diagnosis(detail))
    if not ctx.steps:
        ctx.failed("internal", INTERNAL_ERROR.diagnosis("the probe recorded no step"))
    ctx.elapsed_s = time.monotonic() - started


async def _interrupted(target: Target, ctx: ProbeContext, redact: Redactor, stop: Stop) -> None:
    """Record the interrupt as this integration's FAIL, then clean up what it left open."""
    during = f"during its step {ctx.rung!r}" if ctx.rung else "before its first step"
    at = len(ctx.steps)
    ctx.failed("interrupted", INTERRUPTED.diagnosis())
    ctx.unsent = None  # a creating request cut off in flight may have arrived: keep its entry
    cleaned = await _clean_open(target, ctx, redact, stop)
    left = [_named(ctx.slug, artifact) for artifact in ctx.open.values()]
    if left:
        ctx.note(f"still open after the interrupt: {'; '.join(left)}: run `opwire cleanup`")
    step = ctx.steps[at]
    detail = f"{stop.cause} arrived {during}; {_fate(stop, cleaned, left)}"
    assert step.diagnosis is not None
    ctx.steps[at] = replace(step, detail=detail, diagnosis=step.diagnosis.with_detail(detail))


async def _clean_open(target: Target, ctx: ProbeContext, redact: Redactor, stop: Stop) -> list[str]:
    """Clean each artifact the probe left open with the room's own cleanup rungs, inside the
    grace; returns those cleaned, named (the rest stay in `ctx.open`)."""
    cleaned = []
    for entry, artifact in list(ctx.open.items()):
        done = False
        try:
            async with stop.scope(stop.grace_s):
                ctx.budget = Budget(max(0.0, stop.left(stop.grace_s) - GRACE_MARGIN_S))
                done = await target.vendor.run_cleanup(ctx, target.settings, dict(artifact))
        except Interrupted:
            pass  # the grace ran out, or a second signal: the entry stays for `opwire cleanup`
        except Exception as exc:  # a bug in one cleanup must not stop the others
            ctx.note(redact(f"cleanup after the interrupt failed: {type(exc).__name__}: {exc}"))
        if done:
            ctx.forget(entry)
            cleaned.append(_named(ctx.slug, artifact))
    return cleaned


def _named(slug: str, artifact: dict[str, Any]) -> str:
    return f"{slug} " + ", ".join(f"{key}={value}" for key, value in artifact.items())


def _fate(stop: Stop, cleaned: list[str], left: list[str]) -> str:
    """What became of the probe's test artifacts after the interrupt."""
    if left:
        why = (
            f"a second {stop.cause} cut its cleanup short"
            if stop.hurried
            else f"its cleanup did not finish within the {stop.grace_s:g} s grace"
        )
        return f"{why}: {'; '.join(left)} may still be open: run `opwire cleanup`"
    if cleaned:
        return f"cleaned up within the grace: {'; '.join(cleaned)}"
    return "it had created nothing that needs cleaning up"


def _interrupt_note(stop: Stop, contexts: Sequence[ProbeContext]) -> str | None:
    """The run's line about an interrupt: whether anything it created is still open."""
    if not stop.requested:
        return None
    left = [_named(c.slug, a) for c in contexts for a in c.open.values()]
    if not left:
        return f"interrupted by {stop.cause}: no test artifact of this run is left open"
    return (
        f"interrupted by {stop.cause}: {len(left)} test artifact(s) may still be open "
        f"({'; '.join(left)}): run `opwire cleanup`"
    )


def summary_counts(run: RunResult) -> dict[Status, int]:
    counts = dict.fromkeys(Status, 0)
    for result in run.integrations:
        counts[result.status] += 1
    return counts


# One run at a time per state folder: the second waits, then gives up naming the first.
LOCK_FILE = ".verify.lock"
LOCK_WAIT_S = 60.0
LOCK_POLL_S = 0.1
LOCK_REMIND_S = 10.0


class RunBusy(ConfigError):
    """Another verify held the state folder for longer than the wait allowed (exit 2)."""


@dataclass(frozen=True, slots=True)
class Holder:
    """What the lock file says of the run that holds it."""

    run_id: str
    started_at: str
    pid: int
    pid_started: int | None = None

    def describe(self) -> str:
        return f"run {self.run_id} (started {self.started_at}, pid {self.pid})"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            holder = cls(
                str(data["run_id"]),
                str(data["started_at"]),
                int(data["pid"]),
                int(data["pid_started"]) if data.get("pid_started") is not None else None,
            )
        except (ValueError, TypeError, KeyError):
            return None
        return holder


def lock_wait_s(lookup: Lookup) -> float:
    """OPERATOR_WIRING_LOCK_WAIT_S: seconds a run waits for another to finish (default 60; 0
    gives up at once)."""
    name = "OPERATOR_WIRING_LOCK_WAIT_S"
    raw = lookup.get(name)
    if raw is None:
        return LOCK_WAIT_S
    try:
        value = float(raw) if raw.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (value >= 0 and math.isfinite(value)):
        raise ConfigError(
            f"{lookup.label(name)} must be a number of seconds (0 or more), got {raw!r}"
        )
    return value


class RunLock:
    """`state/.verify.lock`, held with flock for the whole run and holding the run's id, start
    and pid as JSON, so a run that must wait can say for whom. The kernel lets go of a flock
    when its process dies, so a dead run's lock is taken over as it is (`took_over` names it).

    `on_wait(holder, left_s)` is called when the wait starts and every LOCK_REMIND_S after."""

    def __init__(
        self,
        folder: Path,
        run_id: str,
        wait_s: float,
        on_wait: Callable[[Holder | None, float], None] = lambda holder, left: None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = folder / LOCK_FILE
        self.run_id, self.wait_s, self.on_wait, self.clock = run_id, wait_s, on_wait, clock
        self.took_over: Holder | None = None
        self._handle: IO[str] | None = None

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"{self.path}: the run lock cannot be opened ({exc.strerror or exc}): is the state "
                "folder another user's? run opwire as the user that owns it"
            ) from None
        try:
            self._wait(handle)
            handle.seek(0)
            earlier = Holder.parse(handle.read())
            if earlier is not None and not owner_running(earlier.pid, earlier.pid_started):
                self.took_over = earlier
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(self._record()) + "\n")
            handle.flush()
        except BaseException:
            handle.close()
            raise
        self._handle = handle
        return self

    def _record(self) -> dict[str, Any]:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        pid = os.getpid()
        return {
            "run_id": self.run_id,
            "started_at": started,
            "pid": pid,
            "pid_started": process_start(pid),
        }

    def _wait(self, handle: IO[str]) -> None:
        deadline = self.clock() + self.wait_s
        reminded: float | None = None
        holder: Holder | None = None
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            holder = self.holder() or holder
            now = self.clock()
            if now >= deadline:
                raise RunBusy(self._busy(holder))
            if reminded is None or now - reminded >= LOCK_REMIND_S:
                self.on_wait(holder, deadline - now)
                reminded = now
            time.sleep(min(LOCK_POLL_S, max(0.0, deadline - now)))

    def holder(self) -> Holder | None:
        try:
            return Holder.parse(self.path.read_text(encoding="utf-8"))
        except OSError:
            return None

    def _busy(self, holder: Holder | None) -> str:
        who = holder.describe() if holder else "another opwire verify"
        return (
            f"{who} is still running with the state folder {self.path.parent}; waited "
            f"{self.wait_s:g} s (OPERATOR_WIRING_LOCK_WAIT_S): runs never overlap, run again "
            "once it has finished"
        )

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()  # emptied before the unlock: a waiter never reads a finished run
        handle.close()  # closing lets go of the flock
