"""Formula queries of the Datadog mock: POST /api/v2/query/timeseries and /api/v2/query/scalar.

Pages followed: shared/specs/datadog/v2/openapi.yaml (`QueryTimeseriesData`, `QueryScalarData`,
`TimeseriesFormulaQueryRequest`, `ScalarFormulaQueryRequest`, `MetricsTimeseriesQuery`,
`MetricsScalarQuery` with `aggregator` default avg, `QueryFormula`, `FormulaLimit` "only for
scalar queries", `TimeseriesResponseSeries.query_index` "the index of the query in the formulas
array (or queries array if no formulas was specified)", `GroupScalarColumn`, `DataScalarColumn`),
the recorded exchanges in DataDog/datadog-api-client-python tests/v2/cassettes/test_scenarios/
test_timeseries_cross_product_query_returns_ok_response.yaml (`data.id` "0", `unit` null,
`times` in ms, `values` one list per series), test_scalar_cross_product_query_returns_ok_
response.yaml (a `number` column named as its formula) and test_timeseries_cross_product_query_
returns_bad_request_response.yaml (a wrong `type`, word for word). Each metrics query runs
through query.py, as GET /api/v1/query does.

| fact | value |
|---|---|
| data sources | `metrics` only; another is a 400 (UNCONFIRMED) |
| formulas | `+ - * /`, numbers, parentheses and query names; a function is a 400 (UNCONFIRMED) |
| an ungrouped query beside grouped ones | broadcast to each of their groups (UNCONFIRMED) |
| scalar aggregators | avg/mean, min, max, sum, last, l2norm, area (value × interval s); else 400 |
| scalar formulas | applied to each query's reduced value (UNCONFIRMED) |
| group column | one per grouped tag key, named by the key, values `[[value], ...]` (UNCONFIRMED) |
| division by zero, overflow | null (UNCONFIRMED) |
| a formula over 200 characters | 400 (UNCONFIRMED) |
| `from`/`to` at or past ±2**53 ms | 400 `API input validation failed` (UNCONFIRMED) |
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.datadog.mock_base import auth, errors, finite, state_of
from opwire.integrations.datadog.query import QueryError, run_query
from opwire.mock.state import json_body

MAX_MS = 2**53  # a bound past any date; Datadog's own limit: UNCONFIRMED
MAX_FORMULA = 200  # keeps the evaluator's recursion shallow; Datadog's own limit: UNCONFIRMED
Group = tuple[str, ...]
Series = dict[Group, dict[int, float]]  # group tags -> ms -> value
OPERATORS: dict[type, Callable[[float, float], float | None]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b if b else None,
}
SCALARS: dict[str, Callable[[list[float], int], float]] = {
    "avg": lambda v, _: sum(v) / len(v),
    "mean": lambda v, _: sum(v) / len(v),
    "min": lambda v, _: min(v),
    "max": lambda v, _: max(v),
    "sum": lambda v, _: sum(v),
    "last": lambda v, _: v[-1],
    "l2norm": lambda v, _: math.sqrt(sum(x * x for x in v)),
    "area": lambda v, interval: sum(v) * interval,
}


class FormulaError(ValueError):
    """A request Datadog refuses with a 400; the message is its one error."""


# --- the request ------------------------------------------------------------------------------


def _attributes(body: Any, kind: str) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("attributes"), dict):
        raise FormulaError("API input validation failed: data.attributes is required.")
    if data.get("type") != f"{kind}_request":
        # Recorded, word for word.
        raise FormulaError(f'API input validation failed: Invalid type. Expected "{kind}_request".')
    attributes: dict[str, Any] = data["attributes"]
    for name in ("from", "to"):
        value = attributes.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise FormulaError(f"API input validation failed: {name} is a required integer (ms).")
        if not -MAX_MS < value < MAX_MS:
            raise FormulaError(f"API input validation failed: {name} is past any date.")
    if attributes["to"] <= attributes["from"]:
        raise FormulaError("API input validation failed: 'to' must be after 'from'.")
    return attributes


def _queries(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    queries = attributes.get("queries")
    if not isinstance(queries, list) or not queries:
        raise FormulaError("API input validation failed: queries must be a non-empty array.")
    for query in queries:
        if not isinstance(query, dict) or not isinstance(query.get("query"), str):
            raise FormulaError("API input validation failed: each query needs a query string.")
        if query.get("data_source") != "metrics":
            raise FormulaError(f"Unsupported data source: {query.get('data_source')!r}")
    return queries


def _formulas(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    formulas: list[dict[str, Any]] = attributes.get("formulas", [])
    valid = isinstance(formulas, list) and all(
        isinstance(f, dict) and isinstance(f.get("formula"), str) for f in formulas
    )
    if not valid:
        raise FormulaError("API input validation failed: each formula needs a formula string.")
    return formulas


# --- running queries --------------------------------------------------------------------------


def _run(request: Request, query: dict[str, Any], attributes: dict[str, Any]) -> tuple[Series, int]:
    held = state_of(request)
    start, end = attributes["from"] // 1000, attributes["to"] // 1000
    try:
        answer = run_query(query["query"], start, end, held.points, held.distributions)
    except QueryError as exc:
        raise FormulaError(f"Error parsing query: {exc}") from None
    series: Series = {}
    interval = 0
    for found in answer["series"]:
        series[tuple(found["tag_set"])] = {int(t): v for t, v in found["pointlist"]}
        interval = found["interval"]
    return series, interval


def _evaluate(node: ast.AST, values: dict[str, float | None]) -> float | None:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, values)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _evaluate(node.operand, values)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if left is None or right is None:
            return None
        found = OPERATORS[type(node.op)](left, right)
        return found if found is not None and math.isfinite(found) else None  # JSON has no inf
    raise FormulaError(f"Unsupported formula element: {type(node).__name__}")


def _parse(formula: str, names: set[str]) -> ast.Expression:
    if len(formula) > MAX_FORMULA:
        raise FormulaError(f"Invalid formula: longer than {MAX_FORMULA} characters")
    try:
        tree = ast.parse(formula, mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        raise FormulaError(f"Invalid formula: {formula!r}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names:
            raise FormulaError(f"Formula {formula!r} references unknown query {node.id!r}")
    return tree


def _groups(series: list[Series]) -> list[Group]:
    named = sorted({g for s in series for g in s if g})
    return named or sorted({g for s in series for g in s})


def _pick(series: Series, group: Group) -> dict[int, float] | None:
    if group in series:
        return series[group]
    return series.get(()) if list(series) == [()] else None


def combine(formula: str, by_name: dict[str, Series]) -> Series:
    """The formula's series, group by group and time by time."""
    tree = _parse(formula, set(by_name))
    used = [by_name[n.id] for n in ast.walk(tree) if isinstance(n, ast.Name)]
    result: Series = {}
    for group in _groups(used or list(by_name.values())):
        picked = {name: _pick(s, group) for name, s in by_name.items()}
        times = sorted({t for p in picked.values() if p for t in p})
        points = {}
        for stamp in times:
            values = {name: (p or {}).get(stamp) for name, p in picked.items()}
            if (value := _evaluate(tree, values)) is not None:
                points[stamp] = value
        result[group] = points
    return result


def _scalar(query: dict[str, Any], series: Series, interval: int) -> Series:
    """Each group reduced by the query's aggregator, kept at time 0."""
    name = query.get("aggregator", "avg")
    if not isinstance(name, str) or name not in SCALARS:
        raise FormulaError(f"Unsupported aggregator: {name!r}")
    how = SCALARS[name]
    return {g: {0: how([p[t] for t in sorted(p)], interval)} for g, p in series.items() if p}


def outputs(request: Request, attributes: dict[str, Any], scalar: bool) -> list[Series]:
    """One series set per formula (per query when there is none). A scalar request reduces each
    query first, then applies the formulas to the reduced values."""
    queries, formulas = _queries(attributes), _formulas(attributes)
    ran = []
    for query in queries:
        series, interval = _run(request, query, attributes)
        ran.append(_scalar(query, series, interval) if scalar else series)
    if not formulas:
        return ran
    names = [q.get("name") for q in queries]
    if not all(isinstance(name, str) for name in names):
        raise FormulaError("API input validation failed: a query in a formula needs a name.")
    by_name = {str(name): series for name, series in zip(names, ran, strict=True)}
    return [combine(f["formula"], by_name) for f in formulas]


# --- routes -----------------------------------------------------------------------------------


def _timeseries(found: list[Series]) -> dict[str, Any]:
    times = sorted({t for series in found for points in series.values() for t in points})
    listed, values = [], []
    for index, series in enumerate(found):
        for group, points in sorted(series.items()):
            listed.append({"group_tags": list(group), "query_index": index, "unit": None})
            values.append([finite(points.get(t)) for t in times])
    return {"series": listed, "times": times, "values": values}


async def query_timeseries(request: Request) -> Response:
    """POST /api/v2/query/timeseries: a `TimeseriesFormulaQueryResponse`."""
    if denied := auth(request, read=True):
        return denied
    try:
        attributes = _attributes(json_body(await request.body()), "timeseries")
        found = outputs(request, attributes, scalar=False)
    except FormulaError as exc:
        return errors(400, str(exc))
    data = {"id": "0", "type": "timeseries_response", "attributes": _timeseries(found)}
    return JSONResponse({"data": data})


def _rows(found: list[Series], formulas: list[dict[str, Any]]) -> list[Group]:
    """The groups answered, ordered and cut by the first formula's `limit`."""
    rows = sorted({g for series in found for g in series})
    limit = (formulas[0].get("limit") if formulas else None) or {}
    count = limit.get("count") if isinstance(limit, dict) else None
    if not isinstance(count, int) or not found:
        return rows
    first = found[0]

    def value(group: Group) -> float:
        return first.get(group, {}).get(0, -math.inf)

    return sorted(rows, key=value, reverse=limit.get("order") != "asc")[: max(count, 0)]


def _columns(found: list[Series], attributes: dict[str, Any]) -> list[dict[str, Any]]:
    formulas, queries = _formulas(attributes), attributes["queries"]
    rows = _rows(found, formulas)
    keys = sorted({tag.partition(":")[0] for group in rows for tag in group})
    columns: list[dict[str, Any]] = [
        {
            "name": key,
            "type": "group",
            "values": [[t.partition(":")[2] for t in g if t.startswith(f"{key}:")] for g in rows],
        }
        for key in keys
    ]
    names = [f["formula"] for f in formulas] or [q.get("name") or q["query"] for q in queries]
    for name, series in zip(names, found, strict=True):
        values = [finite(series.get(group, {}).get(0)) for group in rows]
        columns.append({"name": name, "type": "number", "values": values, "meta": {"unit": None}})
    return columns


async def query_scalar(request: Request) -> Response:
    """POST /api/v2/query/scalar: a `ScalarFormulaQueryResponse`."""
    if denied := auth(request, read=True):
        return denied
    try:
        attributes = _attributes(json_body(await request.body()), "scalar")
        columns = _columns(outputs(request, attributes, scalar=True), attributes)
    except FormulaError as exc:
        return errors(400, str(exc))
    return JSONResponse({"data": {"type": "scalar_response", "attributes": {"columns": columns}}})
