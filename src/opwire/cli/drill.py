"""`opwire drill`: rehearse every known failure mode against in-process mocks."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from opwire.cli.app import app
from opwire.cli.common import fail_usage, guard, lookup_for, record_run
from opwire.config import run_settings


@app.command()
def drill(
    integration: Annotated[
        str | None,
        typer.Argument(metavar="SLUG|SLUG/SCENARIO", show_default=False, hidden=True),
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Argument(metavar="SCENARIO", show_default=False, hidden=True),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the drills as JSON.")] = False,
    listing: Annotated[
        bool,
        typer.Option("--list", help="List the scenarios and what each must diagnose."),
    ] = False,
) -> None:
    """Rehearse every known failure mode against in-process mocks: symptom, diagnosis, fix.

    \b
    SLUG drills one integration, SLUG/SCENARIO (or SLUG SCENARIO) one scenario.
    Examples:
      opwire drill                  every scenario of every integration
      opwire drill slack            Slack's
      opwire drill slack/revoked    one, by the name drill prints
      opwire drill --list           the scenarios and what each must diagnose
    """
    from opwire import drill as drills
    from opwire import integrations as registry
    from opwire import interrupt
    from opwire.config import Redactor
    from opwire.mock.server import MockStack
    from opwire.render import Printer

    if integration and "/" in integration and scenario is None:
        # The name drill prints (slack/revoked) is the name it takes.
        integration, scenario = integration.split("/", 1)[0], integration
    if integration == "net":  # net/dns_blocked is Slack's probe in a namespace with no network
        integration = "slack"
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    slugs = guard(lambda: registry.select([integration] if integration else []))
    if listing:
        _list(slugs, scenario, as_json)
        return
    stop = interrupt.install()
    out = interrupt.guarded(sys.stdout, stop)
    printer = Printer(Redactor(), stream=interrupt.guarded(sys.stderr, stop) if as_json else out)
    stop.on_interrupt(lambda: printer.line(f"{stop.cause}: stopping the drills"))
    dns = integration in (None, "slack") and scenario in (
        None,
        "dns_blocked",
        drills.DNS_DRILL,
    )
    command = [sys.executable, "-m", "opwire"] if dns else None
    with MockStack(slugs) as stack:
        results = stop.run(
            drills.drill_all(
                stack.urls,
                scenario,
                lambda result: _print_drill(printer, result),
                command,
                stop,
            )
        )
    if not results and not stop.requested:
        raise fail_usage(f"no scenario {scenario!r} for {integration or 'any integration'}")
    wrong = [r for r in results if not r.ok and r.got != "skipped"]
    state = guard(lambda: run_settings(lookup_for({}, None)).state_dir)
    record_run(state, Redactor(), drills.drill_record(results, started_at), printer)
    cut = f"interrupted by {stop.cause} after {len(results)}: " if stop.requested else ""
    printer.line(
        f"\ndrills: {cut}{len(results) - len(wrong)} of {len(results)} diagnosed as expected"
        + (f"; WRONG: {', '.join(r.scenario for r in wrong)}" if wrong else "")
    )
    if as_json:
        out.write(json.dumps(drills.drills_json(results), indent=2) + "\n")
        out.flush()
    raise typer.Exit(stop.exit_code(1 if wrong else 0))


def _list(slugs: list[str], wanted: str | None, as_json: bool) -> None:
    """Every scenario of the chosen mocks, with the diagnosis it must produce."""
    from opwire import drill as drills
    from opwire.mock.server import MockStack

    with MockStack(slugs) as stack:
        found = [
            (name, drills.expected_for(name))
            for slug in slugs
            for name in drills.select(drills.scenarios_of(stack.urls[slug]), wanted)
        ]
    if "slack" in slugs and wanted in (None, drills.DNS_DRILL, "dns_blocked"):
        found.append((drills.DNS_DRILL, "net.dns"))
    if as_json:
        typer.echo(json.dumps(drills.listing_json(found), indent=2))
        return
    for name, expected in found:
        typer.echo(f"{name:<34} -> {expected or '(no expectation)'}")
    typer.echo(f"{len(found)} scenarios; run one with `opwire drill SLUG/NAME`")


def _print_drill(printer: Any, result: Any) -> None:
    mark = "ok" if result.ok else "SKIPPED" if result.got == "skipped" else "WRONG"
    printer.line(f"drill {result.scenario}: {mark}")
    printer.line(f"  symptom:   {result.symptom}")
    printer.line(f"  diagnosis: {result.got} (expected {result.expected})")
    if result.fix:
        printer.line(f"  fix:       {result.fix}")
