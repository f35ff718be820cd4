"""The `opwire` command: parses argv, calls the library, renders, and picks the exit code.

No logic lives here. Vendor rooms and server code are imported only by the commands that use them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from opwire import __version__
from opwire.config import (
    ConfigError,
    Lookup,
    Redactor,
    RunSettings,
    read_env_file,
    run_settings,
)

if TYPE_CHECKING:
    from opwire.cleanup import Cleaned
    from opwire.verify import Target

app = typer.Typer(
    help="Bring operator integrations live and prove, continuously, that they deliver.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
mock_app = typer.Typer(help="Local emulators of the vendor APIs.", no_args_is_help=True)
app.add_typer(mock_app, name="mock")

T = TypeVar("T")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"opwire {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """opwire: verify Datadog, Sentry, PagerDuty, Opsgenie, Slack and Splunk HEC wiring."""


# Every secret-shaped value the command was given (flags, environment, .env.local), so that no
# error message can quote one; filled as soon as the variables are read.
_REDACT = Redactor()


def _fail_usage(message: str) -> typer.Exit:
    typer.echo(f"opwire: error: {_REDACT(message)}", err=True)
    return typer.Exit(2)


def _guard(action: Callable[[], T]) -> T:
    try:
        return action()
    except ConfigError as exc:
        raise _fail_usage(str(exc)) from None


def _lookup(flags: dict[str, str | None], env_file: Path) -> Lookup:
    given = {k: v for k, v in flags.items() if v is not None}
    lookup = Lookup(given, os.environ)
    _REDACT.add(lookup.secrets())
    lookup = Lookup(given, os.environ, read_env_file(env_file))
    _REDACT.add(lookup.secrets())
    return lookup


@contextmanager
def _log_file(path: Path | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise _fail_usage(f"--log {path}: cannot write there ({exc.strerror})") from None
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


@app.command()
def verify(
    integrations: Annotated[
        list[str] | None,
        typer.Argument(help="Integrations to verify (default: all).", show_default=False),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="mock | real_<slug> | real_all | a comma list (OPERATOR_WIRING_MODE).",
            show_default=False,
        ),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--budget",
            help="Seconds for the whole run (OPERATOR_WIRING_BUDGET_S, default 90).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the results as JSON (schema opwire.verify/1); progress goes to stderr.",
        ),
    ] = False,
    log: Annotated[
        Path | None,
        typer.Option("--log", help="Also write the human output to FILE.", show_default=False),
    ] = None,
    no_region_sweep: Annotated[
        bool,
        typer.Option(
            "--no-region-sweep",
            help="Never send a credential to a vendor's other regions to find "
            "where it works (OPERATOR_WIRING_REGION_SWEEP=0).",
        ),
    ] = False,
    env_file: EnvFile = Path(".env.local"),
) -> None:
    """Send a tagged test artifact to each vendor, read it back, clean up, and report."""
    started = time.monotonic()  # the budget and the summary's time start here
    from opwire import integrations as registry
    from opwire.mock.stack import mock_bases
    from opwire.verify import plan

    lookup = _guard(
        lambda: _lookup(
            {
                "OPERATOR_WIRING_MODE": mode,
                "OPERATOR_WIRING_BUDGET_S": None if budget is None else str(budget),
                "OPERATOR_WIRING_REGION_SWEEP": "0" if no_region_sweep else None,
            },
            env_file,
        )
    )
    run = _guard(lambda: run_settings(lookup))
    slugs = _guard(lambda: registry.select(integrations or []))
    mocked = [s for s in slugs if s not in run.real]
    with _log_file(log) as log_handle:
        bases = _guard(lambda: mock_bases(mocked, run))
        try:
            targets = _guard(lambda: plan(slugs, lookup, run, bases.urls))
            code = _run_verify(targets, run, bases.notes, log_handle, as_json, started)
        finally:
            bases.close()
    raise typer.Exit(code)


def _run_verify(
    targets: list[Target],
    run: RunSettings,
    notes: list[str],
    log_handle: IO[str] | None,
    as_json: bool,
    started: float,
) -> int:
    from opwire.probing import NoteLine
    from opwire.render import Printer
    from opwire.results import to_json
    from opwire.state import Journal, owner_running
    from opwire.verify import redactor_for
    from opwire.verify import verify as run_verify

    # An unreadable journal stops the run before anything is sent: the probes would write over
    # it, and lose what it holds (a test incident still open).
    journal = Journal(run.state_dir)
    left = _guard(journal.read)
    redact = redactor_for(targets)
    redact.add(_REDACT.secrets())
    printer = Printer(redact, stream=sys.stderr if as_json else sys.stdout, log=log_handle)
    for note in notes:
        printer.event(NoteLine("mock", note))
    if earlier := [e for e in left.entries if not owner_running(e.pid, e.started)]:
        printer.event(
            NoteLine(
                "opwire",
                f"the cleanup journal holds {len(earlier)} open test "
                f"artifact(s) from an earlier run: run `opwire cleanup`",
            )
        )
    if left.rejected:
        printer.event(
            NoteLine(
                "opwire",
                f"the cleanup journal holds {len(left.rejected)} item(s) that are not entries "
                "opwire wrote: `opwire cleanup` names them",
            )
        )
    result = asyncio.run(
        run_verify(targets, run, printer.event, redact, journal=journal, started=started)
    )
    printer.summary(result)
    if as_json:
        sys.stdout.write(redact(json.dumps(redact.tree(to_json(result)), indent=2)) + "\n")
    return result.exit_code


@app.command()
def cleanup(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print what was cleaned as JSON.")
    ] = False,
    env_file: EnvFile = Path(".env.local"),
) -> None:
    """Resolve or close the test artifacts a killed run left open (the cleanup journal)."""
    from opwire.cleanup import clean_journal
    from opwire.config import Redactor
    from opwire.render import Printer
    from opwire.state import Journal

    lookup = _guard(lambda: _lookup({}, env_file))
    run = _guard(lambda: run_settings(lookup))
    journal = Journal(run.state_dir)
    redact = Redactor(_REDACT.secrets())
    printer = Printer(redact, stream=sys.stderr if as_json else sys.stdout)
    # An unreadable journal is exit 2 (JournalError), the file untouched; never "empty".
    cleaned = _guard(
        lambda: asyncio.run(clean_journal(journal, lookup, run, printer.event, redact))
    )
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

    slugs = _guard(lambda: registry.select([integration] if integration else []))
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
        raise _fail_usage(f"no scenario {scenario!r} for {integration or 'any integration'}")
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


@mock_app.command("up")
def mock_up(
    integrations: Annotated[
        list[str] | None, typer.Argument(help="Mocks to serve (default: all).", show_default=False)
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (loopback unless told).")
    ] = "127.0.0.1",
    ephemeral: Annotated[
        bool, typer.Option("--ephemeral", help="Bind free ports instead of the default ports.")
    ] = False,
    tls: Annotated[
        bool,
        typer.Option("--tls", help="Serve HTTPS from a CA made now; prints the CA to trust."),
    ] = False,
    self_signed: Annotated[
        bool,
        typer.Option(
            "--self-signed",
            help="With --tls: a self-signed certificate no client trusts (a dev Splunk HEC).",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the URLs as one JSON line.")
    ] = False,
    env_file: EnvFile = Path(".env.local"),
) -> None:
    """Serve the mocks in the foreground until Ctrl-C, printing each URL."""
    from opwire import integrations as registry
    from opwire.mock.server import MockStack
    from opwire.mock.tls import make_tls_files

    run = _guard(lambda: run_settings(_lookup({}, env_file)))
    slugs = _guard(lambda: registry.select(integrations or [], registry.MOCKED))
    ports = {} if ephemeral else {s: run.mock_ports[s] for s in slugs}
    with tempfile.TemporaryDirectory(prefix="opwire-mock-tls-") as folder:
        files = make_tls_files(Path(folder), self_signed=self_signed) if tls else None
        stack = _guard(lambda: MockStack(slugs, host, ports, files))
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        with stack:
            _announce(stack.urls, files.ca_path if files else None, as_json)
            stopped.wait()
    typer.echo("mock stack stopped", err=True)


def _announce(urls: dict[str, str], ca_path: Path | None, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"mocks": urls, "ca_bundle": str(ca_path) if ca_path else None}))
    else:
        for slug, url in urls.items():
            typer.echo(f"{slug:<10} {url}   (control: {url}/_opwire/health)")
        if ca_path:
            typer.echo(
                f"TLS: trust this CA: export SSL_CERT_FILE={ca_path} REQUESTS_CA_BUNDLE={ca_path}"
            )
        typer.echo("mock stack up; Ctrl-C stops it")
    sys.stdout.flush()


def main() -> None:
    app()
