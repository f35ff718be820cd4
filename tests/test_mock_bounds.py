"""No client can make a mock hold without bound: request bodies, decompression bombs, fault
rules, stored entries, the request log, and the credential at the log's cut.

Real mock servers on loopback, raw sockets where the wire itself is the point. Memory is
measured with tracemalloc (the mocks run in this process, on their own threads); no assertion
is on wall time.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import subprocess
import sys
import time
import tracemalloc
import uuid
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import brotli  # type: ignore[import-untyped]
import httpx
import pytest
import zstandard

from opwire.mock.app import BODY_LIMIT
from opwire.mock.server import MockServer

from conftest import Mock, serve

MiB = 1 << 20
DD_KEYS = {"DD-API-KEY": "c0ffee" + "ab" * 13, "DD-APPLICATION-KEY": "de" * 20}
GUID = "11111111-2222-3333-4444-555555555555"
SENTRY_AUTH = {"X-Sentry-Auth": f"Sentry sentry_key={'cd' * 16}, sentry_version=7"}
ROUTING_KEY = "ef" * 16
GENIE = {"Authorization": f"GenieKey {GUID}"}
HOOK = "/services/T0BOUNDS0/B0BOUNDS0/BoundsSecretBoundsSecret"

# slug -> (an intake path, headers, the vendor's too-large answer: status and a JSON body or
# the text body). Written out here, not read from the library, so a change to the table shows.
INTAKES: dict[str, tuple[str, dict[str, str], int, Any]] = {
    "datadog": ("/api/v2/series", DD_KEYS, 413, {"errors": ["Payload too large"]}),
    "sentry": (
        "/api/42/envelope/",
        SENTRY_AUTH,
        413,
        {"detail": "failed to read request body", "causes": ["A payload reached size limit."]},
    ),
    "pagerduty": (
        "/v2/enqueue",
        {},
        400,
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": ["Event object is too large (maximum 512 KB)"],
        },
    ),
    "opsgenie": (
        "/v2/alerts",
        GENIE,
        413,
        {"message": "Request entity too large", "took": 0.0, "requestId": "too-large"},
    ),
    "slack": (HOOK, {}, 413, "request_too_large"),
    "splunk": (
        "/services/collector/event",
        {"Authorization": f"Splunk {GUID}"},
        413,
        {"text": "Request entity too large", "code": 413},
    ),
}


@pytest.fixture(params=sorted(INTAKES))
def any_mock(request: pytest.FixtureRequest) -> Iterator[tuple[str, Mock]]:
    """Each of the six mocks over plain http (PagerDuty too, so raw sockets can speak to it)."""
    for mock in serve(request.param):
        yield request.param, mock


def _port(mock: Mock) -> int:
    return mock.server.port


def _raw_exchange(port: int, head: bytes, timeout: float = 10.0) -> bytes:
    """Send a request head (no body) and read the whole answer until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _parsed(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    return int(status_line.split()[1]), headers, body


def _matches(expected: Any, body: bytes) -> bool:
    return body.decode() == expected if isinstance(expected, str) else json.loads(body) == expected


# --- 1. request bodies -------------------------------------------------------------------------


def test_a_declared_length_past_the_cap_is_refused_before_the_body_is_sent(
    any_mock: tuple[str, Mock],
) -> None:
    """1 GiB announced, not a byte sent: the vendor's too-large answer comes back at once."""
    slug, mock = any_mock
    path, headers, status, expected = INTAKES[slug]
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {1 << 30}"]
    lines += [f"{k}: {v}" for k, v in {"Content-Type": "application/json", **headers}.items()]
    code, answer_headers, body = _parsed(
        _raw_exchange(_port(mock), "\r\n".join(lines).encode() + b"\r\n\r\n")
    )
    assert (code, answer_headers.get("connection")) == (status, "close")
    assert _matches(expected, body)
    (entry,) = mock.requests()
    assert entry["too_large"] is True and entry["status"] == status


def _stream(total: int, piece: bytes = bytes(MiB)) -> Iterator[bytes]:
    for _ in range(total // len(piece)):
        yield piece


def test_a_streamed_body_past_the_cap_is_refused_and_never_held(any_mock: tuple[str, Mock]) -> None:
    """40 MiB sent chunked (no length to refuse by): the answer is the vendor's too-large one,
    and the mock held about its 16 MiB cap, not the 40 MiB (nor a joined copy of them)."""
    slug, mock = any_mock
    path, headers, status, expected = INTAKES[slug]
    tracemalloc.start()
    try:
        reply = httpx.post(mock.url + path, content=_stream(40 * MiB), headers=headers, timeout=30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reply.status_code == status and _matches(expected, reply.content)
    print(f"{slug}: 40 MiB streamed body, traced peak {peak / MiB:.1f} MiB")
    assert peak < 32 * MiB


def test_control_routes_are_capped_too(slack_mock: Mock) -> None:
    reply = httpx.post(f"{slack_mock.url}/_opwire/faults", content=b"[" + b" " * (20 * MiB))
    assert reply.status_code == 413 and "request body exceeds" in reply.json()["error"]


# --- decompression bombs -----------------------------------------------------------------------


def _compressed(make: Callable[[], Any], total: int = 1 << 30) -> bytes:
    compressor, zero = make(), bytes(MiB)
    feed = getattr(compressor, "compress", None) or compressor.process
    out = [feed(zero) for _ in range(total // MiB)]
    close = getattr(compressor, "flush", None) or compressor.finish
    return b"".join([*out, close()])


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """1 GiB of zeros, compressed: gzip about 1 MB, brotli 2 KB, zstd 32 KB."""
    return {
        "gzip": _compressed(lambda: zlib.compressobj(6, zlib.DEFLATED, 31)),
        "br": _compressed(lambda: brotli.Compressor(quality=5)),
        "zstd": _compressed(lambda: zstandard.ZstdCompressor(level=3).compressobj()),
    }


# slug -> (path, headers, decompressed limit, expected status, expected body)
DECODERS: dict[str, tuple[str, dict[str, str], int, int, Any]] = {
    # v1: its 3.2 MB compressed limit lets the gzip bomb reach the decoder (v2's 512 KB does not)
    "datadog": ("/api/v1/series", DD_KEYS, 62_914_560, 413, {"errors": ["Payload too large"]}),
    "sentry": (*INTAKES["sentry"][:2], 200 * MiB, *INTAKES["sentry"][2:]),
    "splunk": (*INTAKES["splunk"][:2], 32 * MiB, *INTAKES["splunk"][2:]),
}


@pytest.mark.parametrize("slug", sorted(DECODERS))
def test_decompression_bombs_get_the_too_large_answer_in_bounded_memory(
    slug: str, bombs: dict[str, bytes]
) -> None:
    """gzip, brotli and zstd bombs of 1 GiB each: the vendor's too-large answer, not a generic
    400, and the mock's memory stays within its decompressed limit (not the gigabyte)."""
    path, headers, limit, status, expected = DECODERS[slug]
    for mock in serve(slug):
        for encoding, bomb in bombs.items():
            tracemalloc.start()
            try:
                reply = httpx.post(
                    mock.url + path,
                    content=bomb,
                    headers={**headers, "Content-Encoding": encoding},
                    timeout=60,
                )
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            print(f"{slug} {encoding} bomb ({len(bomb)} bytes): traced peak {peak / MiB:.1f} MiB")
            assert (reply.status_code, _matches(expected, reply.content)) == (status, True)
            assert peak < limit + 48 * MiB


# --- 2. fault rules ----------------------------------------------------------------------------


def test_fault_rules_are_capped_in_number(slack_mock: Mock) -> None:
    rule = {"method": "GET", "path": "/nowhere", "status": 500}
    slack_mock.control("POST", "faults", [rule] * 256)
    over = httpx.post(f"{slack_mock.url}/_opwire/faults", json=rule)
    assert over.status_code == 400 and "at most 256 fault rules" in over.json()["error"]
    assert len(slack_mock.control("GET", "faults")["faults"]) == 256
    slack_mock.control("DELETE", "faults")
    too_many = httpx.post(f"{slack_mock.url}/_opwire/faults", json=[rule] * 257)
    assert too_many.status_code == 400
    assert slack_mock.control("GET", "faults")["faults"] == []


def test_a_scenario_past_the_rule_cap_is_refused_and_adds_nothing(slack_mock: Mock) -> None:
    rule = {"method": "GET", "path": "/nowhere", "status": 500}
    slack_mock.control("POST", "faults", [rule] * 256)
    reply = httpx.post(f"{slack_mock.url}/_opwire/scenarios", json={"name": "slack/hang"})
    assert reply.status_code == 400
    assert len(slack_mock.control("GET", "faults")["faults"]) == 256


def test_a_repeated_body_is_capped_in_bytes(slack_mock: Mock) -> None:
    rule = {"path": "/x", "status": 200, "body": "x" * 1024, "body_repeat": 64 * 1024 + 1}
    reply = httpx.post(f"{slack_mock.url}/_opwire/faults", json=rule)
    assert reply.status_code == 400 and "body_repeat" in reply.json()["error"]


def test_an_enormous_answer_is_sent_in_pieces_never_built_whole(slack_mock: Mock) -> None:
    """64 MiB (the cap) answered to a client reading it as a stream: the mock holds pieces."""
    slack_mock.fault(
        path="/enormous", status=200, body="y" * 1000, body_repeat=64 * 1024 * 1024 // 1000
    )
    tracemalloc.start()
    try:
        with httpx.stream("GET", f"{slack_mock.url}/enormous", timeout=30) as reply:
            received = sum(len(piece) for piece in reply.iter_raw(MiB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"64 MiB fault answer: traced peak {peak / MiB:.1f} MiB")
    assert received == 1000 * (64 * 1024 * 1024 // 1000)
    assert peak < 16 * MiB


# --- 3. stores ---------------------------------------------------------------------------------

SHARED_STORES = {"request_log", "credentials", "active_scenarios"}
STORES = {
    "datadog": {"events", "points", "service_checks", "logs"},
    "sentry": {
        "projects",
        "events",
        "issues",
        "alert_rules",
        "logs",
        "monitors",
        "user_reports",
        "releases",
    },
    "pagerduty": {"services", "alerts", "change_events", "extensions", "log_entries"},
    "opsgenie": {
        "keys",
        "alerts",
        "requests",
        "heartbeats",
        "searches",
        "incidents",
        "incident_requests",
    },
    "slack": {"hooks", "channels", "messages"},
    "splunk": {"tokens", "events", "channels", "acks", "sessions", "jobs"},
}


def _dropped(mock: Mock) -> dict[str, int]:
    return dict(mock.control("GET", "health")["dropped"])


def test_health_counts_the_drops_of_every_store(any_mock: tuple[str, Mock]) -> None:
    slug, mock = any_mock
    assert _dropped(mock) == dict.fromkeys(SHARED_STORES | STORES[slug], 0)


def test_the_request_log_keeps_the_newest_2000(slack_mock: Mock) -> None:
    with httpx.Client(base_url=slack_mock.url) as client:
        for n in range(2100):
            client.get("/api/auth.test", params={"n": n})
    log = slack_mock.requests()
    assert len(log) == 2000 and log[-1]["query"] == "n=2099"
    assert _dropped(slack_mock)["request_log"] == 100
    slack_mock.control("POST", "reset")
    assert _dropped(slack_mock)["request_log"] == 0


def test_splunk_keeps_the_newest_100000_events_and_counts_the_rest(splunk_mock: Mock) -> None:
    run = uuid.uuid4().hex[:8]
    headers = {"Authorization": f"Splunk {GUID}"}
    with httpx.Client(base_url=splunk_mock.url, headers=headers, timeout=30) as client:
        for batch in range(11):
            events = (
                json.dumps({"event": "e", "fields": {"b": str(batch)}}) for _ in range(10_000)
            )
            assert (
                client.post("/services/collector/event", content="".join(events)).status_code == 200
            )
        client.post("/services/collector/event", json={"event": "last", "fields": {"run": run}})
        found = client.post(
            "/services/search/jobs/export",
            data={"search": f"search run={run}", "output_mode": "json"},
            headers={"Authorization": "Bearer t"},
        )
    assert json.loads(found.text.splitlines()[0])["result"]["_raw"] == "last"
    assert _dropped(splunk_mock)["events"] == 10_001
    assert splunk_mock.control("GET", "splunk/config")["events"] == 100_000


def test_datadog_keeps_the_newest_points_and_weighs_its_events(datadog_mock: Mock) -> None:
    now = int(time.time())
    series = {"series": [{"metric": "m.b", "points": [[now, 1.0]] * 250_000}]}
    reply = httpx.post(
        f"{datadog_mock.url}/api/v1/series",
        content=gzip.compress(json.dumps(series).encode()),  # under v1's 3.2 MB compressed
        headers={**DD_KEYS, "Content-Encoding": "gzip", "Content-Type": "application/json"},
        timeout=60,
    )
    assert reply.status_code == 202
    ids = []
    for n in range(70):
        event = {"title": f"{n}" + "t" * MiB, "text": "x"}
        ids.append(
            httpx.post(f"{datadog_mock.url}/api/v1/events", json=event, headers=DD_KEYS).json()[
                "event"
            ]["id"]
        )
    dropped = _dropped(datadog_mock)
    assert dropped["points"] == 50_000 and dropped["events"] > 0
    newest = httpx.get(f"{datadog_mock.url}/api/v1/events/{ids[-1]}", headers=DD_KEYS)
    oldest = httpx.get(f"{datadog_mock.url}/api/v1/events/{ids[0]}", headers=DD_KEYS)
    assert (newest.status_code, oldest.status_code) == (200, 404)


def _envelope(event_id: str, extra: str) -> bytes:
    payload = json.dumps({"message": "m", "extra": {"big": extra}}).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode()
    return json.dumps({"event_id": event_id}).encode() + b"\n" + item + b"\n" + payload + b"\n"


def test_sentry_weighs_its_events_and_keeps_the_newest(sentry_mock: Mock) -> None:
    sentry_mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    ids = [uuid.uuid4().hex for _ in range(90)]  # 900 KB each: under the 1 MiB item limit
    for event_id in ids:
        reply = httpx.post(
            f"{sentry_mock.url}/api/42/envelope/",
            content=_envelope(event_id, "x" * 900_000),
            headers=SENTRY_AUTH,
        )
        assert reply.status_code == 200
    auth = {"Authorization": "Bearer sntrys_" + "a" * 20}
    read = [
        httpx.get(
            f"{sentry_mock.url}/api/0/projects/opwire-mock/project-42/events/{i}/", headers=auth
        ).status_code
        for i in (ids[0], ids[-1])
    ]
    assert read == [404, 200] and _dropped(sentry_mock)["events"] > 0


def test_pagerduty_drops_the_oldest_alert_with_its_incident(pagerduty_mock: Mock) -> None:
    pagerduty_mock.control(
        "POST", "pagerduty/services", {"routing_key": ROUTING_KEY, "rate_limit": 1000}
    )
    details = {"blob": "d" * 500_000}
    with httpx.Client(base_url=pagerduty_mock.url, verify=False, timeout=30) as client:
        for n in range(140):
            event = {
                "routing_key": ROUTING_KEY,
                "event_action": "trigger",
                "dedup_key": f"bounds-{n}",
                "payload": {
                    "summary": "s",
                    "source": "t",
                    "severity": "info",
                    "custom_details": details,
                },
            }
            assert client.post("/v2/enqueue", json=event).status_code == 202
        token = {"Authorization": "Token token=" + "y" * 20}
        listed = client.get(
            "/incidents", params={"date_range": "all", "limit": 100, "total": "true"}, headers=token
        ).json()
        first = client.get(
            "/incidents", params={"date_range": "all", "incident_key": "bounds-0"}, headers=token
        ).json()
        last = client.get(
            "/incidents", params={"date_range": "all", "incident_key": "bounds-139"}, headers=token
        ).json()
        # the dropped alert's dedup key no longer points anywhere: a trigger opens a new incident
        again = {**event, "dedup_key": "bounds-0"}
        dropped = _dropped(pagerduty_mock)["alerts"]
        client.post("/v2/enqueue", json=again)
        reopened = client.get(
            "/incidents", params={"date_range": "all", "incident_key": "bounds-0"}, headers=token
        ).json()
    assert dropped > 0 and listed["total"] == 140 - dropped
    assert (first["incidents"], len(last["incidents"]), len(reopened["incidents"])) == ([], 1, 1)


def test_opsgenie_drops_the_oldest_requests_and_alerts(opsgenie_mock: Mock) -> None:
    opsgenie_mock.control("POST", "opsgenie/config", {"request_delay_s": 0})
    with httpx.Client(base_url=opsgenie_mock.url, headers=GENIE, timeout=30) as client:
        ids = []
        for n in range(70):
            body = {"message": "m", "alias": f"b-{n}", "details": {"blob": "z" * MiB}}
            ids.append(client.post("/v2/alerts", json=body).json()["requestId"])
        first = client.get(f"/v2/alerts/requests/{ids[0]}")
        last = client.get(f"/v2/alerts/requests/{ids[-1]}")
        alias_first = client.get("/v2/alerts/b-0", params={"identifierType": "alias"})
    dropped = _dropped(opsgenie_mock)
    assert dropped["requests"] > 0 and dropped["alerts"] > 0
    assert (first.status_code, last.status_code, alias_first.status_code) == (404, 200, 404)


def test_slack_keeps_the_newest_messages_of_a_channel(slack_mock: Mock) -> None:
    slack_mock.control("POST", "slack/rate", {"burst": 1000, "per_second": 1000})
    for n in range(70):
        assert (
            httpx.post(slack_mock.url + HOOK, json={"text": f"{n} " + "w" * MiB}).status_code == 200
        )
    history = httpx.get(
        f"{slack_mock.url}/api/conversations.history",
        params={"channel": "C0OPWIRE01", "limit": 999},
        headers={"Authorization": "Bearer xoxb-bounds-test-token"},
    ).json()
    dropped = _dropped(slack_mock)["messages"]
    assert dropped > 0 and len(history["messages"]) == 70 - dropped
    assert history["messages"][0]["text"].startswith("69 ")


# --- 4. slow and idle clients ------------------------------------------------------------------


def _silent(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed it (EOF or reset); waits up to the socket's timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_two_hundred_silent_connections_neither_block_a_fresh_client_nor_stay() -> None:
    """200 sockets that say nothing and 50 that drip half a request head: a fresh client is
    answered, and every one of the 250 is let go once the head deadline passes."""
    with MockServer("slack", head_timeout_s=2.0) as server:
        idle = _silent(server.port, 200)
        dripping = _silent(server.port, 50)
        try:
            for sock in dripping:
                sock.sendall(b"GET /api/auth.test HTTP/1.1\r\nHost: x\r\n")
            reply = httpx.get(server.url + "/_opwire/health", timeout=5)
            assert reply.status_code == 200
            for sock in dripping:
                with contextlib.suppress(OSError):  # still no end of head
                    sock.sendall(b"X-Slow: 1\r\n")
            assert all(_closed_by_server(sock) for sock in idle + dripping)
        finally:
            for sock in idle + dripping:
                sock.close()


def test_past_max_connections_the_longest_idle_make_room() -> None:
    """With room for 50, 120 idle sockets: the oldest are closed so a fresh client is served
    (not refused with a 503), and the newest idle ones are left alone."""
    with MockServer("slack", head_timeout_s=60.0, max_connections=50) as server:
        idle = _silent(server.port, 120)
        try:
            reply = httpx.get(server.url + "/_opwire/health", timeout=5)
            assert reply.status_code == 200
            for sock in idle[-20:]:
                sock.settimeout(0.2)
            assert all(_closed_by_server(sock) for sock in idle[:60])
            assert not any(_closed_by_server(sock) for sock in idle[-20:])
        finally:
            for sock in idle:
                sock.close()


# --- 5. out of descriptors ---------------------------------------------------------------------

# A mock in its own process with room for six more descriptors; it waits for a line on stdin.
STARVED_MOCK = """
import os, resource, sys
from opwire.mock.server import MockServer
with MockServer("slack", head_timeout_s=1.0) as server:
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 6, hard))
    # The port only now: a flood that connected before the limit would not be starved.
    print(server.port, flush=True)
    sys.stdin.readline()
"""


def test_out_of_descriptors_is_one_short_line_and_the_mock_recovers() -> None:
    """40 silent sockets against a mock with room for six: accept fails with EMFILE and is
    retried each second; stderr gets a short line, not a traceback per retry, and once the head
    deadline frees descriptors a fresh client is answered."""
    mock = subprocess.Popen(
        [sys.executable, "-c", STARVED_MOCK],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert mock.stdin is not None and mock.stdout is not None
    try:
        port = int(mock.stdout.readline())
        flood = _silent(port, 40)
        time.sleep(3)  # let the accept loop fail and retry a few times
        reply = httpx.get(f"http://127.0.0.1:{port}/_opwire/health", timeout=30)
        for sock in flood:
            sock.close()
        mock.stdin.write("\n")
        mock.stdin.flush()
        _, err = mock.communicate(timeout=30)
    finally:
        mock.kill()
    lines = [line for line in err.splitlines() if line.strip()]
    print(err)
    assert reply.status_code == 200
    assert "Traceback" not in err and 1 <= len(lines) <= 3
    assert all("cannot accept connections" in line and len(line) < 200 for line in lines)


# --- 6. the credential at the log's cut --------------------------------------------------------


def test_a_credential_straddling_the_log_cut_leaks_no_part_of_itself(datadog_mock: Mock) -> None:
    key = DD_KEYS["DD-API-KEY"]
    for offset in range(BODY_LIMIT - len(key) - 2, BODY_LIMIT + 3):
        body = "." * offset + key + "." * 64
        headers = {"DD-API-KEY": key, "Content-Type": "application/json"}
        httpx.post(f"{datadog_mock.url}/api/v2/series", content=body, headers=headers)
    log = datadog_mock.requests()
    assert len(log) == len(range(BODY_LIMIT - len(key) - 2, BODY_LIMIT + 3))
    for entry in log:
        assert key[:8] not in entry["body"], entry["body"][-40:]
