"""An application written against datadog-api-client runs its common calls on the Datadog mock
unmodified but for the base URL, and reads back what it sent in Datadog's shape.

The client deserializes every answer into the spec's own models (a validation in itself);
openapi-core checks the raw answers against shared/specs/datadog/{v1,v2}/openapi.yaml where the
SDK would hide a difference (content types, error bodies).
"""

from __future__ import annotations

import base64
import functools
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException, ForbiddenException, NotFoundException
from datadog_api_client.v1.api.events_api import EventsApi as EventsApiV1
from datadog_api_client.v1.api.logs_api import LogsApi as LogsApiV1
from datadog_api_client.v1.api.metrics_api import MetricsApi as MetricsApiV1
from datadog_api_client.v1.api.monitors_api import MonitorsApi
from datadog_api_client.v1.api.service_checks_api import ServiceChecksApi
from datadog_api_client.v1.model.distribution_point import DistributionPoint
from datadog_api_client.v1.model.distribution_points_payload import DistributionPointsPayload
from datadog_api_client.v1.model.distribution_points_series import DistributionPointsSeries
from datadog_api_client.v1.model.event_alert_type import EventAlertType
from datadog_api_client.v1.model.event_create_request import (
    EventCreateRequest as EventCreateRequestV1,
)
from datadog_api_client.v1.model.event_priority import EventPriority
from datadog_api_client.v1.model.http_log import HTTPLog as HTTPLogV1
from datadog_api_client.v1.model.http_log_item import HTTPLogItem as HTTPLogItemV1
from datadog_api_client.v1.model.logs_list_request import LogsListRequest as LogsListRequestV1
from datadog_api_client.v1.model.logs_list_request_time import (
    LogsListRequestTime as LogsListRequestTimeV1,
)
from datadog_api_client.v1.model.logs_sort import LogsSort as LogsSortV1
from datadog_api_client.v1.model.metric_metadata import MetricMetadata
from datadog_api_client.v1.model.monitor import Monitor
from datadog_api_client.v1.model.monitor_options import MonitorOptions
from datadog_api_client.v1.model.monitor_thresholds import MonitorThresholds
from datadog_api_client.v1.model.monitor_type import MonitorType
from datadog_api_client.v1.model.monitor_update_request import MonitorUpdateRequest
from datadog_api_client.v1.model.service_check import ServiceCheck
from datadog_api_client.v1.model.service_check_status import ServiceCheckStatus
from datadog_api_client.v1.model.service_checks import ServiceChecks
from datadog_api_client.v2.api.events_api import EventsApi
from datadog_api_client.v2.api.logs_api import LogsApi
from datadog_api_client.v2.api.metrics_api import MetricsApi
from datadog_api_client.v2.model.alert_event_custom_attributes import AlertEventCustomAttributes
from datadog_api_client.v2.model.alert_event_custom_attributes_status import (
    AlertEventCustomAttributesStatus,
)
from datadog_api_client.v2.model.change_event_custom_attributes import (
    ChangeEventCustomAttributes,
)
from datadog_api_client.v2.model.change_event_custom_attributes_changed_resource import (
    ChangeEventCustomAttributesChangedResource,
)
from datadog_api_client.v2.model.change_event_custom_attributes_changed_resource_type import (
    ChangeEventCustomAttributesChangedResourceType,
)
from datadog_api_client.v2.model.content_encoding import ContentEncoding
from datadog_api_client.v2.model.event_category import EventCategory
from datadog_api_client.v2.model.event_create_request import EventCreateRequest
from datadog_api_client.v2.model.event_create_request_payload import EventCreateRequestPayload
from datadog_api_client.v2.model.event_create_request_type import EventCreateRequestType
from datadog_api_client.v2.model.event_payload import EventPayload
from datadog_api_client.v2.model.events_list_request import EventsListRequest
from datadog_api_client.v2.model.events_query_filter import EventsQueryFilter
from datadog_api_client.v2.model.events_request_page import EventsRequestPage
from datadog_api_client.v2.model.events_sort import EventsSort
from datadog_api_client.v2.model.formula_limit import FormulaLimit
from datadog_api_client.v2.model.http_log import HTTPLog
from datadog_api_client.v2.model.http_log_item import HTTPLogItem
from datadog_api_client.v2.model.logs_aggregate_request import LogsAggregateRequest
from datadog_api_client.v2.model.logs_aggregation_function import LogsAggregationFunction
from datadog_api_client.v2.model.logs_compute import LogsCompute
from datadog_api_client.v2.model.logs_compute_type import LogsComputeType
from datadog_api_client.v2.model.logs_group_by import LogsGroupBy
from datadog_api_client.v2.model.logs_list_request import LogsListRequest
from datadog_api_client.v2.model.logs_list_request_page import LogsListRequestPage
from datadog_api_client.v2.model.logs_query_filter import LogsQueryFilter
from datadog_api_client.v2.model.logs_sort import LogsSort
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
from openapi_core import OpenAPI
from test_specs import check, openapi

from conftest import Mock, serve

JSON_CT = "application/json"
API_KEY, APP_KEY = "0" * 31 + "a", "1" * 39 + "b"
KEYS = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}
API, INTAKE = "https://api.datadoghq.com", "https://event-management-intake.datadoghq.com"
# The recorded real 429 (datadog-api-client-python tests/cassettes/test_retry/
# test_retry_get_list_logs.yaml).
RECORDED_429 = {
    "x-ratelimit-limit": "10",
    "x-ratelimit-period": "10",
    "x-ratelimit-remaining": "9",
    "x-ratelimit-reset": "7",
    "x-ratelimit-name": "logs_public_search_api",
}


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    yield from serve("datadog")


@pytest.fixture(autouse=True)
def _no_faults(mock: Mock) -> Iterator[None]:
    yield
    mock.control("DELETE", "faults")


@functools.cache
def spec(version: str) -> OpenAPI:
    return openapi(f"datadog/{version}/openapi.yaml")


def client(mock: Mock, *, app_key: bool = True) -> ApiClient:
    configuration = Configuration(host=mock.url)
    configuration.api_key["apiKeyAuth"] = API_KEY
    if app_key:
        configuration.api_key["appKeyAuth"] = APP_KEY
    return ApiClient(configuration)


def held(mock: Mock) -> Any:
    """The mock's vendor state: Datadog has no read API for service checks."""
    return mock.server._server.config.app.state.vendor


def tag() -> str:
    return f"t:{uuid.uuid4().hex[:10]}"


# --- service checks and distribution points ---------------------------------------------------


def test_submit_service_check_is_accepted_and_kept(mock: Mock) -> None:
    """v1 spec `POST /api/v1/check_run` (SubmitServiceCheck): 202 IntakePayloadAccepted."""
    mine = tag()
    checks = ServiceChecks(
        [
            ServiceCheck(
                check="app.ok",
                host_name="app.host1",
                message="app is running",
                status=ServiceCheckStatus.WARNING,
                tags=[mine],
            )
        ]
    )
    with client(mock, app_key=False) as api:
        assert ServiceChecksApi(api).submit_service_check(body=checks).status == "ok"
    kept = [c for c in held(mock).service_checks if mine in c["tags"]]
    assert [(c["check"], c["host_name"], c["status"]) for c in kept] == [("app.ok", "app.host1", 1)]


def test_service_check_answers_as_the_spec_says(mock: Mock) -> None:
    """The 202 and the 400 are text/json APIErrorResponse (spec SubmitServiceCheck responses);
    a check missing `host_name` (required by ServiceCheck) is refused."""
    url = f"{mock.url}/api/v1/check_run"
    good = [{"check": "c", "host_name": "h", "status": 0, "tags": []}]
    accepted = httpx.post(url, json=good, headers=KEYS)
    assert (accepted.status_code, accepted.headers["content-type"]) == (202, "text/json")
    check(spec("v1"), API, accepted)
    bad = httpx.post(url, json=[{"check": "c", "status": 0, "tags": []}], headers=KEYS)
    assert bad.status_code == 400 and "host_name" in bad.json()["errors"][0]
    check(spec("v1"), API, bad)
    stale = [{**good[0], "timestamp": int(time.time()) - 3600, "tags": [mine := tag()]}]
    assert httpx.post(url, json=stale, headers=KEYS).status_code == 202
    # spec: "Service checks can be submitted up to 10 minutes in the past"
    assert not [c for c in held(mock).service_checks if mine in c["tags"]]


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


# --- v2 events --------------------------------------------------------------------------------


def _change(title: str, tags: list[str]) -> EventCreateRequestPayload:
    resource = ChangeEventCustomAttributesChangedResource(
        name="fallback_payments_test",
        type=ChangeEventCustomAttributesChangedResourceType.FEATURE_FLAG,
    )
    return _payload(
        EventPayload(
            title=title,
            message="payment_processed feature flag has been enabled",
            category=EventCategory.CHANGE,
            tags=tags,
            attributes=ChangeEventCustomAttributes(changed_resource=resource),
        )
    )


def _payload(attributes: EventPayload) -> EventCreateRequestPayload:
    data = EventCreateRequest(attributes=attributes, type=EventCreateRequestType.EVENT)
    return EventCreateRequestPayload(data=data)


def test_v2_event_is_read_back_by_the_uid_and_the_id_the_intake_returned(mock: Mock) -> None:
    """v2 spec `CreateEvent` 202 EventCreateResponsePayload (evt.id, evt.uid), `GetEvent` by
    UID (V2EventResponse); v1 spec `GET /api/v1/events/{event_id}` by evt.id."""
    mine = tag()
    with client(mock) as api:
        created = EventsApi(api).create_event(body=_change("flag flipped", [mine]))
        evt = created.data.attributes.attributes.evt
        assert created.links.self.endswith(evt.uid)
        got = EventsApi(api).get_event(event_id=evt.uid).data
        assert (got.id, got.attributes.tags, got.attributes.message) == (
            evt.uid,
            [mine],
            "payment_processed feature flag has been enabled",
        )
        legacy = EventsApiV1(api).get_event(event_id=int(evt.id)).event
        assert (legacy.title, legacy.tags) == ("flag flipped", [mine])
        with pytest.raises(NotFoundException):
            EventsApi(api).get_event(event_id="AZ" + "A" * 22)
    reply = httpx.get(f"{mock.url}/api/v2/events/{evt.uid}", headers=KEYS)
    # V2EventAttributesAttributes is a oneOf of two open objects whose fields are all optional:
    # any object matches both, so the spec refuses every answer. The rest is checked.
    outer = reply.json()
    inner = outer["data"]["attributes"].pop("attributes")
    check(spec("v2"), API, reply, outer)
    assert inner["evt"] == {"id": evt.id, "uid": evt.uid, "category": "change"}
    assert inner["changed_resource"] == {
        "name": "fallback_payments_test",
        "type": "feature_flag",
    }


def test_v2_alert_event_keeps_its_status(mock: Mock) -> None:
    """v2 spec AlertEventCustomAttributes: `status` required, `priority` defaults to "5"."""
    mine = tag()
    alert = EventPayload(
        title="disk full",
        category=EventCategory.ALERT,
        tags=[mine],
        attributes=AlertEventCustomAttributes(status=AlertEventCustomAttributesStatus.ERROR),
    )
    with client(mock) as api:
        uid = EventsApi(api).create_event(body=_payload(alert)).data.attributes.attributes.evt.uid
    inner = httpx.get(f"{mock.url}/api/v2/events/{uid}", headers=KEYS).json()["data"]
    assert inner["attributes"]["attributes"]["status"] == "error"
    assert inner["attributes"]["attributes"]["priority"] == "5"
    assert inner["attributes"]["attributes"]["evt"]["category"] == "alert"


def test_v2_event_intake_needs_both_keys(mock: Mock) -> None:
    """v2 spec CreateEvent `security: [apiKeyAuth, appKeyAuth]`; 403 is JSONAPIErrorResponse."""
    with client(mock, app_key=False) as api, pytest.raises(ForbiddenException):
        EventsApi(api).create_event(body=_change("no app key", [tag()]))
    reply = httpx.post(
        f"{mock.url}/api/v2/events",
        headers={"DD-API-KEY": API_KEY},
        content=b"{}",
    )
    assert reply.status_code == 403
    check(spec("v2"), INTAKE, reply)


BAD_EVENTS = [
    ({"data": {"type": "event"}}, "$.data.attributes: value is required"),
    ({"data": {"type": "x", "attributes": {}}}, "$.data.type: value must be one of"),
    ({"category": "alert", "attributes": {"status": "ok"}}, "$.data.attributes.title: value is"),
    ({"title": "t", "category": "alert", "attributes": {}}, "attributes.status: value is required"),
    ({"title": "t", "category": "change", "attributes": {}}, "changed_resource: value is"),
    ({"title": "", "category": "alert", "attributes": {"status": "ok"}}, ".title: length"),
    ({"title": "t", "category": "alert", "attributes": {"status": "ok"}, "x": 1}, ".x: add"),
    ({"title": "t", "category": "invalid", "attributes": {}}, 'one of: ["alert", "change"]'),
    ({"title": "t", "category": "alert", "attributes": {"status": "ok"}, "tags": []}, ".tags"),
]


@pytest.mark.parametrize(("body", "detail"), BAD_EVENTS, ids=lambda v: str(v)[:40])
def test_v2_event_intake_refuses_what_the_spec_refuses(mock: Mock, body: Any, detail: str) -> None:
    """v2 spec EventCreateRequestPayload/EventPayload (required, enums, lengths, closed objects);
    400 JSONAPIErrorResponse worded as recorded (cassettes/v2_test_post_an_event_returns_bad_…)."""
    document = body if "data" in body else {"data": {"type": "event", "attributes": body}}
    reply = httpx.post(f"{mock.url}/api/v2/events", headers=KEYS, json=document)
    assert reply.status_code == 400
    [error] = reply.json()["errors"]
    assert error["status"] == "400" and error["title"] == "Bad Request"
    assert detail in error["detail"] and error["detail"].startswith("JSON validation failed at $")
    check(spec("v2"), INTAKE, reply)


# --- v2 lists, search and their cursor pages ---------------------------------------------------


def _post_v1(mock: Mock, mine: str, n: int, **extra: Any) -> None:
    event = {"title": f"event {n}", "text": f"body {n}", "tags": [mine, f"n:{n}"], **extra}
    assert httpx.post(f"{mock.url}/api/v1/events", headers=KEYS, json=event).status_code == 202


def test_list_events_pages_with_a_real_cursor(mock: Mock) -> None:
    """v2 spec ListEvents `x-pagination` (page[cursor] from meta.page.after, page[limit]): the
    SDK's list_events_with_pagination reads every event once, in timestamp order."""
    mine = tag()
    for n in range(5):
        _post_v1(mock, mine, n)
    with client(mock) as api:
        events = EventsApi(api)
        found = list(
            events.list_events_with_pagination(
                filter_query=mine, page_limit=2, sort=EventsSort.TIMESTAMP_ASCENDING
            )
        )
        assert [e.attributes.message for e in found] == [f"body {n}" for n in range(5)]
        first = events.list_events(filter_query=mine, page_limit=2)
        assert [e.attributes.message for e in first.data] == ["body 4", "body 3"]  # newest first
        assert first.links.next.startswith(mock.url) and "page%5Bcursor%5D=" in first.links.next
        rest = events.list_events(filter_query=mine, page_cursor=first.meta.page.after)
        assert [e.attributes.message for e in rest.data] == ["body 2", "body 1", "body 0"]
        assert "page" not in rest.to_dict()["meta"]  # the last page has no cursor
    cursors = [r["query"] for r in mock.requests() if "page%5Bcursor%5D" in r["query"]]
    assert len(cursors) >= 3  # two pages after the first of the helper's, one of the last call
    check(
        spec("v2"),
        API,
        httpx.get(
            f"{mock.url}/api/v2/events",
            headers=KEYS,
            params={"filter[query]": mine, "page[limit]": 2},
        ),
    )


def test_search_events_pages_through_the_body_cursor(mock: Mock) -> None:
    """v2 spec SearchEvents `x-pagination` (body.page.cursor, body.page.limit)."""
    mine = tag()
    for n in range(3):
        _post_v1(mock, mine, n)
    body = EventsListRequest(
        filter=EventsQueryFilter(query=mine, _from="now-15m", to="now"),
        page=EventsRequestPage(limit=1),
        sort=EventsSort.TIMESTAMP_ASCENDING,
    )
    with client(mock) as api:
        found = list(EventsApi(api).search_events_with_pagination(body=body))
    assert [e.attributes.attributes.title for e in found] == ["event 0", "event 1", "event 2"]
    # The recorded cursor (cassettes/v2_test_search_events_returns_bad_request_response).
    recorded = "eyJzdGFydEF0IjoiQVFBQUFYS2tMS3pPbm40NGV3QUFBQUJCV0V0clRFdDZVbG8zY3pCRmNsbHJi"
    page = {"limit": 1, "cursor": recorded + "VmxDWlEifQ=="}
    bad = httpx.post(f"{mock.url}/api/v2/events/search", headers=KEYS, json={"page": page})
    assert bad.status_code == 400 and "invalid cursor" in bad.json()["errors"][0]
    check(spec("v2"), API, bad)


def test_search_filters_priority_tags_and_time(mock: Mock) -> None:
    """docs.datadoghq.com/events/explorer/searching: `priority:`, tags, `-` negation, `OR`;
    filter[from]/filter[to] as milliseconds, date math or ISO 8601 (spec EventsQueryFilter)."""
    mine, now = tag(), int(time.time())
    _post_v1(mock, mine, 0, priority="low")
    _post_v1(mock, mine, 1)
    _post_v1(mock, mine, 2, date_happened=now - 3600)

    def titles(query: str, **bounds: str) -> list[str]:
        with client(mock) as api:
            answer = EventsApi(api).list_events(
                filter_query=query, sort=EventsSort.TIMESTAMP_ASCENDING, **bounds
            )
        return [e.attributes.attributes.title for e in answer.data]

    assert titles(mine) == ["event 0", "event 1"]  # default window: now-15m .. now
    assert titles(f"{mine} priority:low") == ["event 0"]
    assert titles(f"{mine} priority:normal") == ["event 1"]
    assert titles(f"{mine} -n:0") == ["event 1"]
    assert titles(f"n:0 {mine} OR {mine} n:1") == ["event 0", "event 1"]  # AND binds first
    assert titles(mine, filter_from="now-2h") == ["event 2", "event 0", "event 1"]
    hour_ago = str((now - 3000) * 1000)
    assert titles(mine, filter_from="now-2h", filter_to=hour_ago) == ["event 2"]
    iso = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 3000))
    assert titles(mine, filter_from="now-2h", filter_to=iso) == ["event 2"]


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


# --- rate limits and unknown routes -------------------------------------------------------------


def test_every_429_carries_the_recorded_rate_limit_headers(mock: Mock) -> None:
    """docs.datadoghq.com/api/latest/rate-limits; the recorded real 429's headers, whether the
    429 is a throttle scenario's or a test's own fault rule."""
    mock.control("POST", "scenarios", {"name": "datadog/cold_throttle"})
    point = MetricPoint(timestamp=int(time.time()), value=1.0)
    body = MetricPayload(series=[MetricSeries(metric="m.throttled", points=[point])])
    with client(mock) as api, pytest.raises(ApiException) as raised:
        MetricsApi(api).submit_metrics(body=body)
    assert raised.value.status == 429
    headers = {k.lower(): v for k, v in raised.value.headers.items()}
    # As the recorded 429: no Retry-After; X-RateLimit-Reset says when (the scenario's 1 s).
    assert {k: headers[k] for k in RECORDED_429} == {**RECORDED_429, "x-ratelimit-reset": "1"}
    assert "retry-after" not in headers
    mock.control("DELETE", "faults")
    mock.fault(method="GET", path="/api/v1/validate", status=429, body='{"errors":["slow"]}')
    reply = httpx.get(f"{mock.url}/api/v1/validate", headers=KEYS)
    assert reply.status_code == 429
    assert {k: reply.headers[k] for k in RECORDED_429} == RECORDED_429


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/api/v1/nowhere", 404, "Not found"),
        ("GET", "/api/v1/validate/", 404, "Not found"),
        ("DELETE", "/api/v1/check_run", 405, "Method Not Allowed"),
    ],
)
def test_unknown_routes_answer_datadogs_error_shape(
    mock: Mock, method: str, path: str, status: int, error: str
) -> None:
    reply = httpx.request(method, f"{mock.url}{path}", headers=KEYS)
    assert (reply.status_code, reply.json()) == (status, {"errors": [error]})


def test_no_key_is_logged(mock: Mock) -> None:
    with client(mock) as api:
        EventsApi(api).list_events(filter_query=tag())
    assert all(
        API_KEY not in json.dumps(r) and APP_KEY not in json.dumps(r) for r in mock.requests()
    )


# --- logs -------------------------------------------------------------------------------------

LOGS_INTAKE = "https://http-intake.logs.datadoghq.com"


def _log(mine: str, n: int, **extra: Any) -> HTTPLogItem:
    return HTTPLogItem(
        message=f"log {n}",
        ddsource="python",
        ddtags=f"{mine},env:test",
        hostname="app-1",
        service="checkout",
        **extra,
    )


@pytest.mark.parametrize("encoding", [None, *ContentEncoding.allowed_values])
def test_submit_log_is_read_back_as_datadog_stores_it(mock: Mock, encoding: str | None) -> None:
    """v2 spec SubmitLog: 202 "always 202 empty JSON" for each `Content-Encoding` the client
    compresses with (rest.py: gzip, deflate); ListLogsGet returns a `Log` whose reserved
    attributes are promoted (docs logs/log_configuration/attributes_naming_convention)."""
    mine = tag()
    kwargs = {} if encoding is None else {"content_encoding": ContentEncoding(encoding)}
    with client(mock) as api:
        logs = LogsApi(api)
        body = HTTPLog([_log(mine, 0, status="warn", order={"id": 7})])
        assert logs.submit_log(body=body, **kwargs) == {}
        (found,) = logs.list_logs_get(filter_query=mine).data
    assert found.to_dict()["type"] == "log" and isinstance(found.id, str)
    attributes = found.attributes
    assert (attributes.message, attributes.host, attributes.service) == (
        "log 0",
        "app-1",
        "checkout",
    )
    assert attributes.status == "warn"
    assert set(attributes.tags) == {mine, "env:test", "source:python"}
    assert attributes.attributes["order"] == {"id": 7}
    assert abs(attributes.timestamp.timestamp() - time.time()) < 60


def test_submit_log_answers_as_the_spec_and_the_recording_say(mock: Mock) -> None:
    """Recorded test_send_logs_returns_request_accepted_..._202_empty_json_response: `{}` as
    application/json; refusals are `HTTPLogErrors` (spec), a bad key's detail as observed in
    DataDog/datadog-ci-rb#500."""
    url = f"{mock.url}/api/v2/logs"
    accepted = httpx.post(url, json=[{"message": "m"}], headers=KEYS)
    assert (accepted.status_code, accepted.text) == (202, "{}")
    assert accepted.headers["content-type"] == "application/json"
    check(spec("v2"), LOGS_INTAKE, accepted)
    bad_key = httpx.post(url, json=[{"message": "m"}], headers={"DD-API-KEY": "nope"})
    assert bad_key.status_code == 403
    assert bad_key.json() == {
        "errors": [{"status": "403", "title": "Forbidden", "detail": "API key is invalid"}]
    }
    check(spec("v2"), LOGS_INTAKE, bad_key)
    no_key = httpx.post(url, json=[{"message": "m"}])
    assert no_key.status_code == 401
    check(spec("v2"), LOGS_INTAKE, no_key)
    malformed = httpx.post(url, content=b"{not json", headers={**KEYS, "content-type": JSON_CT})
    assert malformed.status_code == 400
    check(spec("v2"), LOGS_INTAKE, malformed)
    too_many = httpx.post(url, json=[{"message": "m"}] * 1001, headers=KEYS)
    assert too_many.status_code == 413  # spec: at most 1000 entries per array
    check(spec("v2"), LOGS_INTAKE, too_many)


def test_submit_log_with_a_bad_key_raises_forbidden(mock: Mock) -> None:
    """v2 spec SubmitLog 403 "likely using an invalid API Key": the SDK raises
    ForbiddenException; nothing is kept."""
    mine = tag()
    configuration = Configuration(host=mock.url)
    configuration.api_key["apiKeyAuth"] = "not-a-key"
    with ApiClient(configuration) as api, pytest.raises(ForbiddenException):
        LogsApi(api).submit_log(body=HTTPLog([_log(mine, 0)]))
    with client(mock) as api:
        assert LogsApi(api).list_logs_get(filter_query=mine).data == []


def test_plain_text_logs_take_their_fields_from_the_query(mock: Mock) -> None:
    """v2 spec SubmitLog text/plain: one log per line; `ddtags`, `ddsource`, `service`,
    `hostname` as query parameters."""
    mine = tag()
    params = {"ddtags": mine, "ddsource": "nginx", "service": "web", "hostname": "h-2"}
    reply = httpx.post(
        f"{mock.url}/api/v2/logs",
        content=b"first line\nsecond line\n",
        params=params,
        headers={**KEYS, "content-type": "text/plain"},
    )
    assert reply.status_code == 202
    with client(mock) as api:
        found = LogsApi(api).list_logs_get(filter_query=mine, sort=LogsSort.TIMESTAMP_ASCENDING)
    assert [log.attributes.message for log in found.data] == ["first line", "second line"]
    assert {log.attributes.service for log in found.data} == {"web"}
    assert {log.attributes.host for log in found.data} == {"h-2"}
    assert "source:nginx" in found.data[0].attributes.tags


def test_list_logs_get_pages_with_the_sdk_helper(mock: Mock) -> None:
    """v2 spec ListLogsGet `x-pagination` (page[cursor] from meta.page.after): the helper reads
    every log once and stops; the cursor is base64 `{"after": <log id>}` as recorded
    (test_get_a_list_of_logs_returns_ok_response_with_pagination)."""
    mine = tag()
    with client(mock) as api:
        logs = LogsApi(api)
        logs.submit_log(body=HTTPLog([_log(mine, n) for n in range(5)]))
        found = list(
            logs.list_logs_get_with_pagination(
                filter_query=mine, page_limit=2, sort=LogsSort.TIMESTAMP_ASCENDING
            )
        )
        assert [log.attributes.message for log in found] == [f"log {n}" for n in range(5)]
        first = logs.list_logs_get(filter_query=mine, page_limit=2)
        assert [log.attributes.message for log in first.data] == ["log 4", "log 3"]
        after = json.loads(base64.urlsafe_b64decode(first.meta.page.after + "=="))["after"]
        assert after == first.data[-1].id
        assert first.links.next.startswith(mock.url)
        rest = logs.list_logs_get(filter_query=mine, page_cursor=first.meta.page.after)
        assert [log.attributes.message for log in rest.data] == ["log 2", "log 1", "log 0"]
        assert "page" not in rest.to_dict()["meta"]
        with pytest.raises(ApiException) as refused:
            logs.list_logs_get(page_cursor="not-a-cursor")
        assert refused.value.status == 400
    check(spec("v2"), API, httpx.get(f"{mock.url}/api/v2/logs/events", headers=KEYS))


def test_list_logs_searches_by_facet_attribute_and_pages_by_body(mock: Mock) -> None:
    """v2 spec ListLogs (POST /api/v2/logs/events/search, body.page.cursor): `service:`,
    `status:` and `@attribute:` terms (docs logs/explorer/search_syntax)."""
    mine = tag()
    items = [
        _log(mine, n, status="error" if n % 2 else "info", shop={"n": str(n)}) for n in range(4)
    ]
    with client(mock) as api:
        logs = LogsApi(api)
        logs.submit_log(body=HTTPLog(items))

        def search(query: str, **page: Any) -> Any:
            request = LogsListRequest(
                filter=LogsQueryFilter(query=f"{mine} {query}", _from="now-15m", to="now"),
                sort=LogsSort.TIMESTAMP_ASCENDING,
                page=LogsListRequestPage(**page),
            )
            return logs.list_logs(body=request)

        assert [x.attributes.message for x in search("status:error").data] == ["log 1", "log 3"]
        assert [x.attributes.message for x in search("@shop.n:2").data] == ["log 2"]
        assert search("service:other").data == []
        everything = list(
            logs.list_logs_with_pagination(
                body=LogsListRequest(
                    filter=LogsQueryFilter(query=mine), page=LogsListRequestPage(limit=3)
                )
            )
        )
        assert len(everything) == 4
        first = search("service:checkout", limit=3)
        rest = search("service:checkout", limit=3, cursor=first.meta.page.after)
        assert [x.attributes.message for x in rest.data] == ["log 3"]


def test_v1_logs_are_sent_and_listed_with_next_log_id(mock: Mock) -> None:
    """v1 spec `/v1/input` (200 "always 200 empty JSON", recorded `{}`) and ListLogs
    (POST /api/v1/logs-queries/list: `time` required, `startAt`, `nextLogId`)."""
    mine = tag()
    with client(mock) as api:
        logs = LogsApiV1(api)
        with pytest.warns(DeprecationWarning):
            sent = logs.submit_log(
                body=HTTPLogV1([HTTPLogItemV1(message=f"v1 {n}", ddtags=mine) for n in range(3)])
            )
        assert sent == {}
        now = datetime.now(UTC)
        window = LogsListRequestTimeV1(
            _from=now - timedelta(minutes=5), to=now + timedelta(minutes=1)
        )

        def listed(**extra: Any) -> Any:
            return logs.list_logs(
                body=LogsListRequestV1(
                    query=mine, time=window, sort=LogsSortV1.TIME_ASCENDING, **extra
                )
            )

        first = listed(limit=2)
        assert [x.content.message for x in first.logs] == ["v1 0", "v1 1"]
        assert first.status == "done" and isinstance(first.next_log_id, str)
        rest = listed(limit=2, start_at=first.next_log_id)
        assert [x.content.message for x in rest.logs] == ["v1 2"]
        assert rest.next_log_id is None
        assert mine in rest.logs[0].content.tags
    reply = httpx.post(f"{mock.url}/v1/input", json=[{"message": "m"}], headers=KEYS)
    assert (reply.status_code, reply.text) == (200, "{}")
    check(spec("v1"), LOGS_INTAKE, reply)
    refused = httpx.post(f"{mock.url}/api/v1/logs-queries/list", json={}, headers=KEYS)
    assert refused.status_code == 400 and "time" in refused.json()["error"]["message"]
    check(spec("v1"), API, refused)


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


# --- monitors ---------------------------------------------------------------------------------


def _monitor(name: str, tags: tuple[str, ...] = ("team:ops",), **extra: Any) -> Monitor:
    return Monitor(
        name=name,
        type=MonitorType.METRIC_ALERT,
        query="avg(last_5m):avg:system.cpu.user{env:prod} by {host} > 90",
        message="CPU high @slack-ops",
        tags=list(tags),
        options=MonitorOptions(thresholds=MonitorThresholds(critical=90, warning=80)),
        **extra,
    )


def test_monitor_lifecycle_as_recorded(mock: Mock) -> None:
    """v1 spec CreateMonitor/GetMonitor/UpdateMonitor/DeleteMonitor and the recorded
    test_create_a_metric_monitor_* (a metric alert kept as a `query alert`, default options,
    "No Data"), test_edit_a_monitor_* (sent options replace the old), test_delete_a_monitor_*
    (`deleted_monitor_id`, then 404 `Monitor not found`)."""
    name = f"cpu {uuid.uuid4().hex[:8]}"
    with client(mock) as api:
        monitors = MonitorsApi(api)
        made = monitors.create_monitor(body=_monitor(name, priority=3))
        assert made.to_dict()["type"] == "query alert" and made.multi is True
        assert made.to_dict()["overall_state"] == "No Data" and made.priority == 3
        options = made.options.to_dict()
        assert options["thresholds"] == {"critical": 90.0, "warning": 80.0}
        assert (options["notify_no_data"], options["include_tags"]) == (False, True)
        assert monitors.get_monitor(monitor_id=made.id).name == name
        edited = monitors.update_monitor(
            monitor_id=made.id,
            body=MonitorUpdateRequest(
                name=f"{name} v2", options=MonitorOptions(thresholds=MonitorThresholds(critical=95))
            ),
        )
        assert edited.name == f"{name} v2" and edited.query == made.query
        assert edited.options.to_dict()["thresholds"] == {"critical": 95.0}
        assert monitors.check_can_delete_monitor(monitor_ids=[made.id]).data.ok == [made.id]
        assert monitors.delete_monitor(monitor_id=made.id).deleted_monitor_id == made.id
        for call in (monitors.get_monitor, monitors.delete_monitor):
            with pytest.raises(NotFoundException) as missing:
                call(monitor_id=made.id)
            assert missing.value.body == {"errors": ["Monitor not found"]}


def test_monitors_are_listed_filtered_and_paged(mock: Mock) -> None:
    """v1 spec ListMonitors: a JSON array, `name`, `monitor_tags`, `page`/`page_size`; the SDK's
    list_monitors_with_pagination stops on a short page (recorded
    test_get_all_monitors_returns_ok_response_with_pagination); a bad `group_states` is the
    recorded 400."""
    mine = uuid.uuid4().hex[:8]
    with client(mock) as api:
        monitors = MonitorsApi(api)
        made = [
            monitors.create_monitor(body=_monitor(f"{mine} {n}", tags=(f"run:{mine}",))).id
            for n in range(3)
        ]
        assert [m.id for m in monitors.list_monitors(name=mine)] == made
        assert [m.id for m in monitors.list_monitors(monitor_tags=f"run:{mine}")] == made
        paged = list(monitors.list_monitors_with_pagination(name=mine, page_size=2))
        assert [m.id for m in paged] == made
        assert [m.id for m in monitors.list_monitors(name=mine, page=1, page_size=2)] == made[2:]
        with pytest.raises(ApiException) as refused:
            monitors.list_monitors(group_states="notagroupstate")
        assert refused.value.body == {"errors": ["Invalid group_state filters."]}
    check(spec("v1"), API, httpx.get(f"{mock.url}/api/v1/monitor", headers=KEYS))


def test_monitor_queries_are_validated_as_recorded(mock: Mock) -> None:
    """Recorded test_create_a_monitor_returns_bad_request_response and
    test_validate_a_monitor_returns_ok_response: `{}` for a good monitor, the query refusal
    word for word for a bad one; the read routes need the APP key (spec security)."""
    bad = Monitor(type=MonitorType.LOG_ALERT, query="query")
    refusal = {
        "errors": [
            "The value provided for parameter 'query' is invalid: invalid operator specified: "
        ]
    }
    with client(mock) as api:
        monitors = MonitorsApi(api)
        assert monitors.validate_monitor(body=_monitor("ok")) == {}
        for call in (monitors.validate_monitor, monitors.create_monitor):
            with pytest.raises(ApiException) as refused:
                call(body=bad)
            assert (refused.value.status, refused.value.body) == (400, refusal)
    with client(mock, app_key=False) as api, pytest.raises(ForbiddenException):
        MonitorsApi(api).list_monitors()
    reply = httpx.post(
        f"{mock.url}/api/v1/monitor", json={"type": "nope", "query": "q"}, headers=KEYS
    )
    assert reply.status_code == 400
    check(spec("v1"), API, reply)


def test_v1_event_round_trip_and_pages(mock: Mock) -> None:
    """v1 spec CreateEvent / GetEvent / ListEvents: the event reads back by its id with the
    alert type, priority, host and source sent; ListEvents `page` "with 0 being the first
    page", 1000 a page; an unknown id is a 404."""
    mine, now = tag(), int(time.time())
    with client(mock) as api:
        events = EventsApiV1(api)
        created = events.create_event(
            body=EventCreateRequestV1(
                title="deploy",
                text="%%% \n**v2** shipped \n %%%",
                tags=[mine],
                alert_type=EventAlertType.SUCCESS,
                priority=EventPriority.LOW,
                host="app-1",
                source_type_name="my_apps",
                aggregation_key="deploy-v2",
            )
        )
        got = events.get_event(event_id=created.event.id).event
        assert (got.title, got.host, got.to_dict()["alert_type"]) == ("deploy", "app-1", "success")
        assert got.to_dict()["priority"] == "low" and got.tags == [mine]
        first = events.list_events(start=now - 60, end=now + 60, tags=mine, unaggregated=True)
        assert [e.id for e in first.events] == [created.event.id]
        assert events.list_events(start=now - 60, end=now + 60, tags=mine, page=1).events == []
        assert events.list_events(start=now - 60, end=now + 60, sources="my_apps", tags=mine).events
        with pytest.raises(NotFoundException):
            events.get_event(event_id=1)


@pytest.mark.parametrize("stamp", [10**30, 2**70, "9999-12-31T23:59:59Z", "not a time"])
def test_a_log_with_an_unusable_timestamp_is_kept_at_receipt(mock: Mock, stamp: Any) -> None:
    """Datadog stamps a log with its `timestamp` attribute when it can (docs
    logs/log_configuration/pipelines, date remapper) and with the receipt time otherwise; an
    out-of-range stamp is never a 500."""
    mine = tag()
    item = {"message": "m", "ddtags": mine, "timestamp": stamp}
    assert httpx.post(f"{mock.url}/api/v2/logs", json=[item], headers=KEYS).status_code == 202
    with client(mock) as api:
        (found,) = LogsApi(api).list_logs_get(filter_query=mine).data
    assert abs(found.attributes.timestamp.timestamp() - time.time()) < 60


def test_aggregate_logs_counts_and_measures_by_facet(mock: Mock) -> None:
    """v2 spec AggregateLogs: `compute` (count, avg over `@duration`, a timeseries count),
    `group_by` a facet with `missing`, buckets of `by` and `computes`; recorded
    test_aggregate_events_returns_ok_response (`meta.status` "done", `{"buckets": []}`)."""
    mine = tag()
    items = [
        HTTPLogItem(message="a", ddtags=mine, service="web", duration=10),
        HTTPLogItem(message="b", ddtags=mine, service="web", duration=30),
        HTTPLogItem(message="c", ddtags=mine, service="api", duration=5),
        HTTPLogItem(message="d", ddtags=mine),
    ]
    with client(mock) as api:
        logs = LogsApi(api)
        logs.submit_log(body=HTTPLog(items))
        answer = logs.aggregate_logs(
            body=LogsAggregateRequest(
                compute=[
                    LogsCompute(aggregation=LogsAggregationFunction.COUNT),
                    LogsCompute(aggregation=LogsAggregationFunction.AVG, metric="@duration"),
                    LogsCompute(
                        aggregation=LogsAggregationFunction.COUNT,
                        type=LogsComputeType.TIMESERIES,
                        interval="1h",
                    ),
                ],
                filter=LogsQueryFilter(query=mine, _from="now-15m", to="now"),
                group_by=[LogsGroupBy(facet="service", missing="none")],
            )
        ).to_dict()
        assert answer["meta"]["status"] == "done"
        buckets = {b["by"]["service"]: b["computes"] for b in answer["data"]["buckets"]}
        assert set(buckets) == {"web", "api", "none"}
        assert (buckets["web"]["c0"], buckets["web"]["c1"]) == (2.0, 20.0)
        assert buckets["none"]["c1"] is None
        assert sum(p["value"] for p in buckets["web"]["c2"]) == 2.0
        assert next(iter(buckets)) == "web"  # largest count first
        empty = logs.aggregate_logs(body=LogsAggregateRequest(filter=LogsQueryFilter(query=tag())))
        assert empty.to_dict()["data"] == {"buckets": []}
    reply = httpx.post(
        f"{mock.url}/api/v2/logs/analytics/aggregate",
        json={"compute": [{"aggregation": "pc42"}]},
        headers=KEYS,
    )
    assert reply.status_code == 400
    check(spec("v2"), API, reply)


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
