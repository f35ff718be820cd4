"""Scheduled verification: one run at a time, a page or ticket through an integration that
passed, deduplicated and resolved, a heartbeat and a Healthchecks ping (issue 13).

Every run is the installed command against mocks served in this process on ephemeral ports."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from opwire.integrations import SLUGS
from opwire.mock.healthchecks import HealthchecksServer
from opwire.mock.server import MockStack

from conftest import OPWIRE, clean_env, closed_port, opwire

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


# --- page or ticket through an integration that passed -----------------------------------


def _day(offset: int = 0) -> str:
    return (datetime.now(UTC) + timedelta(days=offset)).strftime("%Y%m%d")


def _bodies(stack: Stack, slug: str, method: str, path: str) -> list[dict[str, Any]]:
    found = []
    for request in stack.requests(slug):
        if request["method"] == method and request["path"] == path and request["body"]:
            found.append(json.loads(request["body"]))
    return found


def _events(stack: Stack, action: str, key: str) -> list[dict[str, Any]]:
    events = _bodies(stack, "pagerduty", "POST", "/v2/enqueue")
    return [e for e in events if e.get("event_action") == action and e.get("dedup_key") == key]


def _paging(state: Path) -> list[dict[str, Any]]:
    return list(json.loads((state / "paging.json").read_text())["open"])


def test_a_datadog_fail_pages_through_pagerduty_once_and_green_resolves_it(
    stack: Stack, tmp_path: Path
) -> None:
    stack.scenario("datadog/wrong_site")
    state, key = tmp_path / "state", f"opwire-{_day()}-datadog"
    args = ("verify", "datadog", "pagerduty", "opsgenie", "--on-failure", "page")
    first = opwire(*args, env=stack.env(state), cwd=tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr
    assert f"page sent through pagerduty (its mock) ({key}): datadog FAIL" in first.stdout
    [trigger] = _events(stack, "trigger", key)
    payload = trigger["payload"]
    assert "datadog (datadog.wrong_site)" in payload["summary"]
    assert payload["severity"] == "critical"
    assert payload["custom_details"]["datadog"].startswith("datadog.wrong_site: ")
    # the fix travels with the page (here the rehearsal's: reset the mock)
    assert "reset the mock" in payload["custom_details"]["datadog"]
    # one printed line for the page's request, and nothing of it sent to Datadog or Opsgenie
    printed = [ln for ln in first.stdout.splitlines() if "/v2/enqueue" in ln]
    assert len(printed) == len(_bodies(stack, "pagerduty", "POST", "/v2/enqueue")) == 3
    assert not [r for r in stack.requests("datadog") if key in json.dumps(r)]
    assert not [r for r in stack.requests("opsgenie") if key in json.dumps(r)]
    assert [e["key"] for e in _paging(state)] == [key]

    again = opwire(*args, env=stack.env(state), cwd=tmp_path)
    assert again.returncode == 1
    said = f"datadog still FAIL: already paged through pagerduty in run {_run_id(first.stdout)}"
    assert said in again.stdout
    assert "not paging again" in again.stdout
    assert len(_events(stack, "trigger", key)) == 1

    stack.reset("datadog")
    green = opwire(*args, env=stack.env(state), cwd=tmp_path)
    assert green.returncode == 0, green.stdout
    assert f"resolved {key} through pagerduty: green again" in green.stdout
    assert len(_events(stack, "resolve", key)) == 1
    incidents = [
        i["vendor"]
        for i in stack.control("pagerduty", "GET", "state?kind=incident")["items"]
        if i["vendor"].get("incident_key") == key
    ]
    assert [i["status"] for i in incidents] == ["resolved"]
    assert _paging(state) == []


def test_a_failure_past_midnight_is_not_paged_again_the_next_day(
    stack: Stack, tmp_path: Path
) -> None:
    stack.scenario("datadog/wrong_site")
    state, today_key = tmp_path / "state", f"opwire-{_day()}-datadog"  # before a run nears midnight
    args = ("verify", "datadog", "pagerduty", "opsgenie", "--on-failure", "page")
    assert opwire(*args, env=stack.env(state), cwd=tmp_path).returncode == 1
    # The episode as yesterday's run left it (the page's key carries the day it opened).
    book = json.loads((state / "paging.json").read_text())
    yesterday = f"opwire-{_day(-1)}-datadog"
    book["open"][0]["key"] = yesterday
    (state / "paging.json").write_text(json.dumps(book))

    today = opwire(*args, env=stack.env(state), cwd=tmp_path)
    assert today.returncode == 1
    assert f"({yesterday}); not paging again" in today.stdout
    # The only trigger sent is the first run's.
    assert len(_events(stack, "trigger", today_key)) == 1
    assert [e["key"] for e in _paging(state)] == [yesterday]


def test_with_pagerduty_failing_too_the_page_is_an_opsgenie_p1(
    stack: Stack, tmp_path: Path
) -> None:
    stack.scenario("datadog/wrong_site")
    stack.scenario("pagerduty/invalid_key")
    state, key = tmp_path / "state", f"opwire-{_day()}-datadog+pagerduty"
    args = ("verify", "datadog", "pagerduty", "opsgenie", "--on-failure", "page")
    done = opwire(*args, env=stack.env(state), cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"page sent through opsgenie (its mock) ({key}): datadog, pagerduty FAIL" in done.stdout
    [alert] = [a for a in _bodies(stack, "opsgenie", "POST", "/v2/alerts") if a["alias"] == key]
    assert alert["priority"] == "P1"
    assert "pagerduty.routing_key_invalid" in alert["description"]
    assert "datadog.wrong_site" in alert["message"]
    assert not _events(stack, "trigger", key)  # never through the failing one

    stack.reset("datadog")
    stack.reset("pagerduty")
    green = opwire(*args, env=stack.env(state), cwd=tmp_path)
    assert green.returncode == 0, green.stdout
    assert f"resolved {key} through opsgenie" in green.stdout
    closes = [r for r in stack.requests("opsgenie") if r["path"] == f"/v2/alerts/{key}/close"]
    assert len(closes) == 1


def test_a_ticket_is_an_opsgenie_p5(stack: Stack, tmp_path: Path) -> None:
    stack.scenario("datadog/wrong_site")
    args = ("verify", "datadog", "opsgenie", "--on-failure", "ticket")
    done = opwire(*args, env=stack.env(tmp_path / "state"), cwd=tmp_path)
    assert done.returncode == 1
    assert "ticket sent through opsgenie" in done.stdout
    [alert] = _bodies(stack, "opsgenie", "POST", "/v2/alerts")[-1:]
    assert alert["alias"] == f"opwire-{_day()}-datadog" and alert["priority"] == "P5"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("datadog", "--on-failure", "page"),
            "no page sent: pagerduty or opsgenie did not PASS in this run (datadog FAIL)",
        ),
        (
            ("datadog", "pagerduty", "--on-failure", "ticket"),
            "no ticket sent: opsgenie did not PASS in this run (datadog FAIL)",
        ),
    ],
)
def test_with_no_channel_passing_one_line_and_the_runs_exit_code(
    stack: Stack, tmp_path: Path, args: tuple[str, ...], line: str
) -> None:
    stack.scenario("datadog/wrong_site")
    done = opwire("verify", *args, env=stack.env(tmp_path / "state"), cwd=tmp_path)
    assert done.returncode == 1
    assert [ln for ln in done.stdout.splitlines() if "sent" in ln] == [f"opwire     note   {line}"]
    for slug in ("pagerduty", "opsgenie"):
        assert not [r for r in stack.requests(slug) if f"opwire-{_day()}-" in json.dumps(r)]


def test_a_planted_routing_key_and_genie_key_are_never_shown_or_kept(
    stack: Stack, tmp_path: Path
) -> None:
    """Real mode against the mocks by URL: the page carries the operator's own key."""
    routing_key, genie_key = (
        "R0uting0Key0Planted0000000000042",
        "0b7a6c1e-1111-4aaa-8bbb-5ec0e7000042",
    )
    pd, og = stack.stack.urls["pagerduty"], stack.stack.urls["opsgenie"]
    env = stack.env(
        tmp_path / "state",
        OPERATOR_WIRING_MODE="real_pagerduty,real_opsgenie",
        PAGERDUTY_ROUTING_KEY=routing_key,
        PAGERDUTY_API_TOKEN="Planted_Api_Token042",
        OPERATOR_WIRING_PAGERDUTY_EVENTS_URL=pd,
        OPERATOR_WIRING_PAGERDUTY_API_URL=pd,
        OPSGENIE_API_KEY=genie_key,
        OPSGENIE_TEAM="opwire",
        OPERATOR_WIRING_OPSGENIE_API_URL=og,
        OPERATOR_WIRING_REGION_SWEEP="0",
    )
    stack.scenario("datadog/wrong_site")
    args = ("verify", "datadog", "pagerduty", "opsgenie", "--on-failure", "page")
    done = opwire(*args, "--heartbeat", "hb", env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "page sent through pagerduty (opwire-" in done.stdout
    [trigger] = _events(stack, "trigger", f"opwire-{_day()}-datadog")
    assert trigger["routing_key"] != routing_key  # the mock's log masks it too
    beats = [r for r in stack.requests("opsgenie") if r["path"] == "/v2/heartbeats/hb/ping"]
    assert len(beats) == 1
    kept = [p.read_text(errors="replace") for p in (tmp_path / "state").rglob("*") if p.is_file()]
    for secret in (routing_key, genie_key, "Planted_Api_Token042"):
        assert secret not in done.stdout + done.stderr
        assert not [text for text in kept if secret in text]
        assert secret[-12:] not in done.stdout + done.stderr + "".join(kept)


# --- dead man's switch: heartbeat and ping URL --------------------------------------------

UUID = "5f0c3b5e-8d1a-4c39-9a0e-pingpingping"


@pytest.fixture
def healthchecks() -> Iterator[HealthchecksServer]:
    with HealthchecksServer() as server:
        yield server


def _pings(server: HealthchecksServer) -> list[dict[str, Any]]:
    reply = httpx.get(f"{server.url}/_opwire/pings", timeout=5, trust_env=False)
    return list(reply.json()["pings"])


def test_heartbeat_and_ping_url_on_success_and_on_failure(
    stack: Stack, healthchecks: HealthchecksServer, tmp_path: Path
) -> None:
    state, url = tmp_path / "state", f"{healthchecks.url}/ping/{UUID}"
    args = ("verify", "slack", "--heartbeat", "opwire-daily", "--ping-url", url)
    green = opwire(*args, env=stack.env(state), cwd=tmp_path)
    assert green.returncode == 0, green.stdout + green.stderr
    stack.control(
        "slack", "POST", "faults", {"path": "/services/*", "status": 404, "body": "no_service"}
    )
    failed = opwire(*args, env=stack.env(state), cwd=tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr

    pings = _pings(healthchecks)
    assert [(p["uuid"], p["kind"]) for p in pings] == [
        (UUID, "start"),
        (UUID, "success"),
        (UUID, "start"),
        (UUID, "fail"),
    ]
    assert "overall: GREEN" in pings[1]["body"] and pings[1]["method"] == "POST"
    assert "overall: HOLD" in pings[3]["body"] and "slack.webhook_revoked" in pings[3]["body"]
    beats = [r for r in stack.requests("opsgenie") if r["path"].startswith("/v2/heartbeats/")]
    assert [b["path"] for b in beats] == ["/v2/heartbeats/opwire-daily/ping"] * 2
    for done in (green, failed):  # the ping URL's UUID is masked like a credential
        assert UUID not in done.stdout + done.stderr
        assert "/ping/****" in done.stdout


def test_a_ping_that_fails_is_one_warning_never_the_runs_failure(
    stack: Stack, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/ping/{UUID}"
    env = stack.env(tmp_path / "state", OPERATOR_WIRING_MAX_ATTEMPTS="1")
    done = opwire("verify", "slack", "--ping-url", url, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    warnings = [ln for ln in done.stdout.splitlines() if "ping failed" in ln]
    assert warnings == [
        "opwire     note   warning: the --ping-url start ping failed: 1 attempt over "
        + warnings[0].split(" over ")[1],
        "opwire     note   warning: the --ping-url success ping failed: 1 attempt over "
        + warnings[1].split(" over ")[1],
    ]
    assert "connection refused" in warnings[1]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--ping-url", "ftp://example.invalid/ping/x"), "--ping-url must start with https://"),
        (("--ping-url", "https://"), "--ping-url has no host"),
        (("--on-failure", "email"), "--on-failure must be page or ticket, got 'email'"),
        (("--heartbeat", " "), "--heartbeat needs the name of an Opsgenie heartbeat"),
    ],
)
def test_follow_up_usage_errors_exit_2_before_anything_is_sent(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
    done = opwire("verify", "slack", *args, env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr and done.stdout == ""
