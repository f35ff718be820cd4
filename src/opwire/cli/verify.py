"""`opwire verify`: the seed's verify-all, and one integration at a time."""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from opwire.cli.app import app
from opwire.cli.common import (
    REDACT,
    EnvFile,
    Mode,
    fail_usage,
    guard,
    log_file,
    lookup_for,
    record_run,
    run_lock,
)
from opwire.config import ConfigError, RunSettings, run_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from opwire.config import Lookup, Redactor
    from opwire.paging import FollowUp
    from opwire.render import Printer
    from opwire.results import IntegrationResult, RunResult
    from opwire.verify import Target


@app.command()
def verify(
    integrations: Annotated[
        list[str] | None,
        typer.Argument(metavar="SLUG", show_default=False, hidden=True),  # listed below
    ] = None,
    mode: Mode = None,
    budget: Annotated[
        str | None,
        typer.Option(
            "--budget",
            metavar="SECONDS",
            help="Seconds for the whole run (OPERATOR_WIRING_BUDGET_S, default 90).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the results as JSON (schema opwire.verify/1); progress goes to stderr.",
        ),
    ] = False,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            metavar="FILE",
            help="Also write the human output to FILE.",
            show_default=False,
        ),
    ] = None,
    no_region_sweep: Annotated[
        bool,
        typer.Option(
            "--no-region-sweep",
            help="Never send a credential to a vendor's other regions to find "
            "where it works (OPERATOR_WIRING_REGION_SWEEP=0).",
        ),
    ] = False,
    day1_log: Annotated[
        bool,
        typer.Option(
            "--day1-log",
            help="Also write the seed's Day-1 log, <state folder>/verify-day1-YYYYMMDD.log "
            "(UTC date): a header (version, run id, mode per integration, host), then the "
            "human output.",
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Let --day1-log replace an earlier log of the same day."),
    ] = False,
    on_failure: Annotated[
        str | None,
        typer.Option(
            "--on-failure",
            metavar="page|ticket",
            help="After a run with a FAIL, page (PagerDuty trigger, else Opsgenie P1) or open a "
            "low-priority ticket (Opsgenie P5), only through an integration that PASSed in this "
            "run; once per failure episode, resolved by the next green run.",
            show_default=False,
        ),
    ] = None,
    heartbeat: Annotated[
        str | None,
        typer.Option(
            "--heartbeat",
            metavar="NAME",
            help="Ping the Opsgenie heartbeat NAME after each run that completed (a dead "
            "man's switch for the cron).",
            show_default=False,
        ),
    ] = None,
    ping_url: Annotated[
        str | None,
        typer.Option(
            "--ping-url",
            metavar="URL",
            help="Healthchecks-style pings: URL/start first, then URL when GREEN or URL/fail, "
            "with the summary as the body.",
            show_default=False,
        ),
    ] = None,
    env_file: EnvFile = None,
) -> None:
    """Send a tagged test artifact to each vendor, read it back, clean up, and report.

    \b
    Slugs (default: all): datadog sentry pagerduty opsgenie slack splunk
    Exit codes: 0 GREEN (every integration PASS), 1 at least one FAIL,
                2 usage or configuration error, 3 HOLD without a FAIL
                (unconfirmed or blocked), 130/143 interrupted.
    An integration with an open credential blocker (opwire blocker add) is
    BLOCKED in real mode: nothing is sent, its variables are not required.

    \b
    Scheduled (seed § 7): --on-failure page for the daily cron, ticket for the
    weekly one; --heartbeat / --ping-url so that a cron that stops is noticed.
    A second run on the same state folder waits for the first
    (OPERATOR_WIRING_LOCK_WAIT_S, default 60 s), then exits 2 naming it.

    \b
    Examples:
      opwire verify                                    all six, against the mocks
      OPERATOR_WIRING_MODE=real_slack opwire verify slack
      opwire verify --mode real_all --day1-log         state/verify-day1-<today>.log
      opwire verify --json | jq .overall
      opwire verify --on-failure page --heartbeat opwire-daily   from cron
    """
    started = time.monotonic()  # the budget and the summary's time start here
    from opwire import integrations as registry
    from opwire.verify import lock_wait_s, new_run_id

    lookup = guard(
        lambda: lookup_for(
            {
                "OPERATOR_WIRING_MODE": mode,
                "OPERATOR_WIRING_BUDGET_S": budget,
                "OPERATOR_WIRING_REGION_SWEEP": "0" if no_region_sweep else None,
            },
            env_file,
            {
                "OPERATOR_WIRING_MODE": "--mode",
                "OPERATOR_WIRING_BUDGET_S": "--budget",
                "OPERATOR_WIRING_REGION_SWEEP": "--no-region-sweep",
            },
        )
    )
    run = guard(lambda: run_settings(lookup))
    wait_s = guard(lambda: lock_wait_s(lookup))
    follow = _follow_up(on_failure, heartbeat, ping_url)
    slugs = guard(lambda: registry.select(integrations or []))
    blocked, blocker_notes = _blockers(run, slugs)
    probed = [s for s in slugs if s not in {b.slug for b in blocked}]
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    day1 = _day1_path(run, now, log, day1_log, overwrite)
    if day1 is not None:
        log = day1.with_name(f".{day1.name}.partial-{os.getpid()}")
    job = _Job(
        integrations or [],
        run,
        lookup,
        slugs,
        probed,
        blocked,
        blocker_notes,
        run_id,
        day1,
        log,
        follow,
    )
    # One run at a time per state folder; the wait is not the run's: its budget starts after.
    waiting = time.monotonic()
    with _one_at_a_time(run, run_id, wait_s):
        started += time.monotonic() - waiting
        code = _locked_run(job, as_json, started, env_file)
    raise typer.Exit(code)


@dataclass(frozen=True, slots=True)
class _Job:
    """What the command resolved before it took the lock."""

    named: list[str]
    run: RunSettings
    lookup: Lookup
    slugs: Sequence[str]
    probed: list[str]
    blocked: list[IntegrationResult]
    blocker_notes: list[str]
    run_id: str
    day1: Path | None
    log: Path | None
    follow: FollowUp | None


def _locked_run(job: _Job, as_json: bool, started: float, env_file: str | None) -> int:
    """The run itself, once it holds the state folder's lock."""
    from opwire.mock.stack import mock_bases
    from opwire.verify import plan

    run, lookup, slugs, run_id, day1, log = (
        job.run,
        job.lookup,
        job.slugs,
        job.run_id,
        job.day1,
        job.log,
    )
    mocked = [s for s in job.probed if s not in run.real]
    if job.follow and job.follow.heartbeat and "opsgenie" not in {*mocked, *run.real}:
        mocked.append("opsgenie")  # the heartbeat goes to the Opsgenie mock in mock mode
    try:
        with log_file(log) as log_handle:
            if day1 is not None and log_handle is not None:
                log_handle.write(_day1_header(run_id, slugs, run))
            bases = guard(lambda: mock_bases(mocked, run))
            try:
                targets = guard(lambda: plan(job.probed, lookup, run, bases.urls))
                notes = [*_named_but_mocked(job.named, run), *bases.notes]
                follow = _with_heartbeat(job.follow, targets, lookup, run, bases.urls)
                # A FAIL that a rehearsing running mock caused is said to be the rehearsal's.
                code = _run_verify(
                    targets,
                    run,
                    notes,
                    log_handle,
                    as_json,
                    started,
                    amend=bases.amend,
                    warnings=[*_hygiene(lookup, env_file), *job.blocker_notes],
                    run_id=run_id,
                    blocked=job.blocked,
                    follow=follow,
                )
            finally:
                bases.close()
        if day1 is not None and log is not None:
            os.replace(log, day1)
            typer.echo(f"opwire: the Day-1 log is {day1}", err=True)
    finally:
        if day1 is not None and log is not None:
            log.unlink(missing_ok=True)
    return code


def _follow_up(
    on_failure: str | None, heartbeat: str | None, ping_url: str | None
) -> FollowUp | None:
    """What happens after the run, checked before anything is sent (exit 2 naming the flag)."""
    from opwire.config import Secret, check_url
    from opwire.paging import FollowUp, Policy, ping_secrets

    if on_failure is None and heartbeat is None and ping_url is None:
        return None
    policy = None
    if on_failure is not None:
        if on_failure not in {p.value for p in Policy}:
            raise fail_usage(f"--on-failure must be page or ticket, got {on_failure!r}")
        policy = Policy(on_failure)
    if heartbeat is not None and not heartbeat.strip():
        raise fail_usage("--heartbeat needs the name of an Opsgenie heartbeat")
    if ping_url is not None:
        REDACT.add(Secret(part) for part in ping_secrets(ping_url))  # before any message
        guard(lambda: check_url("--ping-url", ping_url))
    return FollowUp(policy, heartbeat, ping_url=ping_url)


def _with_heartbeat(
    follow: FollowUp | None,
    targets: Sequence[Target],
    lookup: Lookup,
    run: RunSettings,
    bases: dict[str, str],
) -> FollowUp | None:
    """The follow-up with the Opsgenie settings its heartbeat is pinged with: the run's own
    Opsgenie target when it has one, else loaded as that target would be."""
    from dataclasses import replace

    from opwire import integrations as registry

    if follow is None or follow.heartbeat is None:
        return follow
    real = "opsgenie" in run.real
    known = next((t.settings for t in targets if t.slug == "opsgenie"), None)
    if known is None:
        try:
            known = registry.load("opsgenie").load_settings(lookup, real, bases.get("opsgenie", ""))
        except ConfigError as exc:  # a blocked or unset Opsgenie: the run still runs
            typer.echo(REDACT(f"opwire: warning: no heartbeat will be pinged: {exc}"), err=True)
            return replace(follow, heartbeat=None)
    return replace(follow, heartbeat_settings=known, heartbeat_real=real)


@contextmanager
def _one_at_a_time(run: RunSettings, run_id: str, wait_s: float) -> Iterator[None]:
    """Hold `<state>/.verify.lock` for the run; while another run holds it, say so on stderr
    (and again every few seconds), and give up after `wait_s` with exit 2 naming that run."""
    lock = run_lock(run, run_id, wait_s)
    try:
        if lock.took_over is not None:
            typer.echo(
                f"opwire: took over the lock of {lock.took_over.describe()}, which is no "
                "longer running",
                err=True,
            )
        yield
    finally:
        lock.__exit__(None, None, None)


def _blockers(run: RunSettings, slugs: Sequence[str]) -> tuple[list[IntegrationResult], list[str]]:
    """The selected integrations an open credential blocker holds in real mode (BLOCKED, not
    probed: their variables are not needed), and the notes: a blocked one verified against its
    mock, a blocker section that could not be read."""
    from opwire.state import Records
    from opwire.verify import blocked_result

    parsed = Records(run.state_dir, REDACT).parsed("blockers")
    open_ = {b.slug: b for b, _ in parsed.records if b.resolved is None}
    blocked = [blocked_result(open_[s]) for s in slugs if s in open_ and s in run.real]
    notes = [
        f"{slug} has an open credential blocker (ticket {open_[slug].ticket}): this run "
        f"verifies its mock; in real mode it is BLOCKED until `opwire blocker resolve {slug}`"
        for slug in slugs
        if slug in open_ and slug not in run.real
    ]
    return blocked, [*notes, *(f"warning: {p}" for p in parsed.problems)]


def _day1_path(
    run: RunSettings, now: datetime, log: Path | None, day1_log: bool, overwrite: bool
) -> Path | None:
    """Where --day1-log writes (the state folder, the UTC date); refused, before anything is
    sent, when that day's log exists and --overwrite was not given."""
    if overwrite and not day1_log:
        raise fail_usage("--overwrite goes with --day1-log")
    if not day1_log:
        return None
    if log is not None:
        raise fail_usage("--day1-log writes its own file: give --day1-log or --log, not both")
    path = run.state_dir / f"verify-day1-{now:%Y%m%d}.log"
    if path.is_dir():
        raise fail_usage(f"--day1-log: {path} is a folder")
    if path.exists() and not overwrite:
        raise fail_usage(
            f"--day1-log: {path} already exists (an earlier Day-1 log of today): keep it, or "
            "pass --overwrite to replace it"
        )
    return path


def _day1_header(run_id: str, slugs: Sequence[str], run: RunSettings) -> str:
    """The Day-1 log's header; `opwire day1` reads its `# run id:` and `# mode:` lines."""
    import socket

    from opwire import __version__

    modes = ", ".join(f"{s}={'real' if s in run.real else 'mock'}" for s in slugs)
    return (
        f"# opwire {__version__}\n# run id: {run_id}\n# mode: {modes}\n"
        f"# host: {socket.gethostname()}\n"
    )


def _hygiene(lookup: Lookup, env_file: str | None) -> list[str]:
    """The dotenv file's hygiene problems (`creds check` lists them), as warnings: a run is not
    stopped by them, but the operator hears of them on every run."""
    from opwire.cli.creds import hygiene_findings

    return [f"warning: {f.variable} {f.what} — {f.fix}" for f in hygiene_findings(lookup, env_file)]


def _named_but_mocked(named: list[str], run: RunSettings) -> list[str]:
    """`OPERATOR_WIRING_MODE=real_slack ./verify/datadog.sh` verifies Datadog's mock: say so,
    so that a PASS the operator asked of the vendor is not mistaken for one."""
    if not run.real:
        return []
    return [
        f"{slug} runs against its mock: OPERATOR_WIRING_MODE={run.mode} makes only "
        f"{', '.join(sorted(run.real))} real; set OPERATOR_WIRING_MODE=real_{slug} to verify "
        f"the real {slug}"
        for slug in dict.fromkeys(named)
        if slug not in run.real
    ]


def _run_verify(
    targets: list[Target],
    run: RunSettings,
    notes: list[str],
    log_handle: IO[str] | None,
    as_json: bool,
    started: float,
    amend: Callable[[RunResult], RunResult] | None = None,
    warnings: Sequence[str] = (),
    run_id: str | None = None,
    blocked: Sequence[IntegrationResult] = (),
    follow: FollowUp | None = None,
) -> int:
    from opwire import interrupt
    from opwire.probing import NoteLine
    from opwire.render import Printer
    from opwire.results import run_record, to_json
    from opwire.state import Journal, owner_running
    from opwire.verify import redactor_for
    from opwire.verify import verify as run_verify

    # An unreadable journal stops the run before anything is sent: the probes would write over
    # it, and lose what it holds (a test incident still open).
    journal = Journal(run.state_dir)
    left = guard(journal.read)
    redact = redactor_for(targets)
    redact.add(REDACT.secrets())
    journal.redact = redact
    # SIGINT, SIGTERM and a closed stdout stop the run cleanly from here on (opwire.interrupt).
    stop = interrupt.install()
    out = interrupt.guarded(sys.stdout, stop)
    progress = interrupt.guarded(sys.stderr, stop) if as_json else out
    printer = Printer(redact, stream=progress, log=log_handle)
    stop.on_interrupt(lambda: printer.event(NoteLine("opwire", stop.describe())))
    for note in notes:
        printer.event(NoteLine("mock", note))
    for warning in warnings:
        printer.event(NoteLine("opwire", warning))
    for held in blocked:
        for text in held.notes:
            printer.event(NoteLine(held.slug, text))
    if earlier := [e for e in left.entries if not owner_running(e.pid, e.started)]:
        printer.event(
            NoteLine(
                "opwire",
                f"the cleanup journal holds {len(earlier)} open test "
                f"artifact(s) from an earlier run: run `opwire cleanup`",
            )
        )
    if left.rejected:
        printer.event(
            NoteLine(
                "opwire",
                f"the cleanup journal holds {len(left.rejected)} item(s) that are not entries "
                "opwire wrote: `opwire cleanup` names them",
            )
        )
    if follow is not None and follow.ping_url is not None:
        _say(printer, stop.run(_start_ping(follow.ping_url, run, printer, redact, started)))
    result = stop.run(
        run_verify(
            targets,
            run,
            printer.event,
            redact,
            run_id=run_id,
            journal=journal,
            started=started,
            stop=stop,
            blocked=blocked,
        )
    )
    result = amend(result) if amend is not None else result
    record_run(run.state_dir, redact, run_record(result), printer)
    if follow is not None:
        _say(printer, stop.run(_after(follow, result, targets, run, printer, redact, started)))
    printer.summary(result)
    if as_json:
        out.write(redact(json.dumps(redact.tree(to_json(result)), indent=2)) + "\n")
        out.flush()
    return stop.exit_code(result.exit_code)


def _budget_left(run: RunSettings, started: float) -> float:
    return run.budget_s - (time.monotonic() - started)


async def _start_ping(
    url: str, run: RunSettings, printer: Printer, redact: Redactor, started: float
) -> list[str]:
    from opwire.paging import ping, sender

    async with sender(run, printer.event, redact, _budget_left(run, started)) as send:
        return await ping(url, "start", "", send)


async def _after(
    follow: FollowUp,
    result: RunResult,
    targets: Sequence[Target],
    run: RunSettings,
    printer: Printer,
    redact: Redactor,
    started: float,
) -> list[str]:
    """The page or ticket (or its resolution), the heartbeat, the closing ping."""
    from opwire.paging import Book, follow_up, sender
    from opwire.render import summary_lines

    summary = redact("\n".join(summary_lines(result)).strip())
    book = Book(run.state_dir, redact)
    async with sender(run, printer.event, redact, _budget_left(run, started)) as send:
        now = datetime.now(UTC)
        return await follow_up(follow, result, targets, book, send, now, summary)


def _say(printer: Printer, lines: Sequence[str]) -> None:
    from opwire.probing import NoteLine

    for line in lines:
        printer.event(NoteLine("opwire", line))
