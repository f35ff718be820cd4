"""`opwire creds check` (offline lint) and `opwire creds show` (where each credential comes
from, its rotation, and with --online whether it works right now)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from opwire.cli.app import group
from opwire.cli.common import REDACT, AsJson, EnvFile, env_path, guard, lookup_for
from opwire.config import ConfigError, Lookup, Secret

if TYPE_CHECKING:
    from opwire.render import Printer
    from opwire.results import RunResult

creds_app = group(
    "creds",
    "Credentials: lint them offline, see where they come from, check them online.\n\n"
    "Example: opwire creds check",
)

Slugs = Annotated[list[str] | None, typer.Argument(metavar="[SLUG]...", show_default=False)]


def declared_secrets(lookup: Lookup) -> list[tuple[str, str]]:
    """(variable, value) of every declared secret and its kept previous value, as set."""
    from opwire.integrations import SLUGS, room
    from opwire.rotate import PREVIOUS

    found = []
    for slug in SLUGS:
        for var in room(slug).variables:
            for name in (var.name, var.name + PREVIOUS):
                value = lookup.get(name) if var.secret else None
                if value:
                    found.append((name, value))
    return found


def hygiene_findings(lookup: Lookup, env_file: str | None) -> list[Any]:
    from opwire.hygiene import env_file_findings

    return env_file_findings(env_path(env_file), declared_secrets(lookup))


@creds_app.command("check")
def check(slugs: Slugs = None, as_json: AsJson = False, env_file: EnvFile = None) -> None:
    """Lint every credential variable offline: present or missing, its shape, a value pasted
    into the wrong variable, and the .env.local file's hygiene. Nothing is sent.

    \b
    Exit codes: 0 no error (warnings allowed), 1 a problem, 2 usage error.
    Examples:
      opwire creds check
      opwire creds check datadog slack --json
    """
    from opwire.creds import CredsCheck, render
    from opwire.creds import check as lint
    from opwire.integrations import select

    lookup = guard(lambda: lookup_for({}, env_file))
    chosen = guard(lambda: select(slugs or []))
    result = CredsCheck(tuple(lint(lookup, chosen)), tuple(hygiene_findings(lookup, env_file)))
    if as_json:
        typer.echo(REDACT(json.dumps(REDACT.tree(result.to_json()), indent=2)))
    else:
        for line in render(result):
            typer.echo(REDACT(line))
    raise typer.Exit(result.exit_code)


@creds_app.command("show")
def show(
    slugs: Slugs = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Also make each vendor's cheapest authenticated read, against the current "
            "mode's target (the mocks in mock mode), inside the usual budget.",
        ),
    ] = False,
    as_json: AsJson = False,
    env_file: EnvFile = None,
) -> None:
    """Each credential masked (****ab12 at most), where it came from (flag, environment,
    the dotenv file, default), and for a rotated one when and until when the old one is kept.

    \b
    Exit codes: 0 shown (with --online: every checked credential works), 1 a credential
    was refused, 2 usage error.
    Examples:
      opwire creds show
      OPERATOR_WIRING_MODE=real_all opwire creds show --online
    """
    from opwire.integrations import select

    started = time.monotonic()
    lookup = guard(lambda: lookup_for({}, env_file))
    chosen = guard(lambda: select(slugs or []))
    rows = {slug: _rows(slug, lookup) for slug in chosen}
    stream = sys.stderr if as_json else sys.stdout
    if not as_json:
        for line in _render_rows(rows):
            typer.echo(REDACT(line))
    code, online_json = 0, None
    if online:
        checked = run_checks(chosen, lookup, "whoami", started, stream=stream)
        checked.printer.line("")
        for line in online_lines(checked):
            checked.printer.line(line)
        failed = any(r.status.value == "FAIL" for r in checked.result.integrations)
        code = checked.result.interrupted or (1 if failed else 0)
        online_json = _online_json(checked)
    if as_json:
        document = {"schema": "opwire.creds-show/1", "integrations": rows, "online": online_json}
        typer.echo(REDACT(json.dumps(REDACT.tree(document), indent=2)))
    raise typer.Exit(code)


def _rows(slug: str, lookup: Lookup) -> list[dict[str, Any]]:
    from opwire.integrations import room
    from opwire.room import ROUTING
    from opwire.rotate import kept, stamp

    rows = []
    for var in room(slug).variables:
        value = lookup.get(var.name)
        if value is None and ROUTING in var.needed_for:
            continue
        hidden = var.secret or (value is not None and _credential_shaped(value))
        shown = None if value is None else (Secret(value).masked() if hidden else value)
        row: dict[str, Any] = {
            "name": var.name,
            "set": value is not None,
            "value": shown if value is not None else (var.default or None),
            "source": lookup.source(var.name) or ("default" if var.default else None),
            "about": (var.describe(value) if value and var.describe else None),
        }
        values = {n: v for n in _around(var.name) if (v := lookup.get(n)) is not None}
        for k in kept(values, [var.name]):
            row["rotated_at"] = stamp(k.rotated_at) if k.rotated_at else None
            row["previous_kept_until"] = stamp(k.until) if k.until else None
        rows.append(row)
    return rows


def _credential_shaped(value: str) -> bool:
    from opwire.creds import credential_shape
    from opwire.integrations import SLUGS, room

    return credential_shape(value, None, [v for s in SLUGS for v in room(s).variables]) is not None


def _around(name: str) -> list[str]:
    from opwire.config import ROTATED_AT
    from opwire.rotate import PREVIOUS

    return [name + PREVIOUS, name + ROTATED_AT]


def _render_rows(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    from opwire.integrations import room

    lines = []
    for slug, found in rows.items():
        lines.append(room(slug).title)
        for row in found:
            value = row["value"] if row["value"] is not None else "(not set)"
            source = f"  [{row['source']}]" if row["source"] else ""
            source += f" {row['about']}" if row["about"] else ""
            lines.append(f"  {row['name']:<36} {value}{source}")
            if "rotated_at" in row:
                lines.append(
                    f"    rotated {row['rotated_at'] or '(time unknown)'}; the previous value is "
                    f"kept until {row['previous_kept_until'] or '(unknown)'}: then `opwire rotate "
                    f"{slug} --finish`"
                )
    return lines


@dataclass
class Checked:
    result: RunResult
    printer: Printer
    not_checked: dict[str, str] = field(default_factory=dict)


def run_checks(
    slugs: Sequence[str],
    lookup: Lookup,
    check: str,
    started: float,
    *,
    stream: IO[str] | None = None,
) -> Checked:
    """Run `check` ("probe" or "whoami") for `slugs` with the operator's own credentials,
    against the current mode's target: the vendor for a real_<slug>, else its mock."""
    from opwire import integrations as registry
    from opwire import interrupt
    from opwire.config import run_settings
    from opwire.mock.stack import mock_bases
    from opwire.probing import NoteLine
    from opwire.render import Printer
    from opwire.state import Journal
    from opwire.verify import Target, redactor_for, verify

    run = guard(lambda: run_settings(lookup))
    bases = guard(lambda: mock_bases([s for s in slugs if s not in run.real], run))
    try:
        targets, not_checked = [], {}
        for slug in slugs:
            vendor, real = registry.load(slug), slug in run.real
            base = "" if real else bases.urls[slug]
            try:
                settings = vendor.settings(lookup, real, base, own=True)
            except ConfigError as exc:
                not_checked[slug] = REDACT(str(exc))
                continue
            targets.append(Target(slug, real, vendor, settings, base))
        redact = redactor_for(targets)
        redact.add(REDACT.secrets())
        stop = interrupt.install()
        printer = Printer(redact, stream=interrupt.guarded(stream or sys.stdout, stop))
        for note in bases.notes:
            printer.event(NoteLine("mock", note))
        journal = Journal(run.state_dir, redact)
        guard(journal.read)
        result = stop.run(
            verify(
                targets,
                run,
                printer.event,
                redact,
                journal=journal,
                started=started,
                stop=stop,
                check=check,
            )
        )
    finally:
        bases.close()
    return Checked(result, printer, not_checked)


def online_lines(checked: Checked) -> list[str]:
    """A verdict line per integration: works, refused (with the diagnosis), or not checked."""
    lines = []
    for result in checked.result.integrations:
        target = "real" if result.real else "mock"
        if result.diagnosis is not None:
            d = result.diagnosis
            lines.append(f"{result.slug:<10} {result.status.value} ({target}) {d.code}: {d.cause}")
            lines.append(f"{'':<10} fix: {d.fix}")
        else:
            skipped = [s for s in result.steps if s.outcome.value == "skipped"]
            note = f"; not checked: {skipped[0].detail}" if skipped else ""
            lines.append(f"{result.slug:<10} {result.status.value} ({target}) works{note}")
    for slug, why in checked.not_checked.items():
        lines.append(f"{slug:<10} not checked: {why}")
    return lines


def _online_json(checked: Checked) -> dict[str, Any]:
    from opwire.results import to_json

    return {**to_json(checked.result), "not_checked": checked.not_checked}
