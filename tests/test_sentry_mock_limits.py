"""The Sentry mock's answers at the edges of what it takes: envelope headers Relay's serde_json
cannot read, attachment names and types no HTTP header can carry as sent, check-in environments
Relay refuses, and the bounds on what the mock remembers (with their drops in /_opwire/health).
Bodies come from the official sentry-sdk where it can build them (sentry_sdk.init, its
Envelope serializer, scope.add_attachment), else as raw bytes on the wire.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope, Item, PayloadRef

from conftest import Mock, serve

KEY = "0123456789abcdef0123456789abcdef"
TOKEN = {"Authorization": "Bearer sntrys_mockTokenValue123"}
AUTH = {"X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=test/1"}
PROJECT = "projects/opwire-mock/project-42"
DEEP = b"[" * 100_000 + b"]" * 100_000
CRON = {"schedule": {"type": "interval", "value": 1, "unit": "hour"}}


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    yield from serve("sentry")


@pytest.fixture(scope="module")
def sdk(mock: Mock) -> Iterator[Mock]:
    """sentry_sdk.init with the mock's DSN (loopback); nothing else changed."""
    mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    host = mock.url.removeprefix("http://")
    sentry_sdk.init(dsn=f"http://{KEY}@{host}/42", default_integrations=False)
    try:
        yield mock
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()


def api(mock: Mock, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
    return httpx.request(method, f"{mock.url}/api/0/{path}", headers=TOKEN, **kwargs)


def post(mock: Mock, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    used = AUTH if headers is None else headers
    return httpx.post(f"{mock.url}/api/42/envelope/", content=body, headers=used, timeout=60)


def lines(*parts: bytes) -> bytes:
    return b"\n".join(parts) + b"\n"


def serialized(*items: Item, event_id: str | None = None) -> bytes:
    """The envelope as sentry_sdk.envelope.Envelope.serialize() writes it."""
    envelope = Envelope(headers={"event_id": event_id} if event_id else {})
    for item in items:
        envelope.add_item(item)
    return envelope.serialize()


def json_item(kind: str, payload: Any) -> Item:
    return Item(payload=PayloadRef(json=payload), type=kind)


# --- envelope headers ---------------------------------------------------------------------


def test_headers_nested_past_the_parser_get_relays_400(mock: Mock) -> None:
    """develop.sentry.dev/sdk/envelopes/: headers are JSON, read by Relay's serde_json, which
    stops at its recursion limit: an envelope or item header nested 100,000 deep is Relay's
    400 "invalid event envelope" (endpoints/common.rs BadStoreRequest::InvalidEnvelope), and
    without request auth the `dsn` it cannot read is "bad envelope authentication header"."""
    event = json.dumps({"message": "deep"}).encode()
    cases = [
        (lines(DEEP), AUTH, 400, "invalid event envelope"),
        (lines(b'{"x":' + DEEP + b"}"), AUTH, 400, "invalid event envelope"),
        (lines(b"{}", DEEP, event), AUTH, 400, "invalid event envelope"),
        (lines(DEEP), {}, 401, "bad envelope authentication header"),
    ]
    for body, headers, status, detail in cases:
        reply = post(mock, body, headers)
        assert (reply.status_code, reply.json()["detail"]) == (status, detail)
    assert post(mock, lines(b"{}", b'{"type":"event"}', event)).status_code == 200


def test_a_lone_surrogate_in_a_header_is_refused(mock: Mock) -> None:
    """serde_json refuses a `\\ud800` escape with no pair (it is no UTF-8 text): an envelope
    whose header holds one is Relay's 400 and nothing of it is kept."""
    event_id = uuid.uuid4().hex
    event = json.dumps({"message": "surrogate"}).encode()
    for body in (
        lines(b'{"event_id":"%s","x":"\\ud800"}' % event_id.encode(), b'{"type":"event"}', event),
        lines(b"{}", b'{"type":"event","x":"\\udc80"}', event),
    ):
        reply = post(mock, body)
        assert (reply.status_code, reply.json()["detail"]) == (400, "invalid event envelope")
    assert api(mock, f"{PROJECT}/events/{event_id}/").status_code == 404


def test_an_attachment_named_with_a_lone_surrogate_never_breaks_the_reads(sdk: Mock) -> None:
    """scope.add_attachment with a filename holding a lone surrogate: the SDK writes it as
    `\\ud800` in the item header (json.dumps), Relay refuses the envelope (400), and the
    project's events and another event's attachments still read back (they 500ed forever
    once such a name was stored)."""
    with sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=b"abc", filename="\ud800x", content_type="text/plain")
        refused = sentry_sdk.capture_message("opwire attachment surrogate")
    with sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=b"abc", filename="fine.txt", content_type="text/plain")
        kept = sentry_sdk.capture_message("opwire attachment fine")
    sentry_sdk.flush(timeout=5)
    assert api(sdk, f"{PROJECT}/events/{refused}/").status_code == 404
    assert api(sdk, f"{PROJECT}/events/").status_code == 200
    listed = api(sdk, f"{PROJECT}/events/{kept}/attachments/")
    assert listed.status_code == 200 and [a["name"] for a in listed.json()] == ["fine.txt"]


def test_an_item_length_of_true_is_not_a_length(mock: Mock) -> None:
    """develop.sentry.dev/sdk/envelopes/: `length` is an integer byte count; serde_json will
    not read `true` as one, so the envelope is Relay's 400."""
    body = lines(b"{}", b'{"type":"attachment","length":true}', b"a", b'{"type":"event"}', b"{}")
    reply = post(mock, body)
    assert (reply.status_code, reply.json()["detail"]) == (400, "invalid event envelope")


def test_an_envelope_of_many_items_is_taken_whole(mock: Mock) -> None:
    """An envelope of 60,000 client reports (Envelope.serialize, 2.6 MB) is one 200. Read by
    offset it takes well under a second; copying the rest of the body after each item
    (quadratic) took tens of seconds, which the suite's per-test timeout would stop. Tests do
    not assert on wall time: the parse's speed is measured by hand."""
    report = {"timestamp": 1.0, "discarded_events": []}
    body = serialized(*(json_item("client_report", report) for _ in range(60_000)))
    reply = post(mock, body)
    assert reply.status_code == 200 and reply.json() == {}


# --- attachment downloads -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content_type", "disposition", "served_type"),
    [
        ("日.txt", "text/plain", "attachment; filename=\"?.txt\"; filename*=UTF-8''%E6%97%A5.txt",
         "text/plain; charset=utf-8"),
        ("a\r\nX-Evil: 1", "text/plain", 'attachment; filename="a X-Evil: 1"',
         "text/plain; charset=utf-8"),
        ("logs/app\t\tlog.txt", "text/plain", 'attachment; filename="app log.txt"',
         "text/plain; charset=utf-8"),
        ("café.txt", "image/png", 'attachment; filename="café.txt"', "image/png"),
        ("ok.bin", "text/日", 'attachment; filename="ok.bin"', "application/octet-stream"),
        ("ok.bin", "a\nb", 'attachment; filename="ok.bin"', "application/octet-stream"),
        ("ok.bin", "", 'attachment; filename="ok.bin"', "application/octet-stream"),
    ],
)  # fmt: skip
def test_a_download_carries_headers_http_can_send(
    sdk: Mock, filename: str, content_type: str, disposition: str, served_type: str
) -> None:
    """docs.sentry.io/api/events/retrieve-an-event-attachment/ `download`: Sentry's
    event_attachment_details.py names the file `posixpath.basename(" ".join(name.split()))`
    (no CR/LF left to split the header); a name Latin-1 cannot carry adds RFC 6266's
    `filename*=UTF-8''` (RFC 5987); a type that is not a printable `type/subtype` is served as
    application/octet-stream. The listing keeps the name and type as sent."""
    with sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=b"abc", filename=filename, content_type=content_type)
        event_id = sentry_sdk.capture_message("opwire attachment headers")
    sentry_sdk.flush(timeout=5)
    (listed,) = api(sdk, f"{PROJECT}/events/{event_id}/attachments/").json()
    assert listed["name"] == filename
    path = f"{PROJECT}/events/{event_id}/attachments/{listed['id']}/"
    download = api(sdk, path, params={"download": "1"})
    assert (download.status_code, download.content) == (200, b"abc")
    assert download.headers["content-disposition"].encode("latin-1") == disposition.encode(
        "latin-1", "replace"
    )
    assert download.headers["content-type"] == served_type
    assert "x-evil" not in download.headers


# --- check-in environments ----------------------------------------------------------------


def checkins(slug: str, *environments: Any) -> bytes:
    """One envelope of check-ins for `slug`, one per environment (with the monitor's config)."""
    items = [
        json_item(
            "check_in",
            {"check_in_id": uuid.uuid4().hex, "monitor_slug": slug, "status": "ok"}
            | {"environment": env, "monitor_config": CRON},
        )
        for env in environments
    ]
    return serialized(*items)


def test_a_check_in_in_an_environment_relay_refuses_is_dropped(mock: Mock) -> None:
    """develop.sentry.dev/sdk/telemetry/check-ins/ `environment`; Relay's relay-monitors drops
    a check-in whose environment is not a valid name (is_valid_environment: at most 64
    characters, no newline or `/`, not `.`/`..`) or not a string: only the good ones land."""
    good = "e" * 64
    bad = ["e" * 65, "prod/eu", "a\nb", "a\rb", ".", "..", 7]
    assert post(mock, checkins("env-check", *bad)).status_code == 200
    base = "organizations/opwire-mock/monitors/env-check"
    assert api(mock, f"{base}/").status_code == 404  # nothing created it
    assert post(mock, checkins("env-check", good, *bad, None)).status_code == 200
    found = api(mock, f"{base}/").json()
    assert sorted(e["name"] for e in found["environments"]) == [good, "production"]
    assert len(api(mock, f"{base}/checkins/").json()) == 2


def test_a_monitor_keeps_its_newest_100_environments(mock: Mock) -> None:
    """The mock's bound (UNCONFIRMED: Sentry documents none): 120 environments' check-ins
    leave the newest 100 on the monitor."""
    names = [f"env-{n}" for n in range(120)]
    assert post(mock, checkins("many-envs", *names)).status_code == 200
    found = api(mock, "organizations/opwire-mock/monitors/many-envs/").json()
    assert [e["name"] for e in found["environments"]] == names[20:]


# --- what the room remembers --------------------------------------------------------------


def test_an_issue_remembers_a_bounded_set_of_tag_keys(mock: Mock) -> None:
    """docs.sentry.io/api/events/retrieve-tag-details/: an issue's tag keys. Events of one
    issue carrying 300 distinct keys each: the issue remembers its first 200 client keys
    (the mock's bound, UNCONFIRMED) and always the ones Sentry derives (level)."""
    mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    event_id = uuid.uuid4().hex
    for batch in range(3):
        event = {
            "message": "opwire many tag keys",
            "tags": {f"k{batch}-{n}": "v" for n in range(300)},
        }
        body = serialized(json_item("event", event), event_id=None if batch else event_id)
        assert post(mock, body).status_code == 200
    group = api(mock, f"{PROJECT}/events/{event_id}/").json()["groupID"]
    base = f"organizations/opwire-mock/issues/{group}/tags"
    assert api(mock, f"{base}/k0-0/").json()["totalValues"] == 1
    assert api(mock, f"{base}/k1-0/").status_code == 404
    assert api(mock, f"{base}/level/").json()["totalValues"] == 3


def _dropped(mock: Mock) -> dict[str, int]:
    return dict(mock.control("GET", "health")["dropped"])


def test_logs_monitors_reports_and_releases_count_their_drops(sentry_mock: Mock) -> None:
    """Each capped store of the room counts what it drops in /_opwire/health: logs past
    10,000 (a `log` item, develop.sentry.dev/sdk/telemetry/logs/), monitors, releases (from
    `session` items' attrs.release) and user reports past 100 per project."""
    logs = [{"timestamp": 1.0, "level": "info", "body": f"line {n}"} for n in range(10_001)]
    sessions = [
        json_item("session", {"sid": uuid.uuid4().hex, "attrs": {"release": f"r@{n}"}})
        for n in range(101)
    ]
    monitors = [
        json_item(
            "check_in",
            {"monitor_slug": f"m-{n}", "status": "ok", "monitor_config": CRON},
        )
        for n in range(101)
    ]
    body = serialized(json_item("log", {"items": logs}), *sessions, *monitors)
    assert post(sentry_mock, body).status_code == 200
    for _ in range(101):
        report = {"event_id": uuid.uuid4().hex, "name": "a", "email": "a@b.example"}
        reply = api(
            sentry_mock, f"{PROJECT}/user-feedback/", "POST", json=report | {"comments": "c"}
        )
        assert reply.status_code == 200
    dropped = _dropped(sentry_mock)
    assert {
        k: dropped[k] for k in ("logs", "monitors", "releases", "user_reports")
    } == dict.fromkeys(("logs", "monitors", "releases", "user_reports"), 1)
    sentry_mock.control("POST", "reset")
    assert _dropped(sentry_mock)["logs"] == 0
