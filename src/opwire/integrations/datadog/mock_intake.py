"""The Datadog mock's intake: metric series (v1, v2), distribution points and service checks.

Pages followed: shared/specs/datadog/v1/openapi.yaml (`/api/v1/series`, `/api/v1/check_run`
`ServiceCheck`, `/api/v1/distribution_points` `DistributionPointsSeries`), v2/openapi.yaml
(`/api/v2/series` `MetricPayload`), the recorded submit exchanges (cassettes/*_submit_metrics_*).

Every point is kept as a row `(metric, tags, timestamp, value)`, a series' `host` (v1) or host
resource (v2) as the `host:<name>` tag Datadog gives it; a distribution keeps each of its values
as a row, so `/api/v1/query` aggregates them as it does gauges (avg, sum, min, max, count).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.encoding import DecodeError, decode_body
from opwire.integrations.datadog.mock_base import (
    ENTRY_OVERHEAD,
    TEXT_JSON,
    Row,
    auth,
    errors,
    numbers,
    raw,
    state_of,
    strings,
)
from opwire.mock.app import json_body
from opwire.mock.limits import ENTRIES, TOO_LARGE
from opwire.mock.state import clock_of

# Spec limits (compressed, decompressed): v2 series 512000 / 5242880; v1 3.2 MB / 62 MB. The
# spec gives none for check_run or distribution_points: UNCONFIRMED, v1's are used.
LIMITS = {"v2": (512_000, 5_242_880), "v1": (3_200_000, 62_914_560)}
# Spec (check_run): "Service checks can be submitted up to 10 minutes in the past". An older one
# is answered 202 and not kept, as late metric points are. UNCONFIRMED.
CHECK_MAX_AGE_S = 600
CHECK_STATUSES = (0, 1, 2, 3)  # ServiceCheckStatus: OK, WARNING, CRITICAL, UNKNOWN
ACCEPTED_V1 = '{"status": "ok"}'  # recorded body of a v1 intake 202, served as text/json

# v2 `MetricIntakeType` (0 unspecified, 1 count, 2 rate, 3 gauge) and v1's names, as the
# metadata `type` a metric takes from its first submission; unspecified is a gauge. UNCONFIRMED.
TYPES = {0: "gauge", 1: "count", 2: "rate", 3: "gauge", "count": "count", "rate": "rate"}

PointReader = Callable[[Any], list[tuple[float, float]] | None]


async def payload(request: Request, version: str = "v1") -> Any | Response:
    """The decoded JSON body, or the answer refusing it (413 past the limits, 400 otherwise)."""
    compressed, decompressed = LIMITS[version]
    body = await request.body()
    if len(body) > compressed:
        return TOO_LARGE["datadog"].response()
    try:
        decoded = decode_body(body, request.headers.get("content-encoding"), decompressed)
    except DecodeError as exc:
        return TOO_LARGE["datadog"].response() if exc.too_large else errors(400, str(exc))
    return json_body(decoded)


def _series_list(document: Any) -> list[Any] | Response:
    if not isinstance(document, dict) or not isinstance(document.get("series"), list):
        return errors(400, "Invalid payload: expected an object with a 'series' array")
    series: list[Any] = document["series"]
    return series


def _host_tags(series: dict[str, Any]) -> list[str]:
    hosts = [series.get("host")] + [
        r.get("name")
        for r in series.get("resources") or []
        if isinstance(r, dict) and r.get("type") == "host"
    ]
    return [f"host:{h}" for h in hosts if isinstance(h, str) and h]


def _tags(series: Any) -> frozenset[str] | None:
    if not isinstance(series, dict) or not isinstance(series.get("metric"), str):
        return None
    tags = series.get("tags", [])
    resources = series.get("resources", [])
    if not strings(tags) or not isinstance(resources, list):
        return None
    return frozenset([*tags, *_host_tags(series)])


def rows(series_list: list[Any], read: PointReader, shape: str) -> list[Row] | Response:
    found: list[Row] = []
    for n, series in enumerate(series_list):
        tags = _tags(series)
        points = series.get("points") if isinstance(series, dict) else None
        if tags is None or not isinstance(points, list):
            return errors(400, f"Invalid series at index {n}: metric and points are required")
        for point in points:
            parsed = read(point)
            if parsed is None:
                return errors(400, f"Invalid point in series {n}: {shape}")
            found.extend((series["metric"], tags, ts, value) for ts, value in parsed)
    return found


def point_v2(point: Any) -> list[tuple[float, float]] | None:
    if isinstance(point, dict) and numbers(point.get("timestamp"), point.get("value")):
        return [(float(point["timestamp"]), float(point["value"]))]
    return None


def point_v1(point: Any) -> list[tuple[float, float]] | None:
    if isinstance(point, list) and len(point) == 2 and numbers(*point):
        return [(float(point[0]), float(point[1]))]
    return None


def distribution_point(point: Any) -> list[tuple[float, float]] | None:
    """`DistributionPoint`: `[timestamp, [value, ...]]`, each value kept as a row."""
    if not (isinstance(point, list) and len(point) == 2 and numbers(point[0])):
        return None
    values = point[1]
    if not isinstance(values, list) or not numbers(*values):
        return None
    return [(float(point[0]), float(v)) for v in values]


async def _intake(request: Request, version: str, read: PointReader, shape: str) -> Any:
    """The points of a series payload, stored; or the answer refusing it."""
    document = auth(request, read=False) or await payload(request, version)
    if isinstance(document, Response):
        return document
    listed = _series_list(document)
    if isinstance(listed, Response):
        return listed
    found = rows(listed, read, shape)
    if not isinstance(found, Response) and not state_of(request).drop_points:
        state_of(request).points.extend(found)
        for series in listed if read is not distribution_point else ():
            named = series.get("type")
            kind = TYPES.get(named, "gauge") if isinstance(named, int | str) else "gauge"
            note_type(state_of(request).metric_types, series["metric"], kind)
    return found


def note_type(types: dict[str, str], metric: str, kind: str) -> None:
    if metric not in types and len(types) < ENTRIES:
        types[metric] = kind


async def series_v2(request: Request) -> Response:
    found = await _intake(request, "v2", point_v2, "timestamp and value are numbers")
    return found if isinstance(found, Response) else JSONResponse({"errors": []}, 202)


async def series_v1(request: Request) -> Response:
    found = await _intake(request, "v1", point_v1, "expected [timestamp, value]")
    return found if isinstance(found, Response) else raw(ACCEPTED_V1, 202, TEXT_JSON)


async def distribution_points(request: Request) -> Response:
    """POST /api/v1/distribution_points: 202 `IntakePayloadAccepted` as text/json (spec)."""
    found = await _intake(request, "v1", distribution_point, "expected [timestamp, [value, ...]]")
    if isinstance(found, Response):
        return found
    names = state_of(request).distributions
    for metric in {row[0] for row in found}:
        note_type(state_of(request).metric_types, metric, "distribution")
    for metric in {row[0] for row in found} - names:
        if len(names) < ENTRIES:  # past it, a new name is queried as a gauge is
            names.add(metric)
    return raw(ACCEPTED_V1, 202, TEXT_JSON)


def _check_problem(n: int, check: Any) -> str | None:
    """Why item `n` is not a `ServiceCheck` (required: check, host_name, status, tags)."""
    if not isinstance(check, dict):
        return f"Invalid service check at index {n}: expected an object"
    for name in ("check", "host_name"):
        if not isinstance(check.get(name), str) or not check[name]:
            return f"Invalid service check at index {n}: '{name}' is a required string"
    status = check.get("status")
    if not numbers(status) or status not in CHECK_STATUSES:
        return f"Invalid service check at index {n}: 'status' must be one of 0, 1, 2, 3"
    if not strings(check.get("tags")):
        return f"Invalid service check at index {n}: 'tags' is a required array of strings"
    if not isinstance(check.get("message", ""), str) or not numbers(check.get("timestamp", 0)):
        return f"Invalid service check at index {n}: 'message' is a string, 'timestamp' an int"
    return None


def _kept_check(check: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        "check": check["check"],
        "host_name": check["host_name"],
        "status": int(check["status"]),
        "message": check.get("message", ""),
        "tags": list(check["tags"]),
        "timestamp": int(check.get("timestamp", now)),
    }


async def check_run(request: Request) -> Response:
    """POST /api/v1/check_run: a `ServiceChecks` array; 202 `{"status": "ok"}` as text/json."""
    body = auth(request, read=False) or await payload(request)
    if isinstance(body, Response):
        return body
    if not isinstance(body, list):
        return errors(400, "Invalid payload: expected an array of service checks", **_TJ)
    problems = (_check_problem(n, c) for n, c in enumerate(body))
    if problem := next((p for p in problems if p), None):
        return errors(400, problem, **_TJ)
    now = clock_of(request).now()
    store = state_of(request).service_checks
    for check in (_kept_check(c, now) for c in body):
        if check["timestamp"] >= now - CHECK_MAX_AGE_S:
            weight = len(check["check"]) + len(check["message"]) + len(check["host_name"])
            store.append(check, weight + sum(map(len, check["tags"])) + ENTRY_OVERHEAD)
    return raw(ACCEPTED_V1, 202, TEXT_JSON)


_TJ = {"content_type": TEXT_JSON}  # the spec's check_run 400 is text/json
