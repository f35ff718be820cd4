"""Mock control API v1: what every mock holds in one shape (`state`), counted from the same lists
(`counts`), the request log read by cursor (`requests?after=`), a JSON Schema for every control
answer of every mock, and 400 with a reason for a wrongly typed control value, never a 500.

Real mock servers on loopback; each artifact is sent through the vendor's own route, tagged with a
run id where opwire's probes put it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jsonschema
import pytest
from starlette.routing import Route

from opwire.integrations import MOCKED, load
from opwire.mock.app import fingerprint
from opwire.mock.control_schema import ERROR, VENDOR_FIELDS, answer_schema

from conftest import Mock, serve

RID = "ow-20261201T120000Z-abc123"
OTHER = "ow-20261201T130000Z-def456"
GUID = "0b7a6c1e-2f3d-4a5b-8c9d-0e1f2a3b4c5d"
DD_KEYS = {"DD-API-KEY": "ab" * 16, "DD-APPLICATION-KEY": "cd" * 20}
SENTRY_AUTH = {"X-Sentry-Auth": f"Sentry sentry_key={'ef' * 16}, sentry_version=7"}
ROUTING_KEY = "5c" * 16
HOOK = "/services/T0SCHEMA0/B0SCHEMA0/SchemaSecretSchemaSecret"


def _ok(reply: httpx.Response) -> None:
    assert reply.status_code < 300, (reply.request.url, reply.status_code, reply.text)


def _datadog(url: str, rid: str, now: float) -> None:
    tags = [f"run_id:{rid}", "verify:true"]
    event = {"title": f"opwire verify {rid}", "text": "t", "tags": tags}
    _ok(httpx.post(f"{url}/api/v1/events", headers=DD_KEYS, json=event))
    point = {"timestamp": int(now), "value": 1.0}
    series = {"series": [{"metric": "opwire.verify", "points": [point], "tags": tags}]}
    _ok(httpx.post(f"{url}/api/v2/series", headers=DD_KEYS, json=series))


def _sentry(url: str, rid: str, now: float) -> None:
    event = {"message": f"opwire verify {rid}", "tags": {"run_id": rid}, "level": "error"}
    payload = json.dumps(event).encode()
    head = json.dumps({"event_id": uuid.uuid4().hex}).encode()
    body = b"\n".join([head, b'{"type":"event"}', payload]) + b"\n"
    _ok(httpx.post(f"{url}/api/42/envelope/", headers=SENTRY_AUTH, content=body))


def _pagerduty(url: str, rid: str, now: float) -> None:
    payload = {"summary": f"opwire verify {rid}", "source": "opwire", "severity": "info"}
    trigger = {"routing_key": ROUTING_KEY, "event_action": "trigger", "dedup_key": rid}
    _ok(httpx.post(f"{url}/v2/enqueue", json={**trigger, "payload": payload}))
    change = {"routing_key": ROUTING_KEY, "payload": {"summary": f"deploy {rid}"}}
    _ok(httpx.post(f"{url}/v2/change/enqueue", json=change))


def _opsgenie(url: str, rid: str, now: float) -> None:
    genie = {"Authorization": f"GenieKey {GUID}"}
    _ok(httpx.post(f"{url}/_opwire/opsgenie/config", json={"request_delay_s": 0}))
    alert = {"message": f"opwire verify {rid}", "alias": rid, "details": {"run_id": rid}}
    _ok(httpx.post(f"{url}/v2/alerts", headers=genie, json=alert))
    _ok(httpx.get(f"{url}/v2/heartbeats/{rid}/ping", headers=genie))


def _slack(url: str, rid: str, now: float) -> None:
    _ok(httpx.post(url + HOOK, json={"text": f"opwire verify {rid}: test message"}))


def _splunk(url: str, rid: str, now: float) -> None:
    event = {"event": {"message": f"opwire verify {rid}"}, "fields": {"run_id": rid}}
    headers = {"Authorization": f"Splunk {GUID}"}
    _ok(httpx.post(f"{url}/services/collector/event", headers=headers, json=event))


# One artifact of every kind the mock holds, each carrying the run id where a probe puts it.
SEEDS: dict[str, Callable[[str, str, float], None]] = {
    "datadog": _datadog,
    "sentry": _sentry,
    "pagerduty": _pagerduty,
    "opsgenie": _opsgenie,
    "slack": _slack,
    "splunk": _splunk,
}


def control_routes(slug: str) -> list[tuple[str, str]]:
    """(method, route under /_opwire/) for every control route of the mock, from its own list."""
    found = []
    for route in load(slug).create_app().routes:
        if isinstance(route, Route) and route.path.startswith("/_opwire/"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path.removeprefix("/_opwire/")))
    return found


@pytest.fixture(params=MOCKED)
def mock(request: pytest.FixtureRequest) -> Any:
    yield from serve(request.param)


def _now(mock: Mock) -> float:
    return float(mock.control("GET", "clock")["now"])


def _get(mock: Mock, route: str, **params: Any) -> Any:
    reply = httpx.get(f"{mock.url}/_opwire/{route}", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _valid(document: Any, slug: str, route: str) -> None:
    jsonschema.Draft202012Validator(answer_schema(slug, route)).validate(document)


# --- state and counts --------------------------------------------------------------------------


def test_every_kind_is_listed_once_in_the_vendors_own_json_with_its_run_id(mock: Mock) -> None:
    slug = mock.server.slug
    SEEDS[slug](mock.url, RID, _now(mock))
    state = _get(mock, "state")
    _valid(state, slug, "state")
    assert sorted(i["kind"] for i in state["items"]) == sorted(VENDOR_FIELDS[slug])
    assert {i["run_id"] for i in state["items"]} == {RID}
    assert state["total"] == len(state["items"])
    times = [i["time"] for i in state["items"]]
    assert times == sorted(times)  # oldest first


def test_counts_are_taken_from_the_same_lists(mock: Mock) -> None:
    slug = mock.server.slug
    empty = _get(mock, "counts")
    _valid(empty, slug, "counts")
    assert empty["counts"] == dict.fromkeys(VENDOR_FIELDS[slug], 0)  # every kind, 0 included
    SEEDS[slug](mock.url, RID, _now(mock))
    counts = _get(mock, "counts", run_id=RID)
    _valid(counts, slug, "counts")
    assert counts["counts"] == dict.fromkeys(VENDOR_FIELDS[slug], 1)
    assert (counts["since"], counts["until"], counts["run_id"]) == (None, None, RID)
    assert set(_get(mock, "counts", run_id=OTHER)["counts"].values()) == {0}


def test_a_window_counts_what_arrived_in_it_on_the_mock_clock(mock: Mock) -> None:
    """Two batches 100 s apart on the mock's clock (advanced, not waited for): a window's
    `since` is inclusive and its `until` exclusive, so the two halves count each item once."""
    slug = mock.server.slug
    first = _now(mock)
    SEEDS[slug](mock.url, RID, first)
    mock.control("POST", "clock", {"advance_s": 100})
    SEEDS[slug](mock.url, OTHER, _now(mock))
    middle = first + 50
    one = dict.fromkeys(VENDOR_FIELDS[slug], 1)
    before = _get(mock, "counts", until=middle)
    after = _get(mock, "counts", since=middle)
    assert (before["counts"], after["counts"]) == (one, one)
    assert (before["until"], after["since"]) == (middle, middle)
    early = _get(mock, "state", until=middle)["items"]
    assert {i["run_id"] for i in early} == {RID}
    assert {i["run_id"] for i in _get(mock, "state", run_id=OTHER)["items"]} == {OTHER}


def test_state_selects_by_kind_and_keeps_the_newest_under_a_limit(slack_mock: Mock) -> None:
    for rid in (RID, OTHER):
        _slack(slack_mock.url, rid, 0)
    newest = _get(slack_mock, "state", limit=1)
    assert newest["total"] == 2 and [i["run_id"] for i in newest["items"]] == [OTHER]
    assert _get(slack_mock, "state", kind="incident") == {
        "vendor": "slack",
        "items": [],
        "total": 0,
    }
    (first, second) = _get(slack_mock, "state")["items"]
    assert first["vendor"]["channel"] == "C0OPWIRE01" and RID in first["vendor"]["text"]
    assert float(second["vendor"]["ts"]) == second["time"]


def test_opsgenie_lists_an_alert_once_its_request_is_processed(opsgenie_mock: Mock) -> None:
    opsgenie_mock.control("POST", "opsgenie/config", {"request_delay_s": 600})
    genie = {"Authorization": f"GenieKey {GUID}"}
    alert = {"message": "m", "alias": RID}
    _ok(httpx.post(f"{opsgenie_mock.url}/v2/alerts", headers=genie, json=alert))
    assert _get(opsgenie_mock, "counts")["counts"]["alert"] == 0
    opsgenie_mock.control("POST", "clock", {"advance_s": 600})
    (item,) = _get(opsgenie_mock, "state", kind="alert")["items"]
    assert (item["run_id"], item["vendor"]["alias"]) == (RID, RID)


def test_a_dropped_artifact_is_not_counted(sentry_mock: Mock) -> None:
    """Sentry's silent drop (200, never stored): the count is how a reconciliation sees it."""
    sentry_mock.control("POST", "scenarios", {"name": "sentry/dropped"})
    _sentry(sentry_mock.url, RID, 0)
    assert _get(sentry_mock, "counts")["counts"] == {"event": 0, "issue": 0}


SPLUNK = {"Authorization": f"Splunk {GUID}"}
# (slug, intake path, headers, a body with a number JSON cannot hold: NaN, Infinity, 1e400)
NON_FINITE = [
    ("slack", HOOK, {}, b'{"text": "x", "blocks": [{"n": NaN}]}'),
    ("datadog", "/api/v2/series", DD_KEYS, b'{"series": [{"metric": "m", "points": '
     b'[{"timestamp": 1, "value": Infinity}]}]}'),
    ("opsgenie", "/v2/alerts", {"Authorization": f"GenieKey {GUID}"}, b'{"message": "m", '
     b'"details": {"n": 1e400}}'),
    ("pagerduty", "/v2/enqueue", {}, b'{"routing_key": "%s", "event_action": "trigger", '
     b'"payload": {"summary": "s", "source": "s", "severity": "info", "custom_details": '
     b'{"n": NaN}}}'),
    ("sentry", "/api/42/store/", SENTRY_AUTH, b'{"message": "m", "extra": {"n": NaN}}'),
    ("splunk", "/services/collector/event", SPLUNK, b'{"event": {"n": -Infinity}}'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("slug", "path", "headers", "body"), NON_FINITE, ids=[n[0] for n in NON_FINITE]
)
def test_a_number_json_cannot_hold_is_refused_so_the_state_can_be_written_back(
    slug: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    """Python reads NaN and Infinity, no vendor does; a mock that kept one could not answer."""
    for mock in serve(slug):
        content = body.replace(b"%s", ROUTING_KEY.encode())
        reply = httpx.post(mock.url + path, headers=headers, content=content)
        assert 400 <= reply.status_code < 500, reply.text
        assert set(_get(mock, "counts")["counts"].values()) == {0}
        assert _get(mock, "state")["items"] == []


# --- the request log by cursor -----------------------------------------------------------------


def test_request_log_v1_reads_by_cursor(slack_mock: Mock) -> None:
    for rid in (RID, OTHER):
        _slack(slack_mock.url, rid, 0)
    page = _get(slack_mock, "requests", after=0)
    _valid(page, "slack", "requests?after")
    assert (page["next"], page["dropped"]) == (2, 0)
    first, second = page["items"]
    assert (first["method"], first["path"]) == ("POST", "/services/T0SCHEMA0/B0SCHEMA0/****")
    assert (first["status"], first["run_id"], second["run_id"]) == (200, RID, OTHER)
    assert first["credential"] == fingerprint("SchemaSecretSchemaSecret")
    assert first["duration_ms"] >= 0 and RID in first["body_excerpt"]
    assert _get(slack_mock, "requests", after=2) == {"next": 2, "dropped": 0, "items": []}
    one = _get(slack_mock, "requests", after=0, limit=1)
    assert (one["next"], [i["seq"] for i in one["items"]]) == (1, [1])


def test_request_log_v1_says_what_a_reader_missed(slack_mock: Mock) -> None:
    for rid in (RID, OTHER):
        _slack(slack_mock.url, rid, 0)
    httpx.delete(f"{slack_mock.url}/_opwire/requests")
    _slack(slack_mock.url, RID, 0)
    page = _get(slack_mock, "requests", after=0)
    assert (page["next"], page["dropped"], [i["seq"] for i in page["items"]]) == (3, 2, [3])
    # A cursor from an earlier run of the mock (past its newest request) reads from the start.
    assert [i["seq"] for i in _get(slack_mock, "requests", after=999)["items"]] == [3]


def test_the_older_request_log_answer_still_serves_its_callers(slack_mock: Mock) -> None:
    for rid in (RID, OTHER):
        _slack(slack_mock.url, rid, 0)
    legacy = _get(slack_mock, "requests", since=1)
    _valid(legacy, "slack", "requests")
    assert [r["seq"] for r in legacy["requests"]] == [2]
    assert len(_get(slack_mock, "requests")["requests"]) == 2


def test_request_log_masks_secrets_in_the_body_and_the_query(slack_mock: Mock) -> None:
    httpx.post(
        f"{slack_mock.url}/api/conversations.history",
        data={"token": "xoxb-v1-body-token-123", "channel": "C0OPWIRE01"},
    )
    for mock in serve("datadog"):
        httpx.get(
            f"{mock.url}/api/v1/events",
            params={"api_key": "ab" * 16, "application_key": "cd" * 20, "start": 0, "end": 1},
        )
        (entry,) = _get(mock, "requests", after=0)["items"]
        assert "cd" * 20 not in json.dumps(entry) and "ab" * 16 not in json.dumps(entry)
        assert "application_key=****" in entry["query"]
    (entry,) = _get(slack_mock, "requests", after=0)["items"]
    assert "xoxb-v1-body-token-123" not in json.dumps(entry)
    assert entry["credential"] == fingerprint("xoxb-v1-body-token-123")


def test_a_hang_never_answered_has_no_status_and_no_duration(slack_mock: Mock) -> None:
    slack_mock.fault(path="/services/*", hang=True, times=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(slack_mock.url + HOOK, json={"text": "x"}, timeout=0.3)
    _slack(slack_mock.url, RID, 0)
    hung, answered = _get(slack_mock, "requests", after=0)["items"]
    assert (hung["status"], hung["duration_ms"], hung["fault"]) == (None, None, 0)
    assert answered["status"] == 200 and answered["duration_ms"] is not None


# --- every control answer of every mock has a schema, and validates against it -----------------

# A valid body for each POST (a route missing here fails the test below: add one).
POST_BODIES: dict[str, Any] = {
    "faults": {"path": "/nothing/*", "status": 500},
    "reset": None,
    "region": None,  # posted with the mock's own region, read first
    "credentials": {"credential": "schema-credential", "region": "elsewhere"},
    "scenarios": None,  # posted with the first scenario the mock lists
    "clock": {"advance_s": 0},
    "slack/hooks": {"team": "T0SCHEMA0", "bot": "B0SCHEMA0"},
    "slack/channels": {"id": "C0SCHEMA01"},
    "slack/rate": {"burst": 30, "per_second": 1},
    "opsgenie/config": {"request_delay_s": 0},
    "sentry/config": {"processing_delay_s": 0},
    "sentry/rules": {
        "action": "pagerduty",
        "events_url": "http://127.0.0.1:9",
        "routing_key": ROUTING_KEY,
    },
    "splunk/config": {"health": "healthy"},
    "pagerduty/services": {"routing_key": ROUTING_KEY},
    "pagerduty/extensions": {"routing_key": ROUTING_KEY, "webhook_url": "http://127.0.0.1:9"},
}
LAST = ("reset", "requests")  # what clears the mock is asked last


def _body(mock: Mock, route: str) -> Any:
    if route == "region":
        return {"region": mock.control("GET", "region")["region"]}
    if route == "scenarios":
        return {"name": mock.control("GET", "scenarios")["scenarios"][0]["name"]}
    return POST_BODIES[route]


@pytest.mark.parametrize("slug", MOCKED)
def test_every_control_route_has_a_schema(slug: str) -> None:
    for _, route in control_routes(slug):
        answer_schema(slug, route)  # a KeyError names the route without one


def test_every_control_answer_of_every_mock_validates_against_its_schema(mock: Mock) -> None:
    slug = mock.server.slug
    SEEDS[slug](mock.url, RID, _now(mock))
    _valid(_get(mock, "requests", after=0), slug, "requests?after")
    asked = sorted(control_routes(slug), key=lambda r: (r[1] in LAST, r[0] == "DELETE"))
    for method, route in asked:
        payload = _body(mock, route) if method == "POST" else None
        reply = httpx.request(method, f"{mock.url}/_opwire/{route}", json=payload)
        assert reply.status_code == 200, (method, route, reply.text)
        _valid(reply.json(), slug, route)
        if route in ("state", "counts") and method == "GET":
            assert reply.json()["items" if route == "state" else "counts"], route


@pytest.mark.parametrize("slug", MOCKED)
def test_the_schemas_kinds_are_the_rooms(slug: str) -> None:
    for mock in serve(slug):
        assert set(_get(mock, "counts")["counts"]) == set(VENDOR_FIELDS[slug])


# --- a wrongly typed control value is 400 and a reason, never a 500 ----------------------------

# (slug, method, route, query, raw body)
BAD: list[tuple[str, str, str, dict[str, str], bytes | None]] = [
    ("slack", "GET", "requests", {"after": "abc"}, None),
    ("slack", "GET", "requests", {"after": "-1"}, None),
    ("slack", "GET", "requests", {"after": "0", "limit": "0"}, None),
    ("slack", "GET", "requests", {"since": "x"}, None),
    ("slack", "GET", "state", {"since": "x"}, None),
    ("slack", "GET", "state", {"until": "nan"}, None),
    ("slack", "GET", "state", {"limit": "-1"}, None),
    ("slack", "GET", "counts", {"since": "yesterday"}, None),
    ("slack", "GET", "counts", {"until": "inf"}, None),
    ("slack", "POST", "faults", {}, b'"x"'),
    ("slack", "POST", "faults", {}, b"[1]"),
    ("slack", "POST", "faults", {}, b'{"status": 500, "times": 1.5}'),
    ("slack", "POST", "region", {}, b"[]"),
    ("slack", "POST", "region", {}, b'{"region": 5}'),
    ("slack", "POST", "credentials", {}, b'{"credential": 5, "region": "eu"}'),
    ("slack", "POST", "credentials", {}, b"[1]"),
    ("slack", "POST", "scenarios", {}, b"[]"),
    ("slack", "POST", "scenarios", {}, b'{"name": 5}'),
    ("slack", "POST", "scenarios", {}, b"{oops"),
    ("slack", "POST", "clock", {}, b'{"advance_s": "5"}'),
    ("slack", "POST", "slack/rate", {}, b'{"burst": "x"}'),
    ("slack", "POST", "slack/rate", {}, b'{"per_second": 0}'),
    ("slack", "POST", "slack/rate", {}, b'{"burst": NaN}'),
    ("slack", "POST", "slack/rate", {}, b"[]"),
    ("slack", "POST", "slack/hooks", {}, b'{"team": 1, "bot": "B0X"}'),
    ("slack", "POST", "slack/channels", {}, b'{"id": "C0X", "member": "no"}'),
    ("opsgenie", "POST", "opsgenie/config", {}, b'{"keys": []}'),
    ("opsgenie", "POST", "opsgenie/config", {}, b'{"request_delay_s": "x"}'),
    ("opsgenie", "POST", "opsgenie/config", {}, b'{"teams": "SRE"}'),
    ("opsgenie", "POST", "opsgenie/config", {}, b"[]"),
    ("sentry", "POST", "sentry/config", {}, b'{"project": {"id": "x"}}'),
    ("sentry", "POST", "sentry/config", {}, b'{"project": {"id": 1, "rejected_keys": 5}}'),
    ("sentry", "POST", "sentry/config", {}, b'{"processing_delay_s": "soon"}'),
    ("splunk", "POST", "splunk/config", {}, b'{"tokens": []}'),
    ("splunk", "POST", "splunk/config", {}, b'{"tokens": {"t": 5}}'),
    ("splunk", "POST", "splunk/config", {}, b'{"indexing_delay_s": "x"}'),
    ("splunk", "POST", "splunk/config", {}, b'{"tokens": {"t": {"ack": "yes"}}}'),
    ("pagerduty", "POST", "pagerduty/services", {}, b'{"routing_key": "%s", "rate_limit": "x"}'),
    ("pagerduty", "POST", "pagerduty/services", {}, b'{"routing_key": "%s", "paused": "no"}'),
    ("sentry", "POST", "sentry/rules", {}, b'{"action": "pagerduty", "delay_s": "soon"}'),
    ("pagerduty", "POST", "pagerduty/extensions", {}, b'{"routing_key": "%s", "webhook_url": 5}'),
]


# Control routes whose GET shows what a POST changes (the clock's is its own test's).
READABLE = {
    "faults",
    "region",
    "credentials",
    "scenarios",
    "slack/hooks",
    "opsgenie/config",
    "sentry/config",
    "sentry/rules",
    "splunk/config",
    "pagerduty/services",
    "pagerduty/extensions",
}


@pytest.mark.parametrize(
    ("slug", "method", "route", "query", "body"),
    BAD,
    ids=[f"{b[0]}-{b[2]}-{json.dumps(b[3]) if b[3] else (b[4] or b'').decode()}" for b in BAD],
)
def test_a_wrongly_typed_control_value_is_400_with_a_reason(
    slug: str, method: str, route: str, query: dict[str, str], body: bytes | None
) -> None:
    for mock in serve(slug):
        before = mock.control("GET", route) if route in READABLE else None
        content = body.replace(b"%s", ROUTING_KEY.encode()) if body else None
        reply = httpx.request(method, f"{mock.url}/_opwire/{route}", params=query, content=content)
        assert reply.status_code == 400, reply.text
        jsonschema.Draft202012Validator(ERROR).validate(reply.json())
        if before is not None:
            assert mock.control("GET", route) == before  # nothing of it applied
