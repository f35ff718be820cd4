"""`opwire day1` (the seed's 30 steps, each from evidence) and `opwire day1 record` (the
completion notice, written only when everything is green)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from opwire.cli.app import group
from opwire.cli.common import REDACT, AsJson, EnvFile, env_path, guard, lookup_for

if TYPE_CHECKING:
    from collections.abc import Mapping

    from opwire.config import Lookup
    from opwire.day1 import Day1, Evidence

day1_app = group(
    "day1",
    "The seed's Day-1 checklist, each step judged from evidence only.\n\nExample: opwire day1",
    bare=True,
)

MOCK_HEALTH_S = 0.5  # a local mock that answers at all answers within this


@day1_app.callback()
def day1(ctx: typer.Context, as_json: AsJson = False, env_file: EnvFile = None) -> None:
    """The seed's 30 Day-1 steps with the state of each, from the run history, the Day-1 logs,
    the credentials, blockers, confirmations, rotations, chain runs and deviations. Only a PASS
    against the real vendor counts for a real step.

    \b
    Exit codes: 0 GREEN, 3 HOLD (every step that holds is listed with what to do), 2 usage.
    Examples:
      opwire day1
      opwire day1 --json | jq .holding
      opwire day1 record          the completion notice, once everything is green
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = env_file  # `opwire day1 --env-file X record` reads X
        return
    from opwire.day1 import render

    day = _judged(env_file)
    if as_json:
        typer.echo(REDACT(json.dumps(REDACT.tree(day.to_json()), indent=2)))
    else:
        for line in render(day):
            typer.echo(REDACT(line))
    raise typer.Exit(0 if day.green else 3)


@day1_app.command("record")
def record(ctx: typer.Context, as_json: AsJson = False, env_file: EnvFile = None) -> None:
    """Write the brief Day-1 completion notice (seed step 22) with the handoff facts of step 24
    (where .env.local lives, the log's path; never a value) to state/day1-completion.md, only
    when every step is green; otherwise exit 3 listing what holds.

    \b
    Exit codes: 0 written, 3 HOLD (nothing written), 2 usage.
    Example: opwire day1 record
    """
    from opwire.day1 import RECORD, State, completion_notice
    from opwire.state import atomic_write

    day = _judged(env_file or ctx.obj)
    holding = [(s, v) for s, v in day.holding if v.state is not State.PENDING]
    if holding:
        for step, verdict in holding:
            typer.echo(
                REDACT(
                    f"  {step.number:>2}  {verdict.state.value:<8} {step.title}: {verdict.evidence}"
                )
            )
        typer.echo(f"day1 record: {len(holding)} step(s) hold; nothing was written", err=True)
        raise typer.Exit(3)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = day.evidence.state_dir / RECORD
    notice = completion_notice(day, now)
    guard(lambda: atomic_write(path, notice + "\n", REDACT))
    if as_json:
        typer.echo(
            json.dumps(
                {"schema": "opwire.day1-record/1", "path": str(path), "notice": notice}, indent=2
            )
        )
    else:
        typer.echo(notice)
        typer.echo(f"written to {path}")


def _judged(env_file: str | None) -> Day1:
    from opwire.day1 import judge

    lookup = guard(lambda: lookup_for({}, env_file))
    return judge(_evidence(lookup, env_file))


def _evidence(lookup: Lookup, env_file: str | None) -> Evidence:
    from opwire.cli.creds import hygiene_findings
    from opwire.config import run_settings
    from opwire.creds import check
    from opwire.day1 import RECORD, Evidence, day1_logs, rotations, send_errors
    from opwire.integrations import SLUGS
    from opwire.state import Records

    run = guard(lambda: run_settings(lookup))
    folder = run.state_dir
    records = Records(folder, REDACT)
    recorded = folder / RECORD
    return Evidence(
        state_dir=folder,
        env_file=env_path(env_file),
        env_file_ok=not hygiene_findings(lookup, env_file),
        runs=list(records.runs()),
        logs=day1_logs(folder),
        cred_errors=send_errors(check(lookup, SLUGS)),
        blockers=guard(records.open_blockers),
        confirmations=guard(records.confirmations),
        deviations=guard(records.deviations),
        rotations=rotations(folder),
        mocks_up=_mocks_up(run.mock_host, run.mock_ports),
        recorded=recorded if recorded.is_file() else None,
    )


def _mocks_up(host: str, ports: Mapping[str, int]) -> list[str]:
    """The mocks that answer on the configured ports (a stack left running)."""
    from opwire.config import host_for_url
    from opwire.integrations import SLUGS
    from opwire.mock.stack import health

    urls = {slug: f"http://{host_for_url(host)}:{ports[slug]}" for slug in SLUGS}
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        answers = list(pool.map(lambda s: health(urls[s], s, MOCK_HEALTH_S), urls))
    return [f"{slug} at {urls[slug]}" for slug, up in zip(urls, answers, strict=True) if up]
