"""Planted secrets never appear in stdout, stderr, --json, --log or the mock's request log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from opwire.config import Lookup, Redactor, Secret, run_settings
from opwire.diagnosis import Rule
from opwire.verify import Target, verify

from conftest import Mock, clean_env, opwire, serve

HOOK_SECRET = "PlantedHookSecret0123456"
BOT_TOKEN = "xoxb-PLANTED-bot-token-9f8e7d6c"
PLANTED = (HOOK_SECRET, BOT_TOKEN)


def real_env(mock: Mock) -> dict[str, str]:
    return clean_env(
        OPERATOR_WIRING_MODE="real_slack",
        SLACK_WEBHOOK_URL=f"{mock.url}/services/T0PLANTED/B0PLANTED/{HOOK_SECRET}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_CHANNEL_ID="C0OPWIRE01",
        OPERATOR_WIRING_SLACK_API_URL=f"{mock.url}/api",
        OPERATOR_WIRING_BUDGET_S="5",
    )


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in PLANTED:
            assert secret not in text
            assert secret[-8:] not in text  # not even a long tail of it


@pytest.mark.parametrize("state", [None, "revoked"])
def test_no_output_carries_a_planted_secret(
    slack_mock: Mock, tmp_path: Path, state: str | None
) -> None:
    if state:
        slack_mock.control(
            "POST", "slack/hooks", {"team": "T0PLANTED", "bot": "B0PLANTED", "state": state}
        )
    log = tmp_path / "verify.log"
    done = opwire("verify", "--json", "--log", str(log), env=real_env(slack_mock), cwd=tmp_path)
    assert done.returncode == (1 if state else 0), done.stderr
    document = json.loads(done.stdout)
    assert "****" in json.dumps(document)  # the secret was there, masked
    assert_clean(done.stdout, done.stderr, log.read_text(), json.dumps(slack_mock.requests()))


def test_read_back_failure_does_not_leak_the_token(slack_mock: Mock, tmp_path: Path) -> None:
    slack_mock.fault(
        method="GET",
        path="/api/*",
        status=200,
        content_type="application/json",
        body=f'{{"ok":false,"error":"invalid_auth","echo":"{BOT_TOKEN}"}}',
    )
    done = opwire("verify", "--log", str(tmp_path / "l"), env=real_env(slack_mock), cwd=tmp_path)
    assert done.returncode == 1 and "slack.bot_token_invalid" in done.stdout
    assert_clean(done.stdout, done.stderr, (tmp_path / "l").read_text())


def test_config_errors_do_not_echo_secret_values(tmp_path: Path) -> None:
    env = clean_env(
        OPERATOR_WIRING_MODE="real_slack",
        SLACK_WEBHOOK_URL=f"http://hooks.slack.com/services/T0A/B0B/{HOOK_SECRET}",
        SLACK_BOT_TOKEN="not-a-token-" + HOOK_SECRET,
    )
    done = opwire("verify", env=env, cwd=tmp_path)
    assert done.returncode == 2 and "SLACK_WEBHOOK_URL" in done.stderr
    assert_clean(done.stdout, done.stderr)


def test_env_file_syntax_error_does_not_echo_the_line(tmp_path: Path) -> None:
    (tmp_path / ".env.local").write_text(f"SLACK_BOT_TOKEN {BOT_TOKEN}\n")
    done = opwire("verify", env=clean_env(), cwd=tmp_path)
    assert done.returncode == 2 and ".env.local:1" in done.stderr
    assert_clean(done.stdout, done.stderr)


class _LeakyVendor:
    """A vendor whose probe crashes with the secret in the exception text."""

    SLUG, TITLE = "slack", "Leaky"

    async def run_probe(self, ctx: object, settings: object) -> None:
        raise RuntimeError(f"boom while holding {BOT_TOKEN}")

    def rules(self) -> tuple[Rule, ...]:
        return ()


class _SteadyVendor(_LeakyVendor):
    """A vendor whose probe walks one rung and passes."""

    async def run_probe(self, ctx: object, settings: object) -> None:
        from opwire.probing import ProbeContext

        assert isinstance(ctx, ProbeContext)
        ctx.passed("send")


class _Settings:
    def secrets(self) -> list[Secret]:
        return [Secret(BOT_TOKEN)]


def test_a_crashing_probe_is_its_own_internal_error_with_the_secret_masked() -> None:
    run = run_settings(Lookup({}))
    leaky = Target("slack", False, _LeakyVendor(), _Settings())  # type: ignore[arg-type]
    steady = Target("datadog", False, _SteadyVendor(), _Settings())  # type: ignore[arg-type]
    result = asyncio.run(
        verify([leaky, steady], run, lambda event: None, Redactor([Secret(BOT_TOKEN)]))
    )
    slack, other = result.integrations
    assert other.status.value == "PASS"  # one vendor's crash never aborts the others
    assert slack.diagnosis is not None and slack.diagnosis.code == "opwire.internal_error"
    assert slack.diagnosis.detail == "RuntimeError: boom while holding ****7d6c"
    assert result.exit_code == 1


ROUTING_KEY = "PLANTEDroutingKEY0123456789abcde"
API_TOKEN = "PLANTED-rest-api-token-42"


def test_journal_and_cleanup_never_hold_a_secret(tmp_path: Path) -> None:
    for mock in serve("pagerduty"):
        # The confirm read hangs up, so the run ends with its incident still journaled.
        mock.fault(method="GET", path="/incidents", skip=1, status=500, body="down")
        env = clean_env(
            OPERATOR_WIRING_MODE="real_pagerduty",
            PAGERDUTY_ROUTING_KEY=ROUTING_KEY,
            PAGERDUTY_API_TOKEN=API_TOKEN,
            OPERATOR_WIRING_PAGERDUTY_EVENTS_URL=mock.url,
            OPERATOR_WIRING_PAGERDUTY_API_URL=mock.url,
            OPERATOR_WIRING_MAX_ATTEMPTS="2",
            OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"),
        )
        run = opwire("verify", "pagerduty", env=env, cwd=tmp_path)
        journal = (tmp_path / "state" / "cleanup-journal.json").read_text()
        assert run.returncode == 1 and "dedup_key" in journal
        mock.control("DELETE", "faults")
        cleaned = opwire("cleanup", "--json", env=env, cwd=tmp_path)
        assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
        for text in (
            run.stdout,
            run.stderr,
            journal,
            cleaned.stdout,
            cleaned.stderr,
            json.dumps(mock.requests()),
        ):
            assert ROUTING_KEY not in text and API_TOKEN not in text
            assert ROUTING_KEY[-8:] not in text
