"""The shared /_opwire/ control routes: health, request log, fault rules, reset."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from opwire.mock.app import fingerprint
from opwire.mock.server import MockServer

from conftest import Mock

HOOK = "/services/T0CTRLTST/B0CTRLTST/CtrlSecretCtrlSecret1234"


def test_health_names_the_vendor(slack_mock: Mock) -> None:
    health = slack_mock.control("GET", "health")
    assert health["status"] == "ok" and health["vendor"] == "slack"


def test_request_log_masks_the_credential_and_keeps_its_fingerprint(slack_mock: Mock) -> None:
    httpx.post(slack_mock.url + HOOK, json={"text": "hello"})
    httpx.get(
        f"{slack_mock.url}/api/conversations.history",
        params={"channel": "C0OPWIRE01"},
        headers={"Authorization": "Bearer xoxb-control-test-token"},
    )
    webhook, history = slack_mock.requests()
    assert webhook["path"] == "/services/T0CTRLTST/B0CTRLTST/****"
    assert webhook["credential"] == fingerprint("CtrlSecretCtrlSecret1234")
    assert webhook["status"] == 200 and '"hello"' in webhook["body"]
    assert history["headers"]["authorization"] == "****"
    assert history["credential"] == fingerprint("xoxb-control-test-token")
    assert "CtrlSecret" not in str(slack_mock.requests())


def test_token_in_a_form_body_is_masked(slack_mock: Mock) -> None:
    httpx.post(
        f"{slack_mock.url}/api/conversations.history",
        data={"token": "xoxb-form-body-token-123", "channel": "C0OPWIRE01"},
    )
    (entry,) = slack_mock.requests()
    assert "xoxb-form-body-token-123" not in str(entry)
    assert entry["credential"] == fingerprint("xoxb-form-body-token-123")


def test_fault_rules_apply_in_order_for_n_requests(slack_mock: Mock) -> None:
    slack_mock.fault(
        method="POST",
        path="/services/*",
        status=503,
        body="busy",
        times=1,
        headers={"Retry-After": "2"},
    )
    slack_mock.fault(method="POST", path="/services/*", status=500, body="rollup_error", times=1)
    first = httpx.post(slack_mock.url + HOOK, json={"text": "a"})
    second = httpx.post(slack_mock.url + HOOK, json={"text": "b"})
    third = httpx.post(slack_mock.url + HOOK, json={"text": "c"})
    assert (first.status_code, first.text, first.headers["retry-after"]) == (503, "busy", "2")
    assert (second.status_code, second.text) == (500, "rollup_error")
    assert (third.status_code, third.text) == (200, "ok")
    assert [r["fault"] for r in slack_mock.requests()] == [0, 1, None]


def test_rules_that_share_a_name_spend_one_count(slack_mock: Mock) -> None:
    """The throttle scenarios' "first 3 requests", each API answered in its own shape."""
    slack_mock.fault(path="/api/*", status=429, body="api", times=2, share="burst")
    slack_mock.fault(path="/services/*", status=429, body="hook", times=2, share="burst")
    api = slack_mock.url + "/api/api.test"
    answers = [httpx.post(u).text for u in (api, slack_mock.url + HOOK, api)]
    assert answers[:2] == ["api", "hook"] and answers[2] != "api"
    rules = slack_mock.control("GET", "faults")["faults"]
    assert [r["hits"] for r in rules] == [1, 1] and rules[0]["share"] == "burst"
    # A share is a count: without times, or with another times than its siblings', it is refused.
    for bad in ({"share": "x"}, {"share": "burst", "times": 5}):
        refused = httpx.post(f"{slack_mock.url}/_opwire/faults", json={"status": 429, **bad})
        assert refused.status_code == 400, refused.text


def test_fault_method_and_path_must_match(slack_mock: Mock) -> None:
    slack_mock.fault(method="GET", path="/api/*", status=500)
    assert httpx.post(slack_mock.url + HOOK, json={"text": "a"}).status_code == 200


def test_latency_fault_delays_then_passes_through(slack_mock: Mock) -> None:
    slack_mock.fault(path="/services/*", latency_ms=200, times=1)
    started = time.monotonic()
    reply = httpx.post(slack_mock.url + HOOK, json={"text": "slow"})
    assert reply.text == "ok" and time.monotonic() - started >= 0.2


def test_hang_fault_never_answers(slack_mock: Mock) -> None:
    slack_mock.fault(path="/services/*", hang=True, times=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(slack_mock.url + HOOK, json={"text": "x"}, timeout=0.3)
    assert httpx.post(slack_mock.url + HOOK, json={"text": "y"}).text == "ok"


@pytest.mark.parametrize(
    "rule",
    [
        [1, 2],
        {"status": 99},
        {"status": "500"},
        {"path": "/x"},
        {"status": 500, "times": 0},
        {"status": 500, "headers": {"a": 1}},
        {"status": 500, "colour": "red"},
        {"hang": "yes"},
        {"latency_ms": -5},
    ],
)
def test_bad_fault_rules_are_rejected_with_a_reason(slack_mock: Mock, rule: object) -> None:
    reply = httpx.post(f"{slack_mock.url}/_opwire/faults", json=rule)
    assert reply.status_code == 400 and reply.json()["error"]
    assert slack_mock.control("GET", "faults")["faults"] == []


def test_non_json_fault_body_is_rejected(slack_mock: Mock) -> None:
    reply = httpx.post(f"{slack_mock.url}/_opwire/faults", content=b"{oops")
    assert reply.status_code == 400


def test_reset_clears_state_log_and_faults(slack_mock: Mock) -> None:
    slack_mock.fault(path="/api/*", status=500)
    httpx.post(slack_mock.url + HOOK, json={"text": "x"})
    slack_mock.control("POST", "reset")
    assert slack_mock.requests() == [] and slack_mock.control("GET", "faults")["faults"] == []
    assert slack_mock.control("GET", "slack/messages")["C0OPWIRE01"] == []


def test_control_routes_are_not_recorded(slack_mock: Mock) -> None:
    slack_mock.control("GET", "health")
    assert slack_mock.requests() == []


def test_unknown_route_is_404_not_a_traceback(slack_mock: Mock) -> None:
    reply = httpx.get(f"{slack_mock.url}/nope")
    assert reply.status_code == 404 and "Traceback" not in reply.text


GUID = "0b7a6c1e-2f3d-4a5b-8c9d-0e1f2a3b4c5d"
# (vendor, method, path, headers, body, the credential that must be fingerprinted)
CREDENTIALS = [
    ("datadog", "GET", "/api/v1/validate", {"DD-API-KEY": "ab" * 16}, b"", "ab" * 16),
    (
        "sentry",
        "POST",
        "/api/1/envelope/",
        {"X-Sentry-Auth": f"Sentry sentry_key={'cd' * 16}, sentry_version=7"},
        b"{}\n",
        "cd" * 16,
    ),
    (
        "pagerduty",
        "POST",
        "/v2/enqueue",
        {},
        json.dumps(
            {"routing_key": "ef" * 16, "event_action": "resolve", "dedup_key": "x"}
        ).encode(),
        "ef" * 16,
    ),
    (
        "pagerduty",
        "GET",
        "/incidents",
        {"Authorization": "Token token=u+TOKENtokenTOKEN123"},
        b"",
        "u+TOKENtokenTOKEN123",
    ),
    ("opsgenie", "GET", "/v2/alerts/count", {"Authorization": f"GenieKey {GUID}"}, b"", GUID),
    (
        "splunk",
        "POST",
        "/services/collector/event",
        {"Authorization": f"Splunk {GUID}"},
        b'{"event":"x"}',
        GUID,
    ),
    (
        "slack",
        "POST",
        "/services/T0FINGER0/B0FINGER0/FingerprintSecret0123456",
        {"Content-Type": "application/json"},
        b'{"text":"x"}',
        "FingerprintSecret0123456",
    ),
]


@pytest.mark.parametrize(
    ("slug", "method", "path", "headers", "body", "credential"),
    CREDENTIALS,
    ids=[f"{c[0]}{c[2]}" for c in CREDENTIALS],
)
def test_every_mock_fingerprints_the_credential_and_masks_it(
    slug: str, method: str, path: str, headers: dict[str, str], body: bytes, credential: str
) -> None:
    with MockServer(slug) as server:
        mock = Mock(server)
        reply = httpx.request(method, mock.url + path, headers=headers, content=body)
        assert reply.status_code < 300, reply.text
        (entry,) = mock.requests()
        assert entry["credential"] == fingerprint(credential)
        assert credential not in json.dumps(entry)


@pytest.mark.parametrize(
    ("slug", "method", "path"),
    [
        ("slack", "PUT", "/api/chat.postMessage"),
        ("datadog", "DELETE", "/api/v1/check_run"),
        ("opsgenie", "PUT", "/v2/alerts"),
    ],
)
def test_a_method_the_path_does_not_take_names_the_ones_it_does(
    slug: str, method: str, path: str, request: pytest.FixtureRequest
) -> None:
    """RFC 9110 § 15.5.6: a 405 carries Allow, in the vendor's own body."""
    mock: Mock = request.getfixturevalue(f"{slug}_mock")
    reply = httpx.request(method, mock.url + path)
    assert reply.status_code == 405
    allowed = {m.strip() for m in reply.headers["allow"].split(",")}
    assert allowed and method not in allowed, reply.headers


def test_a_password_in_a_form_body_is_masked_though_not_the_credential(
    splunk_mock: Mock,
) -> None:
    """Splunk's auth/login takes username and password as form fields (docs.splunk.com
    RESTREF auth/login): the request log keeps neither the password nor any part of it."""
    httpx.post(
        f"{splunk_mock.url}/services/auth/login",
        data={"username": "admin", "password": "Planted-Pa55word-xyz"},
    )
    (entry,) = splunk_mock.requests()
    assert "Planted-Pa55word" not in json.dumps(entry)
    assert "username=admin" in entry["body"] and "password=****" in entry["body"]
