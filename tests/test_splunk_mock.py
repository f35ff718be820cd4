"""The Splunk HEC mock against the official splunk-handler, and HEC's reply codes."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import time
import uuid
from typing import Any

import httpx
import pytest
from splunk_handler import SplunkHandler

from conftest import Mock

TOKEN = "11111111-2222-3333-4444-555555555555"
AUTH = {"Authorization": f"Splunk {TOKEN}"}
SEARCH_AUTH = {"Authorization": "Bearer search-token-value"}


def search(mock: Mock, query: str) -> list[dict[str, Any]]:
    reply = httpx.post(
        f"{mock.url}/services/search/jobs/export",
        headers=SEARCH_AUTH,
        data={"search": query, "output_mode": "json"},
    )
    assert reply.status_code == 200, reply.text
    return [json.loads(line) for line in reply.text.splitlines()]


def hec(
    mock: Mock,
    body: bytes | str,
    headers: dict[str, str] | None = None,
    path: str = "/services/collector/event",
    **params: str,
) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return httpx.post(
        mock.url + path,
        content=content,
        headers=AUTH if headers is None else headers,
        params=params,
    )


def test_splunk_handler_logs_land_and_are_searchable(splunk_mock: Mock) -> None:
    host, port = splunk_mock.url.removeprefix("http://").rsplit(":", 1)
    handler = SplunkHandler(
        host=host,
        port=int(port),
        token=TOKEN,
        index="main",
        protocol="http",
        verify=False,
        flush_interval=0,
        sourcetype="opwire",
        hostname="sdk",
    )
    logger = logging.getLogger("opwire.test.splunk")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("opwire handler run_id=ow-splunk-1")
    finally:
        logger.removeHandler(handler)
        handler.close()
    rows = search(splunk_mock, "search index=main sourcetype=opwire ow-splunk-1 earliest=-15m")
    assert len(rows) == 1 and "ow-splunk-1" in rows[0]["result"]["_raw"]
    assert rows[0]["result"]["host"] == "sdk"
    assert all(TOKEN not in json.dumps(r) for r in splunk_mock.requests())


def test_batches_of_concatenated_objects_and_stats_count(splunk_mock: Mock) -> None:
    batch = "".join(
        json.dumps({"event": {"n": n}, "fields": {"verify": "true", "run_id": "b1"}})
        + ("\n" if n % 2 else "")
        for n in range(100)
    )
    reply = hec(splunk_mock, batch)
    assert (reply.status_code, reply.json()) == (200, {"text": "Success", "code": 0})
    (row,) = search(splunk_mock, "search index=main run_id=b1 verify=true | stats count")
    assert row["result"] == {"count": "100"} and row["lastrow"] is True


def test_gzip_and_basic_auth(splunk_mock: Mock) -> None:
    basic = base64.b64encode(f"x:{TOKEN}".encode()).decode()
    reply = hec(
        splunk_mock,
        gzip.compress(b'{"event":"zipped"}'),
        {"Authorization": f"Basic {basic}", "Content-Encoding": "gzip"},
    )
    assert reply.json()["code"] == 0
    assert search(splunk_mock, "search zipped")[0]["result"]["_raw"] == "zipped"


def test_raw_endpoint_one_event_per_line(splunk_mock: Mock) -> None:
    reply = hec(
        splunk_mock, "line one\nline two\n", path="/services/collector/raw", sourcetype="rawtest"
    )
    assert reply.json()["code"] == 0
    (row,) = search(splunk_mock, "search sourcetype=rawtest | stats count")
    assert row["result"]["count"] == "2"


@pytest.mark.parametrize(
    ("body", "headers", "params", "code", "number"),
    [
        ('{"event":"x"}', {}, {}, 2, None),
        ('{"event":"x"}', {"Authorization": "Bearer x"}, {}, 3, None),
        ('{"event":"x"}', {"Authorization": "Splunk not-a-guid"}, {}, 4, None),
        ('{"event":"x"}', {}, {"token": TOKEN}, 16, None),
        ("   ", None, {}, 5, None),
        ('{"event":"ok"}{"event":', None, {}, 6, 1),
        ('{"event":"ok"}{"sourcetype":"x"}', None, {}, 12, 1),
        ('{"event":""}', None, {}, 13, 0),
        ('{"event":"x","fields":{"nested":{"a":1}}}', None, {}, 15, 0),
        ('{"event":"ok"}{"event":"x","time":"soon"}', None, {}, 6, 1),
        ('{"event":"x","time":[1700000000]}', None, {}, 6, 0),
        ('{"event":"x","time":"NaN"}', None, {}, 6, 0),
        ('{"event":"x","fields":{"n":Infinity}}', None, {}, 6, 0),
        ('{"event":"x"}', None, {"channel": "not-a-guid"}, 11, None),
    ],
)
def test_reply_codes(
    splunk_mock: Mock,
    body: str,
    headers: dict[str, str] | None,
    params: dict[str, str],
    code: int,
    number: int | None,
) -> None:
    reply = hec(splunk_mock, body, headers, **params)
    document = reply.json()
    assert document["code"] == code
    assert reply.status_code == {2: 401, 3: 401, 4: 403}.get(code, 400)
    assert document.get("invalid-event-number") == number
    assert search(splunk_mock, "search | stats count")[0]["result"]["count"] == "0"  # all rejected


def test_disabled_token_and_incorrect_index(splunk_mock: Mock) -> None:
    splunk_mock.control("POST", "splunk/config", {"tokens": {TOKEN: {"indexes": ["ops"]}}})
    reply = hec(splunk_mock, '{"event":"x","index":"ops"}{"event":"y","index":"main"}')
    assert (reply.status_code, reply.json()) == (
        400,
        {"text": "Incorrect index", "code": 7, "invalid-event-number": 1},
    )
    splunk_mock.control("POST", "splunk/config", {"tokens": {TOKEN: {"disabled": True}}})
    reply = hec(splunk_mock, '{"event":"x"}')
    assert (reply.status_code, reply.json()) == (403, {"text": "Token disabled", "code": 1})


def test_indexer_acknowledgment(splunk_mock: Mock) -> None:
    splunk_mock.control(
        "POST", "splunk/config", {"tokens": {TOKEN: {"ack": True}}, "indexing_delay_s": 600}
    )
    assert hec(splunk_mock, '{"event":"x"}').json()["code"] == 10
    channel = str(uuid.uuid4())
    headers = {**AUTH, "X-Splunk-Request-Channel": channel}
    first = hec(splunk_mock, '{"event":"a"}', headers).json()
    second = hec(splunk_mock, '{"event":"b"}', headers).json()
    assert (first["ackId"], second["ackId"]) == (0, 1)

    def acks() -> dict[str, bool]:
        reply = httpx.post(
            f"{splunk_mock.url}/services/collector/ack",
            headers=AUTH,
            params={"channel": channel},
            json={"acks": [0, 1]},
        )
        result: dict[str, bool] = reply.json()["acks"]
        return result

    assert acks() == {"0": False, "1": False}
    assert search(splunk_mock, "search a") == []  # not yet indexed
    splunk_mock.control("POST", "clock", {"advance_s": 300})  # half the delay: still not
    assert acks() == {"0": False, "1": False}
    splunk_mock.control("POST", "clock", {"advance_s": 300})
    assert acks() == {"0": True, "1": True}
    assert acks() == {"0": False, "1": False}  # a true answer is given once
    assert len(search(splunk_mock, "search a")) == 1


def test_ack_disabled(splunk_mock: Mock) -> None:
    reply = httpx.post(
        f"{splunk_mock.url}/services/collector/ack",
        headers=AUTH,
        params={"channel": str(uuid.uuid4())},
        json={"acks": [0]},
    )
    assert reply.json() == {"text": "ACK is disabled", "code": 14}


@pytest.mark.parametrize(
    ("state", "status", "code"),
    [
        ("healthy", 200, 17),
        ("queues_full", 503, 18),
        ("ack_unavailable", 503, 19),
        ("both", 503, 20),
    ],
)
def test_health(splunk_mock: Mock, state: str, status: int, code: int) -> None:
    splunk_mock.control("POST", "splunk/config", {"health": state})
    reply = httpx.get(f"{splunk_mock.url}/services/collector/health")
    assert (reply.status_code, reply.json()["code"]) == (status, code)


def test_health_with_a_token(splunk_mock: Mock) -> None:
    bad = httpx.get(f"{splunk_mock.url}/services/collector/health", params={"token": "nope"})
    assert bad.json() == {"text": "Invalid token", "code": 21}


def test_search_needs_auth_and_a_valid_query(splunk_mock: Mock) -> None:
    anonymous = httpx.post(
        f"{splunk_mock.url}/services/search/jobs/export", data={"search": "search *"}
    )
    assert anonymous.status_code == 401
    broken = httpx.post(
        f"{splunk_mock.url}/services/search/jobs/export",
        headers=SEARCH_AUTH,
        data={"search": "search x | table y"},
    )
    assert broken.status_code == 400


def test_time_window(splunk_mock: Mock) -> None:
    old = time.time() - 7200
    hec(splunk_mock, json.dumps({"event": "old one", "time": old}) + '{"event":"new one"}')
    assert len(search(splunk_mock, "search one earliest=-1h")) == 1
    assert len(search(splunk_mock, "search one earliest=-3h latest=now")) == 2
