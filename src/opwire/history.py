"""The run history (`state/runs.jsonl`) read back: which runs, and per integration its trail.

Each line is an `opwire.run/1` record that verify, drill or chain appended. A line that is not
one (hand-edited, cut short by a full disk) is skipped field by field: what can be read counts.
Mock and real runs of one integration are kept apart: a PASS against a mock never stands in
for one against the vendor. Never prints; `opwire history` renders it.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opwire.config import ConfigError

SCHEMA_ID = "opwire.history/1"
# One letter a run: newest last. BLOCKED is B, UNCONFIRMED U; anything else is ?.
LETTERS = {"PASS": "P", "FAIL": "F", "UNCONFIRMED": "U", "BLOCKED": "B"}
TRAIL_LENGTH = 20
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_SINCE_S = 100 * 365 * 86400  # further back than any run history (and than a datetime holds)
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(raw: str, label: str = "--since") -> timedelta:
    """`90m`, `24h`, `7d` (also `s`, `w`) -> a timedelta; anything else names `label`."""
    matched = DURATION.match(raw.lower())
    seconds = float(matched.group(1)) * UNITS[matched.group(2)] if matched else 0.0
    if not 0 < seconds <= MAX_SINCE_S:
        raise ConfigError(
            f"{label} {raw!r} is not a duration: give a number and a unit, like 90m, 24h or 7d "
            "(units s, m, h, d, w; at most 100 years)"
        )
    return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class Item:
    """One integration in one run, as the run record has it."""

    slug: str
    mode: str  # "real" | "mock"
    status: str
    code: str | None
    elapsed_s: float | None


@dataclass(frozen=True, slots=True)
class Run:
    record: Mapping[str, Any]  # the line as it was, for --json and the incident's copy
    command: str
    run_id: str
    started_at: datetime | None
    elapsed_s: float | None
    mode: str
    overall: str
    exit_code: int | None
    items: tuple[Item, ...]

    def item(self, slug: str) -> Item | None:
        return next((i for i in self.items if i.slug == slug), None)


def parse_time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def _item(raw: Any) -> Item | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("slug"), str):
        return None
    code = raw.get("code")
    return Item(
        raw["slug"],
        "real" if raw.get("mode") == "real" else "mock",
        _text(raw.get("status"), "?"),
        code if isinstance(code, str) else None,
        _number(raw.get("elapsed_s")),
    )


def parse_run(record: Mapping[str, Any]) -> Run:
    raw_items = record.get("integrations")
    items = [_item(i) for i in raw_items] if isinstance(raw_items, list) else []
    exit_code = record.get("exit_code")
    return Run(
        record,
        _text(record.get("command"), "verify"),
        _text(record.get("run_id"), "?"),
        parse_time(record.get("started_at")),
        _number(record.get("elapsed_s")),
        _text(record.get("mode"), "?"),
        _text(record.get("overall"), "?"),
        exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool) else None,
        tuple(i for i in items if i is not None),
    )


def select(
    records: Iterable[Mapping[str, Any]],
    *,
    slug: str | None = None,
    since: timedelta | None = None,
    now: datetime,
) -> list[Run]:
    """The runs, oldest first, that include `slug` (all when None) and started within `since`
    of `now` (a run whose time cannot be read is kept only when no window is asked)."""
    runs = [parse_run(r) for r in records]
    if slug is not None:
        runs = [r for r in runs if r.item(slug) is not None]
    if since is not None:
        start = now - since
        runs = [r for r in runs if r.started_at is not None and r.started_at >= start]
    return runs


@dataclass(slots=True)
class Trail:
    """One integration against one target (real or mock) over the selected runs."""

    slug: str
    mode: str
    statuses: list[str] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)
    last_run_id: str = ""
    last_at: datetime | None = None

    @property
    def letters(self) -> str:
        return "".join(LETTERS.get(s, "?") for s in self.statuses[-TRAIL_LENGTH:])

    @property
    def last_status(self) -> str:
        return self.statuses[-1] if self.statuses else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "mode": self.mode,
            "trail": self.letters,
            "runs": len(self.statuses),
            "passes": self.statuses.count("PASS"),
            "fails": self.statuses.count("FAIL"),
            "last_status": self.last_status,
            "last_elapsed_s": self.elapsed[-1] if self.elapsed else None,
            "median_elapsed_s": round(statistics.median(self.elapsed), 3) if self.elapsed else None,
            "codes": dict(self.codes),
            "last_run_id": self.last_run_id,
            "last_at": self.last_at.isoformat() if self.last_at else None,
        }


def trails(runs: Sequence[Run], slug: str | None = None) -> list[Trail]:
    """Per integration and target, in the registry's order, real before mock."""
    from opwire.integrations import SLUGS

    found: dict[tuple[str, str], Trail] = {}
    for run in runs:
        for item in run.items:
            if slug is not None and item.slug != slug:
                continue
            trail = found.setdefault((item.slug, item.mode), Trail(item.slug, item.mode))
            trail.statuses.append(item.status)
            if item.elapsed_s is not None:
                trail.elapsed.append(item.elapsed_s)
            if item.code:
                trail.codes[item.code] = trail.codes.get(item.code, 0) + 1
            trail.last_run_id, trail.last_at = run.run_id, run.started_at
    order = {s: n for n, s in enumerate(SLUGS)}
    return sorted(
        found.values(), key=lambda t: (order.get(t.slug, len(order)), t.slug, t.mode != "real")
    )


def run_summary(run: Run) -> str:
    """`5 PASS; slack FAIL slack.webhook_revoked`: the counts, and each run that did not PASS."""
    counts: dict[str, int] = {}
    for item in run.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    parts = [", ".join(f"{n} {s}" for s, n in counts.items())] if counts else ["no integrations"]
    for item in run.items:
        if item.status != "PASS":
            parts.append(f"{item.slug} {item.status}" + (f" {item.code}" if item.code else ""))
    return "; ".join(parts)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "(unknown time)"


def _seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else "—"


def render(runs: Sequence[Run], found: Sequence[Trail], since: str | None) -> list[str]:
    """The human table: one row per run, then each integration's trail."""
    window = f" in the last {since}" if since else ""
    if not runs:
        return [f"no runs{window} in the run history"]
    lines = [
        f"{len(runs)} run{'s' if len(runs) != 1 else ''}{window} (UTC, oldest first)",
        f"{'started':<20} {'command':<8} {'run id':<28} {'mode':<10} {'overall':<8} "
        f"{'exit':>4} {'time':>9}  integrations",
    ]
    for run in runs:
        exit_code = "?" if run.exit_code is None else str(run.exit_code)
        lines.append(
            f"{_when(run.started_at):<20} {run.command:<8} {run.run_id:<28} {run.mode:<10} "
            f"{run.overall:<8} {exit_code:>4} {_seconds(run.elapsed_s):>9}  {run_summary(run)}"
        )
    lines += [
        "",
        f"{'integration':<12}{'target':<8}{'trail':<{TRAIL_LENGTH + 2}}{'last':>9} "
        f"{'median':>9}  codes",
    ]
    for trail in found:
        data = trail.to_json()
        codes = ", ".join(f"{c} ×{n}" if n > 1 else c for c, n in trail.codes.items())
        lines.append(
            f"{trail.slug:<12}{trail.mode:<8}{trail.letters:<{TRAIL_LENGTH + 2}}"
            f"{_seconds(data['last_elapsed_s']):>9} {_seconds(data['median_elapsed_s']):>9}  "
            f"{codes}"
        )
    lines += ["", "trail: P PASS, F FAIL, U UNCONFIRMED, B BLOCKED; newest last"]
    return lines


def to_json(runs: Sequence[Run], found: Sequence[Trail], since: str | None) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "since": since,
        "runs": [dict(r.record) for r in runs],
        "integrations": [t.to_json() for t in found],
    }
