"""The typer application and its root options; the command modules register on it."""

from __future__ import annotations

from typing import Annotated

import typer

from opwire import __version__

# Plain click help (no rich boxes, no <bool>/<float> type tags), -h beside --help, and shell
# completion (`opwire --install-completion`).
HELP = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    help="Bring operator integrations live and prove, continuously, that they deliver.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
    context_settings=HELP,
)
mock_app = typer.Typer(
    help="Local emulators of the vendor APIs.\n\nExample: opwire mock up",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=HELP,
)
app.add_typer(mock_app, name="mock")


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
