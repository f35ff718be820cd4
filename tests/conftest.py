"""Shared fixtures: real mock servers on loopback, the installed command, a clean environment."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from opwire.config import Lookup, run_settings
from opwire.mock.server import MockServer
from opwire.mock.tls import TlsFiles, make_tls_files
from opwire.state import Journal
from opwire.verify import Event, plan, redactor_for, verify

import netguard

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OPWIRE = BIN / "opwire"
GUARD_PATH = Path(__file__).resolve().parent / "_netguard"

netguard.install()


@pytest.fixture(scope="session", autouse=True)
def _guard_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where guarded subprocesses record what they tried to reach."""
    log = tmp_path_factory.mktemp("netguard") / "violations.log"
    log.touch()
    os.environ[netguard.LOG_VARIABLE] = str(log)
    yield log


@pytest.fixture(autouse=True)
def network_guard(_guard_log: Path) -> Iterator[list[str]]:
    """Fails the test that tried to leave loopback, here or in a subprocess it started."""
    netguard.violations.clear()
    before = _guard_log.stat().st_size
    yield netguard.violations
    with _guard_log.open(encoding="utf-8") as log:
        log.seek(before)
        outside = netguard.violations + log.read().splitlines()
    assert not outside, f"the test tried to leave loopback: {outside}"


@dataclass
class Mock:
    """A running mock server and a client for its control routes."""

    server: MockServer

    @property
    def url(self) -> str:
        return self.server.url

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        tls = self.server.tls
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=tls.ca_path) if tls else True
        )
        if tls is not None and "self-signed" in tls.cert_path.read_text(errors="ignore"):
            verify = False
        reply = httpx.request(
            method, f"{self.url}/_opwire/{path}", json=payload, timeout=5, verify=verify
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    def fault(self, **rule: Any) -> None:
        self.control("POST", "faults", rule)

    def requests(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "requests")["requests"])


def serve(slug: str, **kwargs: Any) -> Iterator[Mock]:
    with MockServer(slug, **kwargs) as server:
        yield Mock(server)


@pytest.fixture
def slack_mock() -> Iterator[Mock]:
    yield from serve("slack")


@pytest.fixture
def datadog_mock() -> Iterator[Mock]:
    yield from serve("datadog")


@pytest.fixture
def sentry_mock() -> Iterator[Mock]:
    yield from serve("sentry")


@pytest.fixture
def opsgenie_mock() -> Iterator[Mock]:
    yield from serve("opsgenie")


@pytest.fixture
def splunk_mock() -> Iterator[Mock]:
    yield from serve("splunk")


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def pagerduty_mock(tls_files: TlsFiles) -> Iterator[Mock]:
    yield from serve("pagerduty", tls=tls_files)


# The vendors' specs live in ../shared/specs beside the clone (the workplace, and CI), else in
# /work/shared/specs; OPWIRE_SPECS points the spec tests elsewhere (tests/test_honesty.py points it
# at nothing, to show that missing specs fail the spec tests).
SPECS_VARIABLE = "OPWIRE_SPECS"


def specs_dir() -> Path:
    if SPECS_VARIABLE in os.environ:
        return Path(os.environ[SPECS_VARIABLE])
    beside = ROOT.parent / "shared" / "specs"
    return beside if beside.exists() else Path("/work/shared/specs")


def spec_path(relative: str) -> Path:
    """The spec at `relative`; the calling test, or collection, fails without it (a spec test
    that skips reports green while checking nothing)."""
    path = specs_dir() / relative
    if not path.exists():
        pytest.fail(
            f"spec not found: {path} (the vendors' specs belong in ../shared/specs; "
            f"set {SPECS_VARIABLE} to where they are)",
            pytrace=False,
        )
    return path


def closed_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Run:
    result: Any
    events: list[Event]


def run_verify(
    env: Mapping[str, str],
    bases: Mapping[str, str],
    slugs: tuple[str, ...] = ("slack",),
    journal: Journal | None = None,
) -> Run:
    """The verify library as the CLI runs it, against the given mock base URLs."""
    lookup = Lookup(dict(env))
    run = run_settings(lookup)
    targets = plan(list(slugs), lookup, run, bases)
    events: list[Event] = []
    result = asyncio.run(
        verify(targets, run, events.append, redactor_for(targets), journal=journal)
    )
    return Run(result, events)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment a newcomer's shell has: no vendor variables, no colour tricks."""
    env = {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        # The network guard in every Python subprocess (see tests/netguard.py).
        "PYTHONPATH": str(GUARD_PATH),
        netguard.LOG_VARIABLE: os.environ.get(netguard.LOG_VARIABLE, ""),
    }
    env.update(extra)
    return env


def opwire(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """The installed `opwire` command as a subprocess (stdin: closed, or this text)."""
    return subprocess.run(
        [str(OPWIRE), *args],
        env=dict(env or clean_env()),
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
