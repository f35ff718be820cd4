"""The state/ folder. For now: the cleanup journal (DESIGN § 3 "Cleanup is crash-safe").

Before a probe creates an artifact that needs cleanup (a PagerDuty incident, an Opsgenie alert,
a Sentry issue), it writes an entry here; the entry goes once the cleanup is confirmed. A run
killed in between leaves the entry, and `opwire cleanup` finishes the job. Entries hold what the
cleanup needs (slug, run id, artifact keys, the mock's URL in mock mode), never a credential.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

JOURNAL = "cleanup-journal.json"


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / JOURNAL

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".cleanup-journal.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError:
            return []
        return entries if isinstance(entries, list) else []

    def _write(self, entries: list[dict[str, Any]]) -> None:
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".journal-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(entries, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)

    def add(
        self, slug: str, run_id: str, real: bool, mock_base: str, artifact: dict[str, Any]
    ) -> str:
        entry_id = secrets.token_hex(6)
        entry = {
            "id": entry_id,
            "slug": slug,
            "run_id": run_id,
            "real": real,
            "mock_base": mock_base,
            "artifact": artifact,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with self._locked():
            self._write([*self.entries(), entry])
        return entry_id

    def remove(self, entry_id: str) -> None:
        with self._locked():
            self._write([e for e in self.entries() if e.get("id") != entry_id])
