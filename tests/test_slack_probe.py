"""The Slack probe against the Slack mock over real loopback sockets: PASS and every diagnosis."""

from __future__ import annotations

import pytest

from opwire.integrations.slack import MOCK_CHANNEL_ID
from opwire.probing import NoteLine
from opwire.results import Status

from conftest import Mock, closed_port, run_verify

HOOK = {"team": "T0OPWIRE0", "bot": "B0OPWIRE0"}  # the team and bot of mock mode's placeholder
FAST = {"OPERATOR_WIRING_BUDGET_S": "6", "OPERATOR_WIRING_READ_TIMEOUT_S": "1"}


def verify_slack(mock: Mock, **env: str) -> tuple[Status, str | None, list[object]]:
    run = run_verify({**FAST, **env}, {"slack": mock.url})
    (result,) = run.result.integrations
    code = result.diagnosis.code if result.diagnosis else None
    return result.status, code, run.events


def test_pass_posts_and_reads_back_the_run_message(slack_mock: Mock) -> None:
    run = run_verify(FAST, {"slack": slack_mock.url})
    (result,) = run.result.integrations
    assert result.status is Status.PASS and run.result.exit_code == 0
    messages = slack_mock.control("GET", "slack/messages")[MOCK_CHANNEL_ID]
    assert [m["text"] for m in messages if run.result.run_id in m["text"]]
    assert [r.method for r in result.requests] == ["POST", "GET"]
    assert [s.name for s in result.steps] == ["send", "read back"]


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("revoked", "slack.webhook_revoked"),
        ("channel_not_found", "slack.channel_not_found"),
        ("archived", "slack.channel_archived"),
        ("prohibited", "slack.action_prohibited"),
        ("general_denied", "slack.general_channel_denied"),
        ("invalid_token", "slack.invalid_token"),
        ("team_disabled", "slack.team_disabled"),
        ("user_not_found", "slack.user_not_found"),
    ],
)
def test_webhook_state_is_diagnosed(slack_mock: Mock, state: str, code: str) -> None:
    slack_mock.control("POST", "slack/hooks", {**HOOK, "state": state})
    status, found, _ = verify_slack(slack_mock)
    assert (status, found) == (Status.FAIL, code)


def test_archived_channel_is_diagnosed(slack_mock: Mock) -> None:
    slack_mock.control("POST", "slack/channels", {"id": MOCK_CHANNEL_ID, "archived": True})
    assert verify_slack(slack_mock)[:2] == (Status.FAIL, "slack.channel_archived")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("invalid_payload", 400, "slack.invalid_payload"),
        ("no_text", 400, "slack.no_text"),
        ("missing_text_or_fallback_or_attachments", 400, "slack.no_text"),
        ("Not Found", 404, "slack.webhook_revoked"),
        ("teapot", 418, "http.unexpected"),
    ],
)
def test_webhook_answers_are_diagnosed(slack_mock: Mock, body: str, status: int, code: str) -> None:
    slack_mock.fault(method="POST", path="/services/*", status=status, body=body)
    assert verify_slack(slack_mock)[:2] == (Status.FAIL, code)


def test_rate_limited_for_the_whole_budget_fails_with_retries_visible(slack_mock: Mock) -> None:
    slack_mock.fault(
        path="/services/*", status=429, body="rate_limited", headers={"Retry-After": "1"}
    )
    status, code, events = verify_slack(slack_mock, OPERATOR_WIRING_BUDGET_S="2.5")
    assert (status, code) == (Status.FAIL, "slack.rate_limited")
    assert sum(1 for e in events if getattr(e, "outcome", "") == "HTTP 429") >= 2


def test_one_429_is_throttled_not_broken(slack_mock: Mock) -> None:
    slack_mock.fault(
        path="/services/*", status=429, body="rate_limited", headers={"Retry-After": "0"}, times=1
    )
    status, code, events = verify_slack(slack_mock)
    assert (status, code) == (Status.PASS, None)
    assert any(isinstance(e, NoteLine) and "throttled" in e.text for e in events)


def test_the_mock_rate_limits_a_burst_with_retry_after(slack_mock: Mock) -> None:
    slack_mock.control("POST", "slack/rate", {"burst": 1, "per_second": 0.01})
    first = verify_slack(slack_mock, OPERATOR_WIRING_BUDGET_S="3")
    second = verify_slack(slack_mock, OPERATOR_WIRING_BUDGET_S="3")
    assert first[:2] == (Status.PASS, None)
    assert second[:2] == (Status.FAIL, "slack.rate_limited")


def test_a_hanging_webhook_is_a_timeout_inside_the_budget(slack_mock: Mock) -> None:
    slack_mock.fault(path="/services/*", hang=True)
    status, code, events = verify_slack(
        slack_mock, OPERATOR_WIRING_READ_TIMEOUT_S="0.3", OPERATOR_WIRING_MAX_ATTEMPTS="2"
    )
    assert (status, code) == (Status.FAIL, "net.timeout")
    assert [getattr(e, "outcome", None) for e in events] == ["read timeout", "read timeout"]


def test_server_errors_are_retried_then_diagnosed(slack_mock: Mock) -> None:
    slack_mock.fault(path="/services/*", status=500, body="rollup_error")
    status, code, events = verify_slack(slack_mock, OPERATOR_WIRING_MAX_ATTEMPTS="3")
    assert (status, code) == (Status.FAIL, "http.server_error")
    assert len([e for e in events if getattr(e, "outcome", "") == "HTTP 500"]) == 3


def test_refused_connection_fails_inside_the_budget_with_retries() -> None:
    url = f"http://127.0.0.1:{closed_port()}/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx"
    run = run_verify({**FAST, "OPERATOR_WIRING_MODE": "real_slack", "SLACK_WEBHOOK_URL": url}, {})
    (result,) = run.result.integrations
    assert result.status is Status.FAIL and result.diagnosis
    assert result.diagnosis.code == "net.refused"
    assert len(result.requests) == 4 and "4 attempts" in result.diagnosis.detail
    assert [r.note.split(" in ")[0] for r in result.requests[:3]] == [
        "retry 1/3",
        "retry 2/3",
        "retry 3/3",
    ]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("not_in_channel", "slack.bot_not_in_channel"),
        ("channel_not_found", "slack.history_channel_not_found"),
        ("invalid_auth", "slack.bot_token_invalid"),
        ("not_authed", "slack.bot_token_invalid"),
        ("token_revoked", "slack.bot_token_invalid"),
        ("account_inactive", "slack.bot_token_invalid"),
        ("missing_scope", "slack.missing_scope"),
    ],
)
def test_read_back_api_errors_are_diagnosed(slack_mock: Mock, error: str, code: str) -> None:
    slack_mock.fault(
        method="GET",
        path="/api/conversations.history",
        status=200,
        body=f'{{"ok":false,"error":"{error}"}}',
        content_type="application/json",
    )
    status, found, _ = verify_slack(slack_mock)
    assert (status, found) == (Status.FAIL, code)


def test_bot_outside_the_channel_from_mock_state(slack_mock: Mock) -> None:
    slack_mock.control("POST", "slack/channels", {"id": MOCK_CHANNEL_ID, "member": False})
    assert verify_slack(slack_mock)[:2] == (Status.FAIL, "slack.bot_not_in_channel")


def test_webhook_bound_to_another_channel_is_a_routing_failure(slack_mock: Mock) -> None:
    slack_mock.control("POST", "slack/hooks", {**HOOK, "channel": "C0ELSEWHERE"})
    status, code, _ = verify_slack(slack_mock, OPERATOR_WIRING_BUDGET_S="2")
    assert (status, code) == (Status.FAIL, "slack.message_not_in_channel")


def test_real_mode_without_read_credentials_is_unconfirmed(slack_mock: Mock) -> None:
    url = f"{slack_mock.url}/services/T0REAL000/B0REAL000/abcdefghijklmnopqrstuvwx"
    run = run_verify({**FAST, "OPERATOR_WIRING_MODE": "real_slack", "SLACK_WEBHOOK_URL": url}, {})
    (result,) = run.result.integrations
    assert result.status is Status.UNCONFIRMED and run.result.exit_code == 3
    note = next(e for e in run.events if isinstance(e, NoteLine))
    assert "SLACK_BOT_TOKEN and SLACK_CHANNEL_ID" in note.text


def test_real_mode_with_read_credentials_passes(slack_mock: Mock) -> None:
    slack_mock.control(
        "POST", "slack/hooks", {"team": "T0REAL000", "bot": "B0REAL000", "channel": "C0REAL0001"}
    )
    env = {
        **FAST,
        "OPERATOR_WIRING_MODE": "real_slack",
        "SLACK_WEBHOOK_URL": f"{slack_mock.url}/services/T0REAL000/B0REAL000/"
        "abcdefghijklmnopqrstuvwx",
        "SLACK_BOT_TOKEN": "xoxb-1111-2222-realtokenvalue",
        "SLACK_CHANNEL_ID": "C0REAL0001",
        "OPERATOR_WIRING_SLACK_API_URL": f"{slack_mock.url}/api",
    }
    (result,) = run_verify(env, {}).result.integrations
    assert result.status is Status.PASS
