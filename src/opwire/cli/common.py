"""What every command shares: variables read once (flags > environment > .env.local), usage
errors as exit 2 with secret-shaped values masked, the --log file, the --env-file option."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any, TypeVar

import typer

from opwire.config import ConfigError, Lookup, Redactor, Secret, read_env_file
from opwire.errors import OpwireError
from opwire.integrations import SLUGS, room

T = TypeVar("T")

# Every secret-shaped value the command was given (flags, environment, .env.local), so that no
# error message can quote one; filled as soon as the variables are read.
REDACT = Redactor()


def fail_usage(message: str) -> typer.Exit:
    typer.echo(f"opwire: error: {REDACT(message)}", err=True)
    return typer.Exit(ConfigError.exit_code)


def guard(action: Callable[[], T]) -> T:
    """Run `action`; an OpwireError ends the command with one line and its own exit code."""
    try:
        return action()
    except OpwireError as exc:
        typer.echo(f"opwire: error: {REDACT(str(exc))}", err=True)
        raise typer.Exit(exc.exit_code) from None


def lookup_for(
    flags: dict[str, str | None],
    env_file: str | None,
    labels: dict[str, str] | None = None,
) -> Lookup:
    """The layered variables; `env_file` None is the default `.env.local` (missing is fine),
    a named one must exist. `labels` name the flag behind a variable, for its errors."""
    given = {k: v for k, v in flags.items() if v is not None}
    REDACT.add(Lookup(given, os.environ).secrets())
    path = env_path(env_file)
    dotenv = read_env_file(path, explicit=env_file is not None)
    lookup = Lookup(
        given, os.environ, dotenv, flags=labels, names=("flag", "environment", str(path))
    )
    REDACT.add(lookup.secrets())
    every = [var for slug in SLUGS for var in room(slug).variables]
    for slug in SLUGS:  # and every variable a room declares secret, whatever its name
        REDACT.add(room(slug).secrets(lookup))
    # and a credential pasted into a variable whose values are shown (a key in OPSGENIE_TEAM)
    from opwire.creds import credential_shape

    for var in every:
        value = lookup.get(var.name)
        if value and not var.secret and credential_shape(value, None, every):
            REDACT.add([Secret(value)])
    return lookup


def env_path(env_file: str | None) -> Path:
    """The dotenv file a command reads: --env-file / OPERATOR_WIRING_ENV_FILE, else ./.env.local."""
    return Path(env_file or ".env.local")


class LogFile:
    """The --log file: a write that fails (a full disk, /dev/full) is remembered, not raised
    mid-run; the command then ends with exit 2 naming --log, the run's output intact."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle, self.error = handle, ""

    def write(self, text: str) -> int:
        if REDACT(text) != text:  # the printer redacts first: this is the last line of defence
            self.error = self.error or "refused a line holding a credential"
            return 0
        return self._guarded(lambda: self.handle.write(text), 0)

    def flush(self) -> None:
        self._guarded(self.handle.flush, None)

    def _guarded(self, action: Callable[[], T], fallback: T) -> T:
        if self.error:
            return fallback
        try:
            return action()
        except OSError as exc:
            self.error = exc.strerror or str(exc)
            return fallback


@contextmanager
def log_file(path: Path | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise fail_usage(f"--log {path}: cannot write there ({exc.strerror})") from None
    log = LogFile(handle)
    try:
        yield log  # type: ignore[misc]
    finally:
        with contextlib.suppress(OSError):
            handle.close()
    if log.error:
        raise fail_usage(f"--log {path}: writing failed ({log.error}); the log is incomplete")


EnvFile = Annotated[
    str | None,  # checked by read_env_file, which names what is wrong in one line
    typer.Option(
        "--env-file",
        metavar="FILE",
        help="Dotenv file read after the environment (default ./.env.local, if it exists).",
        envvar="OPERATOR_WIRING_ENV_FILE",
        show_default=False,
    ),
]


def record_run(folder: Path, redact: Redactor, record: dict[str, Any], printer: Any) -> None:
    """Append the run to state/runs.jsonl; a state folder that fails now is said, not fatal:
    the run's own output is what the operator needs first."""
    from opwire.state import Records

    try:
        Records(folder, redact).append_run(record)
    except (OSError, OpwireError) as exc:
        printer.line(f"opwire: the run was not added to {folder}/runs.jsonl: {exc}")


AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Mode = Annotated[
    str | None,
    typer.Option(
        "--mode",
        metavar="MODE",
        help="mock | real_<slug> | real_all | a comma list (OPERATOR_WIRING_MODE).",
        show_default=False,
    ),
]


def run_lock(run: Any, run_id: str, wait_s: float) -> Any:
    """Take the state folder's verify lock (opwire.verify.RunLock) for `run_id`, saying on
    stderr for whom it waits; giving up is exit 2 naming the running run (verify, incident)."""
    from opwire.verify import Holder, RunLock

    def waiting(holder: Holder | None, left: float) -> None:
        who = holder.describe() if holder else "another opwire verify"
        typer.echo(
            f"opwire: waiting for {who} to finish with the state folder {run.state_dir}: "
            f"{left:.0f} s left (OPERATOR_WIRING_LOCK_WAIT_S)",
            err=True,
        )

    lock = RunLock(run.state_dir, run_id, wait_s, waiting)
    guard(lock.__enter__)
    return lock
