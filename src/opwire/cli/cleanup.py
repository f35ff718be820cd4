"""`opwire cleanup`: finish what a killed run left open (the cleanup journal)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opwire.cli.app import app
from opwire.cli.common import REDACT, EnvFile, guard, lookup_for
from opwire.config import run_settings

if TYPE_CHECKING:
    from opwire.cleanup import Cleaned


@app.command()
def cleanup(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was cleaned as JSON.")
    ] = False,
    env_file: EnvFile = None,
) -> None:
    """Resolve or close the test artifacts a killed run left open (the cleanup journal).

    \b
    Examples:
      opwire cleanup
      opwire cleanup --json
    """
    from opwire.cleanup import clean_journal
    from opwire.config import Redactor
    from opwire.render import Printer
    from opwire.state import Journal

    lookup = guard(lambda: lookup_for({}, env_file))
    run = guard(lambda: run_settings(lookup))
    journal = Journal(run.state_dir)
    redact = Redactor(REDACT.secrets())
    printer = Printer(redact, stream=sys.stderr if as_json else sys.stdout)
    # An unreadable journal is exit 2 (JournalError), the file untouched; never "empty".
    cleaned = guard(lambda: asyncio.run(clean_journal(journal, lookup, run, printer.event, redact)))
    if not cleaned:
        printer.line(f"the cleanup journal ({journal.path}) is empty: nothing left open")
    for item in cleaned:
        printer.line(f"{item.slug:<10} {item.run_id}  {item.state.value}: {item.how}")
    if as_json:
        document = {"cleaned": [_cleaned_json(c) for c in cleaned]}
        sys.stdout.write(redact(json.dumps(redact.tree(document), indent=2)) + "\n")
    # Exit 1 when a person has something to do; an entry its live run still owns is not that.
    raise typer.Exit(0 if all(c.settled for c in cleaned) else 1)


def _cleaned_json(item: Cleaned) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "run_id": item.run_id,
        "done": item.done,
        "state": item.state.name.lower(),
        "how": item.how,
    }
