"""Honest verdicts (issue 9): a rehearsing or foreign running mock is named and its FAILs are
called the rehearsal's; the drills, word rules, credential shapes and spec tests can all fail."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opwire import __version__, drill
from opwire.config import ConfigError, Lookup, Secret, run_settings
from opwire.diagnosis import Diagnosis
from opwire.integrations import load
from opwire.integrations.slack.failures import RULES as SLACK_RULES
from opwire.mock.server import MockServer
from opwire.mock.stack import MockHealth, health, rehearsal_verdicts
from opwire.results import IntegrationResult, Outcome, RunResult, Status, Step
from opwire.verify import Target, redactor_for, verify

from conftest import OPWIRE, ROOT, Mock, clean_env, opwire, run_verify

FAST = {"OPERATOR_WIRING_BUDGET_S": "8", "OPERATOR_WIRING_READ_TIMEOUT_S": "1"}


def slack_env(mock: Mock) -> dict[str, str]:
    """The environment of an operator whose Slack mock runs on its own port (not 4105)."""
    return clean_env(OPERATOR_WIRING_MOCK_PORT_SLACK=str(mock.server.port), **FAST)


# --- item 2: a running mock that is rehearsing, or of another opwire, is named -----------------


def test_health_reports_active_scenarios_and_fault_rules(slack_mock: Mock) -> None:
    before = slack_mock.control("GET", "health")
    assert (before["scenarios"], before["faults"], before["opwire"]) == ([], 0, __version__)
    slack_mock.control("POST", "scenarios", {"name": "slack/cold_throttle"})
    slack_mock.fault(method="GET", path="/api/*", status=500)
    found = health(slack_mock.url, "slack")
    # The scenario's two rules (the Web API's 429 and the webhooks') and the one added here.
    assert found == MockHealth(slack_mock.url, __version__, ("slack/cold_throttle",), 3)
    slack_mock.control("POST", "reset")
    assert health(slack_mock.url, "slack") == MockHealth(slack_mock.url, __version__)
    assert health(slack_mock.url, "datadog") is None  # another vendor's mock is not this one


def test_a_rehearsing_running_mock_is_named_before_the_summary_and_owns_its_fail(
    slack_mock: Mock, tmp_path: Path
) -> None:
    slack_mock.control("POST", "scenarios", {"name": "slack/revoked"})
    done = opwire("verify", "slack", env=slack_env(slack_mock), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    note = next(i for i, line in enumerate(lines) if "scenario slack/revoked switched on" in line)
    summary = next(i for i, line in enumerate(lines) if line.startswith("integration "))
    assert note < summary
    assert f"curl -X POST {slack_mock.url}/_opwire/reset" in lines[note]

    again = opwire("verify", "slack", "--json", env=slack_env(slack_mock), cwd=tmp_path)
    (slack,) = json.loads(again.stdout)["integrations"]
    diagnosis = slack["diagnosis"]
    assert diagnosis["code"] == "slack.webhook_revoked"  # the code is the drill's contract
    assert "this failure is the rehearsal, not the vendor" in diagnosis["detail"]
    assert "/_opwire/reset" in diagnosis["fix"] and "Re-issue" not in diagnosis["fix"]


def test_fault_rules_alone_are_named_too(slack_mock: Mock, tmp_path: Path) -> None:
    slack_mock.fault(method="POST", path="/services/*", status=404, body="no_service")
    done = opwire("verify", "slack", "--json", env=slack_env(slack_mock), cwd=tmp_path)
    assert "the running slack mock has 1 fault rule switched on" in done.stderr
    (slack,) = json.loads(done.stdout)["integrations"]
    assert "1 fault rule switched on: this failure is the rehearsal" in slack["diagnosis"]["detail"]


def test_a_plain_running_mock_keeps_the_vendors_advice(slack_mock: Mock, tmp_path: Path) -> None:
    slack_mock.control(
        "POST", "slack/hooks", {"team": "T0OPWIRE0", "bot": "B0OPWIRE0", "state": "revoked"}
    )  # mock state, as a real revoked webhook: not a scenario or fault rule
    done = opwire("verify", "slack", "--json", env=slack_env(slack_mock), cwd=tmp_path)
    assert f"using the running slack mock at {slack_mock.url}" in done.stderr
    assert "rehearsal" not in done.stderr + done.stdout
    (slack,) = json.loads(done.stdout)["integrations"]
    assert "Re-issue" in slack["diagnosis"]["fix"]


# A slack mock of another opwire version: the real mock, in a process that says it is 0.0.0.
OTHER_VERSION_MOCK = """
import sys
import opwire
opwire.__version__ = "0.0.0+other"
from opwire.mock.server import MockServer
with MockServer("slack") as server:
    print(server.port, flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def other_version_mock() -> Iterator[int]:
    with subprocess.Popen(
        [sys.executable, "-c", OTHER_VERSION_MOCK],
        env=clean_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as mock:
        assert mock.stdin is not None and mock.stdout is not None
        try:
            yield int(mock.stdout.readline())
        finally:
            mock.stdin.write("\n")
            mock.stdin.close()
            mock.wait(timeout=30)


def test_a_running_mock_of_another_opwire_version_is_named(
    other_version_mock: int, tmp_path: Path
) -> None:
    env = clean_env(OPERATOR_WIRING_MOCK_PORT_SLACK=str(other_version_mock), **FAST)
    done = opwire("verify", "slack", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"is opwire 0.0.0+other, this is opwire {__version__}" in done.stdout


def _result(status: Status, *, real: bool = False, slug: str = "slack") -> IntegrationResult:
    diagnosis = Diagnosis(f"{slug}.x", "cause", "Fix it at the vendor.", detail="HTTP 404")
    failed = status is Status.FAIL
    step = Step("send", Outcome.FAILED if failed else Outcome.OK, "HTTP 404" if failed else "")
    if failed:
        step = dataclasses.replace(step, diagnosis=diagnosis)
    return IntegrationResult(slug, real, status, (step,), (), 0.1)


def test_only_mock_mode_fails_of_rehearsing_mocks_are_amended() -> None:
    rehearsing = {
        "slack": MockHealth("http://127.0.0.1:1", __version__, ("slack/revoked",)),
        "datadog": MockHealth("http://127.0.0.1:2", __version__, (), 3),
    }
    run = RunResult(
        "ow-x",
        "mock",
        "now",
        1.0,
        (
            _result(Status.FAIL),
            _result(Status.FAIL, slug="datadog"),
            _result(Status.PASS, slug="datadog"),
            _result(Status.FAIL, real=True),
            _result(Status.FAIL, slug="sentry"),
        ),
    )
    slack, datadog, passed, real, sentry = rehearsal_verdicts(run, rehearsing).integrations
    assert slack.diagnosis is not None and datadog.diagnosis is not None
    assert slack.diagnosis.detail == (
        "HTTP 404; the running slack mock has scenario slack/revoked switched on: this failure "
        "is the rehearsal, not the vendor"
    )
    assert slack.steps[0].detail == slack.diagnosis.detail
    assert "curl -X POST http://127.0.0.1:1/_opwire/reset" in slack.diagnosis.fix
    assert "3 fault rules switched on" in datadog.diagnosis.detail
    assert (passed, real, sentry) == run.integrations[2:]
    assert slack.diagnosis.code == "slack.x" and slack.status is Status.FAIL


# --- item 9a: the cold-throttle drill needs a throttle -----------------------------------------


def _drill_got(mock: Mock) -> str:
    run = run_verify(FAST, {"slack": mock.url})
    return drill._outcome(run.result.integrations[0]).got


def test_a_pass_without_any_429_is_not_the_cold_throttle_pass(slack_mock: Mock) -> None:
    assert drill.expected_for("slack/cold_throttle") == "PASS"
    assert _drill_got(slack_mock) != "PASS"


def test_a_pass_after_a_retried_500_is_not_the_cold_throttle_pass(slack_mock: Mock) -> None:
    slack_mock.fault(method="POST", path="/services/*", status=500, body="oops", times=1)
    assert _drill_got(slack_mock) != "PASS"


def test_the_cold_throttle_drill_passes_after_its_429s(slack_mock: Mock) -> None:
    result = asyncio.run(drill.drill_one("slack/cold_throttle", slack_mock.url, lambda e: None))
    assert result.ok and result.got == "PASS", result.symptom
    assert [r["status"] for r in slack_mock.requests()][:3] == [429, 429, 429]


# --- item 9b: a crash in the DNS drill's namespace is a failure --------------------------------


def _dns_drill(command: list[str]) -> drill.DrillResult:
    (result,) = asyncio.run(drill.drill_all({}, None, lambda r: None, dns_with=command))
    return result


def test_a_verify_crash_inside_the_namespace_fails_the_dns_drill() -> None:
    if refused := drill._namespaces_refused():
        pytest.fail(refused)  # this machine and CI can make namespaces: not a skip
    result = _dns_drill([str(OPWIRE), "--no-such-option"])
    assert result.got == "opwire.crashed" and not result.ok, result
    assert "No such option" in result.symptom


def test_only_refused_namespaces_skip_the_dns_drill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no unshare to run: no namespace to make
    result = _dns_drill([str(OPWIRE)])
    assert result.got == "skipped" and "network namespaces are refused" in result.symptom


# --- item 9c: Slack's webhook errors are told by their word, whatever the status ---------------

WORDS = [(r.body, r.code) for r in SLACK_RULES if r.body is not None and r.step == "send"]


@pytest.mark.parametrize("status", [400, 403, 404, 410])
@pytest.mark.parametrize(("word", "code"), WORDS, ids=[w for w, _ in WORDS])
def test_a_webhook_word_is_its_diagnosis_at_any_status(
    slack_mock: Mock, word: str, code: str, status: int
) -> None:
    slack_mock.fault(method="POST", path="/services/*", status=status, body=word)
    (result,) = run_verify(FAST, {"slack": slack_mock.url}).result.integrations
    assert result.diagnosis is not None and result.diagnosis.code == code


# --- item 9d: every credential the settings accept, the mock authenticates (and back) ----------

APP_KEY = "1" * 39 + "b"
GENIE = "0b7a6c1e-2f3d-4a5b-8c9d-0e1f2a3b4c5d"
Env = Callable[[Mock, str], dict[str, str]]


def _slack(mock: Mock, secret: str) -> dict[str, str]:
    return {
        "OPERATOR_WIRING_MODE": "real_slack",
        "SLACK_WEBHOOK_URL": f"{mock.url}/services/T0CREDS00/B0CREDS00/{secret}",
        "SLACK_BOT_TOKEN": "xoxb-credential-shape-test",
        "SLACK_CHANNEL_ID": "C0OPWIRE01",
        "OPERATOR_WIRING_SLACK_API_URL": f"{mock.url}/api",
    }


def _opsgenie(mock: Mock, key: str) -> dict[str, str]:
    return {
        "OPERATOR_WIRING_MODE": "real_opsgenie",
        "OPSGENIE_API_KEY": key,
        "OPERATOR_WIRING_OPSGENIE_API_URL": mock.url,
    }


def _datadog(mock: Mock, key: str) -> dict[str, str]:
    return {
        "OPERATOR_WIRING_MODE": "real_datadog",
        "DD_API_KEY": key,
        "DD_APP_KEY": APP_KEY,
        "OPERATOR_WIRING_DATADOG_API_URL": mock.url,
    }


# slug -> (environment for a credential, one both sides accept, its variable, its settings field)
ROOMS: dict[str, tuple[Env, str, str, str]] = {
    "slack": (_slack, "A" * 24, "SLACK_WEBHOOK_URL", "webhook_url"),
    "opsgenie": (_opsgenie, GENIE, "OPSGENIE_API_KEY", "api_key"),
    "datadog": (_datadog, "ab" * 16, "DD_API_KEY", "api_key"),
}
CREDENTIALS = [
    # Slack issues 24 alphanumerics (vendor-contracts.md § 5.1).
    ("slack", "PlantedHookSecret0123456"),
    ("slack", "a" * 24),
    ("slack", "A1" * 8),  # 16: the settings took it once; Slack never issues it
    ("slack", "x" * 23),
    ("slack", "x" * 25),
    ("slack", "Z" * 64),
    # Opsgenie keys are UUIDs, whose hex digits are case-insensitive.
    ("opsgenie", GENIE),
    ("opsgenie", GENIE.upper()),
    ("opsgenie", "0B7a6C1e-2F3d-4A5b-8C9d-0E1f2A3b4C5d"),
    ("opsgenie", GENIE.replace("-", "")),
    ("opsgenie", GENIE[:-1] + "g"),
    ("datadog", "0123456789abcdef" * 2),
    ("datadog", "ab" * 15),
    ("datadog", "AB" * 16),  # Datadog keys are lower-case: both sides refuse upper case
]


def _probe(slug: str, mock: Mock, credential: str) -> tuple[bool, IntegrationResult]:
    """(do the settings accept it, what the real probe found at the real mock with it)."""
    environment, good, variable, field = ROOMS[slug]
    lookup = Lookup({**FAST, "OPERATOR_WIRING_REGION_SWEEP": "0", **environment(mock, good)})
    run = run_settings(lookup)
    vendor = load(slug)
    settings = vendor.load_settings(lookup, True, "")
    try:
        vendor.load_settings(Lookup(environment(mock, credential)), True, "")
        accepted = True
    except ConfigError:
        accepted = False
    # The settings' check is skipped here on purpose, so a credential it refuses still reaches
    # the mock: both sides answer for every credential.
    value = environment(mock, credential)[variable]
    target = Target(slug, True, vendor, dataclasses.replace(settings, **{field: Secret(value)}))
    result = asyncio.run(verify([target], run, lambda event: None, redactor_for([target])))
    return accepted, result.integrations[0]


@pytest.mark.parametrize(("slug", "credential"), CREDENTIALS)
def test_the_settings_accept_exactly_what_the_mock_authenticates(
    request: pytest.FixtureRequest, slug: str, credential: str
) -> None:
    mock: Mock = request.getfixturevalue(f"{slug}_mock")
    accepted, result = _probe(slug, mock, credential)
    authenticated = result.status is Status.PASS
    assert accepted == authenticated, (result.status, result.diagnosis)


# --- item 9e: spec tests fail, never skip, without the specs -----------------------------------


def test_spec_tests_fail_when_the_specs_are_missing(tmp_path: Path) -> None:
    files = ["tests/test_specs.py", "tests/test_slack_spec.py", "tests/test_datadog_mock.py"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", *files],
        env={**clean_env(), "OPWIRE_SPECS": str(tmp_path / "no-specs")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode != 0, done.stdout
    assert "skipped" not in summary and ("failed" in summary or "error" in summary), summary
    assert "spec not found" in done.stdout


# --- item 9f: a mock server stops by its context manager -----------------------------------


def test_a_mock_server_stops_when_its_block_ends() -> None:
    with MockServer("slack") as server:
        assert health(server.url, "slack") is not None
    assert health(server.url, "slack", timeout=2) is None  # nothing listens any more


def test_a_mock_server_stops_when_its_block_raises() -> None:
    with pytest.raises(RuntimeError), MockServer("slack") as server:
        raise RuntimeError("the test failed")
    assert health(server.url, "slack", timeout=2) is None
