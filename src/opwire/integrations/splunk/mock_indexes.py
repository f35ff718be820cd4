"""The Splunk mock's data/indexes and apps/local collections: what an index or app holds, how
a name is checked, the built-in ones a fresh Splunk Enterprise has, and an index's
roll-hot-buckets (the generic list / get / create / edit / delete is mock_entities.py).

Pages followed: help.splunk.com "REST API Reference: Input endpoints" (data/indexes,
data/indexes/{name}, roll-hot-buckets), "Application endpoints" (apps/local); splunklib
client.py (`Indexes`, `Index.clean`). Entry fields as recorded from a real splunkd
(splunk-sdk-csharp-pcl Recordings: CanCrudIndex, CanGetApplications).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.splunk import mock_atom as atom
from opwire.integrations.splunk.mock_entities import (
    BUILTINS,
    Kind,
    Stored,
    answer,
    entity_name,
    lookup,
    missing,
)
from opwire.integrations.splunk.mock_rows import EVENT_OVERHEAD
from opwire.integrations.splunk.mock_search import checked_caller
from opwire.mock.limits import CappedList
from opwire.mock.state import clock_of, mock_state

INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


async def roll_hot_buckets(request: Request) -> Response:
    """POST data/indexes/{name}/roll-hot-buckets: with the index's size cap or retention at
    their least (1 MB, 1 s: what splunklib Index.clean sets) its events are frozen, i.e.
    removed (UNCONFIRMED beyond that use)."""
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    name = entity_name(request, action=True)
    if (stored := lookup(request, INDEXES, name)) is None:
        return missing(INDEXES, name, checked[1])
    limits = (stored.content.get(k) for k in ("maxTotalDataSizeMB", "frozenTimePeriodInSecs"))
    if any(str(v).strip() in ("0", "1") for v in limits):
        _drop_events(mock_state(request).vendor.events, name)
    return answer(request, INDEXES, [stored], checked[1])


def _drop_events(events: CappedList[dict[str, Any]], index: str) -> None:
    """A removed index takes its events with it."""
    kept = [e for e in events if e["index"] != index]
    events.clear()
    for event in kept:
        events.append(event, len(event["raw"]) + EVENT_OVERHEAD)


def _index(name: str, given: dict[str, str], builtin: bool = False) -> Stored:
    db = "defaultdb" if name == "main" else name
    content: dict[str, Any] = {
        "assureUTF8": False,
        "coldPath": f"$SPLUNK_DB/{db}/colddb",
        "datatype": "event",
        "defaultDatabase": "main",
        "disabled": False,
        "enableRealtimeSearch": True,
        "frozenTimePeriodInSecs": 188697600,
        "homePath": f"$SPLUNK_DB/{db}/db",
        "isInternal": name.startswith("_"),
        "isReady": True,
        "isVirtual": False,
        "maxDataSize": "auto",
        "maxHotBuckets": "auto",
        "maxTotalDataSizeMB": 500000,
        "repFactor": "0",
        "thawedPath": f"$SPLUNK_DB/{db}/thaweddb",
        **given,
    }
    return Stored(name, content, builtin=builtin)


def _make_index(name: str, given: dict[str, str], _owner: str, _app: str) -> Stored | str:
    if not INDEX_NAME.match(name):
        return (
            "Index name must contain only lowercase letters, numbers, underscores, or hyphens, "
            "and cannot begin with an underscore or hyphen"
        )
    if given.get("datatype", "event") not in ("event", "metric"):
        return "datatype must be event or metric"
    return _index(name, given)


def _index_live(request: Request, stored: Stored) -> dict[str, Any]:
    """The stored settings and what the index holds now (searchable events)."""
    now = clock_of(request).now()
    held = [e for e in mock_state(request).vendor.events if e["index"] == stored.name]
    times = [e["time"] for e in held if e["ready"] <= now]
    size = sum(len(e["raw"]) for e in held)
    counts: dict[str, Any] = {"totalEventCount": len(times), "currentDBSizeMB": size >> 20}
    if times:
        counts |= {"minTime": _splunk_time(min(times)), "maxTime": _splunk_time(max(times))}
    return {**stored.content, **counts}


def _splunk_time(when: float) -> str:
    """An index's minTime / maxTime: ISO 8601 seconds with a +0000 offset (the recording)."""
    return atom.stamp(when)[:19] + "+0000"


def _app(name: str, given: dict[str, str], owner: str = "nobody", builtin: bool = False) -> Stored:
    content: dict[str, Any] = {
        "author": "Splunk" if builtin else owner,
        "check_for_updates": True,
        "configured": builtin,
        "description": "",
        "disabled": False,
        "label": name,
        "state_change_requires_restart": False,
        "version": "9.3.2" if builtin else "1.0.0",
        "visible": True,
        **given,
    }
    return Stored(name, content, app="system", sharing="app", builtin=builtin)


def _make_app(name: str, given: dict[str, str], _owner: str, _app_name: str) -> Stored | str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", name):
        return "App name may contain only letters, numbers, '.', '_' and '-'"
    return _app(name, given)


def _seen_indexes(request: Request) -> list[Stored]:
    return [_index(n, {}) for n in {e["index"] for e in mock_state(request).vendor.events}]


def _index_removed(request: Request, stored: Stored) -> None:
    _drop_events(mock_state(request).vendor.events, stored.name)


INDEXES = Kind(
    "data/indexes",
    "indexes",
    ("_reload", "disable"),
    _make_index,
    live=_index_live,
    removed=_index_removed,
    extra=_seen_indexes,
)
APPS = Kind("apps/local", "localapps", ("_reload", "disable", "package"), _make_app)
BUILTIN_INDEXES = ("_audit", "_internal", "_introspection", "_telemetry", "history", "main")
BUILTINS[INDEXES.path] = (
    *(_index(n, {}, builtin=True) for n in (*BUILTIN_INDEXES, "summary")),
    _index("_metrics", {"datatype": "metric"}, builtin=True),
)
BUILTINS[APPS.path] = tuple(
    _app(n, {"label": label}, builtin=True)
    for n, label in (
        ("launcher", "Home"),
        ("learned", "learned"),
        ("search", "Search & Reporting"),
        ("splunk_httpinput", "HTTP Event Collector"),
        ("splunk_instrumentation", "Splunk Instrumentation"),
        ("splunk_monitoring_console", "Monitoring Console"),
    )
)
