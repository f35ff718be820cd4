"""Datadog mock: validate, metric intake (v1 series, v2 series, distribution points), service
checks, events (v1, v2: post, get, list, search with cursor pages), metric queries (v1, v2
formulas), metric listing and metadata, logs (intake v1, v2; reads v1, v2), monitors.

Pages followed: shared/specs/datadog/v1/openapi.yaml and v2/openapi.yaml (paths, `security`,
limits, encodings, error shapes), the recorded exchanges in shared/specs/datadog/cassettes/
(exact bodies and content types), DataDog/datadog-api-client-python
tests/cassettes/test_retry/test_retry_get_list_logs.yaml (a real 429 and its rate-limit
headers), docs.datadoghq.com/api/latest/rate-limits; vendor-contracts.md § 1. The routes live in
mock_intake.py, mock_events.py (with mock_events_v2.py and mock_search.py), query.py,
mock_formulas.py, mock_metrics.py, mock_logs.py (with mock_logs_search.py and
mock_logs_aggregate.py) and mock_monitors.py.

Submit routes need `DD-API-KEY` (or `?api_key=`); read routes and the v2 event intake need
`DD-APPLICATION-KEY` too (each operation's `security` in the spec). Stores keep the newest
entries and count what they drop (`/_opwire/health`); service checks have no read API at
Datadog, so a test reads them from the vendor state (`DatadogState.service_checks`).

Vendor facts chosen here (the other tables are in each module), UNCONFIRMED unless sourced:

| fact | value |
|---|---|
| 429 headers | the recorded real 429's (RATE_LIMIT_HEADERS), on every 429 |
| 429 body | `{"errors":["Too many requests"]}`: the spec's APIErrorResponse, text UNCONFIRMED |
| unknown path | 404 `{"errors":["Not found"]}` |
| unrouted method | 405 `{"errors":["Method Not Allowed"]}` |
| trailing slash | never redirected: the twin path is unknown (404) |
| v2 intake 403 | the spec's JSONAPIErrorResponse, its detail v1's text |
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opwire.integrations.datadog import mock_events as events
from opwire.integrations.datadog import mock_formulas as formulas
from opwire.integrations.datadog import mock_intake as intake
from opwire.integrations.datadog import mock_logs as logs
from opwire.integrations.datadog import mock_logs_aggregate as log_analytics
from opwire.integrations.datadog import mock_logs_search as log_reads
from opwire.integrations.datadog import mock_metrics as metrics
from opwire.integrations.datadog import mock_monitors as monitors
from opwire.integrations.datadog.mock_base import (
    DatadogState,
    auth,
    errors,
    finite,
    state_of,
)
from opwire.integrations.datadog.mock_events import v1_listed
from opwire.integrations.datadog.query import QueryError, run_query
from opwire.mock.app import Incoming, create_mock_app
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, run_id_in, tagged
from opwire.mock.limits import TOO_LARGE
from opwire.mock.scenarios import Scenario, credentials_abroad, faults, vendor_state

__all__ = ["SCENARIOS", "DatadogState", "create_app", "credential_of", "items"]

# The recorded real 429 (DataDog/datadog-api-client-python tests/cassettes/test_retry/
# test_retry_get_list_logs.yaml), sent on every 429 this mock gives.
RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "10",
    "X-RateLimit-Period": "10",
    "X-RateLimit-Remaining": "9",
    "X-RateLimit-Reset": "7",
    "X-RateLimit-Name": "logs_public_search_api",
}
THROTTLED = ('{"errors":["Too many requests"]}', "application/json")


async def validate(request: Request) -> Response:
    return auth(request, read=False) or JSONResponse({"valid": True})


async def query(request: Request) -> Response:
    if denied := auth(request, read=True):
        return denied
    params = request.query_params
    try:
        start, end = int(params["from"]), int(params["to"])
        held = state_of(request)
        body = run_query(params["query"], start, end, held.points, held.distributions)
        for series in body["series"]:
            series["pointlist"] = [[t, finite(v)] for t, v in series["pointlist"]]
    except (KeyError, ValueError) as exc:
        if isinstance(exc, QueryError):
            return errors(400, f"Error parsing query: {exc}")
        return errors(400, "from, to and query are required")
    return JSONResponse(body)


def not_found(request: Request, status: int) -> Response:
    """Datadog's APIErrorResponse for a path no route serves or a method it does not take."""
    return errors(status, "Not found" if status == 404 else "Method Not Allowed")


def items(state: DatadogState, clock: MockClock) -> Iterator[Item]:
    """Each event held, as GET /api/v1/events/{id} answers it, and each metric point, in the v2
    series' words (`metric`, `tags`, `timestamp`, `value`); the run id is the `run_id:` tag."""
    for event in state.events:
        found = tagged(event["tags"]) or run_id_in(event["title"], event["text"])
        yield Item("event", float(event["date_happened"]), found, v1_listed(event))
    for metric, tags, stamp, value in state.points:
        point = {"metric": metric, "tags": sorted(tags), "timestamp": stamp, "value": value}
        yield Item("metric_point", stamp, tagged(tags), point)


def credential_of(incoming: Incoming) -> str | None:
    from urllib.parse import parse_qs

    found = parse_qs(incoming.query).get("api_key")
    return incoming.headers.get("dd-api-key") or (found[0] if found else None)


def wrong_site(incoming: Incoming) -> Response:
    # A key from another site gets the same answer as a revoked key (vendor-contracts § 1.2).
    return errors(403, "Forbidden")


SCENARIOS = (
    Scenario(
        "datadog/wrong_site",
        "every key belongs to another Datadog site: a silent 403",
        credentials_abroad("datadoghq.com", "datadoghq.eu"),
        "Datadog probe returns 403 with no body",
    ),
    Scenario(
        "datadog/app_key_invalid",
        "reads refuse the application key (403)",
        faults(
            {
                "method": "GET",
                "path": "/api/v1/events/*",
                "status": 403,
                "body": '{"errors":["Forbidden"]}',
                "content_type": "application/json",
            },
            {
                "method": "GET",
                "path": "/api/v1/query",
                "status": 403,
                "body": '{"errors":["Forbidden"]}',
                "content_type": "application/json",
            },
        ),
    ),
    Scenario(
        "datadog/clock_skew",
        "events are refused as too far in the past",
        faults(
            {
                "method": "POST",
                "path": "/api/v1/events",
                "status": 400,
                "body": '{"errors":["Event too far in the past"]}',
            }
        ),
    ),
    Scenario(
        "datadog/metric_dropped",
        "metric intake answers 202 and keeps nothing",
        vendor_state(drop_points=True),
    ),
)


ROUTES: list[BaseRoute] = [
    Route("/api/v1/validate", validate, methods=["GET"]),
    Route("/api/v2/series", intake.series_v2, methods=["POST"]),
    Route("/api/v1/series", intake.series_v1, methods=["POST"]),
    Route("/api/v1/distribution_points", intake.distribution_points, methods=["POST"]),
    Route("/api/v1/check_run", intake.check_run, methods=["POST"]),
    Route("/api/v1/events", events.post_event_v1, methods=["POST"]),
    Route("/api/v1/events", events.list_events_v1, methods=["GET"]),
    Route("/api/v1/events/{event_id}", events.get_event_v1, methods=["GET"]),
    Route("/api/v2/events", events.post_event_v2, methods=["POST"]),
    Route("/api/v2/events", events.list_events_v2, methods=["GET"]),
    Route("/api/v2/events/search", events.search_events_v2, methods=["POST"]),
    Route("/api/v2/events/{event_id}", events.get_event_v2, methods=["GET"]),
    Route("/api/v1/query", query, methods=["GET"]),
    Route("/api/v1/metrics", metrics.list_active, methods=["GET"]),
    Route("/api/v1/metrics/{metric_name}", metrics.get_metadata, methods=["GET"]),
    Route("/api/v1/metrics/{metric_name}", metrics.update_metadata, methods=["PUT"]),
    Route("/api/v1/search", metrics.search, methods=["GET"]),
    Route("/api/v2/metrics", metrics.list_v2, methods=["GET"]),
    Route("/api/v2/query/timeseries", formulas.query_timeseries, methods=["POST"]),
    Route("/api/v2/query/scalar", formulas.query_scalar, methods=["POST"]),
    Route("/api/v1/monitor", monitors.create, methods=["POST"]),
    Route("/api/v1/monitor", monitors.list_all, methods=["GET"]),
    Route("/api/v1/monitor/validate", monitors.validate, methods=["POST"]),
    Route("/api/v1/monitor/can_delete", monitors.can_delete, methods=["GET"]),
    Route("/api/v1/monitor/{monitor_id:int}", monitors.get, methods=["GET"]),
    Route("/api/v1/monitor/{monitor_id:int}", monitors.update, methods=["PUT"]),
    Route("/api/v1/monitor/{monitor_id:int}", monitors.delete, methods=["DELETE"]),
    Route("/api/v2/logs", logs.submit_v2, methods=["POST"]),
    Route("/v1/input", logs.submit_v1, methods=["POST"]),
    Route("/api/v2/logs/events", log_reads.list_logs_get, methods=["GET"]),
    Route("/api/v2/logs/events/search", log_reads.list_logs, methods=["POST"]),
    Route("/api/v1/logs-queries/list", log_reads.list_logs_v1, methods=["POST"]),
    Route("/api/v2/logs/analytics/aggregate", log_analytics.aggregate_logs, methods=["POST"]),
]


class RateLimited:
    """ASGI wrapper: every 429 (a scenario's, or a test's own fault rule) carries Datadog's
    rate-limit headers; those the answer already has are left as they are."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        # The mock's own attributes (`routes`, `state`) as the tests and the framework read them.
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 429:
                message = {**message, "headers": _with_limits(list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, sending)


def _with_limits(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    missing = [
        (name.lower().encode(), value.encode())
        for name, value in RATE_LIMIT_HEADERS.items()
        if name.lower().encode() not in present
    ]
    return [*headers, *missing]


def create_app() -> ASGIApp:
    app = create_mock_app(
        "datadog",
        ROUTES,
        DatadogState,
        credential_of,
        region="datadoghq.com",
        wrong_region=wrong_site,
        scenarios=SCENARIOS,
        throttled=THROTTLED,
        # The recorded real 429 has no Retry-After: X-RateLimit-Reset says when, here the
        # scenario's wait.
        throttle_headers={**RATE_LIMIT_HEADERS, "X-RateLimit-Reset": "{wait}"},
        retry_after=False,
        not_found=not_found,
        too_large=TOO_LARGE["datadog"],
        inventory=Inventory(("event", "metric_point"), items),
    )
    return RateLimited(app)
