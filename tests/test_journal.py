"""The cleanup journal loses nothing, and `opwire cleanup` is bounded and careful.

A journal that cannot be read stops verify and cleanup (exit 2) and stays as it was; entries that
are not opwire's own, that point off this machine, or that belong to a live run are reported and
kept; many entries against a hanging mock end inside one budget, in one journal write.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from opwire.integrations.pagerduty import MOCK_API_TOKEN, MOCK_ROUTING_KEY
from opwire.results import Status
from opwire.state import Journal, JournalEntry, JournalError

from conftest import Mock, clean_env, closed_port, opwire, run_verify, serve

NAME = "cleanup-journal.json"
TOKEN = {"Authorization": f"Token token={MOCK_API_TOKEN}"}
GOOD = {
    "id": "a1b2c3",
    "slug": "pagerduty",
    "run_id": "ow-20260101T000000Z-a1b2c3",
    "real": False,
    "mock_base": "http://127.0.0.1:9",
    "artifact": {"dedup_key": "ow-20260101T000000Z-a1b2c3"},
}
CORRUPT = {
    "truncated": json.dumps([GOOD]).encode()[:-30],
    "not json": b"these are not the entries you are looking for\n",
    "an object": json.dumps(GOOD).encode(),
    "non-objects": b'[1, "two", null, [3]]',
    "binary": b"\x89PNG\r\n\x1a\n\x00\xff\xfe\xfd" * 16,
    "empty": b"",
}


def _plant(state: Path, case: str) -> Path:
    """A corrupt journal (or a directory where it should be) in a fresh state folder."""
    state.mkdir(parents=True, exist_ok=True)
    journal = state / NAME
    if case == "a directory":
        journal.mkdir()
        (journal / "inside.json").write_text(json.dumps([GOOD]))
    else:
        journal.write_bytes(CORRUPT[case])
    return journal


def _snapshot(path: Path) -> Any:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in path.iterdir()}
    return path.read_bytes()


@pytest.mark.parametrize("command", ["verify", "cleanup"])
@pytest.mark.parametrize("case", [*CORRUPT, "a directory"])
def test_an_unreadable_journal_stops_the_command_and_is_kept(
    case: str, command: str, tmp_path: Path
) -> None:
    journal = _plant(tmp_path / "state", case)
    before = _snapshot(journal)
    env = clean_env(
        OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"),
        OPERATOR_WIRING_MOCK_PORT_PAGERDUTY=str(closed_port()),
    )
    args = ("verify", "pagerduty") if command == "verify" else ("cleanup",)
    done = opwire(*args, env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert NAME in line and "opwire will not overwrite it" in line
    assert _snapshot(journal) == before


@pytest.mark.parametrize("case", [*CORRUPT, "a directory"])
def test_journal_add_refuses_a_journal_it_cannot_read(case: str, tmp_path: Path) -> None:
    journal = _plant(tmp_path, case)
    before = _snapshot(journal)
    with pytest.raises(JournalError, match=f"{NAME} .*opwire will not overwrite it"):
        Journal(tmp_path).add("pagerduty", "ow-x", False, "http://127.0.0.1:9", {"dedup_key": "x"})
    assert _snapshot(journal) == before


def test_a_probe_creates_nothing_it_could_not_journal(tmp_path: Path) -> None:
    journal = _plant(tmp_path, "truncated")
    for mock in serve("pagerduty"):
        run = run_verify(
            {"OPERATOR_WIRING_BUDGET_S": "20"},
            {"pagerduty": mock.url},
            ("pagerduty",),
            journal=Journal(tmp_path),
        )
        (result,) = run.result.integrations
        assert result.status is Status.FAIL
        assert result.diagnosis is not None and "JournalError" in result.diagnosis.detail
        assert not [r for r in mock.requests() if r["path"] == "/v2/enqueue"]
    assert journal.read_bytes() == CORRUPT["truncated"]


def test_journal_entry_round_trips_and_names_the_bad_field() -> None:
    entry = JournalEntry.from_json({**GOOD, "pid": 42, "started": 7})
    assert JournalEntry.from_json(entry.to_json()) == entry
    for bad, field in [
        ({k: v for k, v in GOOD.items() if k != "run_id"}, "'run_id' is missing"),
        ({**GOOD, "real": "no"}, "'real' must be true or false"),
        ({**GOOD, "slug": "jira"}, "'slug' must be one of"),
        ({**GOOD, "artifact": {"alias": "../../v2/alerts"}}, "'artifact' must be"),
        ({**GOOD, "pid": -1}, "'pid' must be a process id"),
    ]:
        with pytest.raises(ValueError, match=field):
            JournalEntry.from_json(bad)


def _entry(mock_base: str, key: str, **extra: Any) -> dict[str, Any]:
    return {
        **GOOD,
        "id": key,
        "run_id": key,
        "mock_base": mock_base,
        "artifact": {"dedup_key": key},
        **extra,
    }


def _trigger(mock: Mock, dedup_key: str) -> None:
    body = {
        "routing_key": MOCK_ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {"summary": f"test {dedup_key}", "source": "test", "severity": "info"},
    }
    assert httpx.post(f"{mock.url}/v2/enqueue", json=body).status_code == 202


def _statuses(mock: Mock) -> dict[str, str]:
    incidents = httpx.get(
        f"{mock.url}/incidents", headers=TOKEN, params={"date_range": "all"}
    ).json()["incidents"]
    return {i["incident_key"]: i["status"] for i in incidents}


def _write_journal(state: Path, items: list[Any]) -> Path:
    state.mkdir(parents=True, exist_ok=True)
    journal = state / NAME
    journal.write_text(json.dumps(items))
    return journal


@pytest.fixture
def pagerduty() -> Iterator[Mock]:
    yield from serve("pagerduty")


def test_hostile_entries_are_skipped_and_kept_the_good_ones_cleaned(
    pagerduty: Mock, tmp_path: Path
) -> None:
    good = [_entry(pagerduty.url, f"ow-good-{n}") for n in range(2)]
    for item in good:
        _trigger(pagerduty, item["artifact"]["dedup_key"])
    hostile = [
        {**_entry(pagerduty.url, "ow-jira"), "slug": "jira"},
        # Not loopback: never contacted (the suite's network guard would fail the test).
        _entry("http://10.1.2.3:4103", "ow-far"),
        {"id": "ow-broken", "slug": "pagerduty"},
        {**_entry(pagerduty.url, "ow-typed"), "real": "yes"},
    ]
    journal = _write_journal(tmp_path / "state", [hostile[0], good[0], *hostile[1:], good[1]])
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
    done = opwire("cleanup", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    report = {c["run_id"]: c for c in json.loads(done.stdout)["cleaned"]}
    assert [report[g["run_id"]]["state"] for g in good] == ["cleaned", "cleaned"]
    assert _statuses(pagerduty) == {"ow-good-0": "resolved", "ow-good-1": "resolved"}
    assert "not a loopback URL" in report["ow-far"]["how"]
    skipped = [c for c in report.values() if c["state"] == "skipped"]
    assert len(skipped) == 4
    assert any("'slug' must be one of" in c["how"] for c in skipped)
    assert any("'run_id' is missing" in c["how"] for c in skipped)
    assert any("'real' must be true or false" in c["how"] for c in skipped)
    assert json.loads(journal.read_text()) == hostile  # kept, as they were


def _own_start() -> int:
    """This process's start time, read straight from /proc (field 22 of its stat line)."""
    stat = Path(f"/proc/{os.getpid()}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[19])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_cleanup_leaves_the_entries_of_a_live_run_alone(pagerduty: Mock, tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])  # a process that has come and gone
    gone.wait()
    mine = {"pid": os.getpid(), "started": _own_start()}
    entries = [
        _entry(pagerduty.url, "ow-live", **mine),
        _entry(pagerduty.url, "ow-dead", pid=gone.pid, started=_own_start() + 1),
        # The same pid but another start time: the pid was reused, its run is over.
        _entry(pagerduty.url, "ow-reused", pid=os.getpid(), started=mine["started"] + 1),
    ]
    for item in entries:
        _trigger(pagerduty, item["run_id"])
    journal = _write_journal(tmp_path / "state", entries)
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
    done = opwire("cleanup", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"its run (pid {os.getpid()}) is still in progress" in done.stdout
    assert _statuses(pagerduty) == {
        "ow-live": "triggered",
        "ow-dead": "resolved",
        "ow-reused": "resolved",
    }
    assert json.loads(journal.read_text()) == [entries[0]]


def test_journal_add_records_its_owner(tmp_path: Path) -> None:
    Journal(tmp_path).add("pagerduty", "ow-x", False, "http://127.0.0.1:9", {"dedup_key": "ow-x"})
    (entry,) = Journal(tmp_path).entries()
    assert entry.pid == os.getpid()
    if Path("/proc/self/stat").exists():
        assert entry.started == _own_start()


class _Versions:
    """Watches a file while a command runs: each distinct (inode, mtime) is one write of it."""

    def __init__(self, path: Path) -> None:
        self.path, self.seen, self._stop = path, set[tuple[int, int]](), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                continue
            self.seen.add((stat.st_ino, stat.st_mtime_ns))
            time.sleep(0.0005)

    def __enter__(self) -> _Versions:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.timeout(90)
def test_many_entries_against_a_hanging_mock_end_inside_the_budget(
    pagerduty: Mock, tmp_path: Path
) -> None:
    healthy = [_entry(pagerduty.url, f"ow-ok-{n}") for n in range(5)]
    for item in healthy:
        _trigger(pagerduty, item["run_id"])
    for hanging in serve("pagerduty"):
        hanging.fault(method="*", path="/v2/*", hang=True)  # resolve never answers
        stuck = [_entry(hanging.url, f"ow-stuck-{n}") for n in range(45)]
        # The healthy mock's entries last: the hanging mock must not hold up their turn.
        journal = _write_journal(tmp_path / "state", stuck + healthy)
        env = clean_env(
            OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"), OPERATOR_WIRING_BUDGET_S="4"
        )
        with _Versions(journal) as versions:
            # Entry by entry, each with its own 4 s, this would take minutes: the timeout fails it.
            done = opwire("cleanup", "--json", env=env, cwd=tmp_path, timeout=45)
        assert done.returncode == 1, done.stdout + done.stderr
        report = json.loads(done.stdout)["cleaned"]
        states = {c["run_id"]: c for c in report}
        assert len(report) == 50
        assert all(states[h["run_id"]]["done"] for h in healthy)
        for item in stuck:
            assert states[item["run_id"]]["state"] == "open"
            assert states[item["run_id"]]["verdict"] == "cannot reach"
        assert set(_statuses(pagerduty).values()) == {"resolved"}
        assert json.loads(journal.read_text()) == stuck  # the rest intact, in their order
        assert len(versions.seen) == 2  # the journal as written here, then one rewrite


@pytest.mark.timeout(60)
def test_mock_health_checks_run_side_by_side_inside_the_budget(tmp_path: Path) -> None:
    # Each entry names its own port where something accepts and never answers: each health
    # check waits out its 0.5 s. One after another, sixty take 30 s; the timeout fails that.
    silent = [socket.create_server(("127.0.0.1", 0)) for _ in range(60)]
    try:
        items = [
            _entry(f"http://127.0.0.1:{s.getsockname()[1]}", f"ow-quiet-{n}")
            for n, s in enumerate(silent)
        ]
        journal = _write_journal(tmp_path / "state", items)
        env = clean_env(
            OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"), OPERATOR_WIRING_BUDGET_S="10"
        )
        done = opwire("cleanup", "--json", env=env, cwd=tmp_path, timeout=15)
    finally:
        for sock in silent:
            sock.close()
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)["cleaned"]
    assert [c["how"] for c in report] == ["its mock is gone, and the artifact with it"] * 60
    assert not journal.exists()


def _ids(journal: Path) -> list[str]:
    return [item.get("id") for item in json.loads(journal.read_text())] if journal.exists() else []


def test_an_entry_whose_send_never_left_this_machine_is_dropped(
    tls_files: Any, tmp_path: Path
) -> None:
    """Refused on every attempt, or a failed TLS handshake: nothing was created, nothing is
    journaled. A send that timed out may have arrived: its entry stays."""
    closed = f"http://127.0.0.1:{closed_port()}"
    state = tmp_path / "state"
    real = {
        "OPERATOR_WIRING_STATE_DIR": str(state),
        "OPERATOR_WIRING_MODE": "real_pagerduty,real_opsgenie",
        "OPERATOR_WIRING_MAX_ATTEMPTS": "2",
        "PAGERDUTY_ROUTING_KEY": "ab" * 16,
        "OPSGENIE_API_KEY": "0b7a6c1e-0000-4000-8000-0000000000bb",
        "OPERATOR_WIRING_OPSGENIE_API_URL": closed,
    }
    for tls in serve("pagerduty", tls=tls_files):  # a CA this run does not trust
        for events_url, words in [(closed, "connection refused"), (tls.url, "TLS failure")]:
            env = clean_env(**real, OPERATOR_WIRING_PAGERDUTY_EVENTS_URL=events_url)
            done = opwire("verify", "pagerduty", "opsgenie", env=env, cwd=tmp_path)
            assert done.returncode == 1, done.stdout + done.stderr
            assert f"{words}): nothing was created" in done.stdout
            assert not (state / NAME).exists(), _ids(state / NAME)
        assert not tls.requests()  # the handshake failed: no request reached the mock
    for silent in serve("pagerduty"):
        silent.fault(method="POST", path="/v2/enqueue", hang=True)
        env = clean_env(
            **{
                **real,
                "OPERATOR_WIRING_MODE": "real_pagerduty",
                "OPERATOR_WIRING_PAGERDUTY_EVENTS_URL": silent.url,
                "OPERATOR_WIRING_READ_TIMEOUT_S": "0.5",
                "OPERATOR_WIRING_MAX_ATTEMPTS": "1",
            }
        )
        done = opwire("verify", "pagerduty", env=env, cwd=tmp_path)
        assert done.returncode == 1 and "nothing was created" not in done.stdout
        assert len(_ids(state / NAME)) == 1


def test_cleanup_says_confirmed_gone_still_open_or_cannot_reach(
    pagerduty: Mock, tmp_path: Path
) -> None:
    for refusing in serve("pagerduty"):
        _trigger(pagerduty, "ow-gone")
        _trigger(refusing, "ow-open")
        refusing.fault(
            method="POST", path="/v2/enqueue", status=400, body='{"status":"invalid event"}'
        )
        items = [
            _entry(pagerduty.url, "ow-gone"),
            _entry(refusing.url, "ow-open"),
            _entry("http://10.1.2.3:4103", "ow-far"),  # never contacted
        ]
        journal = _write_journal(tmp_path / "state", items)
        env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
        done = opwire("cleanup", env=env, cwd=tmp_path)
        assert done.returncode == 1, done.stdout + done.stderr
        lines = {line.split()[1]: line for line in done.stdout.splitlines() if "  " in line}
        assert "  confirmed gone: cleaned up and confirmed" in lines["ow-gone"]
        assert "  still open: " in lines["ow-open"] and "(entry ow-open)" in lines["ow-open"]
        assert "  cannot reach: its mock_base" in lines["ow-far"]
        assert "opwire cleanup --forget ENTRY" in done.stdout
        assert _ids(journal) == ["ow-open", "ow-far"]
        report = json.loads(opwire("cleanup", "--json", env=env, cwd=tmp_path).stdout)
        verdicts = {c["id"]: (c["state"], c["verdict"]) for c in report["cleaned"]}
        assert verdicts == {
            "ow-open": ("open", "still open"),
            "ow-far": ("skipped", "cannot reach"),
        }


def test_cleanup_forget_drops_an_entry_handled_by_hand(tmp_path: Path) -> None:
    items = [_entry("http://127.0.0.1:9", "ow-one"), _entry("http://127.0.0.1:9", "ow-two")]
    journal = _write_journal(tmp_path / "state", [*items, {"id": "ow-odd", "slug": "jira"}])
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
    done = opwire("cleanup", "--forget", "ow-one", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dropped entry ow-one (pagerduty ow-one: dedup_key=ow-one)" in done.stdout
    assert json.loads(journal.read_text()) == [items[1], {"id": "ow-odd", "slug": "jira"}]

    before = journal.read_bytes()
    for unknown in (["ow-nope"], ["ow-two", "ow-nope"], ["ow-odd"]):  # not an entry: unknown
        args = [a for name in unknown for a in ("--forget", name)]
        refused = opwire("cleanup", *args, env=env, cwd=tmp_path)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert repr(unknown[-1]) in refused.stderr and "nothing was dropped" in refused.stderr
        assert journal.read_bytes() == before

    dropped = opwire("cleanup", "--forget", "ow-two", "--json", env=env, cwd=tmp_path)
    assert [e["id"] for e in json.loads(dropped.stdout)["forgotten"]] == ["ow-two"]
    assert json.loads(journal.read_text()) == [{"id": "ow-odd", "slug": "jira"}]


@pytest.mark.parametrize("case", ["truncated", "a directory"])
def test_cleanup_forget_never_rewrites_a_journal_it_cannot_read(case: str, tmp_path: Path) -> None:
    journal = _plant(tmp_path / "state", case)
    before = _snapshot(journal)
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
    done = opwire("cleanup", "--forget", "a1b2c3", env=env, cwd=tmp_path)
    assert done.returncode == 2 and "opwire will not overwrite it" in done.stderr
    assert _snapshot(journal) == before


def test_an_entry_holding_a_known_secret_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    from opwire.config import Redactor, Secret

    planted = "xoxb-PLANTED-journal-secret-0001"
    journal = Journal(tmp_path, Redactor([Secret(planted)]))
    with pytest.raises(JournalError, match="would contain a credential") as error:
        journal.add("slack", "ow-1", False, "http://127.0.0.1:1", {"id": planted})
    assert planted not in str(error.value)
    assert not journal.path.exists()
