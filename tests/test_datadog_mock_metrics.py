"""An application's metric calls through datadog-api-client run on the Datadog mock unmodified
but for the base URL: distribution points, v1 queries, active metrics and metadata, v2 formula
queries and the v2 metric list.

Pages followed: shared/specs/datadog/v1/openapi.yaml (SubmitDistributionPoints, QueryMetrics,
ListActiveMetrics, GetMetricMetadata, UpdateMetricMetadata) and v2/openapi.yaml
(QueryTimeseriesData, QueryScalarData, ListTagConfigurations); each test names its own.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
import test_datadog_mock_sdk as shared
from datadog_api_client.exceptions import ForbiddenException, NotFoundException
from datadog_api_client.v1.api.metrics_api import MetricsApi as MetricsApiV1
from datadog_api_client.v1.model.distribution_point import DistributionPoint
from datadog_api_client.v1.model.distribution_points_payload import DistributionPointsPayload
from datadog_api_client.v1.model.distribution_points_series import DistributionPointsSeries
from datadog_api_client.v1.model.metric_metadata import MetricMetadata
from datadog_api_client.v2.api.metrics_api import MetricsApi
from datadog_api_client.v2.model.formula_limit import FormulaLimit
from datadog_api_client.v2.model.metric_intake_type import MetricIntakeType
from datadog_api_client.v2.model.metric_payload import MetricPayload
from datadog_api_client.v2.model.metric_point import MetricPoint
from datadog_api_client.v2.model.metric_resource import MetricResource
from datadog_api_client.v2.model.metric_series import MetricSeries
from datadog_api_client.v2.model.metrics_aggregator import MetricsAggregator
from datadog_api_client.v2.model.metrics_data_source import MetricsDataSource
from datadog_api_client.v2.model.metrics_scalar_query import MetricsScalarQuery
from datadog_api_client.v2.model.metrics_timeseries_query import MetricsTimeseriesQuery
from datadog_api_client.v2.model.query_formula import QueryFormula
from datadog_api_client.v2.model.query_sort_order import QuerySortOrder
from datadog_api_client.v2.model.scalar_formula_query_request import ScalarFormulaQueryRequest
from datadog_api_client.v2.model.scalar_formula_request import ScalarFormulaRequest
from datadog_api_client.v2.model.scalar_formula_request_attributes import (
    ScalarFormulaRequestAttributes,
)
from datadog_api_client.v2.model.scalar_formula_request_queries import (
    ScalarFormulaRequestQueries,
)
from datadog_api_client.v2.model.scalar_formula_request_type import ScalarFormulaRequestType
from datadog_api_client.v2.model.timeseries_formula_query_request import (
    TimeseriesFormulaQueryRequest,
)
from datadog_api_client.v2.model.timeseries_formula_request import TimeseriesFormulaRequest
from datadog_api_client.v2.model.timeseries_formula_request_attributes import (
    TimeseriesFormulaRequestAttributes,
)
from datadog_api_client.v2.model.timeseries_formula_request_queries import (
    TimeseriesFormulaRequestQueries,
)
from datadog_api_client.v2.model.timeseries_formula_request_type import (
    TimeseriesFormulaRequestType,
)
from test_datadog_mock_sdk import (
    API,
    KEYS,
    client,
    spec,
    tag,
)
from test_specs import check

from conftest import Mock

# The shared fixtures: one mock per module, its faults cleared after each test.
mock, _no_faults = shared.mock, shared._no_faults


# --- distribution points ------------------------------------------------------------------


def test_distribution_points_are_queryable(mock: Mock) -> None:
    """v1 spec `POST /api/v1/distribution_points`: 202 `{"status": "ok"}`; each value counts."""
    now, mine = int(time.time()), tag()
    payload = DistributionPointsPayload(
        series=[
            DistributionPointsSeries(
                metric="dist.latency",
                points=[DistributionPoint([float(now), [1.0, 2.0, 6.0]])],
                tags=[mine],
            )
        ]
    )
    with client(mock) as api:
        assert MetricsApiV1(api).submit_distribution_points(body=payload).status == "ok"
        metrics = MetricsApiV1(api)
        for aggregate, expected in (("avg", 3.0), ("max", 6.0), ("min", 1.0), ("sum", 9.0)):
            answer = metrics.query_metrics(
                _from=now - 60, to=now + 60, query=f"{aggregate}:dist.latency{{{mine}}}"
            )
            assert [p.value[1] for p in answer.series[0].pointlist] == [expected]


# --- metric queries -----------------------------------------------------------------------------


def _submit(mock: Mock, mine: str, now: int) -> None:
    series = [
        MetricSeries(
            metric="q.load",
            type=MetricIntakeType.GAUGE,
            points=[MetricPoint(timestamp=now - 30, value=v), MetricPoint(timestamp=now, value=w)],
            resources=[MetricResource(name=host, type="host")],
            tags=[mine, f"az:{az}"],
        )
        for host, az, v, w in (("a", "x", 1.0, 3.0), ("b", "x", 5.0, 7.0), ("c", "y", 10.0, 10.0))
    ]
    with client(mock) as api:
        assert MetricsApi(api).submit_metrics(body=MetricPayload(series=series)).errors == []


def test_query_groups_by_tag_as_the_spec_shapes_series(mock: Mock) -> None:
    """v1 spec QueryMetrics MetricsQueryResponse: one series per group, its `scope` and
    `tag_set` naming the group, `group_by` the tags; buckets aligned as recorded."""
    mine, now = tag(), int(time.time()) // 300 * 300 + 40
    _submit(mock, mine, now)  # points at now - 30 and now: one 300 s bucket of a day's range
    with client(mock) as api:
        answer = MetricsApiV1(api).query_metrics(
            _from=now - 86400, to=now + 60, query=f"max:q.load{{{mine}}} by {{az}}"
        )
    assert [(s.scope, s.tag_set) for s in answer.series] == [
        (f"{mine},az:x", ["az:x"]),
        (f"{mine},az:y", ["az:y"]),
    ]
    # per host the minute's avg (2.0, 6.0), then the max across hosts
    assert [p.value[1] for p in answer.series[0].pointlist] == [6.0]
    assert answer.series[0].interval == 300 and answer.group_by == ["az"]
    params = {"from": now - 300, "to": now + 60, "query": f"avg:q.load{{{mine}}} by {{host}}"}
    reply = httpx.get(f"{mock.url}/api/v1/query", headers=KEYS, params=params)
    check(spec("v1"), API, reply)
    assert reply.json()["group_by"] == ["host"]
    assert reply.json()["series"][0]["expression"] == f"avg:q.load{{{mine},host:a}}"


@pytest.mark.parametrize(
    ("rollup", "expected"),
    [("avg", 6.0), ("sum", 12.0), ("min", 5.0), ("max", 7.0), ("count", 2.0)],
)
def test_query_rollup_aggregates_each_series_in_time(
    mock: Mock, rollup: str, expected: float
) -> None:
    """docs.datadoghq.com/dashboards/functions/rollup: `.rollup(method, seconds)` sets the bucket
    and the time aggregation; the interval answered is the rollup's."""
    mine, now = tag(), int(time.time()) // 600 * 600 + 300
    _submit(mock, mine, now)
    with client(mock) as api:
        answer = MetricsApiV1(api).query_metrics(
            _from=now - 600, to=now + 60, query=f"sum:q.load{{{mine},host:b}}.rollup({rollup}, 600)"
        )
    [series] = answer.series
    assert series.interval == 600 and [p.value[1] for p in series.pointlist] == [expected]
    assert series.pointlist[0].value[0] % 600_000 == 0


def test_a_query_the_mock_cannot_parse_is_a_400(mock: Mock) -> None:
    """v1 spec QueryMetrics 400 APIErrorResponse."""
    params = {"from": 1, "to": 2, "query": "avg:q.load{*}.rollup(median)"}
    reply = httpx.get(f"{mock.url}/api/v1/query", headers=KEYS, params=params)
    assert reply.status_code == 400 and reply.json()["errors"][0].startswith("Error parsing")
    check(spec("v1"), API, reply)


# --- metric listing and metadata --------------------------------------------------------------


def _submit_count(mock: Mock, metric: str, tags: list[str], host: str | None = None) -> None:
    series = MetricSeries(
        metric=metric,
        type=MetricIntakeType.COUNT,
        points=[MetricPoint(timestamp=int(time.time()), value=1.0)],
        tags=tags,
        resources=[MetricResource(name=host, type="host")] if host else [],
    )
    with client(mock, app_key=False) as api:
        MetricsApi(api).submit_metrics(body=MetricPayload(series=[series]))


def test_active_metrics_are_listed_by_host_and_tag_filter(mock: Mock) -> None:
    """v1 spec ListActiveMetrics: `from` (seconds), `host`, `tag_filter`; MetricsListResponse
    gives `from` back as a string."""
    mine = uuid.uuid4().hex[:8]
    _submit_count(mock, f"app.{mine}.a", [f"team:{mine}", "env:prod"], host=f"h-{mine}")
    _submit_count(mock, f"app.{mine}.b", [f"team:{mine}", "env:staging"])
    since = int(time.time()) - 60
    with client(mock) as api:
        metrics = MetricsApiV1(api)
        listed = metrics.list_active_metrics(_from=since)
        assert listed._from == str(since)
        assert {f"app.{mine}.a", f"app.{mine}.b"} <= set(listed.metrics)
        assert metrics.list_active_metrics(_from=since, host=f"h-{mine}").metrics == [
            f"app.{mine}.a"
        ]
        staged = metrics.list_active_metrics(_from=since, tag_filter=f"team:{mine} AND env:staging")
        assert staged.metrics == [f"app.{mine}.b"]
        either = metrics.list_active_metrics(_from=since, tag_filter="env IN (prod,staging)")
        assert {f"app.{mine}.a", f"app.{mine}.b"} <= set(either.metrics)
        assert metrics.list_active_metrics(_from=int(time.time()) + 3600).metrics == []
    check(
        spec("v1"), API, httpx.get(f"{mock.url}/api/v1/metrics", headers=KEYS, params={"from": 0})
    )
    missing = httpx.get(f"{mock.url}/api/v1/metrics", headers=KEYS)
    assert missing.status_code == 400
    check(spec("v1"), API, missing)


def test_metric_metadata_is_read_edited_and_searched(mock: Mock) -> None:
    """v1 spec GetMetricMetadata / UpdateMetricMetadata (MetricMetadata, 404 for an unknown
    metric) and ListMetrics (`q` "optionally prefixed with `metrics:`", the last 24 hours)."""
    mine = uuid.uuid4().hex[:8]
    name = f"app.{mine}.requests"
    _submit_count(mock, name, [])
    with client(mock) as api:
        metrics = MetricsApiV1(api)
        assert metrics.get_metric_metadata(metric_name=name).type == "count"
        edited = metrics.update_metric_metadata(
            metric_name=name,
            body=MetricMetadata(description="Requests", unit="request", per_unit="second"),
        )
        assert (edited.description, edited.unit, edited.per_unit) == (
            "Requests",
            "request",
            "second",
        )
        assert metrics.get_metric_metadata(metric_name=name).to_dict() == edited.to_dict()
        with pytest.raises(NotFoundException):
            metrics.get_metric_metadata(metric_name=f"app.{mine}.never")
        with pytest.raises(NotFoundException):
            metrics.update_metric_metadata(
                metric_name=f"app.{mine}.never", body=MetricMetadata(unit="byte")
            )
        with pytest.warns(DeprecationWarning):  # the SDK's own warning: /api/v2/metrics
            assert metrics.list_metrics(q=f"metrics:{mine}").results.metrics == [name]
            assert metrics.list_metrics(q=mine).results.metrics == [name]
    with client(mock, app_key=False) as api, pytest.raises(ForbiddenException):
        MetricsApiV1(api).get_metric_metadata(metric_name=name)
    url = f"{mock.url}/api/v1/metrics/{name}"
    check(spec("v1"), API, httpx.get(url, headers=KEYS))
    bad = httpx.put(url, headers=KEYS, json={"statsd_interval": "ten"})
    assert bad.status_code == 400
    check(spec("v1"), API, bad)
    check(spec("v1"), API, httpx.get(f"{mock.url}/api/v1/search", headers=KEYS, params={"q": mine}))


# --- v2 formula queries -----------------------------------------------------------------------


def _two_hosts(mock: Mock, metric: str) -> int:
    now = int(time.time()) // 60 * 60 + 30
    series = [
        {"metric": metric, "points": [[now - 20, v], [now, v * 2]], "host": host}
        for host, v in (("a", 1.0), ("b", 3.0))
    ]
    reply = httpx.post(f"{mock.url}/api/v1/series", json={"series": series}, headers=KEYS)
    assert reply.status_code == 202
    return now


def _timeseries(query: str, now: int, formulas: list[str]) -> TimeseriesFormulaQueryRequest:
    attributes = TimeseriesFormulaRequestAttributes(
        _from=(now - 300) * 1000,
        to=(now + 30) * 1000,
        interval=5000,
        queries=TimeseriesFormulaRequestQueries(
            [
                MetricsTimeseriesQuery(
                    data_source=MetricsDataSource.METRICS, query=query, name="a"
                ),
                MetricsTimeseriesQuery(
                    data_source=MetricsDataSource.METRICS,
                    query=query.split(" by ")[0].replace("avg:", "sum:"),
                    name="b",
                ),
            ]
        ),
        formulas=[QueryFormula(formula=f) for f in formulas],
    )
    return TimeseriesFormulaQueryRequest(
        data=TimeseriesFormulaRequest(
            type=TimeseriesFormulaRequestType.TIMESERIES_REQUEST, attributes=attributes
        )
    )


def test_query_timeseries_data_applies_formulas_per_group(mock: Mock) -> None:
    """v2 spec QueryTimeseriesData: one `series` per formula and group, `query_index` the
    formula's index, `values` aligned on `times` (ms); recorded
    test_timeseries_cross_product_query_returns_ok_response (`id` "0", `unit` null)."""
    metric = f"app.{uuid.uuid4().hex[:8]}"
    now = _two_hosts(mock, metric)
    with client(mock) as api:
        answer = MetricsApi(api).query_timeseries_data(
            body=_timeseries(f"avg:{metric}{{*}} by {{host}}", now, ["a * 10", "a / b"])
        )
    data = answer.to_dict()["data"]
    assert (data["id"], data["type"]) == ("0", "timeseries_response")
    attributes = data["attributes"]
    assert [(s["query_index"], s["group_tags"]) for s in attributes["series"]] == [
        (0, ["host:a"]),
        (0, ["host:b"]),
        (1, ["host:a"]),
        (1, ["host:b"]),
    ]
    assert all(s["unit"] is None for s in attributes["series"])
    assert len(attributes["times"]) == 2 and attributes["times"][0] < attributes["times"][1]
    assert attributes["values"] == [[10.0, 20.0], [30.0, 60.0], [0.25, 0.25], [0.75, 0.75]]


def test_query_scalar_data_reduces_each_query_then_applies_the_formula(mock: Mock) -> None:
    """v2 spec QueryScalarData: MetricsScalarQuery `aggregator` reduces each group; a `group`
    column per tag key and a `number` column per formula (recorded
    test_scalar_cross_product_query_returns_ok_response); FormulaLimit orders and cuts."""
    metric = f"app.{uuid.uuid4().hex[:8]}"
    now = _two_hosts(mock, metric)

    def scalar(aggregator: MetricsAggregator, formula: QueryFormula) -> Any:
        attributes = ScalarFormulaRequestAttributes(
            _from=(now - 300) * 1000,
            to=(now + 30) * 1000,
            queries=ScalarFormulaRequestQueries(
                [
                    MetricsScalarQuery(
                        data_source=MetricsDataSource.METRICS,
                        query=f"avg:{metric}{{*}} by {{host}}",
                        name="a",
                        aggregator=aggregator,
                    )
                ]
            ),
            formulas=[formula],
        )
        request = ScalarFormulaQueryRequest(
            data=ScalarFormulaRequest(
                type=ScalarFormulaRequestType.SCALAR_REQUEST, attributes=attributes
            )
        )
        with client(mock) as api:
            return MetricsApi(api).query_scalar_data(body=request).to_dict()["data"]

    data = scalar(MetricsAggregator.MAX, QueryFormula(formula="a"))
    assert data["type"] == "scalar_response"
    group, number = data["attributes"]["columns"]
    assert (group["name"], group["type"], group["values"]) == ("host", "group", [["a"], ["b"]])
    assert (number["name"], number["type"], number["values"]) == ("a", "number", [2.0, 6.0])
    top = scalar(
        MetricsAggregator.AVG,
        QueryFormula(formula="a + 1", limit=FormulaLimit(count=1, order=QuerySortOrder.DESC)),
    )
    group, number = top["attributes"]["columns"]
    assert (group["values"], number["name"], number["values"]) == ([["b"]], "a + 1", [5.5])


@pytest.mark.parametrize(
    ("attributes", "kind"),
    [
        ({"type": "timeseries_rquest", "attributes": {}}, "timeseries"),
        ({"type": "timeseries_request", "attributes": {"from": 1, "to": 2}}, "timeseries"),
        ({"type": "scalar_request", "attributes": {"from": "x", "to": 2}}, "scalar"),
    ],
)
def test_formula_queries_refuse_what_the_spec_refuses(
    mock: Mock, attributes: dict[str, Any], kind: str
) -> None:
    """The recorded 400 (test_timeseries_cross_product_query_returns_bad_request_response):
    APIErrorResponse, a wrong `type` word for word."""
    reply = httpx.post(f"{mock.url}/api/v2/query/{kind}", json={"data": attributes}, headers=KEYS)
    assert reply.status_code == 400
    if attributes["type"] == "timeseries_rquest":
        assert reply.json() == {
            "errors": ['API input validation failed: Invalid type. Expected "timeseries_request".']
        }
    check(spec("v2"), API, reply)


def test_an_overflowing_aggregate_is_a_gap_not_a_500(mock: Mock) -> None:
    """JSON has no infinity: a sum past float range is answered as a null point (the spec's
    Point items are nullable), by v1 /api/v1/query and v2 /api/v2/query/timeseries alike."""
    metric, now = f"app.{uuid.uuid4().hex[:8]}", int(time.time())
    series = [{"metric": metric, "points": [[now, 1.7e308], [now, 1.7e308]]}]
    httpx.post(f"{mock.url}/api/v1/series", json={"series": series}, headers=KEYS)
    with client(mock) as api:
        answer = MetricsApiV1(api).query_metrics(
            _from=now - 60, to=now + 10, query=f"sum:{metric}{{*}}.rollup(sum, 60)"
        )
        assert [p.value[1] for p in answer.series[0].pointlist] == [None]
        found = MetricsApi(api).query_timeseries_data(
            body=_timeseries(f"sum:{metric}{{*}}.rollup(sum, 60)", now, ["a"])
        )
        assert found.to_dict()["data"]["attributes"]["values"] == [[None]]


def test_v2_metric_list_pages_until_next_cursor_is_null(mock: Mock) -> None:
    """v2 spec ListTagConfigurations: metrics reporting within `window[seconds]`, filtered by
    `filter[tags]`; with `page[size]` the answer carries `meta.pagination.next_cursor`, null on
    the last page, which is where the SDK's list_tag_configurations_with_pagination stops."""
    mine = uuid.uuid4().hex[:8]
    for n in range(3):
        _submit_count(mock, f"app.{mine}.m{n}", [f"run:{mine}"])
    with client(mock) as api:
        metrics = MetricsApi(api)
        listed = metrics.list_tag_configurations(filter_tags=f"run:{mine}")
        assert [m.id for m in listed.data] == [f"app.{mine}.m{n}" for n in range(3)]
        assert "meta" not in listed.to_dict()  # only with pagination parameters (spec)
        first = metrics.list_tag_configurations(filter_tags=f"run:{mine}", page_size=2)
        assert len(first.data) == 2 and first.meta.pagination.next_cursor
        rest = metrics.list_tag_configurations(
            filter_tags=f"run:{mine}", page_size=2, page_cursor=first.meta.pagination.next_cursor
        )
        assert [m.id for m in rest.data] == [f"app.{mine}.m2"]
        assert rest.meta.pagination.next_cursor is None
        paged = list(
            metrics.list_tag_configurations_with_pagination(filter_tags=f"run:{mine}", page_size=1)
        )
        assert [m.id for m in paged] == [f"app.{mine}.m{n}" for n in range(3)]
    check(spec("v2"), API, httpx.get(f"{mock.url}/api/v2/metrics?page[size]=1", headers=KEYS))
    bad = httpx.get(f"{mock.url}/api/v2/metrics?window[seconds]=0", headers=KEYS)
    assert bad.status_code == 400
    check(spec("v2"), API, bad)
