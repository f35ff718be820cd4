"""`opwire schedule`: print a ready-to-install schedule for verify-all (seed § 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from opwire.cli.app import app
from opwire.cli.common import fail_usage


@app.command()
def schedule(
    cron: Annotated[bool, typer.Option("--cron", help="A crontab line.")] = False,
    systemd: Annotated[
        bool, typer.Option("--systemd", help="A systemd service and timer.")
    ] = False,
    kubernetes: Annotated[
        bool, typer.Option("--kubernetes", help="A Kubernetes CronJob manifest.")
    ] = False,
    daily: Annotated[
        bool, typer.Option("--daily", help="Daily, failures page (the first 14 days; default).")
    ] = False,
    weekly: Annotated[
        bool, typer.Option("--weekly", help="Weekly, failures open a low-priority ticket.")
    ] = False,
    heartbeat: Annotated[
        str,
        typer.Option("--heartbeat", metavar="NAME", help="The Opsgenie heartbeat each run pings."),
    ] = "opwire-verify",
    ping_url: Annotated[
        str | None,
        typer.Option(
            "--ping-url", metavar="URL", help="A Healthchecks-style URL each run pings too."
        ),
    ] = None,
    image: Annotated[
        str, typer.Option("--image", metavar="IMAGE", help="The CronJob's container image.")
    ] = "opwire:latest",
) -> None:
    """Print a schedule that runs verify-all with paging and a heartbeat: daily for the first
    14 days after the rollout (failures page the operator), weekly after (a low-priority
    ticket), as the seed's § 7 asks. Nothing is installed.

    \b
    Exit codes: 0 printed, 2 usage.
    Examples:
      opwire schedule --cron --daily | crontab -      (replaces your crontab: append instead)
      opwire schedule --systemd --weekly
      opwire schedule --kubernetes --image registry.example.com/opwire:0.1.0 | kubectl apply -f -
    """
    from opwire.config import ConfigError, check_url
    from opwire.schedule import Plan, cronjob_yaml, crontab
    from opwire.schedule import systemd as units

    kinds = [name for name, on in (("--cron", cron), ("--systemd", systemd)) if on]
    kinds += ["--kubernetes"] if kubernetes else []
    if len(kinds) != 1:
        raise fail_usage("name one of --cron, --systemd or --kubernetes")
    if daily and weekly:
        raise fail_usage("--daily and --weekly do not go together")
    if not heartbeat.strip() or not all(c.isalnum() or c in "-_." for c in heartbeat):
        raise fail_usage(
            f"--heartbeat must be a heartbeat name (letters, digits, -_.), got {heartbeat!r}"
        )
    if ping_url is not None:
        try:
            check_url("--ping-url", ping_url)
        except ConfigError as exc:
            raise fail_usage(str(exc)) from None
    plan = Plan(
        "weekly" if weekly else "daily",
        str(Path.cwd().resolve()),
        heartbeat=heartbeat,
        ping_url=ping_url,
        image=image,
    )
    if cron:
        typer.echo(crontab(plan), nl=False)
    elif systemd:
        for name, text in units(plan).items():
            typer.echo(f"# /etc/systemd/system/{name}\n{text}")
        typer.echo(
            "# install: copy both files, then systemctl daemon-reload && "
            "systemctl enable --now opwire-verify.timer"
        )
    else:
        typer.echo(cronjob_yaml(plan), nl=False)
