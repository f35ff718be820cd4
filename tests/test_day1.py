"""`opwire day1` over fixture state folders: every step judged from evidence only, a mock PASS
never counting for a real step, and `day1 record` written only when everything is green."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opwire.integrations import SLUGS, room

from conftest import clean_env, closed_port, opwire

PLANTED = "xoxb-1234567890-PLANTED-day1-token"
HOOK = "https://hooks.slack.com/services/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"


def _run(
    run_id: str, at: str, mode: str, status: dict[str, str], command: str = "verify", **extra: Any
) -> dict[str, Any]:
    items = [
        {"slug": s, "mode": "mock" if mode == "mock" else "real", "status": v, "code": None}
        for s, v in status.items()
    ]
    green = all(v == "PASS" for v in status.values())
    return {
        "schema": "opwire.run/1",
        "command": command,
        "run_id": run_id,
        "started_at": f"2026-12-02T{at}+00:00",
        "elapsed_s": 1.0,
        "mode": mode,
        "overall": "GREEN" if green else "HOLD",
        "exit_code": 0 if green else 1,
        "integrations": items,
        **extra,
    }


def _all(value: str) -> dict[str, str]:
    return dict.fromkeys(SLUGS, value)


def _green_runs() -> list[dict[str, Any]]:
    runs = [_run("ow-mock", "00:10:00", "mock", _all("PASS"))]
    runs += [
        _run(f"ow-{slug}", f"00:2{n}:00", f"real_{slug}", {slug: "PASS"})
        for n, slug in enumerate(SLUGS)
    ]
    down = _run("ow-down", "00:40:00", "real_datadog", {"datadog": "FAIL"})
    down["integrations"][0]["code"] = "net.refused"
    runs += [
        down,
        _run("ow-back", "00:41:00", "real_datadog", {"datadog": "PASS"}),
        _run("ow-slack2", "00:51:00", "real_slack", {"slack": "PASS"}),
        _run("ow-all", "01:00:00", "real_all", _all("PASS")),
        _run(
            "ow-chain",
            "01:10:00",
            "real_all",
            dict.fromkeys(("sentry", "pagerduty", "slack"), "PASS"),
            command="chain",
            hops=[],
        ),
    ]
    return runs


def _state(folder: Path, runs: list[dict[str, Any]], log_overall: str = "GREEN") -> Path:
    state = folder / "state"
    state.mkdir()
    (state / "runs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in runs))
    modes = ", ".join(f"{s}=real" for s in SLUGS)
    (state / "verify-day1-20261202.log").write_text(
        f"# opwire 0.1.0\n# run id: ow-all\n# mode: {modes}\n# host: ops-laptop\n"
        f"datadog    PASS\noverall: {log_overall} — real: {', '.join(SLUGS)}\n"
    )
    (state / "rotations.md").write_text(
        "## 2026-12-02T00:50:00Z slack: rotated SLACK_WEBHOOK_URL\n\n- probe: PASS\n"
    )
    env = folder / ".env.local"
    env.write_text(
        "".join(
            f"{v.name}={v.example}\n"
            for slug in SLUGS
            for v in room(slug).variables
            if not v.name.startswith("OPERATOR_WIRING_") and v.name != "SLACK_WEBHOOK_URL"
        )
        + f"SLACK_WEBHOOK_URL={HOOK}\nSLACK_BOT_TOKEN={PLANTED}\n"
    )
    env.chmod(0o600)
    return state


def _env() -> dict[str, str]:
    """No mock stack at the ports day1 looks at."""
    port = str(closed_port())
    return clean_env(**{f"OPERATOR_WIRING_MOCK_PORT_{s.upper()}": port for s in SLUGS})


def _confirm(folder: Path, slugs: tuple[str, ...] = SLUGS) -> None:
    for slug in slugs:
        done = opwire("confirm", slug, "--by", "ana", env=_env(), cwd=folder)
        assert done.returncode == 0, done.stdout + done.stderr


def _day1(folder: Path) -> tuple[int, dict[int, dict[str, Any]], str]:
    done = opwire("day1", "--json", env=_env(), cwd=folder)
    document = json.loads(done.stdout)
    assert document["schema"] == "opwire.day1/1"
    assert PLANTED not in done.stdout + done.stderr
    return done.returncode, {s["step"]: s for s in document["steps"]}, done.stdout


def test_an_empty_state_holds_and_lists_every_step_that_holds(tmp_path: Path) -> None:
    done = opwire("day1", env=_env(), cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    holding = [line for line in done.stdout.splitlines() if " HOLD " in f" {line} "]
    assert len(holding) >= 20  # every step that needs evidence, each with what to do
    assert "overall: HOLD" in done.stdout and "cp .env.example" in done.stdout


def test_all_green_then_the_record_is_written_without_a_secret(tmp_path: Path) -> None:
    _state(tmp_path, _green_runs())
    _confirm(tmp_path, tuple(s for s in SLUGS if s != "splunk"))
    # A confirmation a person wrote by hand, in their own spelling of the same shape.
    with (tmp_path / "state" / "confirmations.md").open("a") as records:
        records.write(
            "\nSome prose a person added.\n\n## Splunk: seen in the HEC index by Bo\n\n"
            "* **By:** Bo\n* At: 2026-12-02 01:20 UTC\n* Run ID: `ow-all`\n"
        )
    code, steps, _ = _day1(tmp_path)
    assert [n for n, s in steps.items() if s["state"] in ("HOLD", "BLOCKED")] == [], steps
    assert code == 0 and steps[22]["state"] == "pending" and steps[29]["state"] == "manual"
    done = opwire("day1", "record", env=_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    notice = (tmp_path / "state" / "day1-completion.md").read_text()
    assert "ow-all" in notice and "verify-day1-20261202.log" in notice and ".env.local" in notice
    for text in (notice, done.stdout, done.stderr):
        assert PLANTED not in text and "PLANTEDday1" not in text
    for path in (tmp_path / "state").rglob("*"):
        assert PLANTED not in path.read_text(errors="replace")
    _, after, _ = _day1(tmp_path)
    assert after[22]["state"] == "done" and after[24]["state"] == "done"


def _without(runs: list[dict[str, Any]], slug: str) -> list[dict[str, Any]]:
    """The runs with `slug` shown only against its mock: its real PASSes gone."""
    kept = []
    for run in runs:
        items = [i for i in run["integrations"] if not (i["slug"] == slug and i["mode"] == "real")]
        if items or run["command"] == "chain":
            kept.append({**run, "integrations": items})
    return kept


@pytest.mark.parametrize(
    ("case", "holds"),
    [
        ("only against the mock", {13, 19}),
        ("not confirmed by a person", {21}),
        ("blocked", {12, 18}),
        ("failing latest log", {20}),
        ("chain only against the mocks", {28}),
    ],
)
def test_each_way_day1_holds_names_its_steps(tmp_path: Path, case: str, holds: set[int]) -> None:
    runs = _green_runs()
    if case == "only against the mock":
        runs = _without(runs, "slack")
    if case == "chain only against the mocks":  # OPERATOR_WIRING_MODE=real_datadog opwire chain
        for item in runs[-1]["integrations"]:
            item["mode"] = "mock"
        runs[-1]["mode"] = "real_datadog"
    _state(tmp_path, runs, log_overall="HOLD" if case == "failing latest log" else "GREEN")
    confirmed = tuple(s for s in SLUGS if s != "slack") if case != "only against the mock" else ()
    if case != "only against the mock":
        _confirm(tmp_path, confirmed if case == "not confirmed by a person" else SLUGS)
    if case == "blocked":
        done = opwire("blocker", "add", "splunk", "--ticket", "SEC-42", env=_env(), cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
    code, steps, _ = _day1(tmp_path)
    holding = {n for n, s in steps.items() if s["state"] in ("HOLD", "BLOCKED")}
    assert code == 3 and holds <= holding, {n: steps[n] for n in holding}
    if case == "blocked":
        assert steps[12]["state"] == "BLOCKED" and "SEC-42" in steps[12]["evidence"]
    refused = opwire("day1", "record", env=_env(), cwd=tmp_path)
    assert refused.returncode == 3 and not (tmp_path / "state" / "day1-completion.md").exists()
