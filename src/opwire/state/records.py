"""The operator's records in the state folder (seed §§ 1–7): what later commands write.

Two kinds, both append-only and both meant to be read by a person:
- Markdown files of the seed (`cred-blockers.md`, `operator-deviations.md`, confirmations,
  rotations): each record is a section appended to its file; what a person added by hand stays.
- The run history, `runs.jsonl`: one JSON object per `verify` or `drill` run.

Every write is atomic (a whole file through a temporary file and a rename, or one line in one
append) and is refused when its text would contain a known secret: the state folder is committed
(the seed commits its logs), so a secret that reached it would reach the repository.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from opwire.config import Redactor
from opwire.errors import OpwireError

RUNS = "runs.jsonl"
# The seed's record files, by the record kind later commands write.
RECORD_FILES = {
    "blockers": "cred-blockers.md",
    "deviations": "operator-deviations.md",
    "confirmations": "confirmations.md",
    "rotations": "rotations.md",
}


class SecretInRecord(OpwireError):
    """A record would have carried a secret: nothing was written."""


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


class Records:
    """The record files and run history of one state folder."""

    def __init__(self, folder: Path, redact: Redactor) -> None:
        self.folder, self.redact = folder, redact

    def path(self, kind: str) -> Path:
        return self.folder / RECORD_FILES[kind]

    def append_section(self, kind: str, section: str) -> Path:
        """Add a Markdown section to the kind's file, keeping everything already in it."""
        path = self.path(kind)
        before = path.read_text(encoding="utf-8") if path.exists() else ""
        joined = before.rstrip("\n") + ("\n\n" if before.strip() else "") + section.strip("\n")
        atomic_write(path, joined + "\n", self.redact)
        return path

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
