"""`opwire rollback` / `rollforward` (the one-flag rollback of seed §§ 5–6) and `opwire schedule`
(a crontab line, systemd units that systemd-analyze accepts, a CronJob Kubernetes' schema
accepts)."""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from conftest import clean_env, opwire

PLANTED = "xoxb-1234567890-PLANTED-ops-token"
ENV = (
    "# the application's wiring\n"
    f"SLACK_BOT_TOKEN={PLANTED}\n"
    "OPERATOR_WIRING_PROD_ENABLED=1   # on since the canary\n"
    "OPSGENIE_TEAM=ops\n"
)


def test_rollback_flips_only_the_flag_and_rollforward_flips_it_back(tmp_path: Path) -> None:
    env = tmp_path / ".env.local"
    env.write_text(ENV)
    done = opwire("rollback", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert env.read_text() == ENV.replace("ENABLED=1 ", "ENABLED=0 ")
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert "OPERATOR_WIRING_PROD_ENABLED is now 0" in done.stdout and "(was 1)" in done.stdout
    back = opwire("rollforward", cwd=tmp_path)
    assert back.returncode == 0 and env.read_text() == ENV
    runs = (tmp_path / "state" / "runs.jsonl").read_text()
    history = [json.loads(line) for line in runs.splitlines()]
    assert [(r["command"], r["flag"]["value"]) for r in history] == [
        ("rollback", "0"),
        ("rollforward", "1"),
    ]
    for text in (
        done.stdout,
        done.stderr,
        back.stdout,
        (tmp_path / "state" / "runs.jsonl").read_text(),
    ):
        assert PLANTED not in text


def test_rollback_says_when_the_environment_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / ".env.local").write_text(ENV)
    env = clean_env(OPERATOR_WIRING_PROD_ENABLED="1")
    done = opwire("rollback", env=env, cwd=tmp_path)
    assert done.returncode == 0 and "in the process environment wins" in done.stdout


def test_rollback_without_a_file_creates_it_owner_only(tmp_path: Path) -> None:
    done = opwire("rollback", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    env = tmp_path / ".env.local"
    assert env.read_text() == "OPERATOR_WIRING_PROD_ENABLED=0\n" and "(was unset)" in done.stdout
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


CRON_FIELD = re.compile(r"^(\*|\d+)(-\d+)?(/\d+)?(,(\d+))*$")
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


@pytest.mark.parametrize("cadence", ["--daily", "--weekly"])
def test_the_crontab_line_parses(tmp_path: Path, cadence: str) -> None:
    done = opwire("schedule", "--cron", cadence, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [line] = [ln for ln in done.stdout.splitlines() if ln and not ln.startswith("#")]
    fields, command = line.split()[:5], " ".join(line.split()[5:])
    for field, (low, high) in zip(fields, RANGES, strict=True):
        assert CRON_FIELD.match(field), field
        assert all(low <= int(n) <= high for n in re.findall(r"\d+", field))
    assert "%" not in command  # a % ends a crontab command
    assert f"cd {tmp_path.resolve()} && mkdir -p state && ./opwire verify" in command
    on_failure = "page" if cadence == "--daily" else "ticket"
    assert f"--on-failure {on_failure} --heartbeat opwire-verify" in command
    assert (fields[4] == "*") == (cadence == "--daily")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "opwire").write_text("#!/bin/sh\n")
    (checkout / "opwire").chmod(0o755)
    done = opwire("schedule", "--systemd", "--weekly", cwd=checkout)
    assert done.returncode == 0, done.stderr
    units = tmp_path / "units"
    units.mkdir()
    for block in done.stdout.split("# /etc/systemd/system/")[1:]:
        name, _, text = block.partition("\n")
        (units / name).write_text(text.split("\n# install:")[0])
    assert sorted(p.name for p in units.iterdir()) == [
        "opwire-verify.service",
        "opwire-verify.timer",
    ]
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(units / "opwire-verify.timer")],
        capture_output=True,
        text=True,
        check=False,
    )
    problems = [ln for ln in checked.stderr.splitlines() if "opwire-verify" in ln]
    assert checked.returncode == 0 and not problems, checked.stderr
    assert "OnCalendar=Mon *-*-* 06:17:00 UTC" in done.stdout


def test_the_cronjob_validates_against_the_kubernetes_schema(tmp_path: Path) -> None:
    done = opwire(
        "schedule", "--kubernetes", "--image", "registry.example/opwire:0.1", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    manifest = yaml.safe_load(done.stdout)
    kubernetes_validate.validate(manifest, "1.30.0", strict=True)
    spec = manifest["spec"]
    assert manifest["kind"] == "CronJob" and spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    assert job["activeDeadlineSeconds"] > 0 and spec["startingDeadlineSeconds"] > 0
    [container] = job["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": "opwire-credentials"}}]
    assert container["args"][:3] == ["verify", "--mode", "real_all"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "name one of --cron"),
        (("--cron", "--systemd"), "name one of --cron"),
        (("--cron", "--daily", "--weekly"), "do not go together"),
        (("--cron", "--heartbeat", "a b"), "--heartbeat must be"),
        (("--cron", "--ping-url", "ftp://x"), "--ping-url"),
    ],
)
def test_bad_schedule_flags_are_exit_2(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    done = opwire("schedule", *args, cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_a_percent_in_the_crontab_command_is_escaped(tmp_path: Path) -> None:
    url = "https://hc.example/ping/db%2Dbackup-0123456789abcdef"
    done = opwire("schedule", "--cron", "--ping-url", url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [line] = [ln for ln in done.stdout.splitlines() if ln and not ln.startswith("#")]
    assert "db\\%2Dbackup" in line and "%" not in line.replace("\\%", "")
    assert "mkdir -p state &&" in line


def test_rollback_with_a_bad_setting_changes_nothing(tmp_path: Path) -> None:
    env = tmp_path / ".env.local"
    env.write_text(ENV)
    done = opwire("rollback", env=clean_env(OPERATOR_WIRING_BUDGET_S="abc"), cwd=tmp_path)
    assert done.returncode == 2 and "OPERATOR_WIRING_BUDGET_S" in done.stderr
    assert env.read_text() == ENV


def test_a_run_lock_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "state" / ".verify.lock").mkdir(parents=True)
    done = opwire("verify", "slack", cwd=tmp_path)
    assert done.returncode == 2 and "the run lock cannot be opened" in done.stderr
    assert "Traceback" not in done.stderr


def test_history_refuses_a_since_beyond_any_date(tmp_path: Path) -> None:
    done = opwire("history", "--since", "1000000d", cwd=tmp_path)
    assert done.returncode == 2 and "--since" in done.stderr and "Traceback" not in done.stderr
