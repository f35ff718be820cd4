"""The operator's records: `opwire blocker add|list|resolve` (seed § 2: a procurement-blocked
credential, with its ticket), `opwire deviation add` (seed step 30) and `opwire confirm` (seed
step 21: a person saw the notification; operator-visible is not delivered).

Each record is a section of a Markdown file in the state folder (opwire.state.records). A
confirmation names the latest real PASS of the integration in the run history and is refused
without one: a PASS against a mock never counts. `confirm pagerduty --wait-ack` triggers a test
incident and waits for a person to acknowledge it in PagerDuty before it records anything.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opwire.cli.app import app, group
from opwire.cli.common import REDACT, AsJson, EnvFile, fail_usage, guard, lookup_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from opwire.config import Lookup, RunSettings
    from opwire.diagnosis import Diagnosis
    from opwire.integrations.pagerduty import Settings as PagerDutySettings
    from opwire.interrupt import Stop
    from opwire.probing import ProbeContext
    from opwire.render import Printer
    from opwire.state import Blocker, Records

blocker_app = group(
    "blocker",
    "Credential blockers (seed § 2): a credential held up by procurement or InfoSec, with "
    "its ticket. verify shows the integration BLOCKED in real mode until it is resolved.\n\n"
    "Example: opwire blocker add splunk --ticket SEC-1234",
)
deviation_app = group(
    "deviation",
    "Deviations from the Day-1 checklist, for the next operator (seed step 30).\n\n"
    'Example: opwire deviation add "Splunk HEC needed an InfoSec ticket"',
)

Slug = Annotated[
    str, typer.Argument(metavar="SLUG", show_default=False, hidden=True)
]  # in the text
Note = Annotated[
    str | None,
    typer.Option("--note", metavar="TEXT", help="A line of context.", show_default=False),
]
LIMITS = {"--ticket": 200, "--by": 100, "--note": 500, "TEXT": 2000, "--run-id": 100}
BLOCKERS_SCHEMA = "opwire.blockers/1"
ACK_TIMEOUT_S = 300.0
ACK_TIMEOUT_MAX_S = 3600.0


# --- input: every bad value is exit 2 naming its flag, never echoing it ---------------------


def _slug(raw: str) -> str:
    from opwire.integrations import SLUGS

    slug = raw.strip().lower()
    if slug not in SLUGS:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        raise fail_usage(f"SLUG {shown!r} is not an integration; valid: {', '.join(SLUGS)}")
    return slug


def _text(raw: str | None, flag: str, *, required: bool = False) -> str:
    """Free text as one line of a record; refused when empty (if required), too long, with a
    control character, or holding a credential the command knows (never shown: the variables
    are read first, `_records`)."""
    from opwire.state.records import one_line

    text = one_line(raw or "")
    if required and not text:
        raise fail_usage(f"{flag} must not be empty")
    if len(text) > LIMITS[flag]:
        raise fail_usage(f"{flag} is longer than {LIMITS[flag]} characters")
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise fail_usage(f"{flag} has a control character: type it as plain text")
    if REDACT(text) != text:
        raise fail_usage(f"{flag} holds a credential (not shown): nothing was recorded")
    return text


def _run_id(raw: str | None) -> str | None:
    import re

    if raw is None:
        return None
    value = _text(raw, "--run-id", required=True)
    if not re.fullmatch(r"ow-\d{8}T\d{6}Z-[0-9a-f]{6}", value):
        raise fail_usage("--run-id must be a run id like ow-20261202T010000Z-3f9a2c")
    return value


def _timeout(raw: str | None, wait_ack: bool) -> float:
    if raw is None:
        return ACK_TIMEOUT_S
    if not wait_ack:
        raise fail_usage(
            "--timeout goes with --wait-ack (how long to wait for the acknowledgement)"
        )
    try:
        value = float(raw) if raw.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (0 < value <= ACK_TIMEOUT_MAX_S):
        raise fail_usage(f"--timeout must be a number of seconds from 1 to {ACK_TIMEOUT_MAX_S:g}")
    return value


def _records(env_file: str | None) -> tuple[Lookup, Records]:
    from opwire.config import state_dir
    from opwire.state import Records

    lookup = guard(lambda: lookup_for({}, env_file))
    return lookup, Records(guard(lambda: state_dir(lookup)), REDACT)


def _written(action: Callable[[], Any]) -> Any:
    """Write a record; a state folder that fails now ends the command with one line, exit 1."""
    try:
        return guard(action)
    except OSError as exc:
        typer.echo(f"opwire: error: the record was not written: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None


def _emit(as_json: bool, document: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        typer.echo(REDACT(json.dumps(REDACT.tree(document), indent=2)))
        return
    for line in lines:
        typer.echo(REDACT(line))


def _now() -> datetime:
    return datetime.now(UTC)


# --- blockers ---------------------------------------------------------------------------------


@blocker_app.command("add")
def blocker_add(
    slug: Slug,
    ticket: Annotated[
        str,
        typer.Option("--ticket", metavar="T", help="The procurement or InfoSec ticket."),
    ],
    note: Note = None,
    as_json: AsJson = False,
    env_file: EnvFile = None,
) -> None:
    """Record that an integration's credential is blocked (seed § 2), with its ticket. Until it
    is resolved, verify shows the integration BLOCKED (exit 3, HOLD) in real mode instead of a
    missing-variable error; its mock is still verified in mock mode.

    \b
    SLUG: datadog sentry pagerduty opsgenie slack splunk
    Exit codes: 0 recorded (or already recorded with this ticket), 1 another blocker of the
    integration is open, 2 usage.
    Examples:
      opwire blocker add splunk --ticket SEC-1234 --note "InfoSec gates HEC tokens"
      opwire blocker list
    """
    _, records = _records(env_file)  # first: every secret it knows is refused in the text
    chosen = _slug(slug)
    ticket_text = _text(ticket, "--ticket", required=True)
    note_text = _text(note, "--note")
    before = records.open_blockers().get(chosen)
    blocker = _written(lambda: records.add_blocker(chosen, ticket_text, note_text, _now()))
    path = records.path("blockers")
    said = (
        f"{chosen} is already blocked by {blocker.ticket} (since {blocker.since}): nothing added"
        if before is not None
        else f"recorded in {path}: {chosen} blocked by {blocker.ticket} since {blocker.since}"
    )
    _emit(
        as_json,
        {"schema": BLOCKERS_SCHEMA, "file": str(path), "blocker": asdict(blocker)},
        [
            said,
            f"verify shows {chosen} BLOCKED in real mode until `opwire blocker resolve {chosen}`",
        ],
    )


@blocker_app.command("list")
def blocker_list(as_json: AsJson = False, env_file: EnvFile = None) -> None:
    """List every credential blocker, oldest first, open and resolved, and any section of the
    file that looks like a blocker but cannot be read.

    \b
    Examples:
      opwire blocker list
      opwire blocker list --json | jq '.blockers[] | select(.resolved == null)'
    """
    _, records = _records(env_file)
    blockers, problems = records.blockers(), records.problems("blockers")
    path = records.path("blockers")
    document = {
        "schema": BLOCKERS_SCHEMA,
        "file": str(path),
        "blockers": [asdict(b) for b in blockers],
        "open": sorted({b.slug for b in blockers if b.resolved is None}),
        "problems": problems,
    }
    for problem in problems if as_json else ():
        typer.echo(REDACT(f"warning: {problem}"), err=True)
    _emit(
        as_json, document, [*_blocker_table(blockers, path), *(f"warning: {p}" for p in problems)]
    )


def _blocker_table(blockers: list[Blocker], path: Path) -> list[str]:
    if not blockers:
        return [f"no credential blockers recorded in {path}"]
    width = max(len(b.ticket) for b in blockers)
    lines = [f"{'integration':<12}{'state':<10}{'ticket':<{width + 2}}{'since':<22}resolved / note"]
    for b in blockers:
        state = "open" if b.resolved is None else "resolved"
        tail = " ".join(x for x in (b.resolved or "", b.note) if x)
        lines.append(f"{b.slug:<12}{state:<10}{b.ticket:<{width + 2}}{b.since:<22}{tail}".rstrip())
    return lines


@blocker_app.command("resolve")
def blocker_resolve(
    slug: Slug, note: Note = None, as_json: AsJson = False, env_file: EnvFile = None
) -> None:
    """Mark the integration's open blocker resolved (the credential landed): its section in
    cred-blockers.md gets a `- resolved:` line, and verify probes it for real again.

    \b
    SLUG: datadog sentry pagerduty opsgenie slack splunk
    Exit codes: 0 resolved, 1 no open blocker for the integration, 2 usage.
    Example:
      opwire blocker resolve splunk --note "HEC token issued"
    """
    _, records = _records(env_file)
    chosen = _slug(slug)
    note_text = _text(note, "--note")
    resolved = _written(lambda: records.resolve_blocker(chosen, note_text, _now()))
    path = records.path("blockers")
    _emit(
        as_json,
        {"schema": BLOCKERS_SCHEMA, "file": str(path), "resolved": [asdict(b) for b in resolved]},
        [
            *(f"resolved in {path}: {b.slug} ticket {b.ticket} at {b.resolved}" for b in resolved),
            f"next: OPERATOR_WIRING_MODE=real_{chosen} opwire verify {chosen}",
        ],
    )


# --- deviations -------------------------------------------------------------------------------


@deviation_app.command("add")
def deviation_add(
    text: Annotated[str, typer.Argument(metavar="TEXT", show_default=False, hidden=True)],
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run-id", metavar="ID", help="The run it concerns (ow-…).", show_default=False
        ),
    ] = None,
    as_json: AsJson = False,
    env_file: EnvFile = None,
) -> None:
    """Note, dated, what went differently from the checklist (a failure mode § 4 does not
    list, a step done another way) in operator-deviations.md. TEXT is one line of the record
    (newlines become spaces).

    \b
    Examples:
      opwire deviation add "Corporate DNS blocks sentry.io; verified against the mock"
      opwire deviation add "Splunk needed a second ticket" --run-id ow-20261202T010000Z-3f9a2c
    """
    _, records = _records(env_file)
    body = _text(text, "TEXT", required=True)
    run = _run_id(run_id)
    deviation = _written(lambda: records.add_deviation(body, run, _now()))
    path = records.path("deviations")
    _emit(
        as_json,
        {"schema": "opwire.deviation/1", "file": str(path), "deviation": asdict(deviation)},
        [f"recorded in {path} at {deviation.at}"],
    )


# --- confirmations ----------------------------------------------------------------------------


@app.command()
def confirm(
    slug: Slug,
    by: Annotated[
        str,
        typer.Option("--by", metavar="NAME", help="Who saw the notification."),
    ],
    note: Note = None,
    wait_ack: Annotated[
        bool,
        typer.Option(
            "--wait-ack",
            help="PagerDuty: trigger a test incident, wait for a person to acknowledge it, "
            "resolve it, then record.",
        ),
    ] = False,
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help=f"How long --wait-ack waits (default {ACK_TIMEOUT_S:g}).",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
    env_file: EnvFile = None,
) -> None:
    """Record that a person saw the integration's notification (seed step 21: operator-visible
    is not delivered), with the time and the run id of the latest real PASS of the integration
    in runs.jsonl. Refused without one: a PASS against a mock never counts.

    \b
    SLUG: datadog sentry pagerduty opsgenie slack splunk
    Exit codes: 0 recorded, 1 no real PASS to confirm (or, with --wait-ack, no acknowledgement
    in time), 2 usage, 130/143 interrupted.
    Examples:
      opwire confirm slack --by "Ana Lopez" --note "message visible in #ops"
      opwire confirm pagerduty --by "Ana Lopez" --wait-ack --timeout 600
    """
    from opwire.state import Confirmation
    from opwire.state.records import stamp

    lookup, records = _records(env_file)
    chosen = _slug(slug)
    person = _text(by, "--by", required=True)
    note_text = _text(note, "--note")
    if wait_ack and chosen != "pagerduty":
        raise fail_usage(
            "--wait-ack is for pagerduty (an incident a person acknowledges); for "
            f"{chosen}, confirm what you saw without it"
        )
    wait_s = _timeout(timeout, wait_ack)
    settings = _pagerduty_settings(lookup) if wait_ack else None
    passed = records.latest_real_pass(chosen)
    if passed is None:
        typer.echo(
            f"opwire: error: no real PASS of {chosen} in {records.folder / 'runs.jsonl'} to "
            f"confirm (a PASS against the mock never counts): run `OPERATOR_WIRING_MODE="
            f"real_{chosen} opwire verify {chosen}`, see its notification, then confirm",
            err=True,
        )
        raise typer.Exit(1)
    evidence = ""
    if settings is not None:
        evidence = _acknowledged(lookup, records, settings, person, wait_s, as_json)
    made = Confirmation(chosen, person, stamp(_now()), str(passed["run_id"]), note_text)
    _written(lambda: records.add_confirmation(made, evidence))
    path = records.path("confirmations")
    _emit(
        as_json,
        {
            "schema": "opwire.confirmation/1",
            "file": str(path),
            "confirmation": asdict(made),
            "evidence": evidence,
        },
        [
            f"confirmed: {chosen} seen by {person} at {made.at}, for the real PASS of run "
            f"{made.run_id}; recorded in {path}"
        ],
    )


def _pagerduty_settings(lookup: Lookup) -> PagerDutySettings:
    """The real PagerDuty settings --wait-ack needs: the routing key to trigger, the REST
    token to read the incident's status."""
    from opwire.integrations import load

    settings: PagerDutySettings = guard(lambda: load("pagerduty").load_settings(lookup, True, ""))
    if settings.api_token is None:
        raise fail_usage(
            "PAGERDUTY_API_TOKEN is not set: --wait-ack reads the incident's status through "
            "PagerDuty's REST API"
        )
    return settings


@dataclass(frozen=True, slots=True)
class Ack:
    """What waiting for the acknowledgement came to: `evidence` when a person acknowledged,
    else `why` not; `left_open` when the test incident could not be resolved."""

    evidence: str = ""
    why: str = ""
    left_open: bool = False


def _acknowledged(
    lookup: Lookup,
    records: Records,
    settings: PagerDutySettings,
    person: str,
    wait_s: float,
    as_json: bool,
) -> str:
    """Trigger, wait for the acknowledgement, resolve; the evidence, or the command ends."""
    from opwire import interrupt
    from opwire.config import run_settings
    from opwire.events import NoteLine
    from opwire.render import Printer
    from opwire.state import Journal

    run = guard(lambda: run_settings(lookup))
    journal = Journal(records.folder, REDACT)
    guard(journal.read)  # unreadable: exit 2 before anything is triggered
    stop = interrupt.install()
    stream = interrupt.guarded(sys.stderr if as_json else sys.stdout, stop)
    printer = Printer(REDACT, stream=stream)
    stop.on_interrupt(lambda: printer.event(NoteLine("opwire", stop.describe())))
    ack = stop.run(_wait_ack(settings, run, printer, journal, stop, person, wait_s))
    if ack.left_open:
        printer.line("the test incident may still be open: run `opwire cleanup`")
    if not ack.evidence:
        printer.line(f"confirm pagerduty: {ack.why}; nothing was recorded")
        raise typer.Exit(stop.exit_code(1))
    if ack.left_open:  # recorded all the same: the acknowledgement is what it proves
        printer.line("the acknowledgement is recorded; clean up the test incident")
    return ack.evidence


FIND_S = 30.0
CLEANUP_S = 40.0
NOTE_EVERY_S = 15.0


async def _wait_ack(
    settings: PagerDutySettings,
    run: RunSettings,
    printer: Printer,
    journal: Any,
    stop: Stop,
    person: str,
    wait_s: float,
) -> Ack:
    from opwire.http import Budget, Http, RetryPolicy, Timeouts, make_client
    from opwire.integrations import load
    from opwire.interrupt import Interrupted
    from opwire.probing import ProbeContext
    from opwire.verify import new_run_id

    vendor = load("pagerduty")
    key = new_run_id()
    async with make_client() as client:
        http = Http(
            client,
            printer.event,
            printer.redact,
            Timeouts(run.connect_timeout_s, run.read_timeout_s),
            RetryPolicy(max_attempts=run.max_attempts),
        )
        budget = Budget(wait_s + FIND_S + 2 * run.read_timeout_s)
        ctx = ProbeContext(
            "pagerduty", True, key, http, budget, vendor.rules(), printer.event, journal, stop=stop
        )
        try:
            async with stop.scope():
                ack = await _trigger_and_wait(ctx, settings, person, wait_s)
        except Interrupted:
            ack = Ack(why=f"{stop.cause} arrived before a person acknowledged the incident")
        if ctx.open and not await _resolve(ctx, vendor, settings, stop):
            ack = Ack(ack.evidence, ack.why, left_open=True)
    return ack


async def _resolve(ctx: ProbeContext, vendor: Any, settings: PagerDutySettings, stop: Stop) -> bool:
    """Resolve the test incident (the room's own cleanup rungs) and drop its journal entry."""
    from opwire.http import Budget
    from opwire.interrupt import Interrupted

    grace = stop.grace_s if stop.requested else CLEANUP_S
    try:
        async with stop.scope(grace):
            ctx.budget = Budget(max(0.0, stop.left(grace) - 0.25))
            done = bool(await vendor.run_cleanup(ctx, settings, {"dedup_key": ctx.run_id}))
    except Interrupted:
        return False
    if done:
        for entry in list(ctx.open):
            ctx.forget(entry)
    return done


async def _trigger_and_wait(
    ctx: ProbeContext, settings: PagerDutySettings, person: str, wait_s: float
) -> Ack:
    from opwire.integrations.pagerduty import client

    key = ctx.run_id
    entry = ctx.remember({"dedup_key": key})
    triggered = await ctx.call(
        "trigger",
        client.enqueue(
            settings,
            "trigger",
            key,
            summary=f"opwire confirm {key}: acknowledge this test incident to confirm PagerDuty "
            f"reaches a person ({person}); opwire resolves it",
            severity="error",  # high urgency where urgency follows severity: it must page
            details={"run_id": key, "verify": "true", "confirm_by": person},
            client="opwire confirm",
        ),
        ok=lambda reply: client.accepted(reply, key),
    )
    if not triggered.ok:
        if triggered.refused:
            ctx.forget(entry)  # PagerDuty took nothing: nothing to resolve
        return Ack(why=f"the trigger failed: {_said(triggered.diagnosis)}")
    found = await ctx.poll(
        "find incident",
        client.find_incidents(settings, key, datetime.now(UTC)),
        ok=client.rest_ok,
        found=lambda reply: bool(client.incidents(reply)),
        within_s=FIND_S,
        missing="pagerduty.no_incident",
    )
    if not found.ok:
        return Ack(why=f"the incident was not found: {_said(found.diagnosis)}")
    incident = client.incidents(found.answer)[0]
    where = f" ({incident['html_url']})" if isinstance(incident.get("html_url"), str) else ""
    ctx.note(
        f"waiting up to {wait_s:g} s for a person to acknowledge incident "
        f"{incident.get('id')}{where} in PagerDuty"
    )
    return await _until_acknowledged(ctx, settings, str(incident.get("id")), wait_s)


async def _until_acknowledged(
    ctx: ProbeContext, settings: PagerDutySettings, incident_id: str, wait_s: float
) -> Ack:
    """Read the incident (REST GET /incidents/{id}) until its status is acknowledged, backing
    off to one read in 5 s, a note every NOTE_EVERY_S; bounded by `wait_s`."""
    from opwire.diagnosis import diagnose_reply
    from opwire.http import Budget, Outbound
    from opwire.integrations.pagerduty import client

    # client.py has the REST headers; GET /incidents/{id} reads one incident by its id.
    read = Outbound(
        "GET",
        f"{settings.api_url}/incidents/{incident_id}",
        headers=client._rest(settings),
    )
    window, delay, noted, status = Budget(wait_s), 0.5, 0.0, "triggered"
    while True:
        reply = (await ctx.http.request("pagerduty", window, read)).reply
        if reply is not None and reply.status != 200:
            diagnosis = diagnose_reply(
                "acknowledge", reply.status, reply.text, ctx.rules, redact=ctx.http.redact
            )
            return Ack(why=f"reading the incident failed: {_said(diagnosis)}")
        body = reply.json() if reply is not None else None
        incident = body.get("incident") if isinstance(body, dict) else None
        if isinstance(incident, dict) and isinstance(incident.get("status"), str):
            status = incident["status"]
        waited = wait_s - window.remaining()
        if status == "acknowledged" and isinstance(incident, dict):
            return Ack(evidence=_evidence(incident, incident_id, waited))
        if status == "resolved":
            return Ack(why=f"incident {incident_id} was resolved before anyone acknowledged it")
        if window.remaining() <= delay:
            return Ack(
                why=f"no one acknowledged incident {incident_id} within {wait_s:g} s "
                f"(still {status})"
            )
        if waited - noted >= NOTE_EVERY_S:
            ctx.note(f"incident {incident_id} still {status} after {waited:.0f} s of {wait_s:g} s")
            noted = waited
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 5.0)


def _evidence(incident: dict[str, Any], incident_id: str, waited: float) -> str:
    who = ""
    acks = incident.get("acknowledgements")
    if isinstance(acks, list) and acks and isinstance(acks[-1], dict):
        acknowledger = acks[-1].get("acknowledger")
        if isinstance(acknowledger, dict) and isinstance(acknowledger.get("summary"), str):
            who = f" by {acknowledger['summary']}"
    number = incident.get("incident_number")
    shown = f"{incident_id} (#{number})" if isinstance(number, int) else incident_id
    return (
        f"PagerDuty test incident {shown} acknowledged{who} {waited:.0f} s after the trigger, "
        f"then resolved (opwire confirm --wait-ack, dedup key {incident.get('incident_key')})"
    )


def _said(diagnosis: Diagnosis | None) -> str:
    if diagnosis is None:
        return "no answer"
    detail = f" ({diagnosis.detail})" if diagnosis.detail else ""
    return f"{diagnosis.code}: {diagnosis.cause}{detail} {diagnosis.fix}"
