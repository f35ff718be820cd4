"""`opwire creds check`: every declared variable of each room, present or missing, its value's
shape, a value in the wrong variable, and the `.env.local` hygiene; offline, nothing is sent.

The seed's credential matrix (§ 2) is the rooms' variable declarations (opwire.room.Var): this
module only walks them. No message quotes a secret: problems are written from the declaration,
and the CLI redacts every known secret once more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opwire.config import Lookup
from opwire.integrations import SLUGS, room
from opwire.room import READ_BACK, ROUTING, SEND, Problem, Room, Var

SCHEMA = "opwire.creds-check/1"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem of one variable (or of a file: `variable` is then the file)."""

    variable: str
    what: str
    fix: str
    warning: bool = False

    @property
    def level(self) -> str:
        return "warning" if self.warning else "error"

    def line(self) -> str:
        return f"{self.level}: {self.variable} {self.what}" + (f" — {self.fix}" if self.fix else "")

    def to_json(self) -> dict[str, Any]:
        return {"variable": self.variable, "level": self.level, "what": self.what, "fix": self.fix}


@dataclass(frozen=True, slots=True)
class VarState:
    name: str
    needed_for: tuple[str, ...]
    secret: bool
    source: str | None  # None: not set
    findings: tuple[Finding, ...]
    about: str = ""  # a safe fact read from the value (a DSN's region)

    @property
    def status(self) -> str:
        if any(not f.warning for f in self.findings):
            return "missing" if self.source is None else "error"
        if self.source is None:
            return "unset"
        return "warning" if self.findings else "ok"


@dataclass(frozen=True, slots=True)
class Report:
    slug: str
    title: str
    variables: tuple[VarState, ...]

    @property
    def findings(self) -> list[Finding]:
        return [f for v in self.variables for f in v.findings]


@dataclass(frozen=True, slots=True)
class CredsCheck:
    reports: tuple[Report, ...]
    files: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def findings(self) -> list[Finding]:
        return [*(f for r in self.reports for f in r.findings), *self.files]

    @property
    def exit_code(self) -> int:
        return 1 if any(not f.warning for f in self.findings) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "ok": self.exit_code == 0,
            "integrations": [
                {
                    "slug": r.slug,
                    "variables": [
                        {
                            "name": v.name,
                            "needed_for": list(v.needed_for),
                            "secret": v.secret,
                            "set": v.source is not None,
                            "source": v.source,
                            "status": v.status,
                            "about": v.about or None,
                        }
                        for v in r.variables
                    ],
                    "problems": [f.to_json() for f in r.findings],
                }
                for r in self.reports
            ],
            "files": [f.to_json() for f in self.files],
        }


def check(lookup: Lookup, slugs: Sequence[str]) -> list[Report]:
    """The report of each named integration, offline."""
    every = [var for slug in SLUGS for var in room(slug).variables]
    return [_report(room(slug), lookup, every) for slug in slugs]


def _report(declared: Room, lookup: Lookup, every: list[Var]) -> Report:
    states = []
    for var in declared.variables:
        raw = lookup.raw(var.name)
        if raw is None and ROUTING in var.needed_for:
            continue  # an override left unset is the usual case, not news
        findings = _missing(var) if raw is None else _findings(var, raw, declared, every)
        source = lookup.source(var.name)
        about = (var.describe(raw.strip()) or "") if raw is not None and var.describe else ""
        states.append(
            VarState(var.name, tuple(sorted(var.needed_for)), var.secret, source, findings, about)
        )
    return Report(declared.slug, declared.title, tuple(states))


def _missing(var: Var) -> tuple[Finding, ...]:
    if var.if_missing:
        return (Finding(var.name, var.if_missing, "", warning=True),)
    if SEND in var.needed_for:
        return (Finding(var.name, "is not set (needed to send)", f"set it to {var.hint}"),)
    if READ_BACK in var.needed_for:
        what = "is not set: the read-back is skipped, so verify can only HOLD"
        return (Finding(var.name, what, f"set it to {var.hint}", warning=True),)
    return ()


def _findings(var: Var, raw: str, declared: Room, every: list[Var]) -> tuple[Finding, ...]:
    value = raw.strip()
    problems = var.lint(value)
    if any(not p.warning for p in problems):
        swap = _swapped_with(var, value, declared, every)
        if swap is not None:
            problems = [swap]
    elif not var.secret and (holder := credential_shape(value, declared, every)) is not None:
        # The other half of a swap: a credential in a variable whose values are shown.
        problems = [
            Problem(
                f"has the shape of {holder.name} (the value is not shown)",
                f"are {var.name} and {holder.name} swapped? each goes in its own variable",
            )
        ]
    if raw != value and var.secret:
        problems.append(
            Problem("has spaces around it", "opwire trims them, other tools may not", True)
        )
    return tuple(Finding(var.name, p.what, p.fix, p.warning) for p in problems)


# A shorter value that fits a loose credential shape (a 20-character PagerDuty REST token) is
# as likely a team or channel name: only a value this long is taken for a pasted credential.
CREDENTIAL_MIN = 24


def credential_shape(value: str, declared: Room | None, every: list[Var]) -> Var | None:
    """The secret variable whose shape `value` has (its own room's first), or None."""
    if len(value) < CREDENTIAL_MIN:
        return None
    own = [v for v in declared.variables if v.secret] if declared else []
    return next((v for v in [*own, *every] if v.secret and v.looks_like(value)), None)


def _swapped_with(var: Var, value: str, declared: Room, every: list[Var]) -> Problem | None:
    """A value with the shape of another variable of the same room, named; of another room's
    only when the value failed no more than the generic shape check (a specific slip, like an
    upper-cased key, says more than "it looks like some other vendor's key")."""
    others = [o for o in declared.variables if o.name != var.name and o.looks_like(value)]
    first = next((p for p in var.lint(value) if not p.warning), None)
    if not others and first is not None and first == var.shape_problem(value):
        others = [o for o in every if o.name != var.name and o.looks_like(value)]
    if not others:
        return None
    names = " or ".join(o.name for o in others)
    return Problem(
        f"has the shape of {names} (the value is not shown)",
        f"are {var.name} and {others[0].name} swapped? each goes in its own variable",
    )


def render(result: CredsCheck) -> list[str]:
    """The human report: a block per integration, a line per variable and per problem."""
    lines: list[str] = []
    for report in result.reports:
        lines.append(report.title)
        for var in report.variables:
            where = f", from {var.source}" if var.source else ""
            where += f"; {var.about}" if var.about else ""
            needed = ", ".join(var.needed_for)
            lines.append(f"  {var.status:<8} {var.name}  ({needed}{where})")
            lines.extend(f"           {finding.line()}" for finding in var.findings)
    if result.files:
        lines.append("Files")
        lines.extend(f"  {finding.line()}" for finding in result.files)
    errors = sum(not f.warning for f in result.findings)
    warnings = len(result.findings) - errors
    verdict = "credentials look right" if errors == 0 else "fix the errors above"
    lines.append(f"creds check: {errors} error(s), {warnings} warning(s): {verdict}")
    return lines
