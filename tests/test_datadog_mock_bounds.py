"""Requests an application can send the Datadog mock by mistake (odd JSON types, unbounded
numbers, non-ASCII digits, oversized client text) get Datadog's 400, never a 500, and what the
mock holds for a client stays bounded.

Each test follows the spec (shared/specs/datadog/{v1,v2}/openapi.yaml) for the field it sends;
the mock is the real loopback server (conftest.serve).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.v1.api.monitors_api import MonitorsApi

from conftest import Mock, serve

API_KEY, APP_KEY = "0" * 31 + "a", "1" * 39 + "b"
KEYS = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}
WINDOW = {"from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    yield from serve("datadog")


def client(mock: Mock) -> ApiClient:
    configuration = Configuration(host=mock.url)
    configuration.api_key["apiKeyAuth"] = API_KEY
    configuration.api_key["appKeyAuth"] = APP_KEY
    return ApiClient(configuration)


def tag() -> str:
    return f"t:{uuid.uuid4().hex[:10]}"


def post(mock: Mock, path: str, body: Any) -> httpx.Response:
    return httpx.post(f"{mock.url}{path}", json=body, headers=KEYS)


def get(mock: Mock, path: str, **params: Any) -> httpx.Response:
    return httpx.get(f"{mock.url}{path}", params=params, headers=KEYS)


def _logs(mock: Mock, mine: str) -> None:
    items = [{"message": "m", "ddtags": mine, "duration": n} for n in (1, 2)]
    assert post(mock, "/api/v2/logs", items).status_code == 202


# --- v1 logs list -----------------------------------------------------------------------------


@pytest.mark.parametrize("sort", [[], {}, ["desc"]])
def test_v1_logs_list_refuses_a_sort_that_is_not_a_string(mock: Mock, sort: Any) -> None:
    """`LogsListRequest.sort` is the `LogsSort` string enum (asc, desc; v1 spec): an array or
    object is the v1 400 `{"error": {"code", "message"}}` (`LogsAPIErrorResponse`)."""
    answer = post(mock, "/api/v1/logs-queries/list", {"time": WINDOW, "sort": sort})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "InvalidArgument"


# --- logs aggregate ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        {"compute": [{"aggregation": "sum", "metric": 5}]},
        {"compute": [{"aggregation": "count", "metric": ["@duration"]}]},
        {"group_by": [{"facet": "service", "sort": {"aggregation": "sum", "metric": 5}}]},
        {"group_by": [{"facet": "service", "sort": "desc"}]},
    ],
)
def test_aggregate_refuses_a_metric_that_is_not_a_string(mock: Mock, extra: Any) -> None:
    """`LogsCompute.metric` and `LogsAggregateSort.metric` are strings, `LogsGroupBy.sort` an
    object (v2 spec): anything else is a 400 `APIErrorResponse`, even with logs to measure."""
    mine = tag()
    _logs(mock, mine)
    body = {"filter": {"query": mine, "from": "now-1h", "to": "now+1h"}, **extra}
    answer = post(mock, "/api/v2/logs/analytics/aggregate", body)
    assert answer.status_code == 400 and answer.json()["errors"]


def test_aggregate_takes_an_overlong_interval_as_unreadable(mock: Mock) -> None:
    """`LogsCompute.interval` is a duration string (v2 spec, e.g. "1h"); one of 5,000 digits
    names no duration the mock can use, so the default step applies (a 200, not a 500)."""
    mine = tag()
    _logs(mock, mine)
    compute = {"aggregation": "count", "type": "timeseries", "interval": "9" * 5000}
    body = {"filter": {"query": mine, "from": "now-1h", "to": "now+1h"}, "compute": [compute]}
    answer = post(mock, "/api/v2/logs/analytics/aggregate", body)
    assert answer.status_code == 200
    (bucket,) = answer.json()["data"]["buckets"]
    assert sum(point["value"] for point in bucket["computes"]["c0"]) == 2


# --- time bounds and page limits of the v2 searches -------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"filter[from]": "²"},
        {"filter[to]": "١٢٣"},
        {"page[limit]": "²"},
        {"page[limit]": "١٠"},
        {"filter[from]": "9" * 5000},
        {"filter[from]": "9" * 400},
        {"filter[from]": f"now-{'9' * 400}s"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v2/logs/events", "/api/v2/events"])
def test_search_get_refuses_unusable_bounds_and_limits(
    mock: Mock, path: str, params: dict[str, str]
) -> None:
    """`filter[from]`/`filter[to]` are a date math, an ISO 8601 time or milliseconds, and
    `page[limit]` an integer at most 1000 (v2 spec ListLogsGet, ListEvents): digits that are
    not ASCII, or a time past any date, are the 400 `APIErrorResponse`."""
    answer = get(mock, path, **params)
    assert answer.status_code == 400 and answer.json()["errors"]


@pytest.mark.parametrize(
    "bounds",
    [{"from": "9" * 5000}, {"from": 10**400}, {"to": f"now+{'9' * 400}d"}, {"from": "²"}],
)
@pytest.mark.parametrize(
    "path",
    ["/api/v2/logs/events/search", "/api/v2/events/search", "/api/v2/logs/analytics/aggregate"],
)
def test_search_post_refuses_unusable_bounds(mock: Mock, path: str, bounds: Any) -> None:
    """`LogsQueryFilter.from`/`to` and `EventsQueryFilter.from`/`to` are strings of date math,
    ISO 8601 or milliseconds (v2 spec): one no date can hold is the 400 `APIErrorResponse`."""
    answer = post(mock, path, {"filter": bounds})
    assert answer.status_code == 400 and answer.json()["errors"]


# --- log intake -------------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", [10**400, -(10**400)])
def test_a_log_stamped_past_any_float_is_kept_at_receipt(mock: Mock, stamp: Any) -> None:
    """Datadog takes a log's `timestamp` when it can (docs logs/log_configuration/pipelines,
    date remapper) and the receipt time otherwise: a stamp no float can hold is unreadable."""
    mine = tag()
    item = {"message": "m", "ddtags": mine, "timestamp": stamp}
    assert post(mock, "/api/v2/logs", [item]).status_code == 202
    answer = get(mock, "/api/v2/logs/events", **{"filter[query]": mine, "filter[from]": "now-1h"})
    assert answer.status_code == 200
    (found,) = answer.json()["data"]
    assert found["attributes"]["timestamp"].startswith(time.strftime("%Y-", time.gmtime()))


@pytest.mark.parametrize("stamp", [-(10**30), -1e300])
def test_a_log_stamped_long_before_the_epoch_is_accepted_and_not_kept(
    mock: Mock, stamp: Any
) -> None:
    """A log may be "up to 18 hours in the past" (v2 spec SubmitLog): an older one, however far
    back, is answered 202 and not kept (the room's table)."""
    mine = tag()
    item = {"message": "m", "ddtags": mine, "timestamp": stamp}
    assert post(mock, "/api/v2/logs", [item]).status_code == 202
    answer = get(mock, "/api/v2/logs/events", **{"filter[query]": mine, "filter[from]": "now-1h"})
    assert answer.status_code == 200 and answer.json()["data"] == []


# --- metric queries ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["timeseries", "scalar"])
@pytest.mark.parametrize("bounds", [(0, 10**400), (-(10**400), 0), (0, 2**53)])
def test_formula_query_refuses_a_bound_past_any_date(
    mock: Mock, kind: str, bounds: tuple[int, int]
) -> None:
    """`from`/`to` are int64 milliseconds (v2 spec TimeseriesFormulaRequestAttributes); one past
    any date (2**53 ms and over) is the recorded `API input validation failed` 400."""
    query = {"data_source": "metrics", "query": "avg:system.cpu.user{*}", "name": "a"}
    attributes = {"from": bounds[0], "to": bounds[1], "queries": [query]}
    body = {"data": {"type": f"{kind}_request", "attributes": attributes}}
    answer = post(mock, f"/api/v2/query/{kind}", body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0].startswith("API input validation failed")


@pytest.mark.parametrize("bounds", [("0", "9" * 400), ("-" + "9" * 400, "0"), ("0", str(2**53))])
def test_v1_query_refuses_a_bound_past_any_date(mock: Mock, bounds: tuple[str, str]) -> None:
    """GET /api/v1/query `from`/`to` are int64 seconds (v1 spec QueryMetrics); one past any
    date is a 400 `APIErrorResponse`."""
    params = {"from": bounds[0], "to": bounds[1], "query": "avg:system.cpu.user{*}"}
    answer = get(mock, "/api/v1/query", **params)
    assert answer.status_code == 400 and answer.json()["errors"]


# --- what monitors and metric metadata may hold -----------------------------------------------


def test_monitors_are_weighed_not_only_counted(mock: Mock) -> None:
    """A monitor's message is client text: the mock holds at most its weight budget (about
    64 MiB, opwire.mock.limits.WEIGHT) of monitors, and refuses a new one past it with its
    400 `Monitor limit reached`, as past its count (a monitor is kept until deleted)."""
    message = "x" * (15 << 20)
    ids, statuses = [], []
    for _ in range(6):
        body = {"type": "event alert", "query": "q", "message": message}
        answer = post(mock, "/api/v1/monitor", body)
        statuses.append(answer.status_code)
        ids += [answer.json()["id"]] if answer.status_code == 200 else []
    assert statuses[0] == 200 and statuses[-1] == 400
    assert "Monitor limit reached" in answer.json()["errors"][0]
    assert all(get(mock, f"/api/v1/monitor/{i}").status_code == 200 for i in ids)
    edit = {"name": message}  # the message stays: one more 15 MiB text
    refused = httpx.put(f"{mock.url}/api/v1/monitor/{ids[0]}", json=edit, headers=KEYS)
    assert refused.status_code == 400
    for i in ids:
        httpx.delete(f"{mock.url}/api/v1/monitor/{i}", headers=KEYS)
    assert post(mock, "/api/v1/monitor", body).status_code == 200


def test_metric_metadata_is_weighed_not_only_counted(mock: Mock) -> None:
    """A metric's metadata description is client text (v1 spec MetricMetadata): metadata is
    held up to the weight budget; an edit past it is answered but not kept."""
    now, names = int(time.time()), [f"bounds.meta.{uuid.uuid4().hex[:8]}" for _ in range(6)]
    series = [{"metric": n, "points": [[now, 1]]} for n in names]
    assert post(mock, "/api/v1/series", {"series": series}).status_code == 202
    description = "d" * (15 << 20)
    for name in names:
        answer = httpx.put(
            f"{mock.url}/api/v1/metrics/{name}", json={"description": description}, headers=KEYS
        )
        assert answer.status_code == 200
    kept = [get(mock, f"/api/v1/metrics/{n}").json().get("description") for n in names]
    assert kept[0] == description and kept[-1] is None


# --- monitor fields ---------------------------------------------------------------------------


@pytest.mark.parametrize("priority", [True, False, 1.5, "1"])
def test_monitor_priority_is_an_integer_not_a_bool(mock: Mock, priority: Any) -> None:
    """`Monitor.priority` is an int64 from 1 to 5 (v1 spec); JSON true is no integer, so the
    mock answers its 400 as for any other invalid parameter."""
    body = {"type": "event alert", "query": "q", "priority": priority}
    answer = post(mock, "/api/v1/monitor", body)
    assert answer.status_code == 400
    assert "priority" in answer.json()["errors"][0]


@pytest.mark.parametrize("size", ["5000", "0"])
def test_monitor_list_checks_page_size_without_page(mock: Mock, size: str) -> None:
    """ListMonitors `page_size` is an int32 at most 1000 (v1 spec, `maximum: 1000`); past it is
    the 400 `APIErrorResponse` with or without `page` (without `page`: UNCONFIRMED)."""
    answer = get(mock, "/api/v1/monitor", page_size=size)
    assert answer.status_code == 400 and answer.json()["errors"]


def test_monitor_list_ignores_a_valid_page_size_without_page(mock: Mock) -> None:
    """Without `page`, ListMonitors "returns all monitors without a `page_size` limit" (v1
    spec); a valid `page_size` alone leaves the list whole."""
    mine = tag()
    with client(mock) as api:
        for _ in range(3):
            post(mock, "/api/v1/monitor", {"type": "event alert", "query": "q", "tags": [mine]})
        listed = MonitorsApi(api).list_monitors(monitor_tags=mine, page_size=2)
    assert len(listed) == 3
