"""`opwire history`: the run history as a table, per integration its pass/fail trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from opwire.cli.app import app
from opwire.cli.common import REDACT, EnvFile, guard, lookup_for


@app.command()
def history(
    slug: Annotated[
        str | None, typer.Argument(metavar="[SLUG]", help="Only runs of this integration.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DURATION",
            help="Only runs started within DURATION: 90m, 24h, 7d (units s m h d w).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the runs and trails as JSON (opwire.history/1).")
    ] = False,
    env_file: EnvFile = None,
) -> None:
    """The run history (state/runs.jsonl: verify, drill and chain runs): one row per run,
    then per integration its trail (newest last), latency and diagnosis codes, real and mock
    apart.

    \b
    Exit codes: 0 shown (also when there is no run), 2 usage error.
    Examples:
      opwire history
      opwire history slack --since 24h
      opwire history --since 7d --json | jq '.integrations[] | select(.fails > 0)'
    """
    from opwire import history as runs_history
    from opwire.config import state_dir
    from opwire.integrations import select
    from opwire.state import Records

    window = guard(lambda: runs_history.parse_duration(since)) if since is not None else None
    chosen = guard(lambda: select([slug]))[0] if slug is not None else None
    lookup = guard(lambda: lookup_for({}, env_file))
    folder = guard(lambda: state_dir(lookup))
    runs = runs_history.select(
        Records(folder, REDACT).runs(), slug=chosen, since=window, now=datetime.now(UTC)
    )
    found = runs_history.trails(runs, chosen)
    if as_json:
        document = runs_history.to_json(runs, found, since)
        typer.echo(REDACT(json.dumps(REDACT.tree(document), indent=2)))
    else:
        for line in runs_history.render(runs, found, since):
            typer.echo(REDACT(line))
    raise typer.Exit(0)
