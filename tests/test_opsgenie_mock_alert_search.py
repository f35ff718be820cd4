"""The Opsgenie Alert API's search side driven by the official opsgenie-sdk (AlertApi): saved
searches, list alerts with the query language, sort and paging, count. Fixtures and helpers:
test_opsgenie_mock_sdk.py.

Pages: docs.opsgenie.com/docs/alert-api (List, Count, Saved Searches), /docs/pagination,
/docs/alerts-search-query-help; swagger.json paths named per test.
"""

from __future__ import annotations

import time

import httpx
import opsgenie_sdk
import pytest
import test_opsgenie_mock_sdk as shared
from opsgenie_sdk.rest import ApiException
from test_opsgenie_mock_sdk import HEADERS, _create, _raw
from test_specs import swagger_check

from conftest import Mock

# The shared fixtures (test_opsgenie_mock_sdk.py); each file gets its own module-scoped mock.
server, mock, client, alerts = shared.server, shared.mock, shared.client, shared.alerts


# --- saved searches (swagger /v2/alerts/saved-searches) --------------------------------------


def test_saved_searches_and_listing_by_one(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """Create (201 CreateSavedSearchResponse), list, get by id and by name, update (PATCH),
    delete; List and Count Alerts apply one named by `searchIdentifier`."""
    _create(alerts, "p1", priority="P1")
    _create(alerts, "p5", priority="P5")
    payload = opsgenie_sdk.CreateSavedSearchPayload(
        name="urgent", query="priority:P1", owner={"username": "ana@example.com"}
    )
    created = alerts.create_saved_searches(create_saved_search_payload=payload).data
    assert created.name == "urgent" and created.id
    assert [s.name for s in alerts.list_saved_searches().data] == ["urgent"]
    by_name = alerts.get_saved_search(identifier="urgent", identifier_type="name").data
    assert (by_name.id, by_name.query) == (created.id, "priority:P1")
    listed = alerts.list_alerts(search_identifier="urgent", search_identifier_type="name").data
    assert [a.alias for a in listed] == ["p1"]
    assert alerts.count_alerts(search_identifier=created.id).data.count == 1
    update = opsgenie_sdk.UpdateSavedSearchPayload(
        name="quiet", query="priority:P5", owner={"username": "ana@example.com"}
    )
    updated = alerts.update_saved_search(
        identifier=created.id, update_saved_search_payload=update
    ).data
    assert (updated.name, updated.query) == ("quiet", "priority:P5")
    for path, definition in [
        ("/v2/alerts/saved-searches", "ListSavedSearchesResponse"),
        (f"/v2/alerts/saved-searches/{created.id}", "GetSavedSearchResponse"),
    ]:
        swagger_check(definition, _raw(mock, "GET", path))
    deleted = alerts.delete_saved_search(identifier="quiet", identifier_type="name")
    assert deleted.result == "Deleted"
    with pytest.raises(ApiException) as missing:
        alerts.get_saved_search(identifier=created.id)
    assert missing.value.status == 404


def test_a_saved_search_needs_name_query_and_owner(mock: Mock) -> None:
    """CreateSavedSearchPayload requires name, query, owner (422 field map); a duplicate
    name is 409 (docs.opsgenie.com/docs/response: "ID or name conflicts")."""
    reply = _raw(mock, "POST", "/v2/alerts/saved-searches", json={"query": "("})
    assert reply.status_code == 422
    assert {"name", "query", "owner"} <= set(reply.json()["errors"])
    body = {"name": "s", "query": "status:open", "owner": {"id": "u1"}}
    created = _raw(mock, "POST", "/v2/alerts/saved-searches", json=body)
    assert created.status_code == 201
    swagger_check("CreateSavedSearchResponse", created)
    assert _raw(mock, "POST", "/v2/alerts/saved-searches", json=body).status_code == 409


# --- search, list, count (GET /v2/alerts, /v2/alerts/count) ----------------------------------


@pytest.fixture
def searchable(alerts: opsgenie_sdk.AlertApi, mock: Mock) -> opsgenie_sdk.AlertApi:
    _create(alerts, "db-down", message="Database apollo is down", tags=["db"], priority="P1")
    mock.control("POST", "clock", {"advance_s": 60})
    _create(alerts, "web-slow", message="Web server average latency", tags=["web"], priority="P3")
    mock.control("POST", "clock", {"advance_s": 60})
    _create(alerts, "db-slow", message="Database average latency", tags=["db"], priority="P4")
    closing = opsgenie_sdk.CloseAlertPayload()
    alerts.close_alert(identifier="web-slow", identifier_type="alias", close_alert_payload=closing)
    return alerts


@pytest.mark.parametrize(
    ("query", "aliases"),
    [
        ("", ["db-slow", "web-slow", "db-down"]),
        ("status:open", ["db-slow", "db-down"]),
        ("status: closed", ["web-slow"]),
        ("tag:db AND priority:P1", ["db-down"]),
        ("tag:web OR priority=P4", ["db-slow", "web-slow"]),
        ("NOT tag:db", ["web-slow"]),
        ("priority != P3", ["db-slow", "db-down"]),
        ("(tag:db OR tag:web) AND NOT status:closed", ["db-slow", "db-down"]),
        ("apollo", ["db-down"]),
        ("message: average", ["db-slow", "web-slow"]),
        ('"average latency"', ["db-slow", "web-slow"]),
        ('message: "latency average"', []),
        ("alias:db-*", ["db-slow", "db-down"]),
        ("count > 0 AND acknowledged: false", ["db-slow", "web-slow", "db-down"]),
    ],
)
def test_search_query_language(
    searchable: opsgenie_sdk.AlertApi, query: str, aliases: list[str]
) -> None:
    """docs.opsgenie.com/docs/alerts-search-query-help, through List Alerts (newest first)."""
    listed = searchable.list_alerts(query=query).data
    assert [a.alias for a in listed] == aliases
    assert searchable.count_alerts(query=query).data.count == len(aliases)


def test_created_at_compares_unix_milliseconds(searchable: opsgenie_sdk.AlertApi) -> None:
    newest = searchable.list_alerts(limit=1).data[0]
    millis = int(newest.created_at.timestamp() * 1000)
    after = searchable.list_alerts(query=f"createdAt >= {millis}").data
    assert [a.alias for a in after] == ["db-slow"]
    before = searchable.count_alerts(query=f"createdAt < {millis}").data.count
    assert before == 2


def test_created_at_in_unix_seconds_as_the_sdk_sample_queries(
    searchable: opsgenie_sdk.AlertApi,
) -> None:
    """opsgenie-python-sdk samples/alert_samples.py list_open_alerts_since_one_week:
    `createdAt<%d AND createdAt>%d AND status: open` with time.time() seconds."""
    now = round(time.time()) + 600  # past the fixture's clock advances
    week = 7 * 24 * 60 * 60
    query = f"createdAt<{now} AND createdAt>{now - week} AND status: open"
    listed = searchable.list_alerts(limit=25, query=query, order="desc", sort="createdAt")
    assert [a.alias for a in listed.data] == ["db-slow", "db-down"]
    assert searchable.count_alerts(query=f"createdAt<{now - week}").data.count == 0


def test_sort_order_offset_limit_and_paging(searchable: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """sort/order/offset/limit (swagger GET /v2/alerts); paging links as /docs/pagination."""
    by_alias = searchable.list_alerts(sort="alias", order="asc").data
    assert [a.alias for a in by_alias] == ["db-down", "db-slow", "web-slow"]
    page = searchable.list_alerts(order="asc", offset=1, limit=1)
    assert [a.alias for a in page.data] == ["web-slow"]
    assert page.paging.next and page.paging.prev and page.paging.first and page.paging.last
    reply = _raw(mock, "GET", "/v2/alerts", params={"limit": 2})
    swagger_check("ListAlertsResponse", reply)
    assert "description" not in reply.json()["data"][0]  # List Alerts answers BaseAlert
    following = httpx.get(reply.json()["paging"]["next"], headers=HEADERS).json()
    assert [a["alias"] for a in following["data"]] == ["db-down"]


@pytest.mark.parametrize(
    "query",
    ["(", "status:", "bogus:1", '"unclosed', "count > many", "(" * 200, "NOT " * 500, ")"],
)
def test_a_query_it_cannot_read_is_422_never_500(mock: Mock, query: str) -> None:
    for path in ("/v2/alerts", "/v2/alerts/count"):
        reply = _raw(mock, "GET", path, params={"query": query})
        assert reply.status_code == 422, (path, reply.text)
        swagger_check("ErrorResponse", reply)


def test_count_through_the_sdk(searchable: opsgenie_sdk.AlertApi, mock: Mock) -> None:
    """GET /v2/alerts/count (GetCountAlertsResponse)."""
    assert searchable.count_alerts().data.count == 3
    reply = _raw(mock, "GET", "/v2/alerts/count", params={"query": "tag:db"})
    swagger_check("GetCountAlertsResponse", reply)
    assert reply.json()["data"]["count"] == 2
