"""`opwire mock up --detach`, `mock status` and `mock down` as operators run them (seed 4, 23).

Each test runs the installed command as a subprocess with its own state folder, on ephemeral
ports (so a stack on the default ports elsewhere is never touched), and stops what it started.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from opwire.integrations import MOCKED
from opwire.state.journal import owner_running

from conftest import clean_env
from conftest import opwire as run_opwire


def env_for(state: Path, **extra: str) -> dict[str, str]:
    return clean_env(OPERATOR_WIRING_STATE_DIR=str(state), **extra)


def opwire(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command run in the state folder's parent, never the checkout (its .env.local)."""
    return run_opwire(*args, env=env, cwd=Path(env["OPERATOR_WIRING_STATE_DIR"]).parent)


def record_of(state: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((state / "mock-stack.json").read_text())
    return document


def refused(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, int(port))) != 0


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "state"
    folder.mkdir()
    yield folder
    # Whatever a failed assertion left running is stopped, never leaked to the next test.
    if (folder / "mock-stack.json").exists():
        opwire("mock", "down", env=env_for(folder))


def test_detached_stack_is_healthy_listed_and_stopped_with_its_ports_freed(state: Path) -> None:
    up = opwire("mock", "up", "--detach", "--ephemeral", env=env_for(state))
    assert up.returncode == 0, up.stderr
    record = record_of(state)
    assert sorted(record["urls"]) == sorted(MOCKED) and owner_running(
        record["pid"], record["started"]
    )
    assert "6/6 healthy" in up.stderr and f"pid {record['pid']}" in up.stdout

    status = opwire("mock", "status", "--json", env=env_for(state))
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert document["healthy"] == 6 and document["stack"]["pid"] == record["pid"]
    assert [m["slug"] for m in document["mocks"]] == list(record["urls"])
    assert all(m["version"] and m["scenarios"] == [] for m in document["mocks"])

    down = opwire("mock", "down", env=env_for(state))
    assert down.returncode == 0, down.stderr
    assert f"mock stack stopped (pid {record['pid']})" in down.stdout
    assert not owner_running(record["pid"], record["started"])
    assert all(refused(url) for url in record["urls"].values())
    assert not (state / "mock-stack.json").exists()
    after = opwire("mock", "status", "--json", env=env_for(state))
    assert after.returncode == 1 and json.loads(after.stdout)["stack"] is None


def test_verify_uses_the_detached_stack_and_names_its_scenario_before_the_summary(
    state: Path,
) -> None:
    assert (
        opwire("mock", "up", "slack", "--detach", "--ephemeral", env=env_for(state)).returncode == 0
    )
    url = record_of(state)["urls"]["slack"]
    httpx.post(f"{url}/_opwire/scenarios", json={"name": "slack/revoked"}).raise_for_status()

    status = opwire("mock", "status", env=env_for(state))
    assert status.returncode == 0
    assert "scenarios: slack/revoked" in status.stdout and "rehearsing" in status.stdout

    run = opwire("verify", "slack", env=env_for(state, OPERATOR_WIRING_MODE="mock"))
    assert run.returncode == 1
    summary = run.stdout.index("overall:")
    note = run.stdout.index("the running slack mock has scenario slack/revoked switched on")
    assert f"using the running slack mock at {url}" in run.stdout and note < summary
    assert opwire("mock", "down", env=env_for(state)).returncode == 0


def test_a_second_detach_is_refused_while_one_runs(state: Path) -> None:
    assert (
        opwire("mock", "up", "splunk", "--detach", "--ephemeral", env=env_for(state)).returncode
        == 0
    )
    again = opwire("mock", "up", "splunk", "--detach", "--ephemeral", env=env_for(state))
    assert again.returncode == 2 and "already runs" in again.stderr
    assert "Traceback" not in again.stderr


def test_a_stack_that_cannot_bind_fails_the_detach_with_its_log(state: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        up = opwire(
            "mock",
            "up",
            "slack",
            "--detach",
            env=env_for(state, OPERATOR_WIRING_MOCK_PORT_SLACK=port),
        )
    assert up.returncode == 2, up.stdout
    assert "exited during start" in up.stderr and port in up.stderr
    assert not (state / "mock-stack.json").exists()


def test_a_log_past_its_size_is_kept_once_and_a_new_one_begins(state: Path) -> None:
    """Every start appends to mock-stack.log; a log past 5 MB moves to .1 (one, not a chain)."""
    log, kept = state / "mock-stack.log", state / "mock-stack.log.1"
    state.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"old line\n" * 600_000)
    kept.write_bytes(b"older")
    with socket.socket() as taken:  # a start that fails fast is enough to open the log
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        opwire(
            "mock",
            "up",
            "slack",
            "--detach",
            env=env_for(state, OPERATOR_WIRING_MOCK_PORT_SLACK=port),
        )
    assert kept.read_bytes().startswith(b"old line") and kept.stat().st_size > 5_000_000
    assert log.stat().st_size < 100_000 and b"--detach" in log.read_bytes()


def test_down_with_nothing_running_is_quiet_and_a_stale_record_is_removed(state: Path) -> None:
    none = opwire("mock", "down", env=env_for(state, **_unused_ports()))
    assert none.returncode == 0 and "no detached mock stack recorded" in none.stdout

    # A record whose process is gone (a killed host, a reboot): status says so, down removes it.
    dead = {"pid": _dead_pid(), "started": 1, "urls": {"slack": "http://127.0.0.1:9"}}
    (state / "mock-stack.json").write_text(json.dumps(dead))
    status = opwire("mock", "status", env=env_for(state, **_unused_ports()))
    assert status.returncode == 1 and "has stopped" in status.stdout
    down = opwire("mock", "down", env=env_for(state))
    assert down.returncode == 0 and "had already stopped; record removed" in down.stdout
    assert not (state / "mock-stack.json").exists()


def test_an_unreadable_record_is_one_line_and_kept(state: Path) -> None:
    (state / "mock-stack.json").write_text("{not json")
    for command in (("mock", "down"), ("mock", "status"), ("mock", "up", "--detach")):
        done = opwire(*command, env=env_for(state))
        assert done.returncode == 2 and "mock-stack.json" in done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert (state / "mock-stack.json").read_text() == "{not json"


def _unused_ports() -> dict[str, str]:
    """Default-port settings that nothing listens on, so a stack elsewhere is not seen."""
    ports = {}
    for slug in MOCKED:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            ports[f"OPERATOR_WIRING_MOCK_PORT_{slug.upper()}"] = str(free.getsockname()[1])
    return ports


def _dead_pid() -> int:
    pid = os.getpid() + 40000
    while owner_running(pid, None):
        pid += 1
    return pid


def test_a_record_without_a_start_time_never_gets_its_pid_signalled(state: Path) -> None:
    """pid 1 is alive: a hand-made record naming it must not make `mock down` kill it."""
    (state / "mock-stack.json").write_text(json.dumps({"pid": 1, "started": None, "urls": {}}))
    down = opwire("mock", "down", env=env_for(state))
    assert down.returncode == 2 and "cannot confirm that pid 1" in down.stderr
    assert "Traceback" not in down.stderr
    (state / "mock-stack.json").unlink()
