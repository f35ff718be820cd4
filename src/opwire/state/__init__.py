"""The state/ folder: the cleanup journal (journal.py) and the operator's records (records.py):
Markdown files a person can read and edit, and the run history, one JSON line per run."""

from __future__ import annotations

from opwire.state.journal import (
    JOURNAL,
    Contents,
    Journal,
    JournalEntry,
    JournalError,
    Rejected,
    UnknownEntry,
    owner_running,
    process_start,
)
from opwire.state.records import (
    RECORD_FILES,
    RUNS,
    Blocker,
    Confirmation,
    Deviation,
    RecordConflict,
    Records,
    SecretInRecord,
    atomic_write,
)

__all__ = [
    "JOURNAL",
    "RECORD_FILES",
    "RUNS",
    "Blocker",
    "Confirmation",
    "Contents",
    "Deviation",
    "Journal",
    "JournalEntry",
    "JournalError",
    "RecordConflict",
    "Records",
    "Rejected",
    "SecretInRecord",
    "UnknownEntry",
    "atomic_write",
    "owner_running",
    "process_start",
]
