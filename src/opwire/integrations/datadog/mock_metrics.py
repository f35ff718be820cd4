"""Metric listing and metadata of the Datadog mock: GET /api/v1/metrics (active metrics),
GET and PUT /api/v1/metrics/{metric_name} (metadata), GET /api/v1/search (metric names),
GET /api/v2/metrics (ListTagConfigurations: the metrics reporting in a window).

Pages followed: shared/specs/datadog/v1/openapi.yaml (`ListActiveMetrics`: `from` required,
`host`, `tag_filter`, `MetricsListResponse` with `from` as a string; `GetMetricMetadata`,
`UpdateMetricMetadata` and `MetricMetadata` with a read-only `integration`; `ListMetrics`: `q`
"can optionally be prefixed with `metrics:`", `MetricSearchResponse`), each with
`security: apiKeyAuth + appKeyAuth`; docs.datadoghq.com/metrics/types (a metric's type is set
by its submission); v2/openapi.yaml (`ListTagConfigurations`: `window[seconds]` default 3600
at most 2592000, `filter[tags]`, `filter[metric_type]`, `page[size]` at most 10000 and
`page[cursor]`, `meta.pagination` and `links` "only present if pagination query parameters were
provided", complete "when `next_cursor` is null"; a `Metric` is `{"id", "type": "metrics"}`).

| fact | value |
|---|---|
| active metric | one with a point at or after `from` (and matching `host`/`tag_filter`) |
| `tag_filter` | `AND`/`OR` of `key:value` (wildcards), `key IN (a,b)`, `NOT`/`-`; UNCONFIRMED |
| metadata of a submitted metric | its submitted `type`, unset fields left out (UNCONFIRMED) |
| unknown metric | 404 `{"errors":["Metric not found"]}` (text UNCONFIRMED) |
| a PUT with a mistyped field | 400 APIErrorResponse naming the field (text UNCONFIRMED) |
| v2 cursor | base64url of the last name of the page (layout UNCONFIRMED) |
| other v2 filters | accepted, not applied: nothing is configured or queried here |
| search | a case-sensitive substring of the name (UNCONFIRMED), of the last 24 hours (SDK) |
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.datadog.mock_base import (
    DatadogState,
    auth,
    errors,
    numbers,
    state_of,
)
from opwire.mock.state import clock_of, json_body

SEARCH_WINDOW_S = 24 * 3600
TEXT_FIELDS = ("description", "per_unit", "short_name", "type", "unit")
IN_TERM = re.compile(r"^(?P<key>[^\s:()]+)\s+IN\s+\((?P<values>[^)]*)\)$", re.IGNORECASE)
TERM = re.compile(r"[^\s()]+\s+IN\s+\([^)]*\)|\S+", re.IGNORECASE)


def _names(state: DatadogState) -> set[str]:
    return {row[0] for row in state.points} | set(state.metadata)


def _term_matches(term: str, tags: frozenset[str]) -> bool:
    if term == "*":
        return True
    if match := IN_TERM.match(term):
        values = [v.strip() for v in match["values"].split(",") if v.strip()]
        return any(f"{match['key']}:{v}" in tags for v in values)
    pattern = term if ":" in term else f"{term}:*"
    return any(fnmatch.fnmatchcase(tag, pattern) for tag in tags)


def tag_filter(expression: str) -> Any:
    """A tag-set predicate for `tag_filter`: `OR` of `AND`s of (possibly negated) terms."""
    alternatives = []
    for part in re.split(r"\s+OR\s+", expression.strip()):
        terms, negate = [], False
        for token in TERM.findall(part):
            if token in ("NOT", "AND"):
                negate = token == "NOT"
                continue
            negated = negate or token.startswith("-")
            terms.append((token.lstrip("-"), negated))
            negate = False
        alternatives.append(terms)

    def match(tags: frozenset[str]) -> bool:
        return any(all(_term_matches(t, tags) != n for t, n in terms) for terms in alternatives)

    return match


async def list_active(request: Request) -> Response:
    """GET /api/v1/metrics: `{"from": "<from>", "metrics": [...]}` (sorted names)."""
    if denied := auth(request, read=True):
        return denied
    params = request.query_params
    try:
        since = int(params["from"])
    except (KeyError, ValueError):
        return errors(400, "from is a required integer (seconds since the Unix epoch)")
    host, wanted = params.get("host"), tag_filter(params.get("tag_filter") or "*")
    names = {
        metric
        for metric, tags, stamp, _ in state_of(request).points
        if stamp >= since and (host is None or f"host:{host}" in tags) and wanted(tags)
    }
    return JSONResponse({"from": str(since), "metrics": sorted(names)})


def metadata_of(state: DatadogState, metric: str) -> dict[str, Any] | None:
    if metric not in state.metadata and metric not in _names(state):
        return None
    held: dict[str, Any] = {"type": state.metric_types.get(metric, "gauge")}
    held.update(state.metadata.get(metric, {}))
    return held


async def get_metadata(request: Request) -> Response:
    if denied := auth(request, read=True):
        return denied
    found = metadata_of(state_of(request), request.path_params["metric_name"])
    return JSONResponse(found) if found is not None else errors(404, "Metric not found")


def _metadata_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "Invalid JSON body: expected a MetricMetadata object"
    for name in TEXT_FIELDS:
        if name in body and not isinstance(body[name], str):
            return f"Invalid metadata: {name} must be a string"
    interval = body.get("statsd_interval", 0)
    if not numbers(interval) or isinstance(interval, float):
        return "Invalid metadata: statsd_interval must be an integer"
    return None


async def update_metadata(request: Request) -> Response:
    """PUT /api/v1/metrics/{metric_name}: the metric's metadata after the edit."""
    if denied := auth(request, read=True):
        return denied
    state, metric = state_of(request), request.path_params["metric_name"]
    if metadata_of(state, metric) is None:
        return errors(404, "Metric not found")
    body = json_body(await request.body())
    if problem := _metadata_problem(body):
        return errors(400, problem)
    edits = {k: body[k] for k in (*TEXT_FIELDS, "statsd_interval") if k in body}
    held = {**state.metadata.get(metric, {}), **edits}
    if state.metadata.fits(metric, held):  # else not kept, past the mock's count or weight
        state.metadata.put(metric, held)
    return JSONResponse(metadata_of(state, metric))


async def search(request: Request) -> Response:
    """GET /api/v1/search?q=[metrics:]<text>: `{"results": {"metrics": [...]}}`."""
    if denied := auth(request, read=True):
        return denied
    if "q" not in request.query_params:
        return errors(400, "q is required")
    text = request.query_params["q"].removeprefix("metrics:")
    # The client's docstring: "Search for metrics from the last 24 hours".
    since = clock_of(request).now() - SEARCH_WINDOW_S
    names = {row[0] for row in state_of(request).points if row[2] >= since}
    found = sorted(name for name in names if text in name)
    return JSONResponse({"results": {"metrics": found}})


# --- v2 ---------------------------------------------------------------------------------------


class ListError(ValueError):
    """A v2 list request Datadog refuses with a 400."""


def _bounded(params: Any, name: str, default: int, high: int) -> int:
    try:
        value = int(params.get(name, default))
    except ValueError:
        raise ListError(f"{name} must be an integer") from None
    if not 1 <= value <= high:
        raise ListError(f"{name} must be between 1 and {high}")
    return value


def _after(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error):
        raise ListError("Invalid page[cursor]") from None


def _v2_names(request: Request) -> list[str]:
    params, state = request.query_params, state_of(request)
    since = clock_of(request).now() - _bounded(params, "window[seconds]", 3600, 2_592_000)
    wanted = tag_filter(params.get("filter[tags]") or "*")
    kind = params.get("filter[metric_type]")
    names = {m for m, tags, stamp, _ in state.points if stamp >= since and wanted(tags)}
    if kind is not None:
        distribution = kind == "distribution"
        names = {n for n in names if (state.metric_types.get(n) == "distribution") == distribution}
    return sorted(names)


async def list_v2(request: Request) -> Response:
    """GET /api/v2/metrics: `{"data": [{"id", "type": "metrics"}, ...]}`, cursor pages."""
    if denied := auth(request, read=True):
        return denied
    params = request.query_params
    try:
        names = _v2_names(request)
        paged = "page[size]" in params or "page[cursor]" in params
        size = _bounded(params, "page[size]", 10_000, 10_000)
        cursor = params.get("page[cursor]")
        if cursor:
            after = _after(cursor)
            names = [n for n in names if n > after]
    except ListError as exc:
        return errors(400, str(exc))
    page = names[:size] if paged else names
    body: dict[str, Any] = {"data": [{"id": n, "type": "metrics"} for n in page]}
    if paged:
        following = len(names) > size
        token = (
            base64.urlsafe_b64encode(page[-1].encode()).decode().rstrip("=") if following else None
        )
        body["meta"] = {
            "pagination": {
                "cursor": cursor,
                "limit": size,
                "next_cursor": token,
                "type": "cursor_limit",
            }
        }
        body["links"] = {"self": str(request.url), "first": str(request.url)}
    return JSONResponse(body)
