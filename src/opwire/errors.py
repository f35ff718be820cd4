"""opwire's own errors: each carries the exit code the command ends with (after click's
`exceptions.py`). A failed check is data, not an exception; these are for the caller's mistakes
(exit 2) and for what stops a command outright."""

from __future__ import annotations


class OpwireError(Exception):
    """Stops a command; the CLI prints one line and exits with `exit_code`."""

    exit_code = 1


class ConfigError(OpwireError):
    """A usage or configuration mistake of the caller: exit code 2, never a traceback."""

    exit_code = 2
