"""`opwire cleanup`: finish what a killed run left open (the cleanup journal)."""

from __future__ import annotations

import json
import sys
from typing import IO, TYPE_CHECKING, Annotated

import typer

from opwire.cli.app import app
from opwire.cli.common import REDACT, EnvFile, guard, lookup_for
from opwire.config import run_settings

if TYPE_CHECKING:
    from opwire.cleanup import Cleaned
    from opwire.render import Printer
    from opwire.state import Journal


@app.command()
def cleanup(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was cleaned as JSON.")
    ] = False,
    env_file: EnvFile = None,
    forget: Annotated[
        list[str] | None,
        typer.Option(
            "--forget",
            metavar="ENTRY",
            help="Drop this entry from the journal once you resolved its artifact by hand "
            "(repeatable); cleans nothing.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Resolve or close the test artifacts a killed run left open (the cleanup journal).

    \b
    Examples:
      opwire cleanup
      opwire cleanup --json
    """
    from opwire import interrupt
    from opwire.cleanup import clean_journal, cleanup_json
    from opwire.config import Redactor
    from opwire.probing import NoteLine
    from opwire.render import Printer
    from opwire.state import Journal

    lookup = guard(lambda: lookup_for({}, env_file))
    run = guard(lambda: run_settings(lookup))
    journal = Journal(run.state_dir)
    redact = Redactor(REDACT.secrets())
    stop = interrupt.install()
    out = interrupt.guarded(sys.stdout, stop)
    printer = Printer(redact, stream=interrupt.guarded(sys.stderr, stop) if as_json else out)
    if forget:
        _forget(journal, forget, printer, out if as_json else None)
        raise typer.Exit(0)
    stop.on_interrupt(lambda: printer.event(NoteLine("opwire", stop.describe())))
    # An unreadable journal is exit 2 (JournalError), the file untouched; never "empty".
    cleaned = guard(
        lambda: stop.run(clean_journal(journal, lookup, run, printer.event, redact, stop))
    )
    if not cleaned:
        printer.line(f"the cleanup journal ({journal.path}) is empty: nothing left open")
    for item in cleaned:
        printer.line(_line(item))
    if any(c.entry and not c.settled for c in cleaned):
        printer.line("once you resolved one by hand: opwire cleanup --forget ENTRY")
    if as_json:
        document = cleanup_json(cleaned)
        out.write(redact(json.dumps(redact.tree(document), indent=2)) + "\n")
        out.flush()
    # Exit 1 when a person has something to do; an entry its live run still owns is not that.
    raise typer.Exit(stop.exit_code(0 if all(c.settled for c in cleaned) else 1))


def _forget(journal: Journal, ids: list[str], printer: Printer, out: IO[str] | None) -> None:
    """Drop the named entries and say which; an id the journal does not hold is exit 2."""
    dropped = guard(lambda: journal.take(*ids))
    for entry in dropped:
        keys = ", ".join(f"{k}={v}" for k, v in entry.artifact.items())
        printer.line(
            f"dropped entry {entry.id} ({entry.slug} {entry.run_id}: {keys}) from the cleanup "
            "journal: opwire will no longer try to clean it up"
        )
    if out is not None:
        document = {"forgotten": [entry.to_json() for entry in dropped]}
        out.write(printer.redact(json.dumps(document, indent=2)) + "\n")
        out.flush()


def _line(item: Cleaned) -> str:
    """`slug run-id  verdict: reason`, and the entry's id while it stays in the journal."""
    entry = f"  (entry {item.entry})" if item.entry and not item.done else ""
    return f"{item.slug:<10} {item.run_id}  {item.verdict.value}: {item.how}{entry}"
