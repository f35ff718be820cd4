"""What a vendor room declares: its variables and where its parts live (DESIGN § 2, "the registry
as data").

Every variable opwire reads for a vendor is a `Var`: its name, whether it is a secret, what it is
needed for (sending, reading back, or routing: an override), the shape its value must have, a
one-line hint that says where to get it, and an example of the right shape. Settings loading, the
redactor, `.env.example`, the README's variable table and the credential linter all read these
declarations, so a fact about a variable lives in one place.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from opwire.config import ConfigError, Lookup, Secret, check_url

SEND, READ_BACK, ROUTING = "send", "read back", "routing"


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with a value, and the fix, in words that never quote a secret."""

    what: str
    fix: str = ""
    warning: bool = False

    def line(self, name: str) -> str:
        return f"{name} {self.what}" + (f": {self.fix}" if self.fix else "")


# A vendor fact about a value: a common slip it recognises, or advice on a good value.
Check = Callable[[str], Problem | None]


@dataclass(frozen=True, slots=True)
class Var:
    """One variable of a room. `pattern` is matched against the whole value; `url` values are
    checked as http(s) URLs. A secret's value is never shown in any message."""

    name: str
    hint: str
    example: str
    secret: bool = False
    needed_for: frozenset[str] = frozenset({SEND})
    pattern: str | None = None
    url: bool = False
    # The vendor's common slips and advice, checked in order before the pattern: the first
    # error ends the checks, warnings do not.
    checks: tuple[Check, ...] = ()
    # What a value of this variable looks like when pasted into another one (default: the
    # pattern): `creds check` names a swap by it.
    shape: str | None = None
    # Unset: a warning saying what then cannot be checked (else: an error when needed to send,
    # a warning when needed to read back, nothing for a routing override).
    if_missing: str = ""
    default: str = ""  # what applies when unset, as `creds show` says it
    # A fact read from a good value that is safe to show (a DSN's region), or None.
    describe: Callable[[str], str | None] | None = None

    def lint(self, value: str) -> list[Problem]:
        """Every problem of `value`, errors last (the first error ends the list)."""
        found: list[Problem] = []
        for check in (_printable if self.secret else _nothing, *self.checks, self.shape_problem):
            problem = check(value)
            if problem is not None:
                found.append(problem)
                if not problem.warning:
                    break
        return found

    def problem(self, value: str) -> str | None:
        """The first error of `value` as one line (None: none)."""
        error = next((p for p in self.lint(value) if not p.warning), None)
        return None if error is None else error.line(self.name)

    def looks_like(self, value: str) -> bool:
        """Whether `value` has this variable's distinctive shape."""
        shape = self.shape or self.pattern
        return shape is not None and re.fullmatch(shape, value) is not None

    def shape_problem(self, value: str) -> Problem | None:
        """The generic check: the declared pattern, or an http(s) URL."""
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            shown = "" if self.secret else quoted_if_short(value)
            return Problem(f"must be {self.hint}{shown}")
        if self.url:
            try:
                check_url(self.name, value)
            except ConfigError as exc:
                return Problem(str(exc).removeprefix(self.name + " "))
        return None

    def read(self, lookup: Lookup) -> str | None:
        """The checked value, or None when unset; a bad value is a ConfigError naming it."""
        found = lookup.secret(self.name) if self.secret else lookup.get(self.name)
        if found is None:
            return None
        value = found.reveal() if isinstance(found, Secret) else found
        problem = self.problem(value)
        if problem is not None:
            raise ConfigError(problem)
        return value.rstrip("/") if self.url else value

    def secret_of(self, lookup: Lookup) -> Secret | None:
        value = self.read(lookup)
        return None if value is None else Secret(value)

    def require(self, lookup: Lookup, why: str) -> str:
        """The value of a variable the mode needs; unset is an error that says why."""
        value = self.read(lookup)
        if value is None:
            raise ConfigError(f"{self.name} is not set ({why}); it is {self.hint}")
        return value


@dataclass(frozen=True, slots=True)
class Room:
    """A vendor room's declaration: the registry needs nothing else to list, configure, probe,
    clean up, drill or serve it. Paths are `module:attribute`, imported only when used."""

    slug: str
    title: str
    port: int
    variables: tuple[Var, ...]
    probe: str
    rules: str
    mock: str
    drills: str
    # The cheapest authenticated read (`opwire creds show --online`): one or two rungs that
    # say whether the credentials work right now, creating nothing.
    auth: str
    # How a killed run's artifact is finished; None when nothing needs it, and `no_cleanup` says
    # why (the artifact is tagged verify=true, as the seed asks, and harms nobody).
    cleanup: str | None = None
    no_cleanup: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    def var(self, name: str) -> Var:
        return next(v for v in self.variables if v.name == name)

    def secrets(self, lookup: Lookup) -> list[Secret]:
        """The room's secret values as set, for the redactor (unchecked: a bad value must be
        masked in the very message that says it is bad)."""
        names = [n for v in self.variables if v.secret for n in (v.name, v.name + "_PREVIOUS")]
        found = (lookup.get(name) for name in names)
        return [Secret(value) for value in found if value]


SHOWN_MAX = 40  # a longer value in the wrong place may be a credential: it is not quoted


def quoted_if_short(value: str) -> str:
    """`, got 'value'` for a short value of a non-secret variable, else nothing."""
    return f", got {value!r}" if len(value) <= SHOWN_MAX else f" (a {len(value)}-character value)"


def _nothing(value: str) -> Problem | None:
    return None


def _printable(value: str) -> Problem | None:
    """A credential travels in a header or a URL: printable ASCII only."""
    bad = next((n for n, c in enumerate(value, 1) if not " " < c <= "~"), None)
    if bad is None:
        return None
    return Problem(
        f"has a space, control or non-ASCII character at position {bad}",
        "paste it again (a non-breaking space or a smart quote travels with a copy from a page)",
    )


def expect(shape: str, what: str) -> Check:
    """A check for a shape the vendor does not document for certain: a value of another shape
    is a warning (it may still work), never a refusal."""

    def check(value: str) -> Problem | None:
        if re.fullmatch(shape, value):
            return None
        return Problem(f"does not look like {what}", "check it was copied whole", warning=True)

    return check


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_url(value: str) -> bool:
    """A URL at this machine: the mocks, in a rehearsal of real mode."""
    try:
        return is_loopback(urlsplit(value).hostname or "")
    except ValueError:
        return False


def variables_table(rooms: list[Room]) -> str:
    """The README's variable table, made from the declarations (a test keeps them equal):
    `python -m opwire.room` prints it."""
    rows = [
        "| variable | integration | needed for | secret | what it is |",
        "|---|---|---|---|---|",
    ]
    for declared in rooms:
        for var in declared.variables:
            needed = ", ".join(sorted(var.needed_for))
            secret = "yes" if var.secret else ""
            rows.append(f"| `{var.name}` | {declared.title} | {needed} | {secret} | {var.hint} |")
    return "\n".join(rows)


if __name__ == "__main__":
    from opwire.integrations import SLUGS, room

    print(variables_table([room(slug) for slug in SLUGS]))
