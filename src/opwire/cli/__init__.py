"""The `opwire` command: parses argv, calls the library, renders, and picks the exit code.

No logic lives here. Vendor rooms and server code are imported only by the commands that use them.
One module per command group; errors carry their own exit code (ConfigError: 2).
"""

from __future__ import annotations

from opwire.cli import (
    chain,
    cleanup,
    creds,
    day1,
    drill,
    history,
    incident,
    mock,
    ops,
    records,
    rotate,
    schedule,
    verify,
)
from opwire.cli.app import app

__all__ = [
    "app",
    "chain",
    "cleanup",
    "creds",
    "day1",
    "drill",
    "history",
    "incident",
    "main",
    "mock",
    "ops",
    "records",
    "rotate",
    "schedule",
    "verify",
]


def main() -> None:
    app()
