"""An Opsgenie alert's journal, for the mock: its logs, notes, recipients and attachments, and
how List Alert Logs and List Alert Notes page them.

Pages followed: docs.opsgenie.com/docs/alert-api-continued (List Alert Logs, List Alert Notes:
`offset`, `direction` next/prev, `limit`, `order`, a `paging` of `first`/`next`; each entry's
`offset` as Opsgenie writes it, `<ms>_<ns>`; List Alert Recipients), docs.opsgenie.com/docs/
pagination.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from opwire.integrations.opsgenie.mock_alerts import resolved

Body = dict[str, Any]
ENTRIES_PER_ALERT = 500  # logs, and notes, kept per alert; the oldest go first
OFFSET = re.compile(r"^\d{1,15}_(\d{1,30})$")


@dataclass(slots=True)
class Journal:
    """An alert's logs and notes, newest last, each entry with its paging `offset`."""

    logs: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=ENTRIES_PER_ALERT))
    notes: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=ENTRIES_PER_ALERT))
    # the users the alert was routed to (its user responders), by their id, as List Recipients
    recipients: dict[str, dict[str, Any]] = field(default_factory=dict)
    # attachment id -> {"id", "name", "size"} (mock_attachments.py; their bytes are not kept)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def weight(self) -> int:
        entries = len(self.logs) + len(self.notes) + len(self.recipients) + len(self.attachments)
        return sum(len(n["note"]) for n in self.notes) + 200 * entries


def add_recipients(journal: Journal, body: Body, now: str) -> None:
    """The users a create (`responders`) or Add Responder (`responder`) routed the alert to.
    Opsgenie lists each notified user; whom a team or schedule reaches is account data the
    mock lacks, so only user responders are listed, each `state` "pending" (UNCONFIRMED)."""
    given = body.get("responders")
    for responder in [*(given if isinstance(given, list) else []), body.get("responder")]:
        if not isinstance(responder, dict) or responder.get("type") != "user":
            continue
        if len(journal.recipients) >= ENTRIES_PER_ALERT:
            return
        ident = resolved(responder)["id"]
        user = {"id": ident, "username": str(responder.get("username") or "")}
        entry = {"user": user, "state": "pending", "method": "", "createdAt": now}
        journal.recipients.setdefault(ident, {**entry, "updatedAt": now})


def offset_of(millis: int, sequence: int) -> str:
    """An entry's offset as Opsgenie writes them (`<ms>_<ns>`); `sequence` keeps them unique."""
    return f"{millis}_{millis * 1_000_000 + sequence % 1_000_000}"


def offset_key(offset: str) -> int | None:
    match = OFFSET.match(offset)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[dict[str, str]]
    next_offset: str | None  # where the following page starts, when there is one


def page(
    entries: list[dict[str, str]], offset: str | None, direction: str, limit: int, order: str
) -> Page:
    """One page of logs or notes: `order` by offset, those after `offset` (direction `next`) or
    before it (`prev`), at most `limit`."""
    ordered = sorted(entries, key=lambda e: offset_key(e["offset"]) or 0, reverse=order == "desc")
    if offset is not None:
        at, descending = offset_key(offset) or 0, order == "desc"
        keys = [offset_key(e["offset"]) or 0 for e in ordered]
        position = [(k < at) if descending else (k > at) for k in keys]
        if direction == "next":
            ordered = [e for e, ok in zip(ordered, position, strict=True) if ok]
        else:
            before = [e for e, ok in zip(ordered, position, strict=True) if not ok]
            ordered = [e for e in before if e["offset"] != offset][-limit:]
    chosen = ordered[:limit]
    more = len(ordered) > limit and direction == "next"
    return Page(chosen, chosen[-1]["offset"] if more and chosen else None)
