"""Interrupts end cleanly (issue 9 item 4): SIGINT, SIGTERM and a closed stdout mid-run of the
installed command, against real mocks holding open test artifacts.

The read-back hangs (a mock fault), so the signal lands while an incident, an alert and an issue
are open. Then: nothing new is created, what is open is cleaned up within the grace, the summary
names the interrupted integrations `opwire.interrupted`, the exit code is 128 + the signal, the
journal ends empty (or names what is left), and stderr holds no traceback.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from opwire.integrations.pagerduty import MOCK_API_TOKEN, MOCK_ROUTING_KEY
from opwire.mock.server import MockServer

from conftest import OPWIRE, Mock, clean_env, opwire, serve

pytestmark = pytest.mark.timeout(90)

TOKEN = {"Authorization": f"Token token={MOCK_API_TOKEN}"}
NOISE = ("Traceback", "Task was destroyed", "Exception ignored", "BrokenPipeError", "Aborted")
# The rung after the artifact exists: it hangs once, so the signal finds the artifact open; the
# cleanup's own reads after it are answered.
READ_BACK = {
    "pagerduty": {"method": "GET", "path": "/incidents"},
    "opsgenie": {"method": "GET", "path": "/v2/alerts/ow-*"},
    "sentry": {"method": "GET", "path": "/api/0/projects/*"},
}
OPEN_SLUGS = tuple(READ_BACK)


@pytest.fixture
def mocks() -> Iterator[dict[str, Mock]]:
    servers = {slug: Mock(MockServer(slug).start()) for slug in OPEN_SLUGS}
    try:
        servers["sentry"].control("POST", "sentry/config", {"processing_delay_s": 0})
        yield servers
    finally:
        for mock in servers.values():
            mock.server.stop()


def _env(mocks: dict[str, Mock], state: Path, **extra: str) -> dict[str, str]:
    ports = {f"OPERATOR_WIRING_MOCK_PORT_{s.upper()}": str(m.server.port) for s, m in mocks.items()}
    return clean_env(OPERATOR_WIRING_STATE_DIR=str(state), **ports, **extra)


def _hanging(*mocks: Mock) -> int:
    """Requests a hang fault holds unanswered (not a read the mock is still answering: an
    Opsgenie status read waits for a write due within a second)."""
    return sum(
        1 for m in mocks for r in m.requests() if r["status"] is None and r.get("fault") is not None
    )


def _until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting until {what}"
        time.sleep(0.05)


def _start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(OPWIRE), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        return process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _quiet(stderr: str) -> None:
    for noise in NOISE:
        assert noise not in stderr, stderr


def _incidents(mock: Mock) -> list[str]:
    reply = httpx.get(f"{mock.url}/incidents", headers=TOKEN, params={"date_range": "all"})
    return [i["status"] for i in reply.json()["incidents"]]


def _gone(mocks: dict[str, Mock]) -> dict[str, list[str]]:
    """Each vendor's test artifacts, by status: all resolved or closed when nothing is open."""
    return {
        "pagerduty": _incidents(mocks["pagerduty"]),
        "opsgenie": [
            a["status"] for a in mocks["opsgenie"].control("GET", "opsgenie/config")["alerts"]
        ],
        "sentry": [i["status"] for i in mocks["sentry"].control("GET", "sentry/config")["issues"]],
    }


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_run_cleans_up_what_is_open_and_exits_128_plus_n(
    sig: signal.Signals, code: int, mocks: dict[str, Mock], tmp_path: Path
) -> None:
    for slug, mock in mocks.items():
        mock.fault(**READ_BACK[slug], hang=True, times=1)
    run = _start(["verify", *OPEN_SLUGS], _env(mocks, tmp_path / "state"), tmp_path)
    try:
        _until(lambda: _hanging(*mocks.values()) == 3, "all three read-backs hang")
        run.send_signal(sig)
    finally:
        out, err = _finish(run)
    assert run.returncode == code, out + err
    _quiet(err)
    for slug in OPEN_SLUGS:
        assert f"{slug:<12}mock  FAIL" in out and "opwire.interrupted" in out, out
    assert f"{sig.name} arrived during its step" in out and "cleaned up within the grace" in out
    assert f"interrupted by {sig.name}: no test artifact of this run is left open" in out
    assert f"exit {code}" in out
    assert _gone(mocks) == {
        "pagerduty": ["resolved"],
        "opsgenie": ["closed"],
        "sentry": ["resolved"],
    }
    assert not (tmp_path / "state" / "cleanup-journal.json").exists()
    # One artifact each, and cleanup requests after it: nothing new was created.
    assert _posts(mocks["opsgenie"], "/v2/alerts") == 1
    assert _posts(mocks["sentry"], "/api/42/envelope/") == 1
    assert _posts(mocks["pagerduty"], "/v2/enqueue") == 2  # the trigger, then the resolve


def _posts(mock: Mock, path: str) -> int:
    return sum(1 for r in mock.requests() if (r["method"], r["path"]) == ("POST", path))


def test_a_second_signal_skips_the_cleanup_and_names_what_is_left(
    mocks: dict[str, Mock], tmp_path: Path
) -> None:
    pagerduty = mocks["pagerduty"]
    pagerduty.fault(method="GET", path="/incidents", hang=True, times=1)
    pagerduty.fault(method="POST", path="/v2/enqueue", skip=1, hang=True)  # the resolve hangs
    env = _env(mocks, tmp_path / "state")
    run = _start(["verify", "pagerduty"], env, tmp_path)
    try:
        _until(lambda: _hanging(pagerduty) == 1, "the read-back hangs")
        run.send_signal(signal.SIGINT)
        _until(lambda: _hanging(pagerduty) == 2, "the grace's resolve hangs")
        run.send_signal(signal.SIGINT)
    finally:
        out, err = _finish(run)
    assert run.returncode == 130, out + err
    _quiet(err)
    assert "a second SIGINT cut its cleanup short" in out
    assert "may still be open" in out and "run `opwire cleanup`" in out
    journal = json.loads((tmp_path / "state" / "cleanup-journal.json").read_text())
    (entry,) = journal
    assert f"dedup_key={entry['artifact']['dedup_key']}" in out
    assert _incidents(pagerduty) == ["triggered"]

    pagerduty.control("DELETE", "faults")
    done = opwire("cleanup", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "confirmed gone" in done.stdout
    assert _incidents(pagerduty) == ["resolved"]
    assert not (tmp_path / "state" / "cleanup-journal.json").exists()


def _read_until(process: subprocess.Popen[str], needle: str) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    while needle not in (line := process.stdout.readline()):
        assert line, f"the output ended before {needle!r}: {lines}"
        lines.append(line)
    return lines


def _close_stdout(process: subprocess.Popen[str]) -> str:
    """Go away as `head` does, then wait for the command to end; returns its stderr."""
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    try:
        err = process.stderr.read()
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return err


def test_a_closed_stdout_mid_run_ends_quietly_and_still_cleans_up(
    mocks: dict[str, Mock], tmp_path: Path
) -> None:
    """`opwire verify | head`: the reader goes away while the incident is open."""
    pagerduty = mocks["pagerduty"]
    pagerduty.fault(method="GET", path="/incidents", latency_ms=1500, times=1)
    with _start(["verify", "pagerduty"], _env(mocks, tmp_path / "state"), tmp_path) as run:
        _read_until(run, "/v2/enqueue  HTTP 202")
        _until(lambda: _hanging(pagerduty) == 1, "the read-back is slow")
        err = _close_stdout(run)  # the next line opwire writes meets a closed pipe
    assert run.returncode == 1, err
    _quiet(err)
    assert _incidents(pagerduty) == ["resolved"]
    assert not (tmp_path / "state" / "cleanup-journal.json").exists()


def test_verify_piped_into_a_reader_that_stops_early_ends_quietly_with_an_empty_journal(
    mocks: dict[str, Mock], tmp_path: Path
) -> None:
    """`opwire verify | grep -m1 ...`, as `head` does: the reader leaves mid-run, once the
    incident is triggered and while its read-back is slow."""
    for slug, mock in mocks.items():
        mock.fault(**READ_BACK[slug], latency_ms=800, times=2)
    env = _env(mocks, tmp_path / "state")
    shell = (
        f"'{OPWIRE}' verify {' '.join(OPEN_SLUGS)} 2>'{tmp_path}/err' "
        "| grep -m1 'enqueue  HTTP 202'; echo \"${PIPESTATUS[0]}\""
    )
    done = subprocess.run(
        ["bash", "-c", shell], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    line, code = done.stdout.splitlines()
    assert "/v2/enqueue  HTTP 202" in line and code == "1", done.stdout
    _quiet((tmp_path / "err").read_text())
    assert not (tmp_path / "state" / "cleanup-journal.json").exists()
    assert _gone(mocks)["pagerduty"] == ["resolved"]
    assert set(_gone(mocks)["sentry"]) <= {"resolved"} and set(_gone(mocks)["opsgenie"]) <= {
        "closed"
    }


@pytest.mark.parametrize("how", ["SIGINT", "closed stdout"])
def test_drill_interrupted_ends_quietly(how: str, tmp_path: Path) -> None:
    with _start(["drill"], clean_env(), tmp_path) as run:
        _read_until(run, "drill ")
        if how == "SIGINT":
            run.send_signal(signal.SIGINT)
            out, err = _finish(run)
        else:
            out, err = "", _close_stdout(run)
    _quiet(err)
    if how == "SIGINT":
        assert run.returncode == 130, out + err
        assert "interrupted by SIGINT" in out
    else:
        assert run.returncode == 1, err


def _entry(mock: Mock, key: str) -> dict[str, Any]:
    return {
        "id": key.replace("ow-", "e-"),
        "slug": "pagerduty",
        "run_id": key,
        "real": False,
        "mock_base": mock.url,
        "artifact": {"dedup_key": key},
    }


def _trigger(mock: Mock, key: str) -> None:
    body = {
        "routing_key": MOCK_ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": {"summary": key, "source": "test", "severity": "info"},
    }
    assert httpx.post(f"{mock.url}/v2/enqueue", json=body).status_code == 202


@pytest.fixture
def stuck() -> Iterator[Mock]:
    """A second PagerDuty mock, for entries whose cleanup never gets an answer."""
    yield from serve("pagerduty")


def test_cleanup_interrupted_finishes_what_it_can_in_the_grace_and_keeps_the_rest(
    mocks: dict[str, Mock], stuck: Mock, tmp_path: Path
) -> None:
    slow = mocks["pagerduty"]
    _trigger(slow, "ow-slow")
    _trigger(stuck, "ow-stuck")
    slow.fault(method="POST", path="/v2/enqueue", latency_ms=1500)
    stuck.fault(method="POST", path="/v2/enqueue", hang=True)
    entries = [_entry(slow, "ow-slow"), _entry(stuck, "ow-stuck")]
    state = tmp_path / "state"
    state.mkdir()
    (state / "cleanup-journal.json").write_text(json.dumps(entries))
    run = _start(["cleanup"], clean_env(OPERATOR_WIRING_STATE_DIR=str(state)), tmp_path)
    try:
        _until(lambda: _hanging(slow, stuck) == 2, "both resolves are in flight")
        run.send_signal(signal.SIGINT)
    finally:
        out, err = _finish(run)
    assert run.returncode == 130, out + err
    _quiet(err)
    assert "ow-slow  confirmed gone" in out
    assert "ow-stuck  cannot reach: interrupted by SIGINT" in out
    assert "run `opwire cleanup` again" in out and "(entry e-stuck)" in out
    assert _incidents(slow) == ["resolved"] and _incidents(stuck) == ["triggered"]
    assert json.loads((state / "cleanup-journal.json").read_text()) == [entries[1]]


def _refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def test_mock_up_second_signal_stops_at_once_and_quietly(tmp_path: Path) -> None:
    run = _start(["mock", "up", "slack", "--ephemeral", "--json"], clean_env(), tmp_path)
    try:
        assert run.stdout is not None
        url = json.loads(run.stdout.readline())["mocks"]["slack"]
        httpx.post(f"{url}/_opwire/faults", json={"method": "GET", "path": "/held", "hang": True})
        # A client mid-request holds the graceful shutdown open (about a second).
        held = threading.Thread(
            target=lambda: _ignore(lambda: httpx.get(f"{url}/held", timeout=20)), daemon=True
        )
        held.start()
        _until(lambda: any(r["status"] is None for r in _requests(url)), "the request is held")
        run.send_signal(signal.SIGINT)
        port = int(url.rsplit(":", 1)[1])
        _until(lambda: _refuses(port), "the mock stops listening", 10)
        run.send_signal(signal.SIGINT)
    finally:
        _, err = _finish(run)
    assert run.returncode == 130, err
    _quiet(err)


def _requests(url: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{url}/_opwire/requests", timeout=5).json()["requests"])


def _ignore(call: Callable[[], object]) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call()


def test_the_json_schema_admits_the_signal_exit_codes() -> None:
    from opwire.results import JSON_SCHEMA

    assert {130, 143} <= set(JSON_SCHEMA["properties"]["exit_code"]["enum"])
