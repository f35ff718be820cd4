"""`opwire chain`: the seed's step 28, one alert path end to end (Sentry -> PagerDuty -> Slack)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from opwire.cli.app import app
from opwire.cli.common import (
    REDACT,
    EnvFile,
    fail_usage,
    guard,
    log_file,
    lookup_for,
    record_run,
)
from opwire.config import run_settings

if TYPE_CHECKING:
    from opwire.chain import ChainSettings
    from opwire.config import RunSettings


@app.command()
def chain(
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            metavar="MODE",
            help="mock, or sentry, pagerduty and slack all real: real_all or "
            "real_sentry,real_pagerduty,real_slack (OPERATOR_WIRING_MODE).",
            show_default=False,
        ),
    ] = None,
    sentry_timeout: Annotated[
        float,
        typer.Option(
            "--sentry-timeout",
            metavar="SECONDS",
            help="How long Sentry's alert rule may take to open the PagerDuty incident.",
        ),
    ] = 300.0,
    slack_timeout: Annotated[
        float,
        typer.Option(
            "--slack-timeout",
            metavar="SECONDS",
            help="How long PagerDuty's Slack extension may take to post the message.",
        ),
    ] = 120.0,
    pagerduty_from: Annotated[
        str | None,
        typer.Option(
            "--pagerduty-from",
            metavar="EMAIL",
            help="Real mode: the PagerDuty user who resolves the test incident (an account "
            "API token needs one; a user token is its own user).",
            show_default=False,
        ),
    ] = None,
    no_wiring: Annotated[
        bool,
        typer.Option(
            "--no-wiring",
            help="Mock mode: use the mocks' alert rule and Slack extension as they are, "
            "instead of setting them (to rehearse a missing one).",
        ),
    ] = False,
    mock_peer: Annotated[
        list[str] | None,
        typer.Option(
            "--mock-peer",
            metavar="SLUG=URL",
            help="Mock mode: where the previous mock reaches this one, when not where opwire "
            "does (compose: pagerduty=http://pagerduty:4103, slack=http://slack:4105).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print the result as JSON (schema opwire.chain/1); progress to stderr."
        ),
    ] = False,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log", metavar="FILE", help="Also write the human output to FILE.", show_default=False
        ),
    ] = None,
    env_file: EnvFile = None,
) -> None:
    """Force one alert path end to end: a Sentry error, the PagerDuty incident it opens, the
    Slack message that incident posts; then resolve the incident and the issue.

    \b
    Real mode needs SENTRY_DSN, SENTRY_AUTH_TOKEN, SENTRY_ORG, PAGERDUTY_API_TOKEN,
    SLACK_BOT_TOKEN and SLACK_CHANNEL_ID; mock mode wires the three mocks itself.
    Exit codes: 0 the chain passed, 1 a hop failed, 2 usage or configuration error,
                3 passed but its cleanup is not confirmed, 130/143 interrupted.

    \b
    Examples:
      opwire chain                                      through the mocks
      opwire chain --mode real_all --sentry-timeout 600
      opwire chain --mock-peer pagerduty=http://pagerduty:4103 --mock-peer slack=http://slack:4105
      opwire chain --json | jq '.hops'
    """
    started = time.monotonic()
    from opwire import chain as library
    from opwire.mock.stack import mock_bases

    lookup = guard(
        lambda: lookup_for(
            {"OPERATOR_WIRING_MODE": mode}, env_file, {"OPERATOR_WIRING_MODE": "--mode"}
        )
    )
    run = guard(lambda: run_settings(lookup))
    real = guard(lambda: library.is_real(run))
    peers = _peers(mock_peer or [])
    with log_file(log) as log_handle:
        bases = guard(lambda: mock_bases([] if real else list(library.CHAIN), run))
        try:
            settings = guard(
                lambda: library.load(
                    lookup,
                    run,
                    bases.urls,
                    sentry_timeout_s=sentry_timeout,
                    slack_timeout_s=slack_timeout,
                    requester=pagerduty_from,
                    wiring=not no_wiring,
                    peers=peers,
                )
            )
            code = _run_chain(settings, run, bases.notes, log_handle, as_json, started)
        finally:
            bases.close()
    raise typer.Exit(code)


def _peers(given: list[str]) -> dict[str, str]:
    peers = {}
    for item in given:
        slug, sep, url = item.partition("=")
        if not sep or not slug.strip() or not url.strip():
            raise fail_usage(
                f"--mock-peer takes SLUG=URL (like slack=http://slack:4105), got {item!r}"
            )
        peers[slug.strip()] = url.strip()
    return peers


def _run_chain(
    settings: ChainSettings,
    run: RunSettings,
    notes: list[str],
    log_handle: IO[str] | None,
    as_json: bool,
    started: float,
) -> int:
    from opwire import interrupt
    from opwire.chain import document, hop_line, record, run_chain, summary_lines
    from opwire.config import Redactor
    from opwire.events import NoteLine
    from opwire.render import Printer
    from opwire.state import Journal, owner_running

    journal = Journal(run.state_dir)
    left = guard(journal.read)  # an unreadable journal stops the run before anything is sent
    redact = Redactor(settings.secrets())
    redact.add(REDACT.secrets())
    journal.redact = redact
    stop = interrupt.install()
    out = interrupt.guarded(sys.stdout, stop)
    printer = Printer(
        redact, stream=interrupt.guarded(sys.stderr, stop) if as_json else out, log=log_handle
    )
    stop.on_interrupt(lambda: printer.event(NoteLine("opwire", stop.describe())))
    for note in notes:
        printer.event(NoteLine("mock", note))
    if earlier := [e for e in left.entries if not owner_running(e.pid, e.started)]:
        printer.event(
            NoteLine(
                "opwire",
                f"the cleanup journal holds {len(earlier)} open test artifact(s) from an "
                "earlier run: run `opwire cleanup`",
            )
        )
    result = stop.run(
        run_chain(
            settings,
            run,
            printer.event,
            redact,
            on_hop=lambda hop: printer.line(hop_line(hop)),
            journal=journal,
            stop=stop,
            started=started,
        )
    )
    record_run(run.state_dir, redact, record(result), printer)
    for line in summary_lines(result):
        printer.line(line)
    if as_json:
        out.write(redact(json.dumps(redact.tree(document(result)), indent=2)) + "\n")
        out.flush()
    return stop.exit_code(result.exit_code)
