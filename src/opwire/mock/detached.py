"""A mock stack in the background (seed steps 4 and 23): `opwire mock up --detach`, `mock status`,
`mock down`.

`mock up --detach` starts `opwire mock up ... --record FILE` as its own session, its output in
`state/mock-stack.log`. Once its servers listen, the child writes `state/mock-stack.json` (its pid,
start time, URLs and version) and removes it when it stops; the parent returns once every mock
answers its health route. `mock down` signals the recorded process, and only it: the pid must
still be the process that wrote the record (same start time), so a reused pid is never killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opwire import __version__
from opwire.errors import ConfigError
from opwire.mock.stack import MockHealth, health
from opwire.state.journal import owner_running, process_start

RECORD_NAME = "mock-stack.json"
LOG_NAME = "mock-stack.log"
# How long `up --detach` waits for all mocks to answer, and `down` for the process to exit after
# SIGTERM before it sends SIGKILL.
START_WAIT_S = 30.0
STOP_WAIT_S = 10.0
POLL_S = 0.1
LOG_KEEP_BYTES = 5_000_000  # past this, a new stack moves the old log to mock-stack.log.1
STATUS_TIMEOUT_S = 1.0
LOG_TAIL_LINES = 8


@dataclass(frozen=True, slots=True)
class StackRecord:
    """What a detached stack says of itself in state/mock-stack.json."""

    pid: int
    started: int | None  # the process's start time, /proc/<pid>/stat field 22
    urls: dict[str, str]
    version: str = __version__
    since: str = ""  # ISO 8601 UTC
    log: str = ""
    ca_bundle: str | None = None

    def running(self) -> bool:
        return owner_running(self.pid, self.started)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MockStatus:
    slug: str
    url: str
    health: MockHealth | None

    def to_json(self) -> dict[str, Any]:
        mock = self.health
        return {
            "slug": self.slug,
            "url": self.url,
            "healthy": mock is not None,
            "version": mock.version if mock else None,
            "scenarios": list(mock.scenarios) if mock else [],
            "faults": mock.faults if mock else 0,
        }


@dataclass(slots=True)
class StackStatus:
    record: StackRecord | None
    mocks: list[MockStatus] = field(default_factory=list)
    stale: bool = False  # a record was found whose process is gone

    @property
    def healthy(self) -> bool:
        return bool(self.mocks) and all(m.health is not None for m in self.mocks)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.record.to_json() if self.record and not self.stale else None,
            "mocks": [m.to_json() for m in self.mocks],
            "healthy": sum(m.health is not None for m in self.mocks),
        }


def record_path(state_dir: Path) -> Path:
    return state_dir / RECORD_NAME


def read_record(state_dir: Path) -> StackRecord | None:
    """The recorded stack; None when there is none. A record that cannot be read is one error
    naming the file (it is never silently replaced: `mock down` would lose the pid)."""
    path = record_path(state_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    try:
        document = json.loads(text)
        record = _record_from(document)
    except (ValueError, TypeError, KeyError):
        raise ConfigError(
            f"{path} is not a mock stack record opwire wrote: remove it once no detached stack "
            "runs (`pgrep -af 'opwire mock up'`)"
        ) from None
    return record


def _record_from(document: Any) -> StackRecord:
    if not isinstance(document, dict):
        raise TypeError("not an object")
    pid, started, urls = document["pid"], document.get("started"), document["urls"]
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 < pid < 2**31:
        raise ValueError("pid")
    if started is not None and (not isinstance(started, int) or isinstance(started, bool)):
        raise ValueError("started")
    if not isinstance(urls, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _is_url(v) for k, v in urls.items()
    ):
        raise ValueError("urls")
    text = {k: document.get(k) for k in ("version", "since", "log")}
    if not all(isinstance(v, str | None) for v in text.values()):
        raise ValueError("text")
    ca = document.get("ca_bundle")
    return StackRecord(
        pid,
        started,
        dict(urls),
        text["version"] or "",
        text["since"] or "",
        text["log"] or "",
        ca if isinstance(ca, str) else None,
    )


def _is_url(text: str) -> bool:
    return bool(re.fullmatch(r"https?://[\w.:\[\]-]{1,300}", text))


def write_record(path: Path, urls: dict[str, str], ca_bundle: Path | None) -> None:
    """Written by the serving process itself, atomically, once its servers listen."""
    pid = os.getpid()
    record = StackRecord(
        pid,
        process_start(pid),
        {slug: _reachable(url) for slug, url in urls.items()},
        since=datetime.now(UTC).isoformat(timespec="seconds"),
        log=str(path.parent / LOG_NAME),
        ca_bundle=str(ca_bundle) if ca_bundle else None,
    )
    temporary = path.with_name(f".{path.name}.{pid}")
    temporary.write_text(json.dumps(record.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _reachable(url: str) -> str:
    """A URL a client on this machine can use: a wildcard bind (0.0.0.0, ::) is reached on
    loopback."""
    return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")


def forget(state_dir: Path) -> None:
    """Remove the record of a stack that has stopped; a folder that refuses is one error."""
    path = record_path(state_dir)
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot remove {path}: {error.strerror}") from None


def remove_record(path: Path) -> None:
    """Remove the record if this process wrote it (a newer stack's record is left alone)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(document, dict) and document.get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def start(
    state_dir: Path,
    arguments: Sequence[str],
    wait_s: float = START_WAIT_S,
    progress: Callable[[str], None] = lambda line: None,
) -> StackRecord:
    """Start `opwire mock up ARGUMENTS --record` in the background and return its record once
    every mock answers its health route; an error naming the cause (and the log's last lines)
    when the child exits or the mocks are not healthy within `wait_s`."""
    path = record_path(state_dir)
    existing = read_record(state_dir)
    if existing is not None and existing.running():
        raise ConfigError(
            f"a detached mock stack already runs (pid {existing.pid}, since {existing.since}): "
            "`opwire mock down` stops it first"
        )
    log = state_dir / LOG_NAME
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # a stale record of a stack that is gone
        return _spawn(arguments, path, log, wait_s, progress)
    except OSError as error:
        raise ConfigError(
            f"cannot start a detached mock stack in the state folder {state_dir}: "
            f"{error.strerror or error} ({error.filename or state_dir})"
        ) from None


def _spawn(
    arguments: Sequence[str],
    path: Path,
    log: Path,
    wait_s: float,
    progress: Callable[[str], None],
) -> StackRecord:
    command = [sys.executable, "-m", "opwire", "mock", "up", *arguments, "--record", str(path)]
    _roll(log)
    with open(log, "ab") as output:
        output.write(
            f"== {datetime.now(UTC).isoformat(timespec='seconds')} opwire mock up "
            f"{' '.join(arguments)} --detach\n".encode()
        )
        output.flush()
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the terminal's Ctrl-C and hang-up do not reach it
            close_fds=True,
        )
    return _wait_healthy(child, path, log, wait_s, progress)


def _roll(log: Path) -> None:
    """Each start appends to the log; one grown past LOG_KEEP_BYTES is kept as `.1`, once."""
    if log.exists() and log.stat().st_size > LOG_KEEP_BYTES:
        os.replace(log, log.with_name(log.name + ".1"))


def _wait_healthy(
    child: subprocess.Popen[bytes],
    path: Path,
    log: Path,
    wait_s: float,
    progress: Callable[[str], None],
) -> StackRecord:
    try:
        return _wait(child, path, log, wait_s, progress)
    except KeyboardInterrupt:
        # Ctrl-C while waiting: the half-started stack is stopped, never left running unseen.
        _abandon(child, path)
        raise


def _wait(
    child: subprocess.Popen[bytes],
    path: Path,
    log: Path,
    wait_s: float,
    progress: Callable[[str], None],
) -> StackRecord:
    deadline = time.monotonic() + wait_s
    said = -1
    while time.monotonic() < deadline:
        if child.poll() is not None:
            path.unlink(missing_ok=True)
            raise ConfigError(
                f"the mock stack exited during start (exit {child.returncode}); "
                f"its log {log} ends:\n{log_tail(log)}"
            )
        record = _own_record(path, child.pid)
        if record is not None:
            up = sum(s.health is not None for s in probe(record.urls))
            if up != said:
                progress(f"mock stack (pid {child.pid}): {up}/{len(record.urls)} healthy")
                said = up
            if up == len(record.urls):
                return record
        time.sleep(POLL_S)
    _abandon(child, path)
    raise ConfigError(
        f"the mock stack was not healthy within {wait_s:g} s and was stopped; "
        f"its log {log} ends:\n{log_tail(log)}"
    )


def _abandon(child: subprocess.Popen[bytes], path: Path) -> None:
    """Stop a child that did not come up (or whose start was interrupted), and its record."""
    _terminate(child.pid, STOP_WAIT_S, process_start(child.pid))
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=STOP_WAIT_S)
    path.unlink(missing_ok=True)


def _own_record(path: Path, pid: int) -> StackRecord | None:
    try:
        record = read_record(path.parent)
    except ConfigError:
        return None  # mid-write is impossible (atomic), but a stray file must not end the wait
    return record if record is not None and record.pid == pid else None


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "  (no log)"
    tail = text.strip().splitlines()[-lines:]
    return "\n".join(f"  {line}" for line in tail) or "  (empty)"


def probe(urls: dict[str, str], timeout: float = STATUS_TIMEOUT_S) -> list[MockStatus]:
    """Each mock's own health answer, asked side by side."""
    with ThreadPoolExecutor(max_workers=max(1, len(urls))) as pool:
        found = pool.map(lambda slug: health(urls[slug], slug, timeout), urls)
        return [MockStatus(s, urls[s], h) for s, h in zip(urls, found, strict=True)]


def status(state_dir: Path, default_urls: dict[str, str]) -> StackStatus:
    """The recorded stack's mocks when one runs, else whatever answers on the default ports (a
    foreground `opwire mock up` or the compose stack)."""
    record = read_record(state_dir)
    stale = record is not None and not record.running()
    urls = record.urls if record is not None and not stale else default_urls
    return StackStatus(record, probe(urls), stale)


def stop(record: StackRecord, wait_s: float = STOP_WAIT_S) -> bool:
    """Stop the recorded stack: SIGTERM, then SIGKILL after `wait_s`. False when it had already
    gone. A record without the process's start time cannot prove its pid is still the stack
    (a hand-made or foreign record): nothing is signalled."""
    if not record.running():
        return False
    if record.started is None:
        raise ConfigError(
            f"cannot confirm that pid {record.pid} is the mock stack (its record has no start "
            "time): stop it yourself, then remove the record"
        )
    try:
        _terminate(record.pid, wait_s, record.started)
    except PermissionError:
        raise ConfigError(
            f"not allowed to stop pid {record.pid}: the mock stack belongs to another user "
            "(stop it as that user)"
        ) from None
    return True


def _terminate(pid: int, wait_s: float, started: int | None) -> None:
    for sig, wait in ((signal.SIGTERM, wait_s), (signal.SIGKILL, wait_s)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not owner_running(pid, started):
                return
            time.sleep(POLL_S)
