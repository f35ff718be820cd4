"""An application's log calls through datadog-api-client run on the Datadog mock unmodified
but for the base URL: the v1 and v2 intakes, the v2 list (GET and POST) and v1 list, and the
v2 aggregate.

Pages followed: shared/specs/datadog/v2/openapi.yaml (SubmitLog, ListLogsGet, ListLogs,
AggregateLogs) and v1/openapi.yaml (SubmitLog, ListLogs); each test names its own.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import test_datadog_mock_sdk as shared
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException, ForbiddenException
from datadog_api_client.v1.api.logs_api import LogsApi as LogsApiV1
from datadog_api_client.v1.model.http_log import HTTPLog as HTTPLogV1
from datadog_api_client.v1.model.http_log_item import HTTPLogItem as HTTPLogItemV1
from datadog_api_client.v1.model.logs_list_request import LogsListRequest as LogsListRequestV1
from datadog_api_client.v1.model.logs_list_request_time import (
    LogsListRequestTime as LogsListRequestTimeV1,
)
from datadog_api_client.v1.model.logs_sort import LogsSort as LogsSortV1
from datadog_api_client.v2.api.logs_api import LogsApi
from datadog_api_client.v2.model.content_encoding import ContentEncoding
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
from test_datadog_mock_sdk import (
    API,
    JSON_CT,
    KEYS,
    client,
    spec,
    tag,
)
from test_specs import check

from conftest import Mock

# The shared fixtures: one mock per module, its faults cleared after each test.
mock, _no_faults = shared.mock, shared._no_faults


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


@pytest.mark.parametrize("encoding", [None, *sorted(ContentEncoding.allowed_values)])
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
