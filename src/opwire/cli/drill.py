"""`opwire drill`: rehearse every known failure mode against in-process mocks."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any

import typer

from opwire.cli.app import app
from opwire.cli.common import fail_usage, guard


@app.command()
def drill(
    integration: Annotated[
        str | None, typer.Argument(help="Drill one integration (default: all).", show_default=False)
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="One scenario, as slack/revoked or revoked (default: all).", show_default=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the drills as JSON.")] = False,
) -> None:
    """Rehearse every known failure mode against in-process mocks: symptom, diagnosis, fix."""
    from opwire import drill as drills
    from opwire import integrations as registry
    from opwire.config import Redactor
    from opwire.mock.server import MockStack
    from opwire.render import Printer

    slugs = guard(lambda: registry.select([integration] if integration else []))
    printer = Printer(Redactor(), stream=sys.stderr if as_json else sys.stdout)
    dns = integration in (None, "slack") and scenario in (None, "dns_blocked", drills.DNS_DRILL)
    command = [sys.executable, "-m", "opwire"] if dns else None
    with MockStack(slugs) as stack:
        results = asyncio.run(
            drills.drill_all(
                stack.urls, scenario, lambda result: _print_drill(printer, result), command
            )
        )
    if not results:
        raise fail_usage(f"no scenario {scenario!r} for {integration or 'any integration'}")
    wrong = [r for r in results if not r.ok and r.got != "skipped"]
    printer.line(
        f"\ndrills: {len(results) - len(wrong)} of {len(results)} diagnosed as expected"
        + (f"; WRONG: {', '.join(r.scenario for r in wrong)}" if wrong else "")
    )
    if as_json:
        sys.stdout.write(
            json.dumps(
                {
                    "drills": [
                        {
                            "scenario": r.scenario,
                            "expected": r.expected,
                            "got": r.got,
                            "ok": r.ok,
                            "symptom": r.symptom,
                            "cause": r.cause,
                            "fix": r.fix,
                        }
                        for r in results
                    ]
                },
                indent=2,
            )
            + "\n"
        )
    raise typer.Exit(1 if wrong else 0)


def _print_drill(printer: Any, result: Any) -> None:
    mark = "ok" if result.ok else "SKIPPED" if result.got == "skipped" else "WRONG"
    printer.line(f"drill {result.scenario}: {mark}")
    printer.line(f"  symptom:   {result.symptom}")
    printer.line(f"  diagnosis: {result.got} (expected {result.expected})")
    if result.fix:
        printer.line(f"  fix:       {result.fix}")
