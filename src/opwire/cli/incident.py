"""`opwire incident open` and `opwire incident close`: the seed's § 6, as far as a machine can.

`open` runs verify now (the current mode, as verify-all does), keeps its output verbatim with the
last hour of run history and the masked configuration in `state/incidents/<YYYYMMDD-HHMM>/`, says
whom to escalate to and prints the one-line operations update, posting it to Slack only when
Slack passed in that very run. It never touches a credential (§ 6 step 1: they are evidence).
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from opwire.cli.app import group
from opwire.cli.common import (
    REDACT,
    AsJson,
    EnvFile,
    Mode,
    guard,
    lookup_for,
    record_run,
    run_lock,
)
from opwire.config import Lookup, Redactor, RunSettings, run_settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opwire.incident import Setting
    from opwire.mock.stack import MockBases
    from opwire.render import Printer
    from opwire.results import IntegrationResult, RunResult
    from opwire.verify import Target

incident_app = group(
    "incident",
    "Incidents (seed § 6): snapshot the evidence, name whom to page, post the update.\n\n"
    "Example: opwire incident open --integration slack",
)

# opwire's own settings that config.md lists even when unset (with the default in effect).
OWN = (
    "OPERATOR_WIRING_MODE",
    "OPERATOR_WIRING_PROD_ENABLED",
    "OPERATOR_WIRING_BUDGET_S",
    "OPERATOR_WIRING_INTEGRATION_BUDGET_S",
    "OPERATOR_WIRING_CONNECT_TIMEOUT_S",
    "OPERATOR_WIRING_READ_TIMEOUT_S",
    "OPERATOR_WIRING_MAX_ATTEMPTS",
    "OPERATOR_WIRING_STATE_DIR",
    "OPERATOR_WIRING_ENV_FILE",
    "OPERATOR_WIRING_REGION_SWEEP",
    "OPERATOR_WIRING_MOCK_HOST",
)


@incident_app.command("open")
def open_(
    integration: Annotated[
        str | None,
        typer.Option(
            "--integration",
            metavar="SLUG",
            help="The integration reported broken (default: each that does not PASS now).",
            show_default=False,
        ),
    ] = None,
    mode: Mode = None,
    action: Annotated[
        str,
        typer.Option(
            "--action",
            metavar="TEXT",
            help="What you did already, for the update (e.g. 'flag rolled back').",
        ),
    ] = "",
    eta: Annotated[
        str, typer.Option("--eta", metavar="TEXT", help="The update's ETA.")
    ] = "next update in 30 min",
    as_json: AsJson = False,
    env_file: EnvFile = None,
) -> None:
    """Open an incident: run verify now, keep its output verbatim, the last hour of run
    history, the configuration (masked) and a post-mortem skeleton in
    state/incidents/<YYYYMMDD-HHMM>/ (UTC), say whom to escalate to (platform on-call when
    two or more integrations fail at the network level, else the runbook's Owner), and print
    the one-line operations update, posted to Slack only when Slack passed in this run.
    Credentials are never changed.

    \b
    Exit codes: 0 opened (whatever verify found), 2 usage or configuration error,
                130/143 interrupted.
    Examples:
      opwire incident open
      opwire incident open --integration splunk --action "flag rolled back" --eta "14:30 UTC"
      OPERATOR_WIRING_MODE=real_all opwire incident open --json
    """
    from opwire import incident
    from opwire import integrations as registry
    from opwire.cli.verify import _blockers, _hygiene
    from opwire.mock.stack import mock_bases
    from opwire.state import Records
    from opwire.verify import lock_wait_s, new_run_id, plan, redactor_for

    lookup = guard(
        lambda: lookup_for(
            {"OPERATOR_WIRING_MODE": mode}, env_file, {"OPERATOR_WIRING_MODE": "--mode"}
        )
    )
    run = guard(lambda: run_settings(lookup))
    named = guard(lambda: registry.select([integration]))[0] if integration else None
    slugs = list(registry.SLUGS)
    blocked, blocker_notes = _blockers(run, slugs)
    probed = [s for s in slugs if s not in {b.slug for b in blocked}]
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    wait_s = guard(lambda: lock_wait_s(lookup))
    stream = sys.stderr if as_json else sys.stdout
    log = io.StringIO()
    # One verify at a time per state folder, as `opwire verify` (a cron run may be under way).
    lock = _lock(run, run_id, wait_s)
    started = time.monotonic()
    bases: MockBases | None = None
    try:
        bases = guard(lambda: mock_bases([s for s in probed if s not in run.real], run))
        targets = guard(lambda: plan(probed, lookup, run, bases.urls))
        redact = redactor_for(targets)
        redact.add(REDACT.secrets())
        warnings = [*_hygiene(lookup, env_file), *blocker_notes]
        result, printer = _verify(
            targets, run, bases, warnings, blocked, run_id, started, redact, stream, log
        )
        outcomes = [
            incident.Outcome(
                r.slug, r.real, r.status.value, r.diagnosis.code if r.diagnosis else None
            )
            for r in result.integrations
        ]
        focus = incident.focus_of(outcomes, named)
        esc = incident.escalation(outcomes, focus, _runbooks())
        folder = guard(lambda: incident.create_folder(run.state_dir, now))
        update = incident.ops_update(
            folder.name, folder, outcomes, focus, esc, action=action, eta=eta
        )
        posted = _post_update(result, targets, run, redact, printer, update)
    finally:
        if bases is not None:
            bases.close()
        lock.__exit__(None, None, None)
    files = {
        "verify.log": log.getvalue(),
        "history.jsonl": incident.history_lines(
            Records(run.state_dir, redact).runs(), datetime.now(UTC)
        ),
        "config.md": incident.config_markdown(
            folder.name, _config(lookup, run, env_file), _env_name(env_file), run.mode
        ),
        "post-mortem.md": incident.post_mortem(
            folder.name, now, result.run_id, result.overall.value, esc, update, posted["said"]
        ),
    }
    written = guard(lambda: incident.write_files(folder, files, redact))
    lines = [
        "",
        f"incident {folder.name} opened: {folder}/ ({', '.join(p.name for p in written)})",
        f"escalate to: {esc.whom}",
        f"  {esc.note}",
        f"operations update: {update}",
        f"slack: {posted['said']}",
        f"after recovery: fill in {folder}/post-mortem.md, then `opwire incident close "
        f"{folder.name}`",
    ]
    for line in lines:
        printer.line(line)
    if as_json:
        from opwire.results import to_json

        document = {
            "schema": incident.SCHEMA_ID,
            "id": folder.name,
            "path": str(folder),
            "files": [p.name for p in written],
            "escalation": esc.to_json(),
            "focus": focus,
            "update": update,
            "posted": posted,
            "verify": to_json(result),
        }
        typer.echo(redact(json.dumps(redact.tree(document), indent=2)))
    raise typer.Exit(result.interrupted or 0)


@incident_app.command("close")
def close(
    incident_id: Annotated[str, typer.Argument(metavar="ID", help="The incident's folder name.")],
    note: Annotated[
        str, typer.Option("--note", metavar="TEXT", help="A line for the closing entry.")
    ] = "",
    as_json: AsJson = False,
    env_file: EnvFile = None,
) -> None:
    """Append the closing entry (a UTC timestamp) to the incident's post-mortem.md.

    \b
    Exit codes: 0 closed, 2 usage error (an unknown ID lists the incidents there are).
    Example:
      opwire incident close 20261202-0134 --note "webhook re-issued, verify GREEN"
    """
    from opwire import incident
    from opwire.config import state_dir

    lookup = guard(lambda: lookup_for({}, env_file))
    folder = guard(lambda: state_dir(lookup))
    path = guard(lambda: incident.close(folder, incident_id, datetime.now(UTC), note, REDACT))
    if as_json:
        document = {"schema": "opwire.incident-close/1", "id": incident_id, "path": str(path)}
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo(f"incident {incident_id} closed: the closing entry is in {path}")
    raise typer.Exit(0)


def _verify(
    targets: list[Target],
    run: RunSettings,
    bases: Any,
    warnings: Sequence[str],
    blocked: Sequence[IntegrationResult],
    run_id: str,
    started: float,
    redact: Redactor,
    stream: IO[str],
    log: IO[str],
) -> tuple[RunResult, Printer]:
    """The verify run, printed as `opwire verify` prints it (cli/verify.py `_run_verify`,
    whose lines these follow), to the terminal and, verbatim, to `log`."""
    from opwire import interrupt
    from opwire.probing import NoteLine
    from opwire.render import Printer
    from opwire.results import run_record
    from opwire.state import Journal
    from opwire.verify import verify

    journal = Journal(run.state_dir)
    guard(journal.read)
    journal.redact = redact
    stop = interrupt.install()
    printer = Printer(redact, stream=interrupt.guarded(stream, stop), log=log)
    stop.on_interrupt(lambda: printer.event(NoteLine("opwire", stop.describe())))
    for note in bases.notes:
        printer.event(NoteLine("mock", note))
    for warning in warnings:
        printer.event(NoteLine("opwire", warning))
    for held in blocked:
        for text in held.notes:
            printer.event(NoteLine(held.slug, text))
    result = stop.run(
        verify(
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
    result = bases.amend(result)
    record_run(run.state_dir, redact, run_record(result), printer)
    printer.summary(result)
    printer.log = None  # what follows is the incident's, not the verify output
    return result, printer


def _lock(run: RunSettings, run_id: str, wait_s: float) -> Any:
    """The state folder's verify lock, taken as `opwire verify` takes it."""
    return run_lock(run, run_id, wait_s)


def _post_update(
    result: RunResult,
    targets: Sequence[Target],
    run: RunSettings,
    redact: Redactor,
    printer: Printer,
    text: str,
) -> dict[str, Any]:
    """Post the update through the Slack room's webhook builder, only when Slack PASSed in
    this run (a failing channel is not where to announce it)."""
    import asyncio

    slack = next((r for r in result.integrations if r.slug == "slack"), None)
    target = next((t for t in targets if t.slug == "slack"), None)
    if slack is None or target is None or slack.status.value != "PASS" or result.interrupted:
        status = slack.status.value if slack else "not run"
        return {"posted": False, "said": f"not posted: Slack did not PASS in this run ({status})"}
    where = "Slack" if target.real else "the Slack mock (mock mode)"
    reply = asyncio.run(_post(target, run, redact, printer, text))
    if reply:
        return {"posted": False, "said": f"posting to {where} failed: {reply}"}
    return {"posted": True, "said": f"posted to {where}", "real": target.real}


async def _post(
    target: Target, run: RunSettings, redact: Redactor, printer: Printer, text: str
) -> str:
    """'' when Slack took the message, else what was observed."""
    from opwire.http import Budget, Http, RetryPolicy, Timeouts, make_client
    from opwire.integrations.slack.client import post_message, webhook_ok

    # Not retried: a timed-out post may have landed, and the channel needs the update once.
    async with make_client(proxies=target.real) as client:
        http = Http(
            client,
            printer.event,
            redact,
            Timeouts(run.connect_timeout_s, run.read_timeout_s),
            RetryPolicy(max_attempts=1),
        )
        budget = Budget(min(run.budget_s, run.connect_timeout_s + run.read_timeout_s))
        exchange = await http.request("slack", budget, post_message(target.settings, text))
    if exchange.reply is not None and webhook_ok(exchange.reply):
        return ""
    return exchange.observed or "no answer"


def _runbooks() -> Path:
    """setup-runbooks/ beside the operator (the checkout they run from), else this checkout's."""
    here = Path("setup-runbooks")
    if here.is_dir():
        return here
    checkout = Path(__file__).resolve().parents[3] / "setup-runbooks"
    return checkout if checkout.is_dir() else here


def _env_name(env_file: str | None) -> str:
    from opwire.cli.common import env_path

    return str(env_path(env_file))


def _config(lookup: Lookup, run: RunSettings, env_file: str | None) -> dict[str, list[Setting]]:
    """Every variable the rooms declare, as `creds show` lists it (masked), and opwire's own
    OPERATOR_WIRING_* settings: those listed in OWN with their defaults, and any other set."""
    from opwire.cli.creds import _rows
    from opwire.incident import Setting
    from opwire.integrations import SLUGS, room

    groups: dict[str, list[Setting]] = {}
    declared: set[str] = set()
    for slug in SLUGS:
        rows = _rows(slug, lookup)
        groups[room(slug).title] = [
            Setting(r["name"], None if r["value"] is None else REDACT(str(r["value"])), r["source"])
            for r in rows
        ]
        declared.update(v.name for v in room(slug).variables)
    names = [*OWN, *(f"OPERATOR_WIRING_MOCK_PORT_{s.upper()}" for s in SLUGS)]
    names += sorted(
        n for n in _set_names(env_file) if n.startswith("OPERATOR_WIRING_") and n not in names
    )
    defaults = _defaults(run)
    groups["opwire (OPERATOR_WIRING_*)"] = [
        _own(name, lookup, defaults.get(name)) for name in names if name not in declared
    ]
    return groups


def _own(name: str, lookup: Lookup, default: str | None) -> Setting:
    from opwire.cli.creds import _credential_shaped
    from opwire.config import SECRET_NAME, Secret
    from opwire.incident import Setting

    value = lookup.get(name)
    if value is None:
        return Setting(name, default, "default" if default is not None else None)
    hidden = bool(SECRET_NAME.search(name)) or _credential_shaped(value)
    return Setting(name, Secret(value).masked() if hidden else REDACT(value), lookup.source(name))


def _set_names(env_file: str | None) -> set[str]:
    from opwire.cli.common import env_path
    from opwire.config import read_env_file

    try:
        dotenv = read_env_file(env_path(env_file), explicit=False)
    except Exception:  # already read once by lookup_for; a failure there ended the command
        dotenv = {}
    return set(os.environ) | set(dotenv)


def _defaults(run: RunSettings) -> dict[str, str]:
    own = {
        "OPERATOR_WIRING_MODE": run.mode,
        "OPERATOR_WIRING_BUDGET_S": f"{run.budget_s:g}",
        "OPERATOR_WIRING_INTEGRATION_BUDGET_S": f"{run.integration_budget_s:g}",
        "OPERATOR_WIRING_CONNECT_TIMEOUT_S": f"{run.connect_timeout_s:g}",
        "OPERATOR_WIRING_READ_TIMEOUT_S": f"{run.read_timeout_s:g}",
        "OPERATOR_WIRING_MAX_ATTEMPTS": str(run.max_attempts),
        "OPERATOR_WIRING_STATE_DIR": str(run.state_dir),
        "OPERATOR_WIRING_REGION_SWEEP": "1" if run.region_sweep else "0",
        "OPERATOR_WIRING_MOCK_HOST": run.mock_host,
        "OPERATOR_WIRING_ENV_FILE": ".env.local",
    }
    for slug, port in run.mock_ports.items():
        own[f"OPERATOR_WIRING_MOCK_PORT_{slug.upper()}"] = str(port)
    return own
