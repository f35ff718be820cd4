"""What a vendor room declares: its variables and where its parts live (DESIGN § 2, "the registry
as data").

Every variable opwire reads for a vendor is a `Var`: its name, whether it is a secret, what it is
needed for (sending, reading back, or routing: an override), the shape its value must have, a
one-line hint that says where to get it, and an example of the right shape. Settings loading, the
redactor, `.env.example`, the README's variable table and the credential linter all read these
declarations, so a fact about a variable lives in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from opwire.config import ConfigError, Lookup, Secret, check_url

SEND, READ_BACK, ROUTING = "send", "read back", "routing"


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

    def problem(self, value: str) -> str | None:
        """What is wrong with `value` (None: nothing), in words that never quote a secret."""
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            shown = "" if self.secret else f", got {value!r}"
            return f"{self.name} must be {self.hint}{shown}"
        if self.url:
            try:
                check_url(self.name, value)
            except ConfigError as exc:
                return str(exc)
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
        found = (lookup.get(v.name) for v in self.variables if v.secret)
        return [Secret(value) for value in found if value]


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
