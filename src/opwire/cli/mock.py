"""`opwire mock ...`: serve the vendor mocks."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opwire import __version__
from opwire.cli.app import mock_app
from opwire.cli.common import AsJson, EnvFile, fail_usage, guard, lookup_for
from opwire.config import bind_host, host_for_url, run_settings

if TYPE_CHECKING:  # the mock code loads only when a mock command runs (--help stays light)
    from opwire.mock import detached


@mock_app.command("up")
def mock_up(
    integrations: Annotated[
        list[str] | None, typer.Argument(metavar="SLUG", show_default=False, hidden=True)
    ] = None,
    host: Annotated[
        str,
        typer.Option("--host", metavar="HOST", help="Address to bind (loopback unless told)."),
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
    detach: Annotated[
        bool,
        typer.Option(
            "--detach",
            help="Serve in the background; return once all are healthy (`opwire mock down`).",
        ),
    ] = False,
    record: Annotated[
        str | None, typer.Option("--record", hidden=True, metavar="FILE")
    ] = None,  # the child of --detach writes its pid and URLs here
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the URLs as one JSON line.")
    ] = False,
    env_file: EnvFile = None,
) -> None:
    """Serve the mocks in the foreground until Ctrl-C, printing each URL (or, with --detach, in
    the background: pid, ports and log in the state folder).

    \b
    SLUG: the mocks to serve (default: all six).
    Examples:
      opwire mock up                       all six on ports 4101-4106
      opwire mock up slack --ephemeral     one, on a free port
      opwire mock up --tls --self-signed   a dev Splunk HEC nobody trusts
      opwire mock up --detach              in the background; `opwire mock status`, `mock down`
    """
    from opwire import integrations as registry
    from opwire import interrupt
    from opwire.mock import detached
    from opwire.mock.server import MockStack
    from opwire.mock.tls import make_tls_files

    if self_signed and not tls:
        raise fail_usage("--self-signed only makes sense with --tls (add --tls)")
    host = guard(lambda: bind_host(host))
    run = guard(lambda: run_settings(lookup_for({}, env_file)))
    slugs = guard(lambda: registry.select(integrations or [], registry.MOCKED))
    ports = {} if ephemeral else {s: run.mock_ports[s] for s in slugs}
    if detach:
        flags = _child_flags(host, ephemeral, tls, self_signed, env_file)
        _up_detached(run.state_dir, [*slugs, *flags], as_json)
        return
    with tempfile.TemporaryDirectory(prefix="opwire-mock-tls-") as folder:
        files = make_tls_files(Path(folder), self_signed=self_signed) if tls else None
        stack = guard(lambda: MockStack(slugs, host, ports, files))
        # The first SIGINT/SIGTERM stops the stack (exit 0); a second one while it stops ends
        # the command at once, 128 + the signal.
        stop = interrupt.install()
        with stack:
            ca_path = files.ca_path if files else None
            if record:
                detached.write_record(Path(record), stack.urls, ca_path)
            try:
                _announce(stack.urls, ca_path, as_json)
                stop.wait()
            finally:
                if record:
                    detached.remove_record(Path(record))
    typer.echo("mock stack stopped", err=True)


def _child_flags(
    host: str, ephemeral: bool, tls: bool, self_signed: bool, env_file: str | None
) -> list[str]:
    switches = {"--ephemeral": ephemeral, "--tls": tls, "--self-signed": self_signed}
    flags = ["--host", host, *(name for name, on in switches.items() if on)]
    return [*flags, "--env-file", env_file] if env_file else flags


def _up_detached(state_dir: Path, arguments: list[str], as_json: bool) -> None:
    from opwire.mock import detached

    record = guard(
        lambda: detached.start(
            state_dir, arguments, progress=lambda line: typer.echo(line, err=True)
        )
    )
    if as_json:
        typer.echo(json.dumps(record.to_json()))
        return
    for slug, url in record.urls.items():
        typer.echo(f"{slug:<10} {url}   (control: {url}/_opwire/health)")
    if record.ca_bundle:
        typer.echo(f"TLS: trust this CA: export SSL_CERT_FILE={record.ca_bundle}")
    typer.echo(
        f"mock stack up in the background (pid {record.pid}, log {record.log}); "
        "`opwire mock status` shows it, `opwire mock down` stops it"
    )


@mock_app.command("status")
def mock_status(as_json: AsJson = False, env_file: EnvFile = None) -> None:
    """Each mock's health, version, scenarios and fault rules: the detached stack's, or what
    answers on the default ports. Exit 0 when every mock answers, 1 when any does not.
    """
    from opwire import integrations as registry
    from opwire.mock import detached

    run = guard(lambda: run_settings(lookup_for({}, env_file)))
    host = host_for_url(run.mock_host)
    defaults = {s: f"http://{host}:{run.mock_ports[s]}" for s in registry.MOCKED}
    found = guard(lambda: detached.status(run.state_dir, defaults))
    if as_json:
        typer.echo(json.dumps(found.to_json()))
    else:
        _print_status(found, run.state_dir)
    raise typer.Exit(0 if found.healthy else 1)


def _print_status(found: detached.StackStatus, state_dir: Path) -> None:
    from opwire.mock import detached

    record = found.record
    if record is not None and not found.stale:
        typer.echo(f"detached mock stack: pid {record.pid}, since {record.since}, log {record.log}")
    elif found.stale and record is not None:
        typer.echo(
            f"the detached stack recorded in {detached.record_path(state_dir)} (pid {record.pid}) "
            "has stopped; looking on the default ports"
        )
    else:
        typer.echo("no detached mock stack recorded; looking on the default ports")
    for mock in found.mocks:
        typer.echo(_status_line(mock))
    healthy = sum(m.health is not None for m in found.mocks)
    typer.echo(f"{healthy}/{len(found.mocks)} healthy")


def _status_line(mock: detached.MockStatus) -> str:
    head = f"{mock.slug:<10} {mock.url:<24}"
    if (seen := mock.health) is None:
        return f"{head} not answering"
    line = f"{head} healthy  opwire {seen.version or '?'}"
    if seen.version != __version__:
        line += f" (this is {__version__}: restart the stack from this opwire)"
    scenarios = ", ".join(seen.scenarios) or "none"
    line += f"  scenarios: {scenarios}  faults: {seen.faults}"
    return line + (f"  (rehearsing: {seen.reset_hint()})" if seen.rehearsing else "")


@mock_app.command("down")
def mock_down(env_file: EnvFile = None) -> None:
    """Stop the detached mock stack (seed step 23) and confirm its ports are free.

    Exit 0 when it stopped or none was running; 1 when mocks still answer (a foreground
    `opwire mock up` or the compose stack, which this does not stop).
    """
    from opwire import integrations as registry
    from opwire.mock import detached

    run = guard(lambda: run_settings(lookup_for({}, env_file)))
    record = guard(lambda: detached.read_record(run.state_dir))
    if record is None:
        typer.echo(f"no detached mock stack recorded in {run.state_dir}")
        urls = {
            s: f"http://{host_for_url(run.mock_host)}:{run.mock_ports[s]}" for s in registry.MOCKED
        }
    else:
        stopped = guard(lambda: detached.stop(record))
        guard(lambda: detached.forget(run.state_dir))
        typer.echo(
            f"mock stack stopped (pid {record.pid})"
            if stopped
            else f"the recorded mock stack (pid {record.pid}) had already stopped; record removed"
        )
        urls = record.urls
    still = [m for m in detached.probe(urls) if m.health is not None]
    for mock in still:
        typer.echo(
            f"{mock.slug} still answers at {mock.url}: not a detached stack of this state folder; "
            "stop it where it was started (Ctrl-C for `opwire mock up`, `docker compose down` "
            "in mock-endpoints/)",
            err=True,
        )
    raise typer.Exit(1 if still else 0)


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
