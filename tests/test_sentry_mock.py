"""The Sentry mock against the official sentry-sdk, Relay's auth rules and the web API."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import brotli
import httpx
import pytest
import sentry_sdk
import zstandard

from conftest import Mock

KEY = "0123456789abcdef0123456789abcdef"
TOKEN = {"Authorization": "Bearer sntrys_mockTokenValue123"}
AUTH = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=test/1"}


@pytest.fixture
def sdk(sentry_mock: Mock) -> Iterator[Mock]:
    sentry_mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    host = sentry_mock.url.removeprefix("http://")
    sentry_sdk.init(
        dsn=f"http://{KEY}@{host}/42", default_integrations=False, transport_queue_size=10
    )
    try:
        yield sentry_mock
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()


def api(mock: Mock, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{mock.url}/api/0/{path}", headers=TOKEN, **kwargs)


def test_sdk_capture_message_and_exception_are_readable_and_group(sdk: Mock) -> None:
    message_id = sentry_sdk.capture_message("opwire sdk message", level="error")
    try:
        raise RuntimeError("opwire sdk boom")
    except RuntimeError:
        first = sentry_sdk.capture_exception()
    try:
        raise RuntimeError("opwire sdk boom")
    except RuntimeError:
        second = sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=5)
    event = api(sdk, f"projects/opwire-mock/project-42/events/{message_id}/").json()
    assert event["eventID"] == message_id and event["title"] == "opwire sdk message"
    one = api(sdk, f"organizations/opwire-mock/eventids/{first}/").json()
    two = api(sdk, f"organizations/opwire-mock/eventids/{second}/").json()
    assert one["groupId"] == two["groupId"] != event["groupID"]
    issue = api(sdk, f"organizations/opwire-mock/issues/{one['groupId']}/").json()
    assert issue["count"] == "2" and issue["title"] == "RuntimeError: opwire sdk boom"
    encodings = {r["headers"].get("content-encoding") for r in sdk.requests()}
    assert encodings <= {"gzip", "br", None}
    assert all(KEY not in json.dumps(r) for r in sdk.requests())


def envelope(event_id: str, event: dict[str, Any], header: dict[str, Any] | None = None) -> bytes:
    payload = json.dumps(event).encode()
    head = {"event_id": event_id, "sent_at": "2026-11-27T00:00:00Z", **(header or {})}
    item = {"type": "event", "length": len(payload), "content_type": "application/json"}
    return b"\n".join([json.dumps(head).encode(), json.dumps(item).encode(), payload]) + b"\n"


def post(
    mock: Mock,
    body: bytes,
    headers: dict[str, str] | None = None,
    project: str = "42",
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return httpx.post(
        f"{mock.url}/api/{project}/envelope/",
        content=body,
        headers=headers if headers is not None else AUTH,
        params=params,
    )


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", None])
def test_envelope_encodings_and_newlines_in_payload(
    sentry_mock: Mock, encoding: str | None
) -> None:
    event_id = uuid.uuid4().hex
    raw = envelope(
        event_id,
        {"message": "line one\nline two", "platform": "python", "tags": {"run_id": "ow-x"}},
    )
    compress = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "zstd": zstandard.ZstdCompressor().compress,
        None: bytes,
    }[encoding]
    headers = {**AUTH, **({"Content-Encoding": encoding} if encoding else {})}
    reply = post(sentry_mock, compress(raw), headers)
    assert (reply.status_code, reply.json()) == (200, {"id": event_id})
    sentry_mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    event = api(sentry_mock, f"projects/opwire-mock/42/events/{event_id}/").json()
    assert {"key": "run_id", "value": "ow-x"} in event["tags"]


def test_several_items_and_unknown_types_are_kept(sentry_mock: Mock) -> None:
    event_id = uuid.uuid4().hex
    extra = b'{"type":"mystery"}\nwhatever\n{"type":"attachment","length":3}\nabc\n'
    reply = post(sentry_mock, envelope(event_id, {"message": "m"}) + extra)
    assert reply.json() == {"id": event_id}


def test_envelope_without_event_answers_empty_object(sentry_mock: Mock) -> None:
    body = b'{}\n{"type":"session","length":2}\n{}\n'
    assert post(sentry_mock, body).json() == {}


def test_processing_delay_gives_404_then_the_event(sentry_mock: Mock) -> None:
    """The delay is waited out on the mock's clock: half of it is not enough, all of it is."""
    sentry_mock.control("POST", "sentry/config", {"processing_delay_s": 600})
    event_id = uuid.uuid4().hex
    assert post(sentry_mock, envelope(event_id, {"message": "slow"})).status_code == 200
    path = f"projects/opwire-mock/project-42/events/{event_id}/"
    assert api(sentry_mock, path).status_code == 404
    sentry_mock.control("POST", "clock", {"advance_s": 300})
    assert api(sentry_mock, path).status_code == 404
    sentry_mock.control("POST", "clock", {"advance_s": 300})
    assert api(sentry_mock, path).status_code == 200


def test_issue_can_be_resolved(sentry_mock: Mock) -> None:
    sentry_mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    event_id = uuid.uuid4().hex
    post(sentry_mock, envelope(event_id, {"message": "resolve me"}))
    group = api(sentry_mock, f"organizations/opwire-mock/eventids/{event_id}/").json()["groupId"]
    path = f"organizations/opwire-mock/issues/{group}/"
    assert api(sentry_mock, path, "PUT", json={"status": "resolved"}).json()["status"] == "resolved"
    assert api(sentry_mock, path).json()["status"] == "resolved"
    assert api(sentry_mock, path, "PUT", json={"status": "bogus"}).status_code == 400


def test_store_endpoint(sentry_mock: Mock) -> None:
    event_id = uuid.uuid4().hex
    reply = httpx.post(
        f"{sentry_mock.url}/api/42/store/",
        headers=AUTH,
        json={"event_id": event_id, "message": "legacy"},
    )
    assert reply.json() == {"id": event_id}


DSN = f"http://{KEY}@127.0.0.1/42"
OTHER = "f" * 32
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
SENTRY_AUTHORIZATION = {"Authorization": f"Sentry sentry_key={KEY}, sentry_version=7"}


def auth_with(pairs: str) -> dict[str, str]:
    return {"X-Sentry-Auth": f"Sentry {pairs}"}


# Relay relay-server/src/extractors/request_meta.rs `auth_from_parts` and `BadEventMeta`,
# relay-common auth.rs `Auth::from_pairs`, endpoints/envelope.rs (the envelope's `dsn` header
# is read only when the request carries no auth: an envelope without one is "bad envelope
# authentication header", not "missing authorization information").
@pytest.mark.parametrize(
    ("headers", "params", "header", "status", "detail"),
    [
        ({}, None, None, 401, "bad envelope authentication header"),
        ({"X-Sentry-Auth": "Bearer nope"}, None, None, 401, "bad envelope authentication header"),
        (AUTH, {"sentry_key": KEY}, None, 401, "multiple authorization payloads detected"),
        (AUTH, {"sentry_key": OTHER}, None, 401, "multiple authorization payloads detected"),
        ({**AUTH, **BASIC}, None, None, 401, "multiple authorization payloads detected"),
        (
            {**AUTH, **SENTRY_AUTHORIZATION},
            None,
            None,
            401,
            "multiple authorization payloads detected",
        ),
        ({}, None, {"dsn": "not a dsn"}, 401, "bad envelope authentication header"),
        (
            auth_with(f"sentry_key={KEY}, sentry_version=8"),
            None,
            None,
            400,
            "unsupported protocol version (8)",
        ),
        (auth_with("sentry_version=7"), None, None, 401, "bad x-sentry-auth header"),
        (
            auth_with(f"sentry_key={KEY}, sentry_version=x"),
            None,
            None,
            401,
            "bad x-sentry-auth header",
        ),
        ({}, {"sentry_version": "7"}, None, 401, "bad x-sentry-auth header"),
        (
            auth_with("sentry_key=short, sentry_version=7"),
            None,
            None,
            400,
            "bad sentry DSN public key",
        ),
        (auth_with(f"sentry_key={KEY}, sentry_version=5"), None, None, 200, None),
        (auth_with(f"sentry_key={KEY}.no-cache, bogus, sentry_version=7"), None, None, 200, None),
        ({}, {"sentry_key": KEY, "sentry_version": "7"}, None, 200, None),
        (SENTRY_AUTHORIZATION, None, None, 200, None),
        (BASIC, None, None, 200, None),
        ({}, None, {"dsn": DSN}, 200, None),
        (AUTH, None, {"dsn": f"http://{OTHER}@127.0.0.1/42"}, 200, None),
    ],
)
def test_relay_auth_rules(
    sentry_mock: Mock,
    headers: dict[str, str],
    params: Any,
    header: Any,
    status: int,
    detail: str | None,
) -> None:
    reply = post(
        sentry_mock, envelope(uuid.uuid4().hex, {"message": "a"}, header), headers, params=params
    )
    assert reply.status_code == status
    if detail:
        assert reply.json() == {"detail": detail}


def test_bad_project_path_and_rejected_key(sentry_mock: Mock) -> None:
    reply = post(sentry_mock, envelope(uuid.uuid4().hex, {}), project="abc")
    assert (reply.status_code, reply.json()["detail"]) == (400, "bad project path parameter")
    sentry_mock.control("POST", "sentry/config", {"project": {"id": 7, "rejected_keys": [KEY]}})
    reply = post(sentry_mock, envelope(uuid.uuid4().hex, {}), project="7")
    assert reply.status_code == 403
    assert reply.json() == {"detail": "event submission rejected with_reason: ProjectId"}


@pytest.mark.parametrize(
    ("body", "headers", "detail"),
    [
        (b"", AUTH, "empty request body"),
        (b"{nope\n", AUTH, "invalid event envelope"),
        (b'{}\n{"type":"event","length":999}\n{}', AUTH, "invalid event envelope"),
        (b'{}\n{"type":"event"}\n{}\n{"type":"event"}\n{}\n', AUTH, "invalid event envelope"),
        (
            b"\x1f\x8b\x00garbage",
            {**AUTH, "Content-Encoding": "gzip"},
            "failed to read request body",
        ),
    ],
)
def test_bad_envelopes_get_relay_400s(
    sentry_mock: Mock, body: bytes, headers: dict[str, str], detail: str
) -> None:
    reply = post(sentry_mock, body, headers)
    assert (reply.status_code, reply.json()["detail"]) == (400, detail)


def test_oversized_event_item(sentry_mock: Mock) -> None:
    reply = post(sentry_mock, envelope(uuid.uuid4().hex, {"message": "x" * (1 << 20)}))
    assert reply.status_code == 400 and "size limits for type 'event'" in reply.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Authentication credentials were not provided."),
        ({"Authorization": "Bearer nope"}, "Invalid token"),
    ],
)
def test_web_api_auth(sentry_mock: Mock, headers: dict[str, str], detail: str) -> None:
    reply = httpx.get(
        f"{sentry_mock.url}/api/0/organizations/o/eventids/{'a' * 32}/", headers=headers
    )
    assert (reply.status_code, reply.json()) == (401, {"detail": detail})


def test_dsn_key_in_envelope_header_is_masked_in_the_log(sentry_mock: Mock) -> None:
    post(sentry_mock, envelope(uuid.uuid4().hex, {"message": "a"}, {"dsn": DSN}), {})
    assert KEY not in json.dumps(sentry_mock.requests())


@pytest.mark.parametrize(
    ("headers", "params"),
    [(BASIC, None), (SENTRY_AUTHORIZATION, None), ({}, {"sentry_key": KEY})],
    ids=["basic", "authorization-sentry", "query"],
)
def test_every_auth_form_is_fingerprinted_and_masked(
    sentry_mock: Mock, headers: dict[str, str], params: Any
) -> None:
    """The request log knows which key sent the event, whatever the form, and never shows it."""
    reply = post(sentry_mock, envelope(uuid.uuid4().hex, {"message": "a"}), headers, params=params)
    assert reply.status_code == 200
    (logged,) = sentry_mock.requests()
    assert logged["credential"] and KEY not in json.dumps(logged)


def test_a_check_in_of_odd_shape_never_fails_the_envelope(sentry_mock: Mock) -> None:
    """Relay drops an invalid item and still answers 200: a check-in that is not JSON, has no
    status, or a duration serde cannot read (1e400 overflows an f64) is dropped."""
    config = {"schedule": {"type": "crontab", "value": "* * * * *"}}
    payloads = [
        b"{",
        json.dumps({"monitor_slug": "odd", "monitor_config": config}).encode(),
        b'{"status": "ok", "monitor_slug": "odd", "duration": 1e400, "monitor_config": '
        + json.dumps(config).encode()
        + b"}",
    ]
    for payload in payloads:
        item = json.dumps({"type": "check_in", "length": len(payload)}).encode()
        reply = post(sentry_mock, b"{}\n" + item + b"\n" + payload)
        assert (reply.status_code, reply.json()) == (200, {})
    path = "organizations/opwire-mock/monitors/odd/checkins/"
    assert api(sentry_mock, path).status_code == 404


def _log_item(*bodies: str) -> bytes:
    payload = json.dumps({"items": [{"body": b, "level": "info", "timestamp": 1} for b in bodies]})
    item = json.dumps({"type": "log", "item_count": len(bodies), "length": len(payload)})
    return b"{}\n" + item.encode() + b"\n" + payload.encode()


def test_logs_are_bounded_and_an_oversized_one_is_dropped(sentry_mock: Mock) -> None:
    """Each log is kept as a row of the logs table, the newest first; one over the mock's
    per-log size (1 MiB, as Relay's max_log_size: UNCONFIRMED) is dropped with a 200."""
    assert post(sentry_mock, _log_item("small one", "small two")).status_code == 200
    assert post(sentry_mock, _log_item("x" * (2 << 20))).status_code == 200
    params = {"dataset": "logs", "field": ["message"]}
    table = api(sentry_mock, "organizations/opwire-mock/events/", params=params).json()
    assert [r["message"] for r in table["data"]] == ["small two", "small one"]


def test_monitor_slugs_and_feedback_fields_are_bounded(sentry_mock: Mock) -> None:
    """Sentry's monitor consumer keeps MAX_SLUG_LENGTH (50) characters of a slug; the user
    report's comments take at most 4096 (DRF: "Ensure this field has no more than …")."""
    checkin = {
        "check_in_id": uuid.uuid4().hex,
        "monitor_slug": "s" * 60,
        "status": "ok",
        "monitor_config": {"schedule": {"type": "interval", "value": 2, "unit": [1]}},
    }
    payload = json.dumps(checkin).encode()
    item = json.dumps({"type": "check_in", "length": len(payload)}).encode()
    assert post(sentry_mock, b"{}\n" + item + b"\n" + payload).status_code == 200
    assert api(sentry_mock, "organizations/opwire-mock/monitors/").json() == []
    checkin["monitor_config"] = {"schedule": {"type": "interval", "value": 2, "unit": "hour"}}
    payload = json.dumps(checkin).encode()
    item = json.dumps({"type": "check_in", "length": len(payload)}).encode()
    assert post(sentry_mock, b"{}\n" + item + b"\n" + payload).status_code == 200
    (monitor,) = api(sentry_mock, "organizations/opwire-mock/monitors/").json()
    assert monitor["slug"] == "s" * 50 and monitor["config"]["schedule"] == [2, "hour"]
    body = {"event_id": uuid.uuid4().hex, "name": "n", "email": "e@x.y", "comments": "c" * 5000}
    reply = api(sentry_mock, "projects/opwire-mock/42/user-feedback/", "POST", json=body)
    assert reply.status_code == 400 and list(reply.json()) == ["comments"]
