"""Verdicts say what they proved (issue 9 items 1 and 3): a mock's PASS is never passed off as
the vendor's, and an answer of the wrong shape is diagnosed, not called opwire's own bug."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from opwire.results import JSON_SCHEMA

from conftest import ROOT, Mock, clean_env, opwire, run_verify

HOOK = "PlantedHookSecret0123456"


def real_slack(mock: Mock, **extra: str) -> dict[str, str]:
    return clean_env(
        OPERATOR_WIRING_MODE="real_slack",
        SLACK_WEBHOOK_URL=f"{mock.url}/services/T0VERDICT/B0VERDICT/{HOOK}",
        SLACK_BOT_TOKEN="xoxb-verdict-bot-token",
        SLACK_CHANNEL_ID="C0OPWIRE01",
        OPERATOR_WIRING_SLACK_API_URL=f"{mock.url}/api",
        OPERATOR_WIRING_BUDGET_S="8",
        **extra,
    )


def test_the_overall_line_names_what_ran_on_a_mock(slack_mock: Mock, tmp_path: Path) -> None:
    done = opwire("verify", "slack", "datadog", env=real_slack(slack_mock), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    overall = next(line for line in done.stdout.splitlines() if line.startswith("overall:"))
    assert overall.startswith("overall: GREEN — real: slack; mock: datadog"), overall


def test_plain_mock_mode_needs_no_provenance(tmp_path: Path) -> None:
    done = opwire("verify", "slack", env=clean_env(), cwd=tmp_path)
    assert done.returncode == 0
    assert "overall: GREEN (1 PASS)" in done.stdout


def test_json_lists_only_what_the_real_vendor_confirmed(slack_mock: Mock, tmp_path: Path) -> None:
    done = opwire("verify", "slack", "datadog", "--json", env=real_slack(slack_mock), cwd=tmp_path)
    document = json.loads(done.stdout)
    jsonschema.validate(document, JSON_SCHEMA)
    assert document["confirmed_real"] == ["slack"]
    modes = {i["slug"]: i["mode"] for i in document["integrations"]}
    assert modes == {"slack": "real", "datadog": "mock"}


def test_naming_an_integration_the_mode_leaves_on_its_mock_says_so(
    slack_mock: Mock, tmp_path: Path
) -> None:
    """`OPERATOR_WIRING_MODE=real_slack ./verify/datadog.sh`."""
    done = opwire("verify", "datadog", env=real_slack(slack_mock), cwd=tmp_path)
    assert done.returncode == 0
    assert "datadog runs against its mock: OPERATOR_WIRING_MODE=real_slack makes only slack" in (
        done.stdout
    )
    assert "real_datadog" in done.stdout


def test_the_wrapper_script_says_so_too(slack_mock: Mock, tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run(
        [str(ROOT / "verify" / "datadog.sh")],
        env=real_slack(slack_mock),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "datadog runs against its mock" in done.stdout, done.stderr


# --- item 3: misbehaving answers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('["ok"]', "application/json"),
        ('"just a string"', "application/json"),
        ("[]", "application/json"),
    ],
)
def test_json_of_the_wrong_shape_is_diagnosed(
    slack_mock: Mock, body: str, content_type: str
) -> None:
    slack_mock.fault(method="GET", path="/api/*", status=200, body=body, content_type=content_type)
    (result,) = run_verify(real_slack(slack_mock), {}, ("slack",)).result.integrations
    assert result.diagnosis is not None
    assert result.diagnosis.code == "http.malformed", result.diagnosis
    assert body.strip('"') in result.diagnosis.detail


def test_datadog_validate_answering_an_array_is_malformed(datadog_mock: Mock) -> None:
    datadog_mock.fault(method="GET", path="/api/v1/validate", status=200, body="[true]")
    env = {
        "OPERATOR_WIRING_MODE": "real_datadog",
        "DD_API_KEY": "ab" * 16,
        "OPERATOR_WIRING_DATADOG_API_URL": datadog_mock.url,
        "OPERATOR_WIRING_BUDGET_S": "5",
    }
    (result,) = run_verify(env, {}, ("datadog",)).result.integrations
    assert result.diagnosis is not None and result.diagnosis.code != "opwire.internal_error"


@pytest.mark.parametrize("charset", ["x-no-such-charset", "utf-99", "\u00e9"])
def test_an_unknown_charset_is_read_as_utf8(slack_mock: Mock, charset: str) -> None:
    slack_mock.fault(
        method="POST",
        path="/services/*",
        status=200,
        body="ok",
        content_type=f"text/html; charset={charset}".encode("ascii", "replace").decode(),
    )
    (result,) = run_verify(real_slack(slack_mock), {}, ("slack",)).result.integrations
    assert result.diagnosis is None or result.diagnosis.code != "opwire.internal_error"
    assert any(s.name == "send" and s.outcome.value == "ok" for s in result.steps)
