"""What every command shares: variables read once (flags > environment > .env.local), usage
errors as exit 2 with secret-shaped values masked, the --log file, the --env-file option."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, TypeVar

import typer

from opwire.config import ConfigError, Lookup, Redactor, read_env_file

T = TypeVar("T")

# Every secret-shaped value the command was given (flags, environment, .env.local), so that no
# error message can quote one; filled as soon as the variables are read.
REDACT = Redactor()


def fail_usage(message: str) -> typer.Exit:
    typer.echo(f"opwire: error: {REDACT(message)}", err=True)
    return typer.Exit(2)


def guard(action: Callable[[], T]) -> T:
    try:
        return action()
    except ConfigError as exc:
        raise fail_usage(str(exc)) from None


def lookup_for(flags: dict[str, str | None], env_file: Path) -> Lookup:
    given = {k: v for k, v in flags.items() if v is not None}
    lookup = Lookup(given, os.environ)
    REDACT.add(lookup.secrets())
    lookup = Lookup(given, os.environ, read_env_file(env_file))
    REDACT.add(lookup.secrets())
    return lookup


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
    with handle:
        yield handle


EnvFile = Annotated[
    Path,
    typer.Option(
        "--env-file",
        help="Dotenv file read after the environment.",
        envvar="OPERATOR_WIRING_ENV_FILE",
    ),
]
