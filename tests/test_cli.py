"""The installed `opwire` command: exit codes 0/1/2/3, output, --json, --log, the mock stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from opwire.results import JSON_SCHEMA

from conftest import OPWIRE, Mock, clean_env, closed_port, opwire

SECRET_PATH = "/services/T0CLITEST/B0CLITEST/CliSecretCliSecretCli123"


def stack_env(mock: Mock, **extra: str) -> dict[str, str]:
    return clean_env(OPERATOR_WIRING_MOCK_PORT_SLACK=str(mock.server.port), **extra)


def test_exit_0_green_using_the_running_stack(slack_mock: Mock, tmp_path: Path) -> None:
    done = opwire("verify", env=stack_env(slack_mock), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"using the running slack mock at {slack_mock.url}" in done.stdout
    assert "overall: GREEN" in done.stdout
    request_lines = [
        line
        for line in done.stdout.splitlines()
        if line.startswith(("slack      POST", "slack      GET"))
    ]
    assert len(request_lines) == 2 and "HTTP 200" in request_lines[0]
    assert len(slack_mock.requests()) == 2


def test_exit_0_starting_mocks_in_process_when_none_answers(tmp_path: Path) -> None:
    port = closed_port()
    done = opwire("verify", env=clean_env(OPERATOR_WIRING_MOCK_PORT_SLACK=str(port)), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"no slack mock answered on 127.0.0.1:{port}; started it in-process" in done.stdout


def test_exit_1_on_a_fail(slack_mock: Mock, tmp_path: Path) -> None:
    slack_mock.control(
        "POST", "slack/hooks", {"team": "T0OPWIRE0", "bot": "B0OPWIRE0", "state": "revoked"}
    )
    done = opwire("verify", env=stack_env(slack_mock), cwd=tmp_path)
    assert done.returncode == 1
    assert "slack.webhook_revoked" in done.stdout and "fix: Re-issue the webhook" in done.stdout
    assert "overall: HOLD" in done.stdout


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["verify", "--mode", "real_bogus"], {}, "real_slack"),
        (["verify"], {"OPERATOR_WIRING_MODE": "prod"}, "OPERATOR_WIRING_MODE"),
        (["verify", "nosuch"], {}, "valid: datadog, sentry"),
        (["verify", "--budget", "0"], {}, "--budget must be"),  # the flag, as typed
        (["verify", "--mode", "real_slack"], {}, "SLACK_WEBHOOK_URL is not set"),
        (
            ["verify", "--mode", "real_slack"],
            {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"},
            "not an incoming webhook URL",
        ),
        (
            ["verify", "--mode", "real_slack"],
            {
                "SLACK_WEBHOOK_URL": "https://hooks.slack.com" + SECRET_PATH,
                "SLACK_CHANNEL_ID": "#ops",
            },
            "SLACK_CHANNEL_ID",
        ),
        (["verify", "--log", "/proc/nope/log.txt"], {}, "--log"),
        (["verify", "--frobnicate"], {}, "--frobnicate"),
    ],
)
def test_exit_2_on_usage_errors(
    tmp_path: Path, args: list[str], env: dict[str, str], needle: str
) -> None:
    done = opwire(*args, env=clean_env(**env), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert needle in done.stderr and "Traceback" not in done.stderr


def test_exit_3_when_real_mode_cannot_confirm(slack_mock: Mock, tmp_path: Path) -> None:
    env = clean_env(
        OPERATOR_WIRING_MODE="real_slack", SLACK_WEBHOOK_URL=slack_mock.url + SECRET_PATH
    )
    done = opwire("verify", env=env, cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "UNCONFIRMED" in done.stdout
    assert "set SLACK_BOT_TOKEN and SLACK_CHANNEL_ID to confirm" in done.stdout


def test_closed_port_fails_inside_the_budget_with_retries_visible(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}{SECRET_PATH}"
    env = clean_env(OPERATOR_WIRING_MODE="real_slack", SLACK_WEBHOOK_URL=url)
    done = opwire("verify", "--budget", "4", env=env, cwd=tmp_path, timeout=30)
    assert done.returncode == 1
    refused = [
        line
        for line in done.stdout.splitlines()
        if line.startswith("slack      POST") and "connection refused" in line
    ]
    assert len(refused) == 4 and "retry 1/3" in refused[0] and "gave up" in refused[-1]
    assert "net.refused" in done.stdout and "4 attempts over" in done.stdout


def test_json_output_follows_the_schema_and_progress_goes_to_stderr(
    slack_mock: Mock, tmp_path: Path
) -> None:
    done = opwire("verify", "--json", env=stack_env(slack_mock), cwd=tmp_path)
    document = json.loads(done.stdout)
    jsonschema.validate(document, JSON_SCHEMA)
    assert document["overall"] == "GREEN" and document["exit_code"] == done.returncode == 0
    by_slug = {i["slug"]: i for i in document["integrations"]}
    assert list(by_slug) == ["datadog", "sentry", "pagerduty", "opsgenie", "slack", "splunk"]
    assert all(i["status"] == "PASS" for i in by_slug.values())
    assert len(by_slug["slack"]["requests"]) == 2
    assert "overall: GREEN" in done.stderr


def test_log_is_the_human_output_verbatim(slack_mock: Mock, tmp_path: Path) -> None:
    log = tmp_path / "state" / "verify-day1.log"
    done = opwire("verify", "--log", str(log), env=stack_env(slack_mock), cwd=tmp_path)
    assert done.returncode == 0
    assert log.read_text() == done.stdout


def test_env_local_is_read_from_the_working_directory(slack_mock: Mock, tmp_path: Path) -> None:
    (tmp_path / ".env.local").write_text(
        f"OPERATOR_WIRING_MODE=real_slack\nSLACK_WEBHOOK_URL={slack_mock.url}{SECRET_PATH}\n"
    )
    done = opwire("verify", env=clean_env(), cwd=tmp_path)
    assert done.returncode == 3 and "mode real_slack" in done.stdout
    flag_wins = opwire("verify", "--mode", "mock", env=stack_env(slack_mock), cwd=tmp_path)
    assert flag_wins.returncode == 0 and "mode mock" in flag_wins.stdout


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "opwire", "--version"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0 and done.stdout.startswith("opwire ")


def test_help_imports_no_vendor_or_server_code() -> None:
    code = (
        "import sys\nfrom opwire.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('uvicorn', 'starlette')"
        " or m.startswith(('opwire.integrations.', 'opwire.mock'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_mock_up_serves_until_terminated(tmp_path: Path) -> None:
    import httpx

    with subprocess.Popen(
        [str(OPWIRE), "mock", "up", "--ephemeral", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
    ) as process:
        try:
            assert process.stdout is not None
            urls = json.loads(process.stdout.readline())["mocks"]
            assert httpx.get(urls["slack"] + "/_opwire/health").json()["vendor"] == "slack"
        finally:
            process.terminate()
            _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "mock stack stopped" in err


def test_mock_up_on_a_busy_port_is_a_usage_error(slack_mock: Mock, tmp_path: Path) -> None:
    done = opwire("mock", "up", "slack", env=stack_env(slack_mock), cwd=tmp_path, timeout=20)
    assert done.returncode == 2 and "already running" in done.stderr
