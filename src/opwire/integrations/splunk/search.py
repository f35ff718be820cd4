"""The mock's small SPL: `search <terms> [| stats count [AS n] [BY f, ...]] [| head N]`.

Pages followed: help.splunk.com Search Reference "search" (terms, field=value, quoted phrases,
`*` wildcards, NOT / !=, terms and values matched case-insensitively, field names
case-sensitively, AND implied), "stats" (count, AS, BY; rows sorted by the BY values; an event
without a BY field is left out; a multivalue field counts once per value), "head" (N, default
10), "Time modifiers" (earliest/latest inline, which override the job's earliest_time /
latest_time; -15m, -1h@h, @d, now, epoch seconds, %m/%d/%Y:%H:%M:%S).
Events come newest first, as a Splunk search returns them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shlex
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]  # a result: field -> str, or a list of str for a multivalue field
UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "week", "weeks"), 7 * 86400),
    **dict.fromkeys(("mon", "month", "months"), 30 * 86400),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365 * 86400),
}
RELATIVE = re.compile(r"(?:([+-])(\d*)([a-z]+))?(?:@([a-z]+))?")
TIME_FORMAT = "%m/%d/%Y:%H:%M:%S"  # Splunk's default `timeformat`
# A search with no index= term searches the role's default indexes. UNCONFIRMED for any given
# deployment (srchIndexesDefault): an admin's is `main`, and so is the mock's.
DEFAULT_INDEXES = ("main",)
HEAD_DEFAULT = 10
TIME_RANGE = 253402300800  # epoch seconds of the year 10000: past it no date can be written
STATS = re.compile(r"stats\s+count(?:\s+as\s+(\w+))?(?:\s+by\s+(.+))?", re.IGNORECASE)
HEAD = re.compile(r"head(?:\s+(?:limit=)?(\d+))?", re.IGNORECASE)
WORD = r"[A-Za-z0-9_]"


class SearchError(ValueError):
    """A search Splunk (or the mock) cannot run; the text is Splunk's message where known."""


@dataclass(frozen=True, slots=True)
class Term:
    """A bare word or phrase (`key` None, matched in _raw) or a field=value test."""

    key: str | None
    pattern: re.Pattern[str]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Stats:
    alias: str = "count"
    by: tuple[str, ...] = ()


@dataclass(slots=True)
class Search:
    terms: list[Term] = field(default_factory=list)
    earliest: float = -math.inf
    latest: float = math.inf
    stages: list[Stats | int] = field(default_factory=list)  # stats, or head's N

    @property
    def transforming(self) -> bool:
        return any(isinstance(stage, Stats) for stage in self.stages)

    def in_window(self, when: float) -> bool:
        return self.earliest <= when <= self.latest


def _snap(when: float, unit: str) -> float:
    moment = dt.datetime.fromtimestamp(when, dt.UTC)
    if unit in ("w", "week", "weeks"):  # @w snaps to Sunday, 00:00
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return (day - dt.timedelta(days=(day.weekday() + 1) % 7)).timestamp()
    if unit in ("mon", "month", "months"):
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    if unit in ("y", "yr", "yrs", "year", "years"):
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    return math.floor(when / UNITS[unit]) * UNITS[unit]


def when(value: str, now: float) -> float:
    """A time modifier as epoch seconds: now, epoch, -15m, -1h@h, @d, %m/%d/%Y:%H:%M:%S."""
    moment = _when(value, now)
    if not (math.isfinite(moment) and abs(moment) < TIME_RANGE):
        raise SearchError(f"Invalid time modifier {value!r}")
    return moment


def _when(value: str, now: float) -> float:
    text = value.strip().lower()
    if text == "now" or text == "":
        return now
    try:
        return float(text)
    except ValueError:
        pass
    found = RELATIVE.fullmatch(text)
    if found and text and _units_known(found):
        sign, amount, unit, snap = found.groups()
        moment = now
        if unit:
            moment += (-1 if sign == "-" else 1) * int(amount or 1) * UNITS[unit]
        if snap and not 0 <= moment < TIME_RANGE:
            raise SearchError(f"Invalid time modifier {value!r}")
        return _snap(moment, snap) if snap else moment
    try:
        return dt.datetime.strptime(value.strip(), TIME_FORMAT).replace(tzinfo=dt.UTC).timestamp()
    except ValueError:
        raise SearchError(f"Invalid time modifier {value!r}") from None


def _units_known(found: re.Match[str]) -> bool:
    return all(unit is None or unit in UNITS for unit in (found.group(3), found.group(4)))


def _wildcard(text: str, *, whole: bool) -> re.Pattern[str]:
    if whole:
        return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.I | re.S)
    body = r"\S*".join(re.escape(part) for part in text.split("*"))
    starts, ends = text[:1] not in ("*", ""), text[-1:] not in ("*", "")
    return re.compile(
        (f"(?<!{WORD})" if starts else "") + body + (f"(?!{WORD})" if ends else ""), re.I
    )


def _term(token: str, negated: bool) -> Term:
    key, sep, value = token.partition("!=")
    if sep and key and re.fullmatch(r"[\w.{}:-]+", key):
        return Term(key, _wildcard(value, whole=True), not negated)
    key, sep, value = token.partition("=")
    if sep and key and re.fullmatch(r"[\w.{}:-]+", key):
        return Term(key, _wildcard(value, whole=True), negated)
    return Term(None, _wildcard(token, whole=False), negated)


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise SearchError(f"Error in 'search' command: {exc}") from None


def _main(text: str, search: Search, now: float) -> None:
    tokens = _tokens(text)
    if not tokens or tokens[0].lower() != "search":
        first = tokens[0] if tokens else ""
        raise SearchError(f"Unknown search command '{first}'.")
    negated = False
    for token in tokens[1:]:
        key = token.partition("=")[0].lower()
        if token in ("AND",):
            continue
        if token == "NOT":
            negated = not negated
            continue
        if token == "OR" or token.startswith("(") or token.endswith(")"):
            raise SearchError("the mock's search takes no OR and no parentheses")
        if key in ("earliest", "latest") and "=" in token and not negated:
            setattr(search, key, when(token.partition("=")[2], now))
        else:
            search.terms.append(_term(token, negated))
        negated = False


def _stage(text: str) -> Stats | int:
    if found := STATS.fullmatch(text):
        by = tuple(f for f in re.split(r"[,\s]+", found.group(2) or "") if f)
        return Stats(found.group(1) or "count", by)
    if found := HEAD.fullmatch(text):
        return int(found.group(1) or HEAD_DEFAULT)
    name = text.split(maxsplit=1)[0] if text.split() else ""
    raise SearchError(f"the mock's search runs only `stats count [by …]` and `head`, not {name!r}")


def parse(text: str, now: float, earliest: str | None = None, latest: str | None = None) -> Search:
    """`text` as a search job takes it (starting with the `search` command); `earliest` and
    `latest` are the job's earliest_time / latest_time, which inline modifiers override."""
    if not text.strip():
        raise SearchError("Empty search.")
    main, *pipes = text.split("|")
    search = Search()
    if earliest:
        search.earliest = when(earliest, now)
    if latest:
        search.latest = when(latest, now)
    _main(main, search, now)
    search.stages = [_stage(p.strip()) for p in pipes]
    return search


def _values(row: Row, key: str) -> list[str]:
    value = row.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _holds(term: Term, row: Row) -> bool:
    if term.key is None:
        return term.pattern.search(str(row.get("_raw", ""))) is not None
    return any(term.pattern.fullmatch(v) for v in _values(row, term.key))


def matches(search: Search, row: Row) -> bool:
    named = any(t.key == "index" and not t.negated for t in search.terms)
    if not named and row.get("index") not in DEFAULT_INDEXES:
        return False
    return all(_holds(term, row) != term.negated for term in search.terms)


def _groups(row: Row, by: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for key in by:
        combos = [(*c, v) for c in combos for v in dict.fromkeys(_values(row, key))]
    yield from combos


def _order(values: tuple[str, ...]) -> tuple[tuple[int, float, str], ...]:
    def one(value: str) -> tuple[int, float, str]:
        try:
            return (0, float(value), value)
        except ValueError:
            return (1, 0.0, value)

    return tuple(one(v) for v in values)


def _stats(rows: list[Row], stats: Stats) -> list[Row]:
    if not stats.by:
        return [{stats.alias: str(len(rows))}]
    counts: Counter[tuple[str, ...]] = Counter()
    for row in rows:
        counts.update(_groups(row, stats.by))
    return [
        {**dict(zip(stats.by, key, strict=True)), stats.alias: str(counts[key])}
        for key in sorted(counts, key=_order)
    ]


def run(search: Search, events: Iterable[tuple[float, Row]]) -> tuple[list[Row], int]:
    """The search's results over (time, row) pairs: the matching rows newest first, then each
    `| stats` or `| head` in turn; and how many events matched."""
    found = [(t, row) for t, row in events if search.in_window(t) and matches(search, row)]
    # Newest first; of events with one time, the last indexed first.
    rows = [row for _, row in sorted(reversed(found), key=lambda pair: -pair[0])]
    for stage in search.stages:
        rows = _stats(rows, stage) if isinstance(stage, Stats) else rows[:stage]
    return rows, len(found)
