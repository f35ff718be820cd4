"""An application on the official sentry-sdk, unmodified but for its DSN, against the Sentry mock:
what it sends is read back through the web API in Sentry's shape, validated against
shared/specs/sentry/openapi-derefed.json; plus Relay's legacy store bodies, event ids, the org
that owns a project, the issue search, and the 429's headers.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk
from sentry_sdk.crons import capture_checkin, monitor
from test_specs import check, openapi

from conftest import Mock, serve

KEY = "0123456789abcdef0123456789abcdef"
TOKEN = {"Authorization": "Bearer sntrys_mockTokenValue123"}
AUTH = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=test/1"}
SERVER = "https://us.sentry.io"
PROJECT = "projects/opwire-mock/project-42"


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    yield from serve("sentry")


@pytest.fixture(scope="module")
def sdk(mock: Mock) -> Iterator[Mock]:
    """sentry_sdk.init with the mock's DSN (loopback) and tracing on; nothing else changed."""
    mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    host = mock.url.removeprefix("http://")
    sentry_sdk.init(
        dsn=f"http://{KEY}@{host}/42",
        default_integrations=False,
        traces_sample_rate=1.0,
        release="shop@1.2.3",
        environment="staging",
        server_name="web-1",
    )
    sentry_sdk.get_isolation_scope().clear_breadcrumbs()  # none left from other modules' tests
    try:
        yield mock
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()


def api(mock: Mock, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{mock.url}/api/0/{path}", headers=TOKEN, **kwargs)


def spec_checked(mock: Mock, path: str, **kwargs: Any) -> Any:
    reply = api(mock, path, **kwargs)
    assert reply.status_code == 200, reply.text
    check(openapi("sentry/openapi-derefed.json"), SERVER, reply)
    return reply.json()


def tags(event: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in event["tags"]}


def test_capture_message_reads_back_as_a_default_event(sdk: Mock) -> None:
    """docs.sentry.io/api/events/retrieve-an-event-for-a-project/: a message is type `default`,
    with a message entry and the tags Sentry derives (level, environment, release)."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("run_id", "ow-sdk-1")
        event_id = sentry_sdk.capture_message("opwire sdk hello", level="warning")
    sentry_sdk.flush(timeout=5)
    event = spec_checked(sdk, f"{PROJECT}/events/{event_id}/")
    assert (event["eventID"], event["type"], event["title"]) == (
        event_id,
        "default",
        "opwire sdk hello",
    )
    assert [e["type"] for e in event["entries"]] == ["message"]
    assert event["entries"][0]["data"]["formatted"] == "opwire sdk hello"
    assert tags(event) | {"level": "warning"} == tags(event)
    expected = {"environment": "staging", "release": "shop@1.2.3", "server_name": "web-1"}
    assert expected.items() <= tags(event).items() and tags(event)["run_id"] == "ow-sdk-1"
    assert [t["key"] for t in event["tags"]] == sorted(t["key"] for t in event["tags"])
    assert event["sdk"]["name"] == "sentry.python" and event["platform"] == "python"


def _add_request(event: Any, hint: Any) -> Any:
    event["request"] = {
        "url": "https://shop.example/cart?item=7",
        "method": "POST",
        "headers": {"Content-Type": "application/json"},
    }
    return event


def test_capture_exception_reads_back_with_its_entries_and_tags(sdk: Mock) -> None:
    """An exception is type `error` with exception, breadcrumbs and request entries; Sentry's
    `handled` and `mechanism` tags come from the exception's mechanism, `url` from the
    request (sentry/interfaces/{exception,http}.py `iter_tags`)."""
    sentry_sdk.add_breadcrumb(category="cart", message="item added", level="info")
    with sentry_sdk.new_scope() as scope:
        scope.add_event_processor(_add_request)
        try:
            raise ValueError("opwire sdk boom")
        except ValueError:
            event_id = sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=5)
    event = spec_checked(sdk, f"{PROJECT}/events/{event_id}/")
    assert (event["type"], event["title"]) == ("error", "ValueError: opwire sdk boom")
    kinds = {e["type"]: e["data"] for e in event["entries"]}
    assert {"exception", "breadcrumbs", "request"} <= kinds.keys()
    (value,) = kinds["exception"]["values"]
    assert (value["type"], value["value"]) == ("ValueError", "opwire sdk boom")
    assert value["stacktrace"]["frames"][-1]["function"] == (
        "test_capture_exception_reads_back_with_its_entries_and_tags"
    )
    assert kinds["breadcrumbs"]["values"][-1]["message"] == "item added"
    assert kinds["request"]["url"] == "https://shop.example/cart"
    assert kinds["request"]["query"] == [["item", "7"]]
    shown = tags(event)
    assert (shown["handled"], shown["mechanism"], shown["level"]) == ("yes", "generic", "error")
    assert shown["url"] == "https://shop.example/cart"
    issue = spec_checked(sdk, f"organizations/opwire-mock/issues/{event['groupID']}/")
    assert issue["title"] == "ValueError: opwire sdk boom"
    listed = spec_checked(sdk, f"organizations/opwire-mock/issues/{event['groupID']}/events/")
    assert [(e["eventID"], e["event.type"]) for e in listed] == [(event_id, "error")]


def test_transaction_is_accepted_and_readable(sdk: Mock) -> None:
    """An envelope item of type transaction (develop.sentry.dev/sdk/envelopes/) is kept and
    read back as type `transaction` with its spans; it opens no issue."""
    transaction = sentry_sdk.start_transaction(name="checkout", op="http.server")
    with transaction, transaction.start_child(op="db.query", name="SELECT 1"):
        pass
    sentry_sdk.flush(timeout=5)
    event_id = next(
        e["vendor"]["eventID"]
        for e in sdk.control("GET", "state")["items"]
        if e["kind"] == "event" and e["vendor"]["type"] == "transaction"
    )
    event = spec_checked(sdk, f"{PROJECT}/events/{event_id}/")
    assert (event["type"], event["title"], event["groupID"]) == ("transaction", "checkout", None)
    (spans,) = [e["data"] for e in event["entries"] if e["type"] == "spans"]
    assert [s["op"] for s in spans] == ["db.query"]
    assert tags(event)["transaction"] == "checkout" and tags(event)["level"] == "info"


def test_attachment_is_listed_on_its_event(sdk: Mock) -> None:
    """scope.add_attachment sends an attachment item beside the event; GET …/events/{id}/
    attachments/ lists it (spec: id, event_id, type, name, mimetype, size, sha1, headers)."""
    with sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=b"cart=7\n", filename="cart.txt", content_type="text/plain")
        event_id = sentry_sdk.capture_message("opwire sdk with attachment")
    sentry_sdk.flush(timeout=5)
    (listed,) = spec_checked(sdk, f"{PROJECT}/events/{event_id}/attachments/")
    assert (listed["name"], listed["mimetype"], listed["size"]) == ("cart.txt", "text/plain", 7)
    assert listed["event_id"] == event_id and listed["type"] == "event.attachment"
    assert spec_checked(sdk, f"{PROJECT}/events/{event_id}/attachments/?query=nope") == []


def _issue_titles(mock: Mock, path: str, query: str | None) -> list[str]:
    params = {} if query is None else {"query": query}
    return [i["title"] for i in spec_checked(mock, path, params=params)]


@pytest.mark.parametrize("path", [f"{PROJECT}/issues/", "organizations/opwire-mock/issues/"])
def test_issue_lists_follow_sentry_search(sdk: Mock, path: str) -> None:
    """docs.sentry.io/concepts/search/: the default is `is:unresolved`, `query=` lists all;
    `level:`, free text on the title, a tag `key:value`, `!` negation, `is:resolved`."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("shard", "blue")
        sentry_sdk.capture_message("search-me fatal one", level="fatal")
    sentry_sdk.capture_message("search-me info two", level="info")
    sentry_sdk.flush(timeout=5)
    fatal = ["search-me fatal one"]
    assert _issue_titles(sdk, path, "search-me level:fatal") == fatal
    assert _issue_titles(sdk, path, "shard:blue") == fatal
    assert _issue_titles(sdk, path, '"search-me info" !level:fatal') == ["search-me info two"]
    (issue,) = spec_checked(sdk, path, params={"query": "search-me level:fatal"})
    api(sdk, f"organizations/opwire-mock/issues/{issue['id']}/", "PUT", json={"status": "resolved"})
    assert "search-me fatal one" not in _issue_titles(sdk, path, None)
    assert fatal == _issue_titles(sdk, path, "is:resolved search-me")
    assert "search-me fatal one" in _issue_titles(sdk, path, "")
    api(
        sdk,
        f"organizations/opwire-mock/issues/{issue['id']}/",
        "PUT",
        json={"status": "unresolved"},
    )
    bad = api(sdk, path, params={"query": "is:bogus"})
    assert bad.status_code == 400 and "is" in bad.json()["detail"]


def envelope(event_id: str, event: dict[str, Any]) -> bytes:
    payload = json.dumps(event).encode()
    item = {"type": "event", "length": len(payload)}
    return b"\n".join(
        [json.dumps({"event_id": event_id}).encode(), json.dumps(item).encode(), payload]
    )


def store(mock: Mock, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        f"{mock.url}/api/42/store/", content=body, headers={**AUTH, **(headers or {})}
    )


@pytest.mark.parametrize(
    ("encode", "headers"),
    [
        (lambda raw: raw, {}),
        (base64.b64encode, {}),
        (lambda raw: base64.b64encode(zlib.compress(raw)), {}),
        (gzip.compress, {"Content-Encoding": "gzip"}),
        (zlib.compress, {"Content-Encoding": "deflate"}),
    ],
    ids=["json", "base64", "base64-zlib", "gzip", "deflate"],
)
def test_legacy_store_bodies_older_sdks_send(mock: Mock, encode: Any, headers: Any) -> None:
    """relay-server/src/endpoints/store.rs `decode_bytes`: a body not starting with `{` is
    base64, of JSON or of zlib; Content-Encoding is decoded first. A dashed UUID is answered
    and stored as 32 hex (relay-event-schema EventId)."""
    mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    dashed = str(uuid.uuid4())
    raw = json.dumps({"event_id": dashed, "message": "legacy store"}).encode()
    reply = store(mock, encode(raw), headers)
    assert (reply.status_code, reply.json()) == (200, {"id": dashed.replace("-", "")})
    event = spec_checked(mock, f"{PROJECT}/events/{dashed.replace('-', '')}/")
    assert event["title"] == "legacy store" and event["type"] == "default"


def test_bad_legacy_bodies_and_event_ids_get_relay_400s(mock: Mock) -> None:
    """store.rs: undecodable base64 is "invalid request body"; a malformed event id fails the
    minimal JSON parse ("invalid JSON data") or the envelope header ("invalid event
    envelope")."""
    reply = store(mock, b"%%% not base64")
    assert (reply.status_code, reply.json()["detail"]) == (400, "invalid request body")
    reply = store(mock, json.dumps({"event_id": "nope", "message": "x"}).encode())
    assert reply.status_code == 400 and reply.json()["detail"].startswith("invalid JSON data")
    url = f"{mock.url}/api/42/envelope/"
    reply = httpx.post(url, content=envelope("nope", {"message": "x"}), headers=AUTH)
    assert (reply.status_code, reply.json()["detail"]) == (400, "invalid event envelope")


def test_envelope_event_id_in_any_uuid_form_is_kept_as_32_hex(mock: Mock) -> None:
    mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    hex_id = uuid.uuid4().hex
    braced = "{" + str(uuid.UUID(hex_id)).upper() + "}"
    reply = httpx.post(
        f"{mock.url}/api/42/envelope/", content=envelope(braced, {"message": "m"}), headers=AUTH
    )
    assert reply.json() == {"id": hex_id}
    assert api(mock, f"{PROJECT}/events/{hex_id}/").status_code == 200


def test_an_org_that_does_not_own_the_project_is_refused(mock: Mock) -> None:
    """Sentry's ProjectEndpoint/OrganizationEndpoint: a project looked up in an org that does
    not hold it is ResourceDoesNotExist (404 "The requested resource does not exist")."""
    mock.control("POST", "sentry/config", {"processing_delay_s": 0, "project": {"id": 77}})
    hex_id = uuid.uuid4().hex
    url = f"{mock.url}/api/77/envelope/"
    httpx.post(url, content=envelope(hex_id, {"message": "owned"}), headers=AUTH)
    assert api(mock, f"projects/opwire-mock/77/events/{hex_id}/").status_code == 200
    missing = {"detail": "The requested resource does not exist"}
    for path in (f"projects/acme/77/events/{hex_id}/", "projects/acme/77/issues/"):
        reply = api(mock, path)
        assert (reply.status_code, reply.json()) == (404, missing)
    assert api(mock, "organizations/acme/issues/").status_code == 404
    mock.control("POST", "sentry/config", {"project": {"id": 77, "org": "acme"}})
    assert api(mock, f"projects/acme/project-77/events/{hex_id}/").status_code == 200
    assert api(mock, f"projects/opwire-mock/77/events/{hex_id}/").status_code == 404
    found = api(mock, f"organizations/acme/eventids/{hex_id}/").json()
    assert found["projectSlug"] == "project-77"
    assert api(mock, f"organizations/opwire-mock/eventids/{hex_id}/").status_code == 404
    group = found["groupId"]
    assert api(mock, f"organizations/opwire-mock/issues/{group}/").status_code == 404
    assert api(mock, f"organizations/acme/issues/{group}/").status_code == 200


@pytest.mark.parametrize("scenario", ["sentry/cold_throttle", "sentry/retry_after_storm"])
def test_every_429_carries_relays_rate_limit_headers(scenario: str) -> None:
    """develop.sentry.dev/sdk/rate-limiting/ and relay common.rs `RateLimited`: 429 with
    Retry-After, X-Sentry-Rate-Limits and Relay's JSON detail."""
    for mock in serve("sentry"):
        mock.control("POST", "scenarios", {"name": scenario})
        reply = httpx.post(
            f"{mock.url}/api/42/envelope/",
            content=envelope(uuid.uuid4().hex, {"message": "m"}),
            headers=AUTH,
        )
        assert reply.status_code == 429 and reply.headers["retry-after"].isdigit()
        retry, categories, scope = reply.headers["x-sentry-rate-limits"].split(":")[:3]
        # The header's wait is the scenario's, as Retry-After says (the SDK trusts this one).
        assert (
            retry == reply.headers["retry-after"] and categories == "" and scope == "organization"
        )
        assert reply.json()["detail"].startswith("Sentry dropped data due to a quota")


def test_unknown_routes_and_methods_get_sentrys_answers(mock: Mock) -> None:
    """Sentry's API catch-all hints at a missing trailing slash; DRF's 405 names the method."""
    reply = httpx.get(f"{mock.url}/api/0/organizations/opwire-mock/issues")
    assert reply.status_code == 404 and "did you forget a trailing slash?" in reply.text
    assert "try: /api/0/organizations/opwire-mock/issues/" in reply.text
    reply = httpx.delete(f"{mock.url}/api/0/organizations/opwire-mock/", headers=TOKEN)
    assert (reply.status_code, reply.json()) == (405, {"detail": 'Method "DELETE" not allowed.'})
    assert httpx.get(f"{mock.url}/api/42/envelope/").status_code == 405


def _api_checked(mock: Mock, path: str, method: str, **kwargs: Any) -> httpx.Response:
    reply = api(mock, path, method, **kwargs)
    check(openapi("sentry/openapi-derefed.json"), SERVER, reply)
    return reply


def test_an_issues_latest_oldest_and_one_event(sdk: Mock) -> None:
    """docs.sentry.io/api/events/retrieve-an-issue-event/: `latest`, `oldest`, `recommended`
    or an id of the issue, with `previousEventID`/`nextEventID`; the legacy issues/{id}/
    paths answer the same (group_event_details.py)."""
    first = sentry_sdk.capture_message("opwire sdk twice")
    second = sentry_sdk.capture_message("opwire sdk twice")
    sentry_sdk.flush(timeout=5)
    group = spec_checked(sdk, f"{PROJECT}/events/{second}/")["groupID"]
    base = f"organizations/opwire-mock/issues/{group}/events"
    latest = spec_checked(sdk, f"{base}/latest/")
    assert (latest["eventID"], latest["previousEventID"], latest["nextEventID"]) == (
        second,
        first,
        None,
    )
    oldest = spec_checked(sdk, f"{base}/oldest/")
    assert (oldest["eventID"], oldest["nextEventID"]) == (first, second)
    assert spec_checked(sdk, f"{base}/recommended/")["eventID"] == second
    assert spec_checked(sdk, f"{base}/{first}/")["title"] == "opwire sdk twice"
    assert api(sdk, f"{base}/{uuid.uuid4().hex}/").status_code == 404
    legacy = api(sdk, f"issues/{group}/events/latest/")
    assert legacy.status_code == 200 and legacy.json()["eventID"] == second
    listed = api(sdk, f"issues/{group}/events/", params={"full": "true"}).json()
    assert [e["eventID"] for e in listed] == [second, first] and "entries" in listed[0]
    assert api(sdk, f"issues/{group}/").json()["count"] == "2"


def test_an_issue_is_updated_and_removed(sdk: Mock) -> None:
    """docs.sentry.io/api/events/update-an-issue/ and remove-an-issue/: PUT answers the whole
    issue (flags, `resolvedInNextRelease` as resolved with `inNextRelease`), a bad status is
    DRF's field error; DELETE is 202 and the issue and its events are gone."""
    event_id = sentry_sdk.capture_message("opwire sdk to delete", level="warning")
    sentry_sdk.flush(timeout=5)
    group = spec_checked(sdk, f"{PROJECT}/events/{event_id}/")["groupID"]
    path = f"organizations/opwire-mock/issues/{group}/"
    fresh = spec_checked(sdk, path)
    assert (fresh["priority"], fresh["substatus"], fresh["isBookmarked"]) == (
        "medium",
        "ongoing",
        False,
    )
    marked = _api_checked(sdk, path, "PUT", json={"isBookmarked": True, "hasSeen": True})
    assert (marked.status_code, marked.json()["isBookmarked"], marked.json()["hasSeen"]) == (
        200,
        True,
        True,
    )
    body = {"status": "resolvedInNextRelease"}
    resolved = _api_checked(sdk, path, "PUT", json=body).json()
    assert (resolved["status"], resolved["statusDetails"]) == ("resolved", {"inNextRelease": True})
    bad = api(sdk, path, "PUT", json={"status": "bogus"})
    assert (bad.status_code, list(bad.json())) == (400, ["status"])
    gone = _api_checked(sdk, path, "DELETE")
    assert (gone.status_code, gone.content) == (202, b"")
    assert api(sdk, path).status_code == 404
    assert api(sdk, f"{PROJECT}/events/{event_id}/").status_code == 404


def test_issue_lists_are_bulk_updated_and_removed(sdk: Mock) -> None:
    """docs.sentry.io/api/events/bulk-mutate-an-organizations-issues/ and bulk-remove-…:
    PUT `?id=` answers only what changed (204 when no issue matches); DELETE is 204."""
    ids = []
    for n in (1, 2):
        event_id = sentry_sdk.capture_message(f"opwire sdk bulk {n}")
        sentry_sdk.flush(timeout=5)
        ids.append(spec_checked(sdk, f"{PROJECT}/events/{event_id}/")["groupID"])
    path = "organizations/opwire-mock/issues/"
    reply = _api_checked(sdk, path, "PUT", params={"id": ids}, json={"status": "resolved"})
    assert (reply.status_code, reply.json()) == (200, {"status": "resolved", "statusDetails": {}})
    for group in ids:
        assert spec_checked(sdk, f"{path}{group}/")["status"] == "resolved"
    none = api(sdk, path, "PUT", params={"id": "999999"}, json={"status": "resolved"})
    assert none.status_code == 204
    project_path = f"{PROJECT}/issues/"
    reply = api(sdk, project_path, "PUT", params={"id": ids[0]}, json={"status": "unresolved"})
    assert reply.json()["status"] == "unresolved"
    assert _api_checked(sdk, path, "DELETE", params={"id": ids}).status_code == 204
    assert [api(sdk, f"{path}{g}/").status_code for g in ids] == [404, 404]


def test_a_short_id_names_its_issue(sdk: Mock) -> None:
    """docs.sentry.io/api/organizations/resolve-a-short-id/: the issue and its project."""
    event_id = sentry_sdk.capture_message("opwire sdk short id")
    sentry_sdk.flush(timeout=5)
    group = spec_checked(sdk, f"{PROJECT}/events/{event_id}/")["groupID"]
    short = spec_checked(sdk, "organizations/opwire-mock/issues/" + group + "/")["shortId"]
    found = spec_checked(sdk, f"organizations/opwire-mock/shortids/{short.lower()}/")
    assert (found["groupId"], found["projectSlug"], found["group"]["id"]) == (
        group,
        "project-42",
        group,
    )
    assert api(sdk, "organizations/opwire-mock/shortids/NOPE-1/").status_code == 404


def test_a_projects_events_list_its_errors_newest_first(sdk: Mock) -> None:
    """docs.sentry.io/api/events/list-a-projects-error-events/: error and message events
    (no transactions), newest first, each with `event.type`; `full=true` adds entries."""
    with sentry_sdk.start_transaction(name="not-an-error"):
        pass
    older = sentry_sdk.capture_message("opwire sdk listed older")
    newer = sentry_sdk.capture_message("opwire sdk listed newer")
    sentry_sdk.flush(timeout=5)
    listed = spec_checked(sdk, f"{PROJECT}/events/")
    ids = [e["eventID"] for e in listed]
    assert ids.index(newer) < ids.index(older)
    assert {e["event.type"] for e in listed} <= {"error", "default"}
    full = spec_checked(sdk, f"{PROJECT}/events/", params={"full": "true"})
    assert "entries" in full[0] and full[0]["eventID"] == ids[0]


def test_the_org_events_table_selects_filters_and_counts(sdk: Mock) -> None:
    """docs.sentry.io/api/discover/query-discover-events-in-table-format/: `field=` columns
    only, `query=` on tags and fields, `sort=`, `count()` grouping; no field is a 400."""
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("order", "o-77")
        scope.set_user({"id": "u-9", "email": "ada@shop.example"})
        event_id = sentry_sdk.capture_message("opwire sdk discover", level="error")
    sentry_sdk.capture_message("opwire sdk discover", level="error")
    sentry_sdk.flush(timeout=5)
    path = "organizations/opwire-mock/events/"
    params = {
        "field": ["id", "title", "timestamp", "project", "user.email", "tags[order]"],
        "query": "order:o-77",
        "dataset": "errors",
        "sort": "-timestamp",
    }
    table = spec_checked(sdk, path, params=params)
    (row,) = table["data"]
    assert row == {
        "id": event_id,
        "title": "opwire sdk discover",
        "timestamp": row["timestamp"],
        "project": "project-42",
        "user.email": "ada@shop.example",
        "tags[order]": "o-77",
    }
    assert table["meta"]["fields"]["timestamp"] == "date"
    counted = {"field": ["title", "count()"], "query": 'title:"opwire sdk discover"'}
    table = spec_checked(sdk, path, params={**counted, "dataset": "errors"})
    assert table["data"] == [{"title": "opwire sdk discover", "count()": 2}]
    assert table["meta"]["fields"]["count()"] == "integer"
    reply = api(sdk, path, params={"dataset": "errors"})
    assert reply.status_code == 400 and "detail" in reply.json()


CRON = {"schedule": {"type": "interval", "value": 1, "unit": "hour"}, "checkin_margin": 5}


def test_cron_check_ins_create_their_monitor_and_read_back(sdk: Mock) -> None:
    """docs.sentry.io/platforms/python/crons/: a check-in with `monitor_config` upserts its
    monitor; the same `check_in_id` updates that check-in (duration in ms); the monitor
    decorator sends in_progress then ok; docs.sentry.io/api/crons/ reads them back."""
    checkin_id = capture_checkin("nightly-report", status="in_progress", monitor_config=CRON)
    capture_checkin("nightly-report", check_in_id=checkin_id, status="ok", duration=1.5)

    @monitor(monitor_slug="nightly-report")
    def job() -> None:
        pass

    job()
    capture_checkin("never-configured", status="ok")
    sentry_sdk.flush(timeout=5)
    base = "organizations/opwire-mock/monitors"
    found = api(sdk, f"{base}/nightly-report/").json()
    assert (found["slug"], found["status"], found["isUpserting"]) == (
        "nightly-report",
        "active",
        True,
    )
    assert found["config"]["schedule_type"] == "interval" and found["config"]["schedule"] == [
        1,
        "hour",
    ]
    assert found["project"]["slug"] == "project-42"
    (env,) = found["environments"]
    assert (env["name"], env["status"]) == ("staging", "ok") and env["nextCheckIn"]
    checkins = api(sdk, f"{base}/nightly-report/checkins/").json()
    assert [c["status"] for c in checkins] == ["ok", "ok"]
    assert checkins[-1]["id"] == str(uuid.UUID(checkin_id)) and checkins[-1]["duration"] == 1500
    same = api(sdk, "projects/opwire-mock/project-42/monitors/nightly-report/checkins/")
    assert same.json() == checkins
    assert [m["slug"] for m in api(sdk, f"{base}/").json()] == ["nightly-report"]
    assert api(sdk, f"{base}/never-configured/").status_code == 404
    assert api(sdk, f"{base}/nightly-report/", "DELETE").status_code == 202
    assert api(sdk, f"{base}/nightly-report/").status_code == 404


def test_a_monitor_created_through_the_api_takes_check_ins(sdk: Mock) -> None:
    """docs.sentry.io/api/crons/create-a-monitor/: 201 with the monitor; a check-in without
    a config then lands on it; a duplicate slug and a missing field are 400s."""
    body = {
        "project": "project-42",
        "name": "Hourly Sync",
        "config": {"schedule_type": "crontab", "schedule": "0 * * * *"},
    }
    path = "organizations/opwire-mock/monitors/"
    created = api(sdk, path, "POST", json=body)
    assert created.status_code == 201 and created.json()["slug"] == "hourly-sync"
    assert api(sdk, path, "POST", json=body).status_code == 400
    assert "config" in api(sdk, path, "POST", json={"project": "42", "name": "x"}).json()
    capture_checkin("hourly-sync", status="error")
    sentry_sdk.flush(timeout=5)
    (checkin,) = api(sdk, f"{path}hourly-sync/checkins/").json()
    assert (checkin["status"], checkin["environment"]) == ("error", "staging")
    renamed = api(sdk, f"{path}hourly-sync/", "PUT", json={"name": "Hourly", "isMuted": True})
    assert (renamed.json()["name"], renamed.json()["isMuted"]) == ("Hourly", True)
    api(sdk, f"{path}hourly-sync/", "DELETE")


def test_user_feedback_is_submitted_and_listed(sdk: Mock) -> None:
    """docs.sentry.io/api/projects/submit-user-feedback/: the report links its event and
    issue; GET lists it; the event shows it as `userReport`; a missing field is DRF's 400."""
    event_id = sentry_sdk.capture_message("opwire sdk feedback")
    sentry_sdk.flush(timeout=5)
    body = {
        "event_id": event_id,
        "name": "Ada",
        "email": "ada@shop.example",
        "comments": "It broke",
    }
    path = f"{PROJECT}/user-feedback/"
    sent = _api_checked(sdk, path, "POST", json=body)
    assert sent.status_code == 200
    report = sent.json()
    assert (report["eventID"], report["comments"], report["event"]["id"]) == (
        event_id,
        "It broke",
        event_id,
    )
    assert report["issue"]["title"] == "opwire sdk feedback"
    assert report["issue"]["userReportCount"] == 1
    listed = spec_checked(sdk, path)
    assert listed[0]["id"] == report["id"]
    assert spec_checked(sdk, f"{PROJECT}/events/{event_id}/")["userReport"]["name"] == "Ada"
    bad = api(sdk, path, "POST", json={"event_id": event_id})
    assert bad.status_code == 400 and bad.json()["comments"] == ["This field is required."]


def test_a_user_report_envelope_item_is_kept(sdk: Mock) -> None:
    """develop.sentry.dev/sdk/envelopes/ `user_report`: the item older SDKs send carries the
    same JSON as the REST submit and lands in the project's user feedback."""
    from sentry_sdk.envelope import Envelope, Item, PayloadRef

    event_id = sentry_sdk.capture_message("opwire sdk report item")
    report = {"event_id": event_id, "name": "Bo", "email": "bo@x.example", "comments": "slow"}
    envelope = Envelope(headers={"event_id": event_id})
    envelope.add_item(Item(payload=PayloadRef(json=report), type="user_report"))
    transport = sentry_sdk.get_client().transport
    assert transport is not None
    transport.capture_envelope(envelope)
    sentry_sdk.flush(timeout=5)
    listed = spec_checked(sdk, f"{PROJECT}/user-feedback/")
    assert [r["comments"] for r in listed if r["eventID"] == event_id] == ["slow"]


def test_every_item_type_the_sdk_sends_is_accepted(sdk: Mock) -> None:
    """develop.sentry.dev/sdk/envelopes/ and Relay's envelope endpoint: sessions, logs
    (sentry_sdk.logger), trace metrics and client reports each get a 200, never a 4xx the
    SDK would log and drop (sentry_sdk/transport.py `_handle_response`)."""
    from sentry_sdk import logger as sentry_logger

    host = sdk.url.removeprefix("http://")
    client = sentry_sdk.Client(
        dsn=f"http://{KEY}@{host}/42",
        default_integrations=False,
        enable_logs=True,
        release="shop@1.2.3",
    )
    before = len(sdk.requests())
    with sentry_sdk.new_scope() as scope:
        scope.set_client(client)
        sentry_sdk.start_session()
        sentry_sdk.end_session()
        sentry_logger.info("opwire sdk log line {n}", n=1)
        sentry_sdk.metrics.count("opwire.clicks", 1)
        assert client.transport is not None
        client.transport.record_lost_event("ratelimit_backoff", data_category="error")
        client.flush(timeout=5)
        client.transport._flush_client_reports(force=True)  # the SDK's periodic report, now
        client.close(timeout=5)
    sent = sdk.requests()[before:]
    assert len(sent) >= 3 and {r["status"] for r in sent} == {200}


@pytest.mark.parametrize(
    "experiments",
    [
        {"transport_compression_algo": "gzip"},
        {"transport_compression_algo": "br"},
        {"transport_compression_level": 0},
    ],
    ids=["gzip", "br", "uncompressed"],
)
def test_each_sdk_compression_is_read(mock: Mock, experiments: dict[str, Any]) -> None:
    """sentry_sdk/transport.py: the body is gzip, br or plain as `_experiments` choose, with
    its Content-Encoding; the event reads back the same way."""
    mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    host = mock.url.removeprefix("http://")
    client = sentry_sdk.Client(
        dsn=f"http://{KEY}@{host}/42", default_integrations=False, _experiments=experiments
    )
    before = len(mock.requests())
    with sentry_sdk.new_scope() as scope:
        scope.set_client(client)
        event_id = sentry_sdk.capture_message(f"opwire sdk {sorted(experiments.values())}")
        client.close(timeout=5)
    (sent,) = mock.requests()[before:]
    expected = experiments.get("transport_compression_algo")
    assert (sent["status"], sent["headers"].get("content-encoding")) == (200, expected)
    assert api(mock, f"{PROJECT}/events/{event_id}/").status_code == 200


def test_an_identity_content_encoding_is_the_plain_body(mock: Mock) -> None:
    """RFC 9110 § 8.4.1: `identity` is no encoding; Relay reads the body as sent."""
    hex_id = uuid.uuid4().hex
    reply = httpx.post(
        f"{mock.url}/api/42/envelope/",
        content=envelope(hex_id, {"message": "identity"}),
        headers={**AUTH, "Content-Encoding": "identity"},
    )
    assert (reply.status_code, reply.json()) == (200, {"id": hex_id})


def test_the_sdk_backs_off_on_the_mocks_429() -> None:
    """develop.sentry.dev/sdk/rate-limiting/: the SDK reads X-Sentry-Rate-Limits from the 429
    and drops what it would send until then (sentry_sdk/transport.py `_update_rate_limits`,
    `_check_disabled`)."""
    for mock in serve("sentry"):
        mock.control("POST", "scenarios", {"name": "sentry/retry_after_storm"})
        host = mock.url.removeprefix("http://")
        client = sentry_sdk.Client(dsn=f"http://{KEY}@{host}/42", default_integrations=False)
        with sentry_sdk.new_scope() as scope:
            scope.set_client(client)
            sentry_sdk.capture_message("opwire sdk throttled")
            client.flush(timeout=5)
            transport = client.transport
            assert transport is not None
            assert transport._check_disabled("error") and transport._check_disabled("transaction")
            before = len(mock.requests())
            sentry_sdk.capture_message("opwire sdk held back")
            client.flush(timeout=5)
            assert len(mock.requests()) == before  # dropped by the SDK, never sent
            client.close(timeout=1)


def test_scope_user_context_and_extra_read_back(sdk: Mock) -> None:
    """docs.sentry.io/platforms/python/enriching-events/: set_user, set_context (shown with
    Relay's `type`, `default` for a custom one), set_extra (the event's `context`), and the
    org's event route `{project}:{event_id}` (OrganizationEventDetailsEndpoint)."""
    with sentry_sdk.new_scope() as scope:
        scope.set_user({"id": "u-1", "email": "ada@shop.example"})
        scope.set_context("cart", {"items": 3})
        scope.set_extra("coupon", "SPRING")
        event_id = sentry_sdk.capture_message("opwire sdk enriched")
    sentry_sdk.flush(timeout=5)
    event = spec_checked(sdk, f"{PROJECT}/events/{event_id}/")
    assert (event["user"]["id"], event["user"]["email"]) == ("u-1", "ada@shop.example")
    assert event["contexts"]["cart"] == {"items": 3, "type": "default"}
    assert event["contexts"]["trace"]["type"] == "trace"
    assert event["context"]["coupon"] == "SPRING"
    assert tags(event)["user"] == "id:u-1"
    found = api(sdk, f"organizations/opwire-mock/events/project-42:{event_id}/")
    assert found.status_code == 200 and found.json()["eventID"] == event_id
    assert api(sdk, f"organizations/opwire-mock/events/nope:{event_id}/").status_code == 404


def _link(reply: httpx.Response) -> dict[str, dict[str, str]]:
    """Sentry's Link header by rel: {"results": …, "cursor": …, "url": …}."""
    found = {}
    for part in reply.headers["link"].split(", <"):
        url, *attrs = part.strip("<").split("; ")
        fields = dict(a.split("=", 1) for a in attrs)
        found[fields["rel"].strip('"')] = {
            "url": url.rstrip(">"),
            "results": fields["results"].strip('"'),
            "cursor": fields["cursor"].strip('"'),
        }
    return found


def test_lists_page_with_sentrys_link_cursors(sdk: Mock) -> None:
    """docs.sentry.io/api/pagination/: `Link` has a previous and a next link, each with
    `results` and `cursor`; following next gives the rest, and its next has no results."""
    for n in range(3):
        sentry_sdk.capture_message(f"opwire sdk page {n}")
    sentry_sdk.flush(timeout=5)
    path = "organizations/opwire-mock/issues/"
    first = api(sdk, path, params={"query": "opwire sdk page", "limit": 2})
    links = _link(first)
    assert [i["title"] for i in first.json()] == ["opwire sdk page 2", "opwire sdk page 1"]
    assert (links["previous"]["results"], links["next"]["results"]) == ("false", "true")
    second = httpx.get(links["next"]["url"], headers=TOKEN)
    assert [i["title"] for i in second.json()] == ["opwire sdk page 0"]
    assert _link(second)["next"]["results"] == "false"
    by_count = api(sdk, path, params={"query": "opwire sdk page", "sort": "freq"})
    assert by_count.status_code == 200 and len(by_count.json()) == 3
    assert api(sdk, path, params={"sort": "bogus"}).status_code == 400


def test_an_issues_tag_values_are_counted(sdk: Mock) -> None:
    """docs.sentry.io/api/events/retrieve-tag-details/ and list-a-tags-values-for-an-issue/:
    each value with its count and first/last seen, most seen first."""
    for shard in ("blue", "blue", "green"):
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("shard", shard)
            event_id = sentry_sdk.capture_message("opwire sdk tagged")
    sentry_sdk.flush(timeout=5)
    group = spec_checked(sdk, f"{PROJECT}/events/{event_id}/")["groupID"]
    base = f"organizations/opwire-mock/issues/{group}/tags/shard"
    values = spec_checked(sdk, f"{base}/values/")
    assert [(v["value"], v["count"]) for v in values] == [("blue", 2), ("green", 1)]
    assert values[0]["firstSeen"] <= values[0]["lastSeen"]
    detail = spec_checked(sdk, f"{base}/")
    assert (detail["key"], detail["uniqueValues"], detail["totalValues"]) == ("shard", 2, 3)
    assert api(sdk, f"organizations/opwire-mock/issues/{group}/tags/nope/").status_code == 404


PARAMETER = "sentry.message.parameter.cart_id"


def test_sdk_logs_read_back_from_the_logs_table(mock: Mock) -> None:
    """docs.sentry.io/platforms/python/logs/ and the events table's `dataset=logs`: each
    sentry_sdk.logger line is a row (message; severity as the SDK sends it, `warn`; trace; its
    attributes, a template's parameters as `sentry.message.parameter.<name>`)."""
    from sentry_sdk import logger as sentry_logger

    mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    host = mock.url.removeprefix("http://")
    client = sentry_sdk.Client(
        dsn=f"http://{KEY}@{host}/42",
        default_integrations=False,
        enable_logs=True,
        environment="staging",
    )
    with sentry_sdk.new_scope() as scope:
        scope.set_client(client)
        sentry_logger.warning("opwire sdk cart {cart_id} is stale", cart_id="c-9")
        sentry_logger.info("opwire sdk cart ok")
        client.close(timeout=5)
    params = {
        "dataset": "logs",
        "field": ["message", "severity", "timestamp", "trace", PARAMETER, "environment"],
        "query": "severity:warn",
    }
    table = spec_checked(mock, "organizations/opwire-mock/events/", params=params)
    (row,) = table["data"]
    assert (row["message"], row["severity"], row[PARAMETER]) == (
        "opwire sdk cart c-9 is stale",
        "warn",
        "c-9",
    )
    assert row["environment"] == "staging" and len(row["trace"]) == 32
    assert table["meta"]["fields"]["timestamp"] == "date"
    counted = {
        "dataset": "logs",
        "field": ["severity", "count()"],
        "sort": "severity",
        "query": 'message:"opwire sdk cart*"',
    }
    table = spec_checked(mock, "organizations/opwire-mock/events/", params=counted)
    assert table["data"] == [
        {"severity": "info", "count()": 1},
        {"severity": "warn", "count()": 1},
    ]


def test_a_transactions_spans_read_back_from_the_spans_table(sdk: Mock) -> None:
    """The events table's `dataset=spans` (docs.sentry.io/product/explore/traces/): the root
    span (`is_transaction`) and each child, with op, description and duration in ms; the
    transactions dataset shows `transaction.duration`."""
    transaction = sentry_sdk.start_transaction(name="opwire-sdk-spans", op="task")
    with transaction, transaction.start_child(op="db.query", name="SELECT 42"):
        pass
    sentry_sdk.flush(timeout=5)
    params = {
        "dataset": "spans",
        "field": ["span.op", "span.description", "span.duration", "is_transaction", "trace"],
        "query": "transaction:opwire-sdk-spans",
    }
    rows = spec_checked(sdk, "organizations/opwire-mock/events/", params=params)["data"]
    by_op = {r["span.op"]: r for r in rows}
    assert by_op["task"]["is_transaction"] and by_op["task"]["span.description"] == (
        "opwire-sdk-spans"
    )
    assert by_op["db.query"]["span.description"] == "SELECT 42"
    assert by_op["db.query"]["trace"] == by_op["task"]["trace"]
    assert all(r["span.duration"] >= 0 for r in rows)
    params = {
        "dataset": "transactions",
        "field": ["transaction", "transaction.duration", "transaction.op"],
        "query": "transaction:opwire-sdk-spans",
    }
    (row,) = spec_checked(sdk, "organizations/opwire-mock/events/", params=params)["data"]
    assert row["transaction.op"] == "task" and row["transaction.duration"] >= 0


def test_an_attachment_is_described_and_downloaded(sdk: Mock) -> None:
    """docs.sentry.io/api/events/retrieve-an-event-attachment/: the metadata, and with
    `download` the bytes sent, with their Content-Type and a Content-Disposition naming the
    file (event_attachment_details.py)."""
    data = b"\x89PNG\r\n\x1a\n fake image bytes"
    with sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=data, filename="shot.png", content_type="image/png")
        event_id = sentry_sdk.capture_message("opwire sdk screenshot")
    sentry_sdk.flush(timeout=5)
    (listed,) = spec_checked(sdk, f"{PROJECT}/events/{event_id}/attachments/")
    path = f"{PROJECT}/events/{event_id}/attachments/{listed['id']}/"
    assert spec_checked(sdk, path) == listed
    download = api(sdk, path, params={"download": "1"})
    assert (download.status_code, download.content) == (200, data)
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"] == 'attachment; filename="shot.png"'
    assert api(sdk, f"{PROJECT}/events/{event_id}/attachments/999999/").status_code == 404


def _raise_in(name: str) -> str | None:
    try:
        raise KeyError(name)
    except KeyError:
        return sentry_sdk.capture_exception()


def test_culprit_users_and_default_fingerprints_group_as_sentry_does(sdk: Mock) -> None:
    """event_manager.py `get_culprit`: `module in function` of the newest in-app frame; the
    issue's userCount counts distinct users; `{{ default }}` in a fingerprint stands for
    Sentry's own grouping, so different errors under one scope fingerprint stay apart
    (docs.sentry.io/concepts/data-management/event-grouping/fingerprint-rules/)."""
    ids = []
    for user in ("u-1", "u-2", "u-1"):
        with sentry_sdk.new_scope() as scope:
            scope.clear()  # no transaction name left from other tests: it would be the culprit
            scope.set_user({"id": user})
            scope.fingerprint = ["{{ default }}", "checkout"]
            ids.append(_raise_in("opwire-culprit"))
    with sentry_sdk.new_scope() as scope:
        scope.fingerprint = ["{{ default }}", "checkout"]
        other = _raise_in("opwire-other")
    sentry_sdk.flush(timeout=5)
    event = spec_checked(sdk, f"{PROJECT}/events/{ids[0]}/")
    assert event["culprit"] == "test_sentry_mock_sdk in _raise_in"
    issue = spec_checked(sdk, f"organizations/opwire-mock/issues/{event['groupID']}/")
    assert (issue["count"], issue["userCount"], issue["culprit"]) == (
        "3",
        2,
        "test_sentry_mock_sdk in _raise_in",
    )
    assert spec_checked(sdk, f"{PROJECT}/events/{other}/")["groupID"] != event["groupID"]


def test_the_sdks_release_is_listed_with_its_health(sdk: Mock) -> None:
    """docs.sentry.io/api/releases/: the release an SDK reports exists once an event names
    it (shortVersion without its package); a session marks its health data
    (develop.sentry.dev/sdk/telemetry/sessions/)."""
    sentry_sdk.capture_message("opwire sdk release")
    sentry_sdk.start_session()
    sentry_sdk.end_session()
    sentry_sdk.flush(timeout=5)
    found = spec_checked(sdk, "organizations/opwire-mock/releases/shop@1.2.3/")
    assert (found["version"], found["shortVersion"]) == ("shop@1.2.3", "1.2.3")
    assert found["versionInfo"]["package"] == "shop" and found["firstEvent"]
    (project,) = found["projects"]
    assert (project["slug"], project["hasHealthData"]) == ("project-42", True)
    listed = spec_checked(sdk, "organizations/opwire-mock/releases/", params={"query": "shop@"})
    assert [r["version"] for r in listed] == ["shop@1.2.3"]
    assert api(sdk, "organizations/opwire-mock/releases/nope@0/").status_code == 404


def test_an_sdk_with_default_integrations_in_the_mocks_process_sends_no_storm() -> None:
    """sentry_sdk.init with its default (auto-enabling) integrations and tracing, beside an
    in-process mock: the SDK's Starlette integration must not trace the mock's own envelope
    handling, or each envelope the mock takes becomes a transaction sent to it, without end
    (sentry_sdk/integrations/asgi.py `_asgi_middleware_applied` is the SDK's own guard)."""
    import time

    for mock in serve("sentry"):
        mock.control("POST", "sentry/config", {"processing_delay_s": 0})
        host = mock.url.removeprefix("http://")
        sentry_sdk.init(dsn=f"http://{KEY}@{host}/42", traces_sample_rate=1.0)
        try:
            assert "starlette" in sentry_sdk.get_client().integrations
            event_id = sentry_sdk.capture_message("opwire sdk with default integrations")
            sentry_sdk.flush(timeout=5)
            time.sleep(0.5)
            sent = [r for r in mock.requests() if r["path"] == "/api/42/envelope/"]
            assert len(sent) <= 2  # the message, and at most a session/client report
            assert api(mock, f"{PROJECT}/events/{event_id}/").status_code == 200
        finally:
            sentry_sdk.get_client().close(timeout=1)
            sentry_sdk.init()
