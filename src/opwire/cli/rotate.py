"""`opwire rotate SLUG`: a new credential read without echo (or from stdin), linted, proven by
the integration's probe, and only then swapped into the dotenv file (seed step 27, § 7)."""

from __future__ import annotations

import getpass
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opwire.cli.app import app
from opwire.cli.common import REDACT, EnvFile, env_path, fail_usage, guard, lookup_for
from opwire.config import Lookup, Secret
from opwire.errors import OpwireError

if TYPE_CHECKING:
    from opwire.cli.creds import Checked

STDIN_MAX = 64 << 10  # a few credentials; more is the wrong input


@app.command()
def rotate(
    slug: Annotated[str, typer.Argument(metavar="SLUG", show_default=False)],
    # Caught so that a value typed on the command line is refused without being echoed (click
    # would quote it in its "unexpected extra argument" error).
    extra: Annotated[list[str] | None, typer.Argument(hidden=True, show_default=False)] = None,
    variables: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="NAME",
            help="The variable to rotate (repeatable; default: the credential that sends).",
            show_default=False,
        ),
    ] = None,
    finish: Annotated[
        bool,
        typer.Option("--finish", help="Remove the kept previous value once the overlap is over."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Drop a kept previous value before its 24 h overlap ends (--finish, or a new "
            "rotation before the last one was finished).",
        ),
    ] = False,
    env_file: EnvFile = None,
) -> None:
    """Swap in a new credential without a redeploy. The new value is read from a prompt that
    does not echo it, or from stdin (one value per line, or NAME=value lines), never from the
    command line. The integration's probe runs with it against the current mode's target (the
    mock in mock mode); only when it passes is the dotenv file rewritten, atomically, mode 0600,
    its comments and order kept, the old value kept as <VAR>_PREVIOUS for the 24 h overlap.

    \b
    Exit codes: 0 rotated (or finished), 1 the probe failed or the rotation was refused
                (the file is unchanged), 2 usage error.
    Examples:
      opwire rotate slack                      prompts for the new SLACK_WEBHOOK_URL
      printf '%s\\n' "$NEW_URL" | opwire rotate slack
      opwire rotate datadog --var DD_API_KEY --var DD_APP_KEY
      opwire rotate slack --finish             after the overlap, once the old one is revoked
    """
    started = time.monotonic()
    from opwire.integrations import load

    if extra:
        raise fail_usage(
            "rotate takes the new value from a prompt or stdin, never from the command line "
            "(the argument is not shown): it is now in your shell history, so rotate that value "
            "too, or clear it from the history"
        )

    from opwire.rotate import writable_target

    vendor = guard(lambda: load(slug))
    lookup = guard(lambda: lookup_for({}, env_file))
    path = env_path(env_file)
    guard(lambda: writable_target(path))  # before anything is read or sent
    names = _chosen(slug, variables or [], finish)
    if finish:
        _finish(slug, lookup, path, names, force)
        return
    _refuse_environment(lookup, names, path)
    new = _read_new_values(names)
    REDACT.add(Secret(v) for v in new.values())
    for name, value in new.items():
        problem = vendor.room.var(name).problem(value)
        if problem is not None:
            raise fail_usage(f"the new {problem}; nothing was changed")
    _swap(slug, lookup, path, new, started, force)


def _chosen(slug: str, named: list[str], finish: bool) -> list[str]:
    from opwire.integrations import room
    from opwire.room import SEND

    declared = room(slug)
    secrets = [v.name for v in declared.variables if v.secret]
    for name in named:
        if name not in secrets:
            raise fail_usage(
                f"--var {name}: not a credential of {slug}; valid: {', '.join(secrets)}"
            )
    # --finish finishes every credential of the room with a kept previous value.
    default = [v.name for v in declared.variables if v.secret and (finish or SEND in v.needed_for)]
    return list(dict.fromkeys(named)) or default


def _refuse_environment(lookup: Lookup, names: list[str], path: Path) -> None:
    """A variable set in the environment wins over the file: rotating the file changes nothing."""
    for name in names:
        if lookup.source(name) == "environment":
            raise fail_usage(
                f"{name} is set in the environment, which wins over {path}: the rotation would "
                f"not take effect; unset it there (or rotate it where it is set)"
            )


def _read_new_values(names: list[str]) -> dict[str, str]:
    """The new values: a prompt without echo on a terminal, else stdin."""
    if sys.stdin is None:
        raise fail_usage("no new value: stdin is closed (pipe the value in, or run on a terminal)")
    if sys.stdin.isatty():
        return {name: _prompt(name) for name in names}
    text = sys.stdin.read(STDIN_MAX + 1)
    if len(text) > STDIN_MAX:
        raise fail_usage(f"stdin holds more than {STDIN_MAX} bytes: expected the new value(s)")
    return _parse_stdin(text, names)


def _prompt(name: str) -> str:
    try:
        value = getpass.getpass(f"new {name} (not echoed): ").strip()
    except (EOFError, KeyboardInterrupt):
        raise fail_usage(f"no new {name} was given; nothing was changed") from None
    if not value:
        raise fail_usage(f"the new {name} is empty; nothing was changed")
    return value


def _parse_stdin(text: str, names: list[str]) -> dict[str, str]:
    """`NAME=value` lines for the named variables (read as the dotenv file is: quotes and
    `export` allowed), or bare values in the order of `names`."""
    from opwire.envfile import read_env_values
    from opwire.errors import ConfigError
    from opwire.integrations import SLUGS, room

    declared = {v.name for s in SLUGS for v in room(s).variables}
    found: dict[str, str] = {}
    bare = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        name = line.removeprefix("export ").partition("=")[0].strip()
        if name in declared:
            if name not in names:
                raise fail_usage(
                    f"stdin line {number}: {name} is not being rotated here; "
                    f"expected {', '.join(names)} (or --var {name})"
                )
            try:
                found.update(read_env_values(line + "\n", Path(f"stdin line {number}")))
            except ConfigError:
                raise fail_usage(
                    f"stdin line {number}: expected NAME=value (the line is not shown)"
                ) from None
        else:
            bare.append(line)
    waiting = [n for n in names if n not in found]
    if len(bare) > len(waiting):
        raise fail_usage(
            f"stdin holds {len(bare)} value line(s) for {len(waiting)} variable(s) "
            f"({', '.join(waiting) or 'none left'}); nothing was changed"
        )
    found.update(zip(waiting, bare, strict=False))
    missing = [n for n in names if not found.get(n)]
    if missing:
        raise fail_usage(f"no new value for {', '.join(missing)} on stdin; nothing was changed")
    return found


def _swap(
    slug: str, lookup: Lookup, path: Path, new: dict[str, str], started: float, force: bool
) -> None:
    from opwire.cli.creds import online_lines, run_checks
    from opwire.envfile import env_text
    from opwire.results import Status
    from opwire.rotate import fingerprint, swapped, write_private

    text = guard(lambda: env_text(path, explicit=False))
    now = datetime.now(UTC)
    updated = guard(lambda: swapped(text, path, new, now, force))
    checked = run_checks([slug], lookup.over(new, "new value"), "probe", started)
    printer = checked.printer
    for line in online_lines(checked):
        printer.line(line)
    result = checked.result.integrations[0] if checked.result.integrations else None
    if result is None or result.status not in (Status.PASS, Status.UNCONFIRMED):
        printer.line(f"rotate {slug}: the probe did not pass; {path} is unchanged")
        raise typer.Exit(checked.result.interrupted or 1)
    if guard(lambda: env_text(path, explicit=False)) != text:
        printer.line(f"rotate {slug}: {path} changed while the probe ran; nothing was written")
        raise typer.Exit(1)
    guard(lambda: write_private(path, updated))
    old = {name: lookup.get(name) for name in new}
    for name, value in new.items():
        before = fingerprint(old[name] or "") if old[name] else "(not set)"
        printer.line(f"rotated {name} in {path}: {before} -> {fingerprint(value)}")
    _record(slug, lookup, checked, new, old, path, now)


def _record(
    slug: str,
    lookup: Lookup,
    checked: Checked,
    new: dict[str, str],
    old: dict[str, str | None],
    path: Path,
    now: datetime,
) -> None:
    from opwire.config import run_settings
    from opwire.rotate import OVERLAP, fingerprint, stamp
    from opwire.state import Records

    run = checked.result
    kept = [name for name in new if old[name]]
    lines = [f"## {stamp(now)} {slug}: rotated {', '.join(new)}", ""]
    for name, value in new.items():
        before = fingerprint(old[name] or "") if old[name] else "(not set)"
        lines.append(f"- {name}: {before} -> {fingerprint(value)}")
    result = run.integrations[0]
    target = "vendor" if result.real else "mock"
    lines.append(f"- probe: {result.status.value} against the {target} (run {run.run_id})")
    if kept:
        until = stamp(now + OVERLAP)
        lines.append(
            f"- the previous value is kept in {path} as {', '.join(n + '_PREVIOUS' for n in kept)} "
            f"until {until}: then revoke it at the vendor and run `opwire rotate {slug} --finish`"
        )
        checked.printer.line(
            f"the previous value is kept until {until}; then revoke it at the vendor and run "
            f"`opwire rotate {slug} --finish`"
        )
    folder = guard(lambda: run_settings(lookup)).state_dir
    try:
        section = "\n".join(lines)
        written = Records(folder, checked.printer.redact).append_section("rotations", section)
    except (OSError, OpwireError) as exc:
        checked.printer.line(f"opwire: the rotation is done but was not recorded: {exc}")
        raise typer.Exit(1) from None
    checked.printer.line(f"recorded in {written}")


def _finish(slug: str, lookup: Lookup, path: Path, names: list[str], force: bool) -> None:
    from opwire.config import run_settings
    from opwire.envfile import env_text, read_env_values
    from opwire.rotate import finished, kept, stamp, write_private
    from opwire.state import Records

    text = guard(lambda: env_text(path, explicit=False))
    now = datetime.now(UTC)
    updated = guard(lambda: finished(text, path, names, now, force))
    guard(lambda: write_private(path, updated))
    done = [k.name for k in kept(read_env_values(text, path), names)]
    typer.echo(f"rotate {slug} --finish: removed the previous {', '.join(done)} from {path}")
    section = f"## {stamp(now)} {slug}: finished the rotation of {', '.join(done)}" + (
        " (--force, before the 24 h overlap ended)" if force else ""
    )
    folder = guard(lambda: run_settings(lookup)).state_dir
    try:
        Records(folder, REDACT).append_section("rotations", section)
    except (OSError, OpwireError) as exc:
        typer.echo(f"opwire: the rotation is finished but was not recorded: {exc}", err=True)
        raise typer.Exit(1) from None
