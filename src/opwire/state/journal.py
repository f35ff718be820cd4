"""The state/ folder. For now: the cleanup journal (DESIGN § 3 "Cleanup is crash-safe").

Before a probe creates an artifact that needs cleanup (a PagerDuty incident, an Opsgenie alert,
a Sentry issue), it writes an entry here; the entry goes once the cleanup is confirmed. A run
killed in between leaves the entry, and `opwire cleanup` finishes the job. Entries hold what the
cleanup needs (slug, run id, artifact keys, the mock's URL in mock mode) and who wrote them (pid
and process start time, so a cleanup never resolves the artifact of a run still in progress),
never a credential.

Nothing is lost: a journal that cannot be read is a `JournalError` (exit 2), never "empty", and a
journal that was not parsed is never rewritten. An entry that parses as JSON but not as an entry
(hand-edited, hostile) is reported and kept in the file as it was.

An entry holds only what may exist: a probe drops it at once when its creating request never
left this machine (`ProbeContext.remember`), and `opwire cleanup --forget ID` (`Journal.take`)
drops one an operator resolved by hand.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opwire.config import SLUGS, ConfigError

JOURNAL = "cleanup-journal.json"
# Run ids, dedup keys, aliases and event ids: artifact values end up in vendor URL paths, sent
# with real credentials, so a hand-edited `../` or `?` never gets there.
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
KEEP = (
    "it may list test artifacts still open at a vendor: repair it, or resolve them by hand and "
    "move the file aside; opwire will not overwrite it"
)
_PROC = Path("/proc")


class JournalError(ConfigError):
    """The cleanup journal cannot be read: exit 2, and the file is left exactly as it is."""


class UnknownEntry(ConfigError):
    """`opwire cleanup --forget` named an id the journal does not hold: exit 2, nothing dropped."""


class EntryError(ValueError):
    """One journal entry is not an entry opwire wrote; the message names the field at fault."""


def _is_token(value: Any) -> bool:
    return isinstance(value, str) and TOKEN.fullmatch(value) is not None


def _is_artifact(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(_is_token(k) and _is_token(v) for k, v in value.items())
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# Field -> (check, what a good value is). Required fields first, then the optional ones.
_REQUIRED: dict[str, tuple[Callable[[Any], bool], str]] = {
    "id": (_is_token, "a short token of letters, digits, - and _"),
    "slug": (lambda v: v in SLUGS, f"one of {', '.join(SLUGS)}"),
    "run_id": (_is_token, "a run id like ow-20260101T000000Z-a1b2c3"),
    "real": (lambda v: isinstance(v, bool), "true or false"),
    "mock_base": (lambda v: isinstance(v, str), "a URL string"),
    "artifact": (_is_artifact, "an object of token keys and token values"),
}
_OPTIONAL: dict[str, tuple[Callable[[Any], bool], str]] = {
    "created_at": (lambda v: isinstance(v, str), "a timestamp string"),
    "pid": (lambda v: _is_count(v) and 0 < v < 2**31, "a process id"),
    "started": (_is_count, "a process start time in clock ticks"),
}


def _shown(value: Any) -> str:
    """A hostile value, quoted and cut short: escapes shown, never a terminal control code."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One artifact a run created and had not yet confirmed cleaned, as the journal holds it."""

    id: str
    slug: str
    run_id: str
    real: bool
    mock_base: str
    artifact: Mapping[str, str]
    created_at: str = ""
    pid: int | None = None
    started: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JournalEntry:
        """Validate one entry as read from the file; raises EntryError naming the bad field."""
        for name, (check, good) in _REQUIRED.items():
            if name not in data:
                raise EntryError(f"{name!r} is missing")
            if not check(data[name]):
                raise EntryError(f"{name!r} must be {good}, got {_shown(data[name])}")
        for name, (check, good) in _OPTIONAL.items():
            if data.get(name) is not None and not check(data[name]):
                raise EntryError(f"{name!r} must be {good}, got {_shown(data[name])}")
        known = {k: data[k] for k in (*_REQUIRED, *_OPTIONAL) if k in data}
        return cls(**{**known, "artifact": dict(data["artifact"])})

    def to_json(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "slug": self.slug,
            "run_id": self.run_id,
            "real": self.real,
            "mock_base": self.mock_base,
            "artifact": dict(self.artifact),
            "created_at": self.created_at,
            "pid": self.pid,
            "started": self.started,
        }
        return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item of the journal that is not a valid entry: reported, skipped, kept in the file."""

    position: int  # 1-based, as a person counts the entries in the file
    reason: str


@dataclass(frozen=True, slots=True)
class Contents:
    entries: tuple[JournalEntry, ...] = ()
    rejected: tuple[Rejected, ...] = ()

    def __len__(self) -> int:
        return len(self.entries) + len(self.rejected)


def process_start(pid: int) -> int | None:
    """When a live process started, in clock ticks after boot (/proc/<pid>/stat field 22).

    None when there is no such live process, or no /proc to ask (not Linux)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # Field 2 is the command name in parentheses and may itself hold ") ": split after the last.
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or fields[0] in ("Z", "X") or not fields[19].isdigit():
        return None  # a zombie has exited: its run is over even before it is reaped
    return int(fields[19])


def owner_running(pid: int | None, started: int | None) -> bool:
    """True while the process that wrote an entry is still alive: the same pid AND the same
    start time (a reused pid is another process). Entries from before owners were recorded
    have no pid: their run is long over."""
    if pid is None or pid <= 0:
        return False
    if (_PROC / "self" / "stat").exists():
        now = process_start(pid)
        return now is not None and (started is None or now == started)
    try:  # no /proc: the pid alone, and a reused pid reads as alive (the cautious side)
        os.kill(pid, 0)
    except PermissionError:
        return True  # alive, another user's
    except (OSError, OverflowError):
        return False
    return True


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "true/false"}
    return "null" if value is None else names.get(type(value), "a number")


class Journal:
    """The journal file in the state folder. Writers take a lock and replace the file
    atomically, so a reader (no lock) sees the old or the new journal, never half of one."""

    def __init__(self, folder: Path, redact: Callable[[str], str] | None = None) -> None:
        self.folder = folder
        self.path = folder / JOURNAL
        # The run's redactor: an entry that would carry a known secret is refused (the state
        # folder is committed, as the seed commits its logs).
        self.redact = redact

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".cleanup-journal.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def read(self) -> Contents:
        """The entries, and the items that are not valid entries; JournalError if unreadable."""
        entries, rejected = [], []
        for position, item in enumerate(self._items(), start=1):
            try:
                entries.append(JournalEntry.from_json(item))
            except EntryError as exc:
                rejected.append(Rejected(position, str(exc)))
        return Contents(tuple(entries), tuple(rejected))

    def entries(self) -> list[JournalEntry]:
        return list(self.read().entries)

    def _items(self) -> list[dict[str, Any]]:
        """The file as a list of JSON objects ([] when there is no file); JournalError else."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except IsADirectoryError:
            raise self._error("is a directory, not the journal file") from None
        except OSError as exc:
            raise self._error(f"cannot be read ({exc.strerror})") from None
        try:
            items = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise self._error("is not UTF-8 text") from None
        except RecursionError:
            raise self._error("is not valid JSON (nested too deep)") from None
        except json.JSONDecodeError as exc:
            if not raw.strip():
                raise self._error("is empty (opwire deletes a journal with no entries)") from None
            where = f"line {exc.lineno} column {exc.colno}"
            raise self._error(f"is not valid JSON ({exc.msg}: {where})") from None
        if not isinstance(items, list):
            raise self._error(f"holds {_kind(items)}, not a list of entries")
        for position, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise self._error(f"entry {position} is {_kind(item)}, not an object")
        return items

    def _error(self, what: str) -> JournalError:
        return JournalError(f"the cleanup journal {self.path} {what}: {KEEP}")

    def _write(self, items: list[dict[str, Any]]) -> None:
        if not items:
            self.path.unlink(missing_ok=True)
            return
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".journal-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(items, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    def add(
        self, slug: str, run_id: str, real: bool, mock_base: str, artifact: dict[str, Any]
    ) -> str:
        """Journal one artifact of this process's run; raises JournalError (and writes nothing)
        when the journal there cannot be read."""
        pid = os.getpid()
        entry = JournalEntry(
            secrets.token_hex(6),
            slug,
            run_id,
            real,
            mock_base,
            {k: str(v) for k, v in artifact.items()},
            datetime.now(UTC).isoformat(timespec="seconds"),
            pid,
            process_start(pid),
        )
        JournalEntry.from_json(entry.to_json())  # a probe bug, caught before it is on disk
        text = json.dumps(entry.to_json())
        if self.redact is not None and self.redact(text) != text:
            raise JournalError(
                f"refusing to write {self.path}: the entry would contain a credential "
                "(nothing written)"
            )
        with self._locked():
            self._write([*self._items(), entry.to_json()])
        return entry.id

    def remove(self, *entry_ids: str) -> None:
        """Drop the valid entries with these ids, in one write; items that are not valid
        entries stay as they are, even one that claims the same id."""
        gone = set(entry_ids)
        if not gone:
            return
        with self._locked():
            items = self._items()
            kept = [item for item in items if _entry_id(item) not in gone]
            if len(kept) != len(items):
                self._write(kept)

    def take(self, *entry_ids: str) -> tuple[JournalEntry, ...]:
        """Drop the valid entries with these ids (an operator resolved them by hand) in one
        atomic write, and return them. Raises UnknownEntry naming every id it does not hold,
        and then drops none; JournalError when the journal cannot be read."""
        wanted = list(dict.fromkeys(entry_ids))
        with self._locked():
            items = self._items()
            found = {
                entry.id: entry
                for entry in (_entry_or_none(item) for item in items)
                if entry is not None and entry.id in wanted
            }
            if missing := [i for i in wanted if i not in found]:
                names = ", ".join(_shown(i) for i in missing)
                raise UnknownEntry(
                    f"the cleanup journal {self.path} holds no entry {names}; nothing was "
                    "dropped: `opwire cleanup` names each entry's id"
                )
            self._write([item for item in items if _entry_id(item) not in found])
        return tuple(found[i] for i in wanted)


def _entry_or_none(item: Mapping[str, Any]) -> JournalEntry | None:
    try:
        return JournalEntry.from_json(item)
    except EntryError:
        return None


def _entry_id(item: Mapping[str, Any]) -> str | None:
    entry = _entry_or_none(item)
    return None if entry is None else entry.id
