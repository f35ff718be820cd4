"""Scheduled verification: one run at a time, a page or ticket through an integration that
passed, deduplicated and resolved, a heartbeat and a Healthchecks ping (issue 13).

Every run is the installed command against mocks served in this process on ephemeral ports."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from opwire.integrations import SLUGS
from opwire.mock.server import MockStack

from conftest import OPWIRE, clean_env, opwire

RUN_ID = re.compile(r"run (ow-\d{8}T\d{6}Z-[0-9a-f]{6})")


class Stack:
    """The six mocks, served for one test, with their control routes."""

    def __init__(self, stack: MockStack) -> None:
        self.stack = stack

    def env(self, state: Path, **extra: str) -> dict[str, str]:
        ports = {
            f"OPERATOR_WIRING_MOCK_PORT_{slug.upper()}": str(server.port)
            for slug, server in self.stack.servers.items()
        }
        return clean_env(**ports, OPERATOR_WIRING_STATE_DIR=str(state), **extra)

    def control(self, slug: str, method: str, path: str, payload: Any = None) -> Any:
        url = f"{self.stack.urls[slug]}/_opwire/{path}"
        reply = httpx.request(method, url, json=payload, timeout=5, trust_env=False)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def requests(self, slug: str) -> list[dict[str, Any]]:
        return list(self.control(slug, "GET", "requests")["requests"])

    def scenario(self, name: str) -> None:
        self.control(name.split("/")[0], "POST", "scenarios", {"name": name})

    def reset(self, slug: str) -> None:
        self.control(slug, "POST", "reset")


@pytest.fixture
def stack() -> Iterator[Stack]:
    with MockStack(SLUGS) as served:
        yield Stack(served)


def _run_id(stdout: str) -> str:
    found = RUN_ID.findall(stdout)
    assert found, stdout
    return str(found[-1])


# --- one run at a time ---------------------------------------------------------------------


def test_a_second_run_gives_up_naming_the_first(stack: Stack, tmp_path: Path) -> None:
    """While a run holds the state folder (Datadog answering slowly), a second one waits its
    OPERATOR_WIRING_LOCK_WAIT_S, saying so, then exits 2 naming the first's run id and start."""
    stack.control("datadog", "POST", "faults", {"path": "/api/v2/series", "latency_ms": 2500})
    state = tmp_path / "state"
    first = subprocess.Popen(
        [str(OPWIRE), "verify", "datadog"],
        env=stack.env(state),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = state / ".verify.lock"
        deadline = time.monotonic() + 20
        while not (lock.exists() and lock.read_text().strip()):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.02)
        held = json.loads(lock.read_text())
        second = opwire(
            "verify",
            "slack",
            env=stack.env(state, OPERATOR_WIRING_LOCK_WAIT_S="0.5"),
            cwd=tmp_path,
        )
        out, _ = first.communicate(timeout=60)
    finally:
        first.kill()
        first.wait()
    assert second.returncode == 2, second.stdout + second.stderr
    assert "opwire: waiting for run " in second.stderr
    assert f"run {held['run_id']} (started {held['started_at']}" in second.stderr
    assert "OPERATOR_WIRING_LOCK_WAIT_S" in second.stderr
    assert second.stdout == ""  # nothing of the second run was sent or printed
    assert not [r for r in stack.requests("slack") if not r["path"].startswith("/_opwire")]
    assert first.returncode == 0, out
    assert _run_id(out) == held["run_id"]
    assert lock.read_text() == ""  # let go, emptied


def test_a_waiting_run_starts_once_the_first_has_finished(stack: Stack, tmp_path: Path) -> None:
    stack.control("slack", "POST", "faults", {"method": "POST", "latency_ms": 1500, "times": 1})
    state = tmp_path / "state"
    first = subprocess.Popen(
        [str(OPWIRE), "verify", "slack"],
        env=stack.env(state),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = state / ".verify.lock"
        deadline = time.monotonic() + 20
        while not (lock.exists() and lock.read_text().strip()):
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.02)
        second = opwire("verify", "slack", env=stack.env(state), cwd=tmp_path)
        out, _ = first.communicate(timeout=60)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0 and second.returncode == 0, second.stdout + second.stderr
    assert f"waiting for run {_run_id(out)}" in second.stderr
    runs = [json.loads(line) for line in (state / "runs.jsonl").read_text().splitlines()]
    assert [r["run_id"] for r in runs] == [_run_id(out), _run_id(second.stdout)]


def test_a_dead_runs_lock_is_taken_over(stack: Stack, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    dead = {"run_id": "ow-20260101T000000Z-abcdef", "started_at": "2026-01-01T00:00:00+00:00"}
    (state / ".verify.lock").write_text(json.dumps({**dead, "pid": 2**22 + 7}) + "\n")
    done = opwire("verify", "slack", env=stack.env(state), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "took over the lock of run ow-20260101T000000Z-abcdef" in done.stderr


def test_a_bad_lock_wait_is_a_usage_error(tmp_path: Path) -> None:
    env = clean_env(OPERATOR_WIRING_LOCK_WAIT_S="soon", OPERATOR_WIRING_STATE_DIR=str(tmp_path))
    done = opwire("verify", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "OPERATOR_WIRING_LOCK_WAIT_S" in done.stderr and "soon" in done.stderr
