"""The mock's metric query engine for GET /api/v1/query.

Grammar: `[space_agg:]metric{scope}[ by {tag,...}][.as_count()|.as_rate()][.rollup(m[, s])]`.
Pages followed: docs.datadoghq.com/metrics/#time-and-space-aggregation (each source series is
rolled up in time first, then the series of one group are combined in space),
docs.datadoghq.com/dashboards/functions/rollup (`.rollup(avg|sum|min|max|count[, seconds])`; a
rollup finer than the range allows is coarsened), the recorded exchange
(cassettes/v1_test_query_timeseries_points_…: buckets aligned on the epoch, `[ms, value]`
points, `end` the last second of the last bucket, `aggr` null without a space aggregator).
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from typing import Any

QUERY = re.compile(
    r"^\s*(?:(?P<agg>sum|avg|min|max):)?(?P<metric>[A-Za-z][\w.]*)\{(?P<scope>[^}]*)\}"
    r"(?:\s*by\s*\{(?P<by>[^}]*)\})?(?P<functions>(?:\.\w+\([^()]*\))*)\s*$"
)
FUNCTION = re.compile(r"\.(\w+)\(([^()]*)\)")
# Bucket widths Datadog rolls up to; a range gets at most 300 buckets (1 day -> 300 s, recorded).
# Seconds past any date (2**53 ms): such a bound is refused. Datadog's own limit: UNCONFIRMED.
MAX_S = 2**53 // 1000
INTERVALS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400)
AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "max": max,
    "min": min,
    "avg": lambda v: sum(v) / len(v),
    "count": len,
}
# A point without the grouped tag falls in this group. UNCONFIRMED (the UI shows "N/A").
NO_VALUE = "N/A"

Points = Iterable[tuple[str, frozenset[str], float, float]]


class QueryError(ValueError):
    """A query the mock cannot parse."""


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    metric: str
    space: str | None  # the space aggregator, None when the query names none
    scope: tuple[str, ...]  # the tag filters, `*` left out
    by: tuple[str, ...]
    rollup: str | None  # the time aggregator the query names, if any
    counting: bool  # .as_count() or .as_rate(): counts are summed in time
    interval: int  # the rollup's seconds, 0 for the range's own
    rate: bool
    functions: str  # the query's function suffix, as written


def _interval(span: int) -> int:
    return next((i for i in INTERVALS if span / i <= 300), INTERVALS[-1])


def _functions(text: str) -> tuple[str | None, str | None, int]:
    """(as_count/as_rate, rollup method, rollup seconds) of the function suffix."""
    modifier, method, seconds = None, None, 0
    for name, raw in FUNCTION.findall(text):
        args = [a.strip() for a in raw.split(",") if a.strip()]
        if name in ("as_count", "as_rate") and not args:
            modifier = name
        elif name == "rollup" and 1 <= len(args) <= 2 and args[0] in AGGREGATES:
            method = args[0]
            if len(args) == 2:
                if not args[1].isdigit() or int(args[1]) < 1:
                    raise QueryError(f"rollup interval must be a positive integer: {args[1]!r}")
                seconds = int(args[1])
        else:
            raise QueryError(f"unsupported function {name}({raw})")
    return modifier, method, seconds


def parse(text: str) -> Query:
    match = QUERY.match(text)
    if match is None:
        raise QueryError(f"unsupported query {text!r}")
    modifier, method, seconds = _functions(match["functions"])
    counting = modifier is not None
    return Query(
        text=text.strip(),
        metric=match["metric"],
        space=match["agg"],
        scope=tuple(f for f in (s.strip() for s in match["scope"].split(",")) if f and f != "*"),
        by=tuple(t for t in (s.strip() for s in (match["by"] or "").split(",")) if t),
        rollup=method,
        counting=counting,
        interval=seconds,
        rate=modifier == "as_rate",
        functions=match["functions"],
    )


def _in_scope(query: Query, tags: frozenset[str]) -> bool:
    return all(any(fnmatch.fnmatchcase(t, f) for t in tags) for f in query.scope)


def _group(query: Query, tags: frozenset[str]) -> tuple[str, ...]:
    def value(name: str) -> str:
        found = sorted(t for t in tags if t.startswith(f"{name}:"))
        return found[0] if found else f"{name}:{NO_VALUE}"

    return tuple(value(name) for name in query.by)


Buckets = dict[int, dict[frozenset[str], list[float]]]


def _buckets(query: Query, points: Points, start: int, end: int, interval: int) -> Any:
    """group -> bucket start -> source series (tag set) -> values."""
    groups: dict[tuple[str, ...], Buckets] = defaultdict(lambda: defaultdict(dict))
    for metric, tags, ts, value in points:
        if metric == query.metric and start <= ts <= end and _in_scope(query, tags):
            bucket = int(ts // interval * interval)
            groups[_group(query, tags)][bucket].setdefault(tags, []).append(value)
    return groups


def _time_aggregate(query: Query, distribution: bool) -> str:
    """A distribution's values are one population (docs.datadoghq.com/metrics/distributions):
    the space aggregator applies to them in time too; other metrics roll up by avg, counts by
    sum, unless the query names its rollup."""
    if query.rollup:
        return query.rollup
    if query.counting:
        return "sum"
    return (query.space or "avg") if distribution else "avg"


def _pointlist(
    query: Query, buckets: Buckets, interval: int, distribution: bool
) -> list[list[float]]:
    time_agg = AGGREGATES[_time_aggregate(query, distribution)]
    space_agg = AGGREGATES[query.space or "avg"]
    pointlist = []
    for bucket, sources in sorted(buckets.items()):
        value = float(space_agg([time_agg(v) for v in sources.values()]))
        pointlist.append([bucket * 1000, value / interval if query.rate else value])
    return pointlist


def _series(query: Query, group: tuple[str, ...], points: list[list[float]], interval: int) -> Any:
    scope = ",".join((*query.scope, *group)) or "*"
    prefix = f"{query.space}:" if query.space else ""
    return {
        "metric": query.metric,
        "display_name": query.metric,
        "pointlist": points,
        "scope": scope,
        "expression": f"{prefix}{query.metric}{{{scope}}}{query.functions}",
        "interval": interval,
        "length": len(points),
        "start": int(points[0][0]),
        "end": int(points[-1][0]) + interval * 1000 - 1000,
        "tag_set": list(group),
        "unit": [None, None],  # recorded shape: [unit, per_unit], unknown here
        "aggr": query.space,
        "attributes": {},
        "query_index": 0,
    }


def run_query(
    text: str, start: int, end: int, points: Points, distributions: Container[str] = ()
) -> dict[str, Any]:
    """The answer to `text` over `start`..`end` (seconds); `distributions` names the metrics
    submitted as distributions."""
    query = parse(text)
    distribution = query.metric in distributions
    if end <= start:
        raise QueryError("'to' must be after 'from'")
    if start <= -MAX_S or end >= MAX_S:
        raise QueryError("'from' and 'to' must be seconds within any date")
    interval = max(_interval(end - start), query.interval)
    groups = _buckets(query, points, start, end, interval)
    series = [
        _series(query, group, _pointlist(query, groups[group], interval, distribution), interval)
        for group in sorted(groups)
    ]
    return {
        "status": "ok",
        "res_type": "time_series",
        "resp_version": 1,
        "query": text,
        "from_date": start * 1000,
        "to_date": end * 1000,
        "series": series,
        "group_by": list(query.by),
        "message": "",
        "times": [],
        "values": [],
    }
