"""The official splunk-sdk (splunklib) against the Splunk mock, on the lifecycle of what it
configures: job control arguments, built-in objects per server, users' passwords and deletion,
list arguments, HEC tokens deleted or replaced, and an object's settings kept bounded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from splunklib import binding, client

from conftest import Mock, serve

PASSWORD = "sdk-Password-0123"


def login(mock: Mock, username: str = "admin", password: str = PASSWORD) -> client.Service:
    return client.connect(
        host="127.0.0.1",
        port=mock.server.port,
        scheme="http",
        username=username,
        password=password,
    )


def content(service: client.Service, path: str) -> dict[str, Any]:
    body = json.loads(service.get(path, output_mode="json").body.read())
    found: dict[str, Any] = body["entry"][0]["content"]
    return found


def hec(mock: Mock, token: str, **event: Any) -> dict[str, Any]:
    reply = httpx.post(
        mock.url + "/services/collector/event",
        headers={"Authorization": f"Splunk {token}"},
        json={"event": "x", **event},
    )
    found: dict[str, Any] = reply.json()
    return found


@contextmanager
def running() -> Iterator[Mock]:
    yield from serve("splunk")


@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000, "-1", " 5"])
def test_job_ttl_and_priority_take_ascii_whole_numbers(splunk_mock: Mock, value: str) -> None:
    """Job.set_ttl / set_priority (splunklib client.py: POST …/control action=setttl ttl=…)
    with a value no whole number reads ("²" is str.isdigit() but no int(); 5000 digits pass
    int()'s limit) answer splunkd's 400 ERROR message, never a 500 (REST API Reference:
    search/jobs/{search_id}/control, ttl and priority are numbers)."""
    job = login(splunk_mock).jobs.create("search *")
    with pytest.raises(binding.HTTPError) as refused:
        job.set_ttl(value)
    assert refused.value.status == 400
    with pytest.raises(binding.HTTPError) as refused:
        job.set_priority(value)
    assert refused.value.status == 400
    job.set_ttl(120)
    assert job.refresh()["ttl"] == "120"
