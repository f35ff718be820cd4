"""The state package (issue 10 item 4): every verify and drill run is a line of run history,
records keep what a person wrote, and no write can carry a secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opwire.config import Redactor, Secret
from opwire.state import Records, SecretInRecord

from conftest import clean_env, opwire

PLANTED = "xoxb-PLANTED-state-token-1234"


def history(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "runs.jsonl").read_text().splitlines()]


def test_every_verify_run_is_a_line_of_history(tmp_path: Path) -> None:
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"), SLACK_BOT_TOKEN=PLANTED)
    first = opwire("verify", "slack", "--json", env=env, cwd=tmp_path)
    second = opwire("verify", "slack", "datadog", env=env, cwd=tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    runs = history(tmp_path / "state")
    assert [r["command"] for r in runs] == ["verify", "verify"]
    assert runs[0]["run_id"] == json.loads(first.stdout)["run_id"]
    assert runs[1]["integrations"] == [
        {
            "slug": "datadog",
            "mode": "mock",
            "status": "PASS",
            "code": None,
            "elapsed_s": runs[1]["integrations"][0]["elapsed_s"],
        },
        {
            "slug": "slack",
            "mode": "mock",
            "status": "PASS",
            "code": None,
            "elapsed_s": runs[1]["integrations"][1]["elapsed_s"],
        },
    ]
    assert {r["overall"] for r in runs} == {"GREEN"} and runs[0]["schema"] == "opwire.run/1"
    assert PLANTED not in (tmp_path / "state" / "runs.jsonl").read_text()


def test_a_failed_run_records_its_diagnosis(slack_mock: object, tmp_path: Path) -> None:
    env = clean_env(
        OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"),
        OPERATOR_WIRING_MOCK_PORT_SLACK=str(slack_mock.url.rsplit(":", 1)[1]),
    )
    slack_mock.control("POST", "scenarios", {"name": "slack/revoked"})
    done = opwire("verify", "slack", env=env, cwd=tmp_path)
    assert done.returncode == 1
    (run,) = history(tmp_path / "state")
    assert run["integrations"][0]["code"] == "slack.webhook_revoked"  # type: ignore[index]
    assert run["exit_code"] == 1


def test_every_drill_run_is_a_line_of_history(tmp_path: Path) -> None:
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
    done = opwire("drill", "slack/revoked", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (run,) = history(tmp_path / "state")
    assert run["command"] == "drill"
    assert run["drills"] == [
        {
            "scenario": "slack/revoked",
            "expected": "slack.webhook_revoked",
            "got": "slack.webhook_revoked",
            "ok": True,
        }
    ]


def test_a_record_keeps_what_a_person_wrote(tmp_path: Path) -> None:
    records = Records(tmp_path, Redactor())
    path = records.path("deviations")
    path.write_text("# Deviations\n\nWritten by hand: the VPN drops DNS at 9 a.m.\n")
    records.append_section("deviations", "## 2026-12-01 opwire\n\nSplunk needed a ticket.")
    text = path.read_text()
    assert text.startswith("# Deviations\n\nWritten by hand")
    assert text.endswith("## 2026-12-01 opwire\n\nSplunk needed a ticket.\n")


def test_no_record_is_written_with_a_secret(tmp_path: Path) -> None:
    records = Records(tmp_path, Redactor([Secret(PLANTED)]))
    path = records.path("blockers")
    path.write_text("# Blockers\n")
    with pytest.raises(SecretInRecord, match="nothing written"):
        records.append_section("blockers", f"## slack\n\ntoken {PLANTED}")
    assert path.read_text() == "# Blockers\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    records.append_run({"note": f"echoed {PLANTED}"})  # history is masked, never raw
    assert PLANTED not in (tmp_path / "runs.jsonl").read_text()


def test_history_skips_what_is_not_a_record(tmp_path: Path) -> None:
    (tmp_path / "runs.jsonl").write_text('{"run_id": "a"}\nnot json\n[1]\n{"run_id": "b"}\n')
    assert [r["run_id"] for r in Records(tmp_path, Redactor()).runs()] == ["a", "b"]
