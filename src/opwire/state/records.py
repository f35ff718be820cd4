"""The operator's records in the state folder (seed §§ 1–7): what later commands write.

Two kinds, both meant to be read by a person:
- Markdown files of the seed (`cred-blockers.md`, `operator-deviations.md`, `confirmations.md`,
  `rotations.md`): each record is a `## ` section of `- key: value` lines. opwire appends
  sections (and adds a `- resolved:` line to a blocker's own section) and parses them back;
  what a person added by hand stays byte for byte. A section a person wrote in the same shape
  is a record like any other; prose, other sections and their order do not matter; a section
  that looks like a record but cannot be read is skipped and named by `problems()`.
- The run history, `runs.jsonl`: one JSON object per `verify` or `drill` run.

Every write is atomic (a whole file through a temporary file and a rename, or one line in one
append) and is refused when its text would contain a known secret: the state folder is committed
(the seed commits its logs), so a secret that reached it would reach the repository.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from opwire.config import Redactor
from opwire.errors import OpwireError
from opwire.integrations import SLUGS

RUNS = "runs.jsonl"
# The seed's record files, by the record kind later commands write.
RECORD_FILES = {
    "blockers": "cred-blockers.md",
    "deviations": "operator-deviations.md",
    "confirmations": "confirmations.md",
    "rotations": "rotations.md",
}
# What a new record file opens with: its title, and how to read and edit it.
PREAMBLES = {
    "blockers": "# Credential blockers\n\n"
    "Credentials that procurement or InfoSec holds up (seed § 2), one section each.\n"
    "`opwire blocker add SLUG --ticket T` adds one; `opwire blocker resolve SLUG` adds its\n"
    "`- resolved:` line. A section written by hand in the same shape counts too; other text\n"
    "is kept and ignored.\n",
    "confirmations": "# Confirmations\n\n"
    "A person saw each integration's notification (seed step 21: operator-visible is not\n"
    "delivered), recorded by `opwire confirm SLUG --by NAME` with the run id of the real PASS\n"
    "it confirms.\n",
    "deviations": "# Operator deviations\n\n"
    "What went differently from the Day-1 checklist, for the next operator (seed step 30,\n"
    "§ 4), one dated section each (`opwire deviation add TEXT`).\n",
}
STAMP = "%Y-%m-%dT%H:%M:%SZ"

T = TypeVar("T")


class SecretInRecord(OpwireError):
    """A record would have carried a secret: nothing was written."""


class RecordConflict(OpwireError):
    """The records say otherwise (a blocker already open, none to resolve): nothing written."""


@dataclass(frozen=True, slots=True)
class Blocker:
    """A credential blocker (seed § 2); times are ISO-8601 UTC, `2026-12-02T01:00:00Z`."""

    slug: str
    ticket: str
    note: str
    since: str
    resolved: str | None


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A person saw the integration's notification from the real PASS of run `run_id`."""

    slug: str
    by: str
    at: str
    run_id: str
    note: str


@dataclass(frozen=True, slots=True)
class Deviation:
    at: str
    text: str
    run_id: str | None


def stamp(moment: datetime) -> str:
    """`2026-12-02T01:00:00Z`: how every record writes a time."""
    return moment.astimezone(UTC).strftime(STAMP)


def parse_time(raw: str) -> str | None:
    """A time as a person may write it (`2026-12-02`, `2026-12-02 01:00`, an offset, `Z`,
    a trailing `UTC`) in the records' own form; None when it is not a time."""
    text = raw.strip().removesuffix("UTC").strip().strip("`")
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _refuse_secrets(path: Path, text: str, redact: Redactor) -> None:
    if redact(text) != text:
        raise SecretInRecord(
            f"refusing to write {path}: the record would contain a credential (nothing written)"
        )


def atomic_write(path: Path, text: str, redact: Redactor) -> None:
    """Replace `path` with `text` whole or not at all; refused if it holds a known secret."""
    _refuse_secrets(path, text, redact)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- reading the Markdown back ------------------------------------------------------------

HEADING = re.compile(r"^ {0,3}##[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
# `- key: value`, `* Key: value`, `- **key**: value`, `- **key:** value`
FIELD = re.compile(r"^ {0,3}[-*+][ \t]+[*_]{0,2}([A-Za-z][A-Za-z _-]{0,30}?)[*_]{0,2}:(.*)$")
CONTINUATION = re.compile(r"^(?: {2,}|\t)(?![-*+][ \t])\S")


@dataclass(slots=True)
class Section:
    """One `## ` section of a record file, by line numbers (0-based, `end` exclusive)."""

    title: str
    start: int
    end: int
    fields: dict[str, str] = field(default_factory=dict)
    prose: list[str] = field(default_factory=list)  # every line that is not a field
    lines_of: dict[str, int] = field(default_factory=dict)  # field -> its line
    last_field: int = -1


def _key(raw: str) -> str:
    return " ".join(re.split(r"[ _-]+", raw.strip("*_ ").lower())).strip()


def _value(raw: str) -> str:
    value = raw.strip().lstrip("*_").strip()
    if len(value) >= 2 and value[0] == value[-1] == "`" and value.count("`") == 2:
        value = value[1:-1].strip()
    return value


def sections(lines: list[str]) -> list[Section]:
    """The `## ` sections of a file (what precedes the first is its preamble, no section);
    a `## ` line inside a fenced code block starts nothing."""
    found: list[Section] = []
    fenced = False
    current: Section | None = None
    continuing: str | None = None  # the field a continuation line extends
    for number, line in enumerate(lines):
        text = line.rstrip("\r\n")
        if FENCE.match(text):
            fenced = not fenced
        heading = None if fenced else HEADING.match(text)
        if heading:
            current = Section(heading.group(1).strip(), number, number + 1)
            found.append(current)
            continuing = None
            continue
        if current is None:
            continue
        current.end = number + 1
        matched = None if fenced else FIELD.match(text)
        if matched and _key(matched.group(1)) and _key(matched.group(1)) not in current.fields:
            continuing = _key(matched.group(1))
            current.fields[continuing] = _value(matched.group(2))
            current.lines_of[continuing] = current.last_field = number
        elif continuing and not fenced and CONTINUATION.match(text):
            current.fields[continuing] = f"{current.fields[continuing]} {text.strip()}".strip()
            current.last_field = number
        else:
            continuing = None
            current.prose.append(text)
    return found


def _slug_of(title: str) -> str | None:
    """`splunk: SEC-42`, `Splunk HEC`, `PagerDuty — blocked` -> the room's slug."""
    first = re.split(r"[\s:—–(\[]+", title.strip().lower(), maxsplit=1)[0].strip("*_`.,;")
    return first if first in SLUGS else None


def _paragraphs(lines: list[str]) -> str:
    """Prose lines as text: the lines of a paragraph joined by spaces, paragraphs by a blank
    line; a leading backslash (opwire's escape of a line that would read as Markdown) dropped."""
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(_unescape(line.strip()))
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return "\n\n".join(paragraphs)


def _unescape(text: str) -> str:
    return text[1:] if re.match(r"^\\[#*+>\-\\]", text) else text


def escape_line(text: str) -> str:
    """One line of prose that Markdown (or the parser) would read as a heading, list item or
    quote, escaped with a backslash."""
    return "\\" + text if re.match(r"^[#*+>\-\\]", text) else text


def one_line(text: str) -> str:
    """Free text as one line of a record: every run of whitespace (newlines too) one space."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Parsed:
    """The records a file holds, with the section each came from, and what was skipped."""

    records: list[tuple[Any, Section]]
    problems: list[str]


def _blocker(section: Section) -> Blocker | str | None:
    """The blocker a section holds; a reason when it looks like one but cannot be read; None
    when it is other text."""
    slug, fields = _slug_of(section.title), section.fields
    if slug is None:
        known = {"ticket", "since", "resolved"} & set(fields)
        return "its heading does not start with an integration's slug" if known else None
    if not fields.get("ticket"):
        return "it has no `- ticket:` line"
    since = parse_time(fields.get("since", ""))
    if since is None:
        return "it has no `- since:` time (like 2026-12-02T01:00:00Z)"
    resolved_raw = fields.get("resolved", "").strip()
    resolved = parse_time(resolved_raw) if resolved_raw else None
    if resolved_raw and resolved is None and resolved_raw.lower() not in ("", "-", "no", "open"):
        return "its `- resolved:` line is not a time (like 2026-12-03T09:00:00Z)"
    return Blocker(slug, fields["ticket"], fields.get("note", ""), since, resolved)


def _confirmation(section: Section) -> Confirmation | str | None:
    slug, fields = _slug_of(section.title), section.fields
    known = {"by", "at", "run id"} & set(fields)
    if slug is None:
        return "its heading does not start with an integration's slug" if known else None
    if not fields.get("by"):
        return "it has no `- by:` line (who saw the notification)"
    at = parse_time(fields.get("at", ""))
    if at is None:
        return "it has no `- at:` time (like 2026-12-02T01:00:00Z)"
    if not fields.get("run id"):
        return "it has no `- run id:` line (the run whose real PASS it confirms)"
    return Confirmation(slug, fields["by"], at, fields["run id"], fields.get("note", ""))


def _deviation(section: Section) -> Deviation | str | None:
    words = section.title.split()
    at = parse_time(" ".join(words[:2])) if len(words) > 1 else None
    taken = 2 if at else 1
    at = at or parse_time(words[0] if words else "")
    if at is None:
        return "its heading does not start with a date (like ## 2026-12-02T01:00:00Z)"
    prose = list(section.prose)
    # Fields other than the run id are part of what the person wrote.
    extra = [f"- {k}: {v}" for k, v in section.fields.items() if k != "run id"]
    title = " ".join(words[taken:])
    text = _paragraphs([title, "", *prose, "", *extra] if title else [*prose, "", *extra])
    if not text:
        return "it has no text"
    return Deviation(at, text, section.fields.get("run id") or None)


READERS: dict[str, Callable[[Section], Any]] = {
    "blockers": _blocker,
    "confirmations": _confirmation,
    "deviations": _deviation,
}
TIME_OF = {"blockers": "since", "confirmations": "at", "deviations": "at"}


class Records:
    """The record files and run history of one state folder."""

    def __init__(self, folder: Path, redact: Redactor) -> None:
        self.folder, self.redact = folder, redact

    def path(self, kind: str) -> Path:
        return self.folder / RECORD_FILES[kind]

    # --- reading ----------------------------------------------------------------------------

    def blockers(self) -> list[Blocker]:
        """Every blocker, oldest first; an open one has `resolved` None."""
        return [record for record, _ in self.parsed("blockers").records]

    def open_blockers(self) -> dict[str, Blocker]:
        """Slug -> its open blocker (the newest, if a person left two open)."""
        return {b.slug: b for b in self.blockers() if b.resolved is None}

    def confirmations(self) -> list[Confirmation]:
        """Every confirmation, oldest first."""
        return [record for record, _ in self.parsed("confirmations").records]

    def deviations(self) -> list[Deviation]:
        """Every dated deviation, oldest first."""
        return [record for record, _ in self.parsed("deviations").records]

    def problems(self, kind: str) -> list[str]:
        """What in the kind's file looks like a record but could not be read (skipped)."""
        return self.parsed(kind).problems

    def parsed(self, kind: str) -> Parsed:
        """The kind's records, oldest first, with their sections; never raises: an unreadable
        file is a problem, a section that cannot be read is skipped and named."""
        path, read = self.path(kind), READERS[kind]
        try:
            lines = self._lines(path)
        except OSError as exc:
            return Parsed([], [f"{path}: cannot be read ({exc.strerror or exc})"])
        records, problems = [], []
        for section in sections(lines):
            try:
                record = read(section)
            except Exception as exc:  # a mangled file is parsed as far as it can be
                record = f"it could not be read ({type(exc).__name__})"
            if isinstance(record, str):
                problems.append(
                    f"{path} line {section.start + 1}: skipped '## {section.title[:60]}': {record}"
                )
            elif record is not None:
                records.append((record, section))
        key = TIME_OF[kind]
        records.sort(key=lambda pair: str(getattr(pair[0], key)))
        return Parsed(records, problems)

    @staticmethod
    def _lines(path: Path, *, bom: bool = False) -> list[str]:
        """The file's lines, line endings kept; a byte order mark kept only for a rewrite,
        which also needs UTF-8 (a reading replaces what is not; a rewrite would lose it)."""
        if not path.exists():
            return []
        data = path.read_bytes()
        try:
            text = data.decode("utf-8", errors="strict" if bom else "replace")
        except UnicodeDecodeError as exc:
            raise OpwireError(
                f"{path} is not UTF-8 (byte {exc.start + 1}): save it as UTF-8, then run this "
                "again (nothing was written)"
            ) from None
        return (text if bom else text.removeprefix("\ufeff")).splitlines(keepends=True)

    # --- writing ----------------------------------------------------------------------------

    def append_section(self, kind: str, section: str) -> Path:
        """Add a Markdown section to the kind's file, keeping everything already in it."""
        with self._locked():
            return self._append(kind, section)

    def _append(self, kind: str, section: str) -> Path:
        path = self.path(kind)
        before = "".join(self._lines(path, bom=True))
        if not before.strip() and kind in PREAMBLES:
            before = PREAMBLES[kind]
        joined = before.rstrip("\n") + ("\n\n" if before.strip() else "") + section.strip("\n")
        atomic_write(path, joined + "\n", self.redact)
        return path

    def add_blocker(self, slug: str, ticket: str, note: str, now: datetime) -> Blocker:
        """Record a credential blocker; RecordConflict when the slug has one open already
        (the same ticket again is not recorded twice: the open one is returned)."""
        with self._locked():
            current = self.open_blockers().get(slug)
            if current is not None and current.ticket == ticket:
                return current
            if current is not None:
                raise RecordConflict(
                    f"{slug} already has an open blocker (ticket {current.ticket}, since "
                    f"{current.since}): resolve it first with `opwire blocker resolve {slug}`"
                )
            blocker = Blocker(slug, one_line(ticket), one_line(note), stamp(now), None)
            lines = [f"## {slug}: {blocker.ticket}", "", f"- ticket: {blocker.ticket}"]
            lines.append(f"- since: {blocker.since}")
            if blocker.note:
                lines.append(f"- note: {blocker.note}")
            self._append("blockers", "\n".join(lines))
            return blocker

    def resolve_blocker(self, slug: str, note: str, now: datetime) -> list[Blocker]:
        """Add `- resolved:` (and the note, as `- resolution:`) to the section of each open
        blocker of `slug`, every other byte of the file kept; RecordConflict when none is open."""
        with self._locked():
            path = self.path("blockers")
            found = [
                (b, s)
                for b, s in self.parsed("blockers").records
                if b.slug == slug and not b.resolved
            ]
            if not found:
                raise RecordConflict(f"{slug} has no open blocker in {path}")
            when = stamp(now)
            added = [f"- resolved: {when}", *([f"- resolution: {one_line(note)}"] * bool(note))]
            lines = self._lines(path, bom=True)
            for _, section in sorted(found, key=lambda pair: pair[1].start, reverse=True):
                _resolve_in(lines, section, added)
            atomic_write(path, "".join(lines), self.redact)
            return [Blocker(b.slug, b.ticket, b.note, b.since, when) for b, _ in found]

    def add_confirmation(self, confirmation: Confirmation, evidence: str = "") -> Confirmation:
        c = confirmation
        lines = [f"## {c.slug}: seen by {c.by}", "", f"- by: {c.by}", f"- at: {c.at}"]
        lines.append(f"- run id: {c.run_id}")
        if c.note:
            lines.append(f"- note: {c.note}")
        if evidence:
            lines.append(f"- evidence: {one_line(evidence)}")
        self.append_section("confirmations", "\n".join(lines))
        return c

    def add_deviation(self, text: str, run_id: str | None, now: datetime) -> Deviation:
        deviation = Deviation(stamp(now), one_line(text), run_id)
        lines = [f"## {deviation.at}", "", escape_line(deviation.text)]
        if run_id:
            lines += ["", f"- run id: {run_id}"]
        self.append_section("deviations", "\n".join(lines))
        return deviation

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time: each write reads the file, then replaces it whole. The lock
        is the state folder's own (flock on the directory), so no lock file is left in it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    # --- run history --------------------------------------------------------------------------

    def append_run(self, record: Mapping[str, Any]) -> Path:
        """One line of run history. A single write to an O_APPEND file: another opwire that
        appends at the same time cannot interleave with it."""
        path = self.folder / RUNS
        line = json.dumps(self.redact.tree(dict(record)), separators=(",", ":")) + "\n"
        _refuse_secrets(path, line, self.redact)
        self.folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return path

    def runs(self) -> Iterator[dict[str, Any]]:
        """The run history, oldest first; a line that is not a JSON object is skipped."""
        path = self.folder / RUNS
        if not path.exists():
            return
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record

    def latest_real_pass(self, slug: str) -> dict[str, Any] | None:
        """The newest verify run in which `slug` PASSed against the real vendor (a PASS against
        a mock never counts); None when there is none."""
        found: list[tuple[str, int, dict[str, Any]]] = []
        for order, run in enumerate(self.runs()):
            items = run.get("integrations")
            if run.get("command", "verify") != "verify" or not isinstance(items, list):
                continue
            if any(_real_pass(item, slug) for item in items) and isinstance(run.get("run_id"), str):
                found.append((_run_time(run), order, run))
        return max(found, key=lambda item: item[:2])[2] if found else None


def _resolve_in(lines: list[str], section: Section, added: list[str]) -> None:
    """Write `added` into the section, in place of a `- resolved:` line a person left empty
    (`-`, `no`), else after its last field; with the line endings the file uses."""
    at = section.last_field if section.last_field >= 0 else section.start
    newline = "\r\n" if lines[at].endswith("\r\n") else "\n"
    new = [text + newline for text in added]
    if "resolved" in section.lines_of:
        where = section.lines_of["resolved"]
        lines[where : where + 1] = new
        return
    if not lines[at].endswith(("\n", "\r")):
        lines[at] += newline
    lines[at + 1 : at + 1] = new


def _real_pass(item: Any, slug: str) -> bool:
    return (
        isinstance(item, dict)
        and item.get("slug") == slug
        and item.get("mode") == "real"
        and item.get("status") == "PASS"
    )


def _run_time(run: Mapping[str, Any]) -> str:
    raw = run.get("started_at")
    return (parse_time(raw) or "") if isinstance(raw, str) else ""
