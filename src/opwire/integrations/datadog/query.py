"""The mock's metric query engine for GET /api/v1/query: `[agg:]metric{scope}[.as_count()]`.

Response shape from the recorded exchange (cassettes/v1_test_query_timeseries_points_…):
one series per query with `pointlist` of `[ms, value]` in buckets of `interval` seconds.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

QUERY = re.compile(
    r"^\s*(?:(?P<agg>sum|avg|min|max):)?(?P<metric>[A-Za-z][\w.]*)\{(?P<scope>[^}]*)\}"
    r"(?P<as>\.as_count\(\)|\.as_rate\(\))?\s*$"
)
# Bucket widths Datadog rolls up to; a range gets at most 300 buckets (1 day -> 300 s, recorded).
INTERVALS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400)
AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "max": max,
    "min": min,
    "avg": lambda v: sum(v) / len(v),
}


class QueryError(ValueError):
    """A query the mock cannot parse."""


def _interval(span: int) -> int:
    return next((i for i in INTERVALS if span / i <= 300), INTERVALS[-1])


def _scope_match(scope: str) -> Any:
    filters = [f.strip() for f in scope.split(",") if f.strip() and f.strip() != "*"]
    return lambda tags: all(any(fnmatch.fnmatchcase(t, f) for t in tags) for f in filters)


def run_query(
    query: str, start: int, end: int, points: Iterable[tuple[str, frozenset[str], float, float]]
) -> dict[str, Any]:
    match = QUERY.match(query)
    if match is None:
        raise QueryError(f"unsupported query {query!r}")
    if end <= start:
        raise QueryError("'to' must be after 'from'")
    interval = _interval(end - start)
    in_scope = _scope_match(match["scope"])
    buckets: dict[int, list[float]] = defaultdict(list)
    for metric, tags, ts, value in points:
        if metric == match["metric"] and start <= ts <= end and in_scope(tags):
            buckets[int(ts - (ts - start) % interval)].append(value)
    counting = match["as"] == ".as_count()"
    aggregate = AGGREGATES["sum" if counting else (match["agg"] or "avg")]
    pointlist = [[b * 1000, float(aggregate(v))] for b, v in sorted(buckets.items())]
    series: list[dict[str, Any]] = []
    if pointlist:
        series.append(
            {
                "metric": match["metric"],
                "display_name": match["metric"],
                "pointlist": pointlist,
                "scope": match["scope"].strip() or "*",
                "expression": query.strip(),
                "interval": interval,
                "length": len(pointlist),
                "start": pointlist[0][0],
                "end": pointlist[-1][0] + interval * 1000 - 1,
                "tag_set": [],
                "unit": [None, None],  # recorded shape: [unit, per_unit], unknown here
                "aggr": match["agg"],
                "attributes": {},
                "query_index": 0,
            }
        )
    return {
        "status": "ok",
        "res_type": "time_series",
        "resp_version": 1,
        "query": query,
        "from_date": start * 1000,
        "to_date": end * 1000,
        "series": series,
        "group_by": [],
        "message": "",
        "times": [],
        "values": [],
    }
