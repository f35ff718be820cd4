"""An application's event calls through datadog-api-client run on the Datadog mock unmodified
but for the base URL: the v2 intake, the v2 list and search with their cursor pages, and the v1
event round trip.

Pages followed: shared/specs/datadog/v2/openapi.yaml (CreateEvent, GetEvent, ListEvents,
SearchEvents) and v1/openapi.yaml (CreateEvent, GetEvent, ListEvents); each test names its own.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import test_datadog_mock_sdk as shared
from datadog_api_client.exceptions import ForbiddenException, NotFoundException
from datadog_api_client.v1.api.events_api import EventsApi as EventsApiV1
from datadog_api_client.v1.model.event_alert_type import EventAlertType
from datadog_api_client.v1.model.event_create_request import (
    EventCreateRequest as EventCreateRequestV1,
)
from datadog_api_client.v1.model.event_priority import EventPriority
from datadog_api_client.v2.api.events_api import EventsApi
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
from datadog_api_client.v2.model.event_category import EventCategory
from datadog_api_client.v2.model.event_create_request import EventCreateRequest
from datadog_api_client.v2.model.event_create_request_payload import EventCreateRequestPayload
from datadog_api_client.v2.model.event_create_request_type import EventCreateRequestType
from datadog_api_client.v2.model.event_payload import EventPayload
from datadog_api_client.v2.model.events_list_request import EventsListRequest
from datadog_api_client.v2.model.events_query_filter import EventsQueryFilter
from datadog_api_client.v2.model.events_request_page import EventsRequestPage
from datadog_api_client.v2.model.events_sort import EventsSort
from test_datadog_mock_sdk import (
    API,
    API_KEY,
    INTAKE,
    KEYS,
    client,
    spec,
    tag,
)
from test_specs import check

from conftest import Mock

# The shared fixtures: one mock per module, its faults cleared after each test.
mock, _no_faults = shared.mock, shared._no_faults


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
