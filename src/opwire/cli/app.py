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


def group(name: str, help: str, *, bare: bool = False) -> typer.Typer:
    """A command group (`opwire creds …`) with the root's help settings; `bare` lets the group
    name alone run its callback (`opwire day1`) instead of printing its help."""
    sub = typer.Typer(
        help=help,
        no_args_is_help=not bare,
        invoke_without_command=bare,
        rich_markup_mode=None,
        context_settings=HELP,
    )
    app.add_typer(sub, name=name)
    return sub


mock_app = group("mock", "Local emulators of the vendor APIs.\n\nExample: opwire mock up")


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
