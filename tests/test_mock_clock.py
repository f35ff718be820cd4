"""The mock clock: `/_opwire/clock` moves every time-based behaviour of a mock forward at once
(delays, rate windows, the timestamps it stamps), so no test sleeps to wait out a mock delay."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from opwire.mock.clock import MockClock

from conftest import Mock, serve

HOOK = "/services/T0CLOCK00/B0CLOCK00/ClockSecretClockSecret12"
ROUTING_KEY = "c1" * 16


def test_the_clock_is_real_time_plus_what_was_advanced() -> None:
    clock = MockClock(wall=lambda: 1000.0, ticks=lambda: 7.0)
    clock.advance(5)
    clock.advance(2.5)
    assert (clock.now(), clock.monotonic(), clock.offset_s) == (1007.5, 14.5, 7.5)
    clock.reset()
    assert (clock.now(), clock.monotonic()) == (1000.0, 7.0)


def test_get_shows_the_clock_and_post_advances_it(slack_mock: Mock) -> None:
    before = slack_mock.control("GET", "clock")
    assert before["offset_s"] == 0
    after = slack_mock.control("POST", "clock", {"advance_s": 5})
    assert after["offset_s"] == 5 and after["now"] >= before["now"] + 5
    assert slack_mock.control("GET", "clock")["offset_s"] == 5


def test_reset_returns_the_clock_to_real_time(slack_mock: Mock) -> None:
    slack_mock.control("POST", "clock", {"advance_s": 3600})
    slack_mock.control("POST", "reset")
    assert slack_mock.control("GET", "clock")["offset_s"] == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"advance_s": -1}',
        b'{"advance_s": "5"}',
        b'{"advance_s": true}',
        b'{"advance_s": null}',
        b'{"advance_s": NaN}',
        b'{"advance_s": Infinity}',
        b'{"advance_s": 1e12}',
        b"{}",
        b"[5]",
        b'"5"',
        b"{oops",
    ],
)
def test_a_wrong_advance_is_400_with_a_reason_and_moves_nothing(
    slack_mock: Mock, body: bytes
) -> None:
    reply = httpx.post(f"{slack_mock.url}/_opwire/clock", content=body)
    assert reply.status_code == 400 and reply.json()["error"]
    assert slack_mock.control("GET", "clock")["offset_s"] == 0


def test_slack_rate_limit_refills_as_the_clock_advances(slack_mock: Mock) -> None:
    slack_mock.control("POST", "slack/rate", {"burst": 1, "per_second": 0.001})
    assert httpx.post(slack_mock.url + HOOK, json={"text": "a"}).status_code == 200
    throttled = httpx.post(slack_mock.url + HOOK, json={"text": "b"})
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "1000")
    slack_mock.control("POST", "clock", {"advance_s": 1000})
    assert httpx.post(slack_mock.url + HOOK, json={"text": "c"}).status_code == 200


def _trigger(url: str, dedup: str) -> int:
    body = {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": "s", "source": "clock", "severity": "info"},
    }
    return httpx.post(f"{url}/v2/enqueue", json=body).status_code


def test_pagerduty_rate_window_passes_as_the_clock_advances() -> None:
    for mock in serve("pagerduty"):
        mock.control(
            "POST",
            "pagerduty/services",
            {"routing_key": ROUTING_KEY, "rate_limit": 1, "rate_window_s": 60},
        )
        assert [_trigger(mock.url, "a"), _trigger(mock.url, "b")] == [202, 429]
        mock.control("POST", "clock", {"advance_s": 61})
        assert _trigger(mock.url, "c") == 202


def test_timestamps_a_mock_stamps_follow_its_clock(slack_mock: Mock) -> None:
    """A message (and the request log) after a day's advance is stamped a day on, on the mock
    clock: comparisons are between the mock's own readings, never against the test's time."""
    slack_mock.control("POST", "clock", {"advance_s": 86400})
    before = slack_mock.control("GET", "clock")["now"]
    httpx.post(slack_mock.url + HOOK, json={"text": "later"})
    after = slack_mock.control("GET", "clock")["now"]
    (message,) = slack_mock.control("GET", "slack/messages")["C0OPWIRE01"]
    (logged,) = slack_mock.requests()
    assert before <= float(message["ts"]) <= after
    assert before <= logged["time"] <= after


def test_datadog_refuses_an_event_the_advanced_clock_makes_too_old(datadog_mock: Mock) -> None:
    keys = {"DD-API-KEY": "ab" * 16}
    happened = int(datadog_mock.control("GET", "clock")["now"])

    def post() -> Any:
        event = {"title": "t", "text": "x", "date_happened": happened}
        return httpx.post(f"{datadog_mock.url}/api/v1/events", headers=keys, json=event)

    assert post().status_code == 202
    datadog_mock.control("POST", "clock", {"advance_s": 19 * 3600})
    assert (post().status_code, post().text) == (400, '{"errors": ["Event too far in the past"]}')
