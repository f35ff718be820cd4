"""`opwire mock ...`: serve the vendor mocks."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from opwire.cli.app import mock_app
from opwire.cli.common import EnvFile, fail_usage, guard, lookup_for
from opwire.config import bind_host, run_settings


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
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the URLs as one JSON line.")
    ] = False,
    env_file: EnvFile = None,
) -> None:
    """Serve the mocks in the foreground until Ctrl-C, printing each URL.

    \b
    SLUG: the mocks to serve (default: all six).
    Examples:
      opwire mock up                       all six on ports 4101-4106
      opwire mock up slack --ephemeral     one, on a free port
      opwire mock up --tls --self-signed   a dev Splunk HEC nobody trusts
    """
    from opwire import integrations as registry
    from opwire import interrupt
    from opwire.mock.server import MockStack
    from opwire.mock.tls import make_tls_files

    if self_signed and not tls:
        raise fail_usage("--self-signed only makes sense with --tls (add --tls)")
    host = guard(lambda: bind_host(host))
    run = guard(lambda: run_settings(lookup_for({}, env_file)))
    slugs = guard(lambda: registry.select(integrations or [], registry.MOCKED))
    ports = {} if ephemeral else {s: run.mock_ports[s] for s in slugs}
    with tempfile.TemporaryDirectory(prefix="opwire-mock-tls-") as folder:
        files = make_tls_files(Path(folder), self_signed=self_signed) if tls else None
        stack = guard(lambda: MockStack(slugs, host, ports, files))
        # The first SIGINT/SIGTERM stops the stack (exit 0); a second one while it stops ends
        # the command at once, 128 + the signal.
        stop = interrupt.install()
        with stack:
            _announce(stack.urls, files.ca_path if files else None, as_json)
            stop.wait()
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
