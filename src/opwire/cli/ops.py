"""`opwire rollback` and `opwire rollforward`: the seed's one-flag rollback (§ 5, § 6 step 3).

Each sets `OPERATOR_WIRING_PROD_ENABLED` in the dotenv file with the rotation's writer (atomic,
0600, every other line kept byte for byte), never touching a credential, and records itself in
the run history."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import typer

from opwire.cli.app import app
from opwire.cli.common import REDACT, EnvFile, env_path, guard, lookup_for
from opwire.config import Lookup

FLAG = "OPERATOR_WIRING_PROD_ENABLED"


@app.command()
def rollback(env_file: EnvFile = None) -> None:
    """Turn the application's operator wiring off: OPERATOR_WIRING_PROD_ENABLED=0 in the dotenv
    file, credentials untouched (seed § 5: "keep creds in place").

    \b
    Exit codes: 0 the flag is 0, 2 usage or the file cannot be written.
    Examples:
      opwire rollback
      opwire rollback --env-file /srv/app/.env.local
    """
    _set_flag("0", "rollback", env_file)


@app.command()
def rollforward(env_file: EnvFile = None) -> None:
    """Turn the application's operator wiring back on: OPERATOR_WIRING_PROD_ENABLED=1.

    \b
    Exit codes: 0 the flag is 1, 2 usage or the file cannot be written.
    Example: opwire rollforward
    """
    _set_flag("1", "rollforward", env_file)


def _set_flag(value: str, command: str, env_file: str | None) -> None:
    from opwire.config import run_settings
    from opwire.envfile import env_text, read_env_values, rewritten
    from opwire.rotate import writable_target, write_private

    started = time.monotonic()
    lookup = guard(lambda: lookup_for({}, env_file))
    guard(lambda: run_settings(lookup))  # a bad setting fails now, before the flag is written
    path = env_path(env_file)
    guard(lambda: writable_target(path))
    text = guard(lambda: env_text(path))
    before = read_env_values(text, path).get(FLAG) or None
    if before != value:
        updated = guard(lambda: rewritten(text, path, {FLAG: value}))
        guard(lambda: write_private(path, updated))
    was = "unset" if before is None else before
    typer.echo(f"{command}: {FLAG} is now {value} in {path} (was {was}); no credential changed")
    typer.echo(_where_read(lookup, path, value))
    _record(lookup, command, value, was, path, started)


def _where_read(lookup: Lookup, path: Path, value: str) -> str:
    """Where the flag takes effect, and what would override the file."""
    source = lookup.source(FLAG)
    if source == "environment" and lookup.get(FLAG) != value:
        return (
            f"warning: {FLAG}={lookup.get(FLAG)} in the process environment wins over {path}: "
            "unset it there (or restart the application without it) for this to take effect"
        )
    return (
        f"read by the application's opwire library from {path} on each send (DESIGN § 8), and by "
        "every opwire run; the process environment would win over the file"
    )


def _record(lookup: Lookup, command: str, value: str, was: str, path: Path, started: float) -> None:
    from opwire.config import mode_name, run_settings
    from opwire.state import Records
    from opwire.verify import new_run_id

    run = guard(lambda: run_settings(lookup))
    record = {
        "schema": "opwire.run/1",
        "command": command,
        "run_id": new_run_id(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(time.monotonic() - started, 3),
        "mode": mode_name(run.real),
        "overall": "n/a",
        "exit_code": 0,
        "integrations": [],
        "flag": {"name": FLAG, "value": value, "was": was, "file": str(path)},
    }
    try:
        Records(run.state_dir, REDACT).append_run(record)
    except OSError as exc:
        typer.echo(f"opwire: the {command} was not added to the run history: {exc}", err=True)
        raise typer.Exit(1) from None
