"""Log analytics of the Datadog mock: POST /api/v2/logs/analytics/aggregate (aggregate_logs).

Pages followed: shared/specs/datadog/v2/openapi.yaml (`AggregateLogs`, `LogsAggregateRequest`,
`LogsCompute` with `type` default `total` and `interval` "Defaults to a resolution of 150
points", `LogsAggregationFunction`, `LogsGroupBy` with `limit` default 10 and `missing`,
`LogsAggregateSort`, `LogsAggregateResponse` with `buckets` of `by` and `computes`), the recorded
exchanges in DataDog/datadog-api-client-python tests/v2/cassettes/test_scenarios/
test_aggregate_events_returns_ok_response.yaml and test_aggregate_compute_events_*.yaml (`meta`
with `elapsed`, `request_id`, `status` "done"; no match is `{"buckets": []}`); the query, time
bounds and facets are mock_logs_search.py's.

| fact | value |
|---|---|
| compute names | `c0`, `c1`, … in request order (UNCONFIRMED) |
| no `compute` | one `count` (UNCONFIRMED) |
| no `group_by` | one bucket with `by: {}` when a log matches (UNCONFIRMED) |
| a log without the grouped facet | in the `missing` bucket if named, else left out (UNCONFIRMED) |
| group order | by `sort`; without one, by count, largest first (UNCONFIRMED) |
| `total`, `histogram`, `page` | accepted and not applied (UNCONFIRMED) |
| a measure no log carries | null (UNCONFIRMED) |
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.datadog import mock_search
from opwire.integrations.datadog.mock_base import (
    auth,
    errors,
    finite,
    optional_object,
    state_of,
)
from opwire.integrations.datadog.mock_logs import iso
from opwire.integrations.datadog.mock_logs_search import FACETS, LOGS
from opwire.mock.state import clock_of

Log = dict[str, Any]
# At most 15 digits: any longer names no usable step (and int() refuses past 4,300 digits).
INTERVAL = re.compile(r"^(?P<n>\d{1,15})(?P<unit>ms|s|m|h|d|w)?$", re.ASCII)
UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
MAX_POINTS = 1500  # a finer interval is coarsened (UNCONFIRMED)


def facet(log: Log, name: str) -> Any:
    """A log's value for a facet: a reserved attribute, an `@` attribute path, or a tag key."""
    if name in FACETS:
        return FACETS[name](log)
    if name.startswith("@"):
        found: Any = log["attributes"]
        for part in name[1:].split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return found
    return next((t.partition(":")[2] for t in log["tags"] if t.startswith(f"{name}:")), None)


def _percentile(share: float) -> Callable[[list[float]], float]:
    def pick(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]

    return pick


MEASURES: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "min": min,
    "max": max,
    "avg": lambda v: sum(v) / len(v),
    "median": _percentile(0.5),
    **{f"pc{n}": _percentile(n / 100) for n in (75, 90, 95, 98, 99)},
}


def measure(aggregation: str, metric: Any, logs: list[Log]) -> float | None:
    if aggregation == "count":
        return float(len(logs) if not metric else sum(facet(x, metric) is not None for x in logs))
    values = [facet(x, str(metric)) for x in logs] if metric else []
    if aggregation == "cardinality":
        return float(len({json.dumps(v, sort_keys=True) for v in values if v is not None}))
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return finite(MEASURES[aggregation](numbers)) if numbers else None


# --- the request ------------------------------------------------------------------------------


def _computes(body: dict[str, Any]) -> list[dict[str, Any]]:
    computes = body.get("compute") or [{"aggregation": "count"}]
    if not isinstance(computes, list) or not all(isinstance(c, dict) for c in computes):
        raise mock_search.SearchError("compute is an array of objects")
    for compute in computes:
        aggregation = compute.get("aggregation")
        if aggregation not in ("count", "cardinality", *MEASURES):
            raise mock_search.SearchError(f"Invalid aggregation: {aggregation!r}")
        if compute.get("type", "total") not in ("total", "timeseries"):
            raise mock_search.SearchError(f"Invalid compute type: {compute.get('type')!r}")
        if not isinstance(compute.get("metric", ""), str):
            raise mock_search.SearchError("compute.metric is a string")
    return computes


def _group_bys(body: dict[str, Any]) -> list[dict[str, Any]]:
    group_by = body.get("group_by") or []
    valid = isinstance(group_by, list) and all(
        isinstance(g, dict) and isinstance(g.get("facet"), str) for g in group_by
    )
    if not valid:
        raise mock_search.SearchError("group_by is an array of objects, each with a facet")
    for rule in group_by:
        # `LogsAggregateSort`: an object whose `metric` is a string (v2 spec).
        sort = {} if rule.get("sort") is None else rule["sort"]
        if not isinstance(sort, dict) or not isinstance(sort.get("metric", ""), str):
            raise mock_search.SearchError("group_by.sort is an object and its metric a string")
    return group_by


def _interval_ms(compute: dict[str, Any], span_ms: int) -> int:
    wanted = str(compute.get("interval", ""))
    match = INTERVAL.match(wanted)
    step = int(match["n"]) * UNIT_MS[match["unit"] or "ms"] if match else span_ms // 150
    return max(step, span_ms // MAX_POINTS, 1)


# --- buckets ----------------------------------------------------------------------------------


def _buckets(
    logs: list[Log], group_by: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], list[Log]]]:
    buckets: dict[str, tuple[dict[str, Any], list[Log]]] = {}
    for log in logs:
        by: dict[str, Any] = {}
        for rule in group_by:
            value = facet(log, rule["facet"])
            if value is None and "missing" not in rule:
                break
            by[rule["facet"]] = rule["missing"] if value is None else value
        else:
            key = json.dumps(by, sort_keys=True, default=str)
            buckets.setdefault(key, (by, []))[1].append(log)
    return list(buckets.values())


def _ordered(buckets: Any, group_by: list[dict[str, Any]]) -> Any:
    for rule in reversed(group_by):
        sort = rule.get("sort") if isinstance(rule.get("sort"), dict) else None
        descending = (sort or {}).get("order", "desc" if sort is None else "asc") == "desc"
        if sort is not None and sort.get("type", "alphabetical") == "alphabetical":
            buckets.sort(key=lambda b: str(b[0][rule["facet"]]), reverse=descending)
        else:
            how = str((sort or {}).get("aggregation", "count"))
            how = how if how in ("count", "cardinality", *MEASURES) else "count"
            metric = (sort or {}).get("metric")

            def value(bucket: Any, how: str = how, metric: Any = metric) -> float:
                found = measure(how, metric, bucket[1])
                return -math.inf if found is None else found

            buckets.sort(key=value, reverse=descending)
        limit = rule.get("limit", 10)
        if isinstance(limit, int) and not isinstance(limit, bool):
            buckets = buckets[: max(limit, 0)]
    return buckets


def _series(compute: dict[str, Any], logs: list[Log], page: mock_search.Page) -> Any:
    step = _interval_ms(compute, page.end_ms - page.start_ms)
    slots: dict[int, list[Log]] = {}
    for log in logs:
        slots.setdefault(log["ts_ms"] // step * step, []).append(log)
    aggregation, metric = compute["aggregation"], compute.get("metric")
    return [
        {"time": iso(stamp), "value": measure(aggregation, metric, slot)}
        for stamp, slot in sorted(slots.items())
    ]


def aggregate(logs: list[Log], body: dict[str, Any], page: mock_search.Page) -> list[Any]:
    computes, group_by = _computes(body), _group_bys(body)
    answer = []
    for by, members in _ordered(_buckets(logs, group_by), group_by):
        values = {}
        for n, compute in enumerate(computes):
            if compute.get("type", "total") == "timeseries":
                values[f"c{n}"] = _series(compute, members, page)
            else:
                values[f"c{n}"] = measure(compute["aggregation"], compute.get("metric"), members)
        answer.append({"by": by, "computes": values})
    return answer


async def aggregate_logs(request: Request) -> Response:
    """POST /api/v2/logs/analytics/aggregate: a `LogsAggregateResponse`."""
    if denied := auth(request, read=True):
        return denied
    body = await optional_object(request)
    if isinstance(body, Response):
        return body
    filters = body.get("filter") or {}
    try:
        if not isinstance(filters, dict):
            raise mock_search.SearchError("filter is an object")
        page = mock_search.page_of(
            filters.get("query", "*"),
            (filters.get("from", "now-15m"), filters.get("to", "now")),
            "timestamp",
            None,
            mock_search.MAX_LIMIT,
            clock_of(request).now(),
        )
        match = mock_search.matcher(page.query, LOGS)
        logs = [
            log
            for log in state_of(request).logs
            if page.start_ms <= log["ts_ms"] <= page.end_ms and match(log)
        ]
        buckets = aggregate(logs, body, page)
    except mock_search.SearchError as exc:
        return errors(400, str(exc))
    meta = {"elapsed": 1, "request_id": uuid.uuid4().hex, "status": "done"}
    return JSONResponse({"meta": meta, "data": {"buckets": buckets}})
