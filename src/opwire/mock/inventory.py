"""What a mock holds, in one shape for every vendor: the items behind `/_opwire/state` and
`/_opwire/counts` (control API v1), which a web inbox and a count reconciliation read.

Each room declares an `Inventory`: the kinds of item it holds and a small function listing them.
An item is `{"kind", "time", "run_id", "vendor"}`: `time` is the item's own timestamp in unix
seconds (the one the vendor's read and count APIs filter on: a Slack `ts`, an incident's
`created_at`, a Splunk event's `_time`), `run_id` is the opwire run id the artifact carries in the
vendor's own fields (or null), and `vendor` is the vendor's own JSON for it, as its read API
answers. Counts are taken from the same lists, so the two routes never disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opwire.mock.clock import MockClock
from opwire.mock.values import query_seconds

# `ow-<utc timestamp>-<6 hex>`, as verify makes them, standing alone in free text (a Slack
# message, a PagerDuty dedup key, an Opsgenie alias); a tagged field (`run_id:<id>`) is read whole.
RUN_ID = re.compile(r"(?<![\w-])ow-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}(?![\w-])")


@dataclass(frozen=True, slots=True)
class Item:
    kind: str
    time: float
    run_id: str | None
    vendor: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "time": self.time, "run_id": self.run_id, "vendor": self.vendor}


# (the room's vendor state, the mock's clock) -> the items it holds
Lister = Callable[[Any, MockClock], Iterable[Item]]


@dataclass(frozen=True, slots=True)
class Inventory:
    """The kinds of item a room holds (every one is counted, 0 included) and its lister."""

    kinds: tuple[str, ...]
    items: Lister


def run_id_in(*values: object) -> str | None:
    """The first run id found in `values`: strings as they are, anything else as its JSON."""
    for value in values:
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if found := RUN_ID.search(text):
            return found.group(0)
    return None


def tagged(tags: Iterable[object], name: str = "run_id") -> str | None:
    """The value of a `name:<value>` tag (Datadog's form), or None."""
    prefix = f"{name}:"
    for tag in tags:
        if isinstance(tag, str) and tag.startswith(prefix) and len(tag) > len(prefix):
            return tag[len(prefix) :]
    return None


def field_value(fields: object, name: str = "run_id") -> str | None:
    """A named string field of a JSON object (a Sentry tag, a Splunk field), or None."""
    value = fields.get(name) if isinstance(fields, Mapping) else None
    return value if isinstance(value, str) and value else None


def unix(iso: str) -> float:
    """Unix seconds of an ISO 8601 UTC timestamp as the vendors write them (`…Z`)."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True, slots=True)
class Window:
    """Which items a query asks for: `since <= time < until` (half-open, so adjacent windows
    never count an item twice), of one run id and one kind when given."""

    since: float | None = None
    until: float | None = None
    run_id: str | None = None
    kind: str | None = None

    def holds(self, item: Item) -> bool:
        return (
            (self.since is None or item.time >= self.since)
            and (self.until is None or item.time < self.until)
            and (self.run_id is None or item.run_id == self.run_id)
            and (self.kind is None or item.kind == self.kind)
        )


def window(params: Mapping[str, str]) -> Window:
    """The window of a query string (`since`, `until`, `run_id`, `kind`); ControlError when a
    time is not a finite number of unix seconds."""
    return Window(
        query_seconds(params, "since"),
        query_seconds(params, "until"),
        params.get("run_id") or None,
        params.get("kind") or None,
    )


def selected(inventory: Inventory, vendor: Any, clock: MockClock, within: Window) -> list[Item]:
    """The room's items in `within`, oldest first."""
    held = (item for item in inventory.items(vendor, clock) if within.holds(item))
    return sorted(held, key=lambda item: item.time)


def counts(inventory: Inventory, items: Iterable[Item]) -> dict[str, int]:
    """Items per kind: every kind the room declares, 0 included, so a missing kind is news."""
    found = dict.fromkeys(inventory.kinds, 0)
    for item in items:
        found[item.kind] = found.get(item.kind, 0) + 1
    return found
