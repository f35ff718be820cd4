"""A stored HEC event as a Splunk search result row.

Pages followed: help.splunk.com props.conf (AUTO_KV_JSON, KV_MODE=auto: search-time fields from
JSON events, nested keys as `a.b`, array values as `a{}`, and `key=value` pairs in text), "Use
default fields" (_raw, _time, _indextime, host, index, linecount, source, sourcetype,
splunk_server); "Format events for HEC" (indexed `fields`, a list value multivalue).
"""

from __future__ import annotations

import json
import re
from typing import Any

from opwire.integrations.splunk.mock_atom import stamp
from opwire.integrations.splunk.search import Row
from opwire.mock.state import strict_json

SERVER_NAME = "opwire-mock"
EVENT_OVERHEAD = 512  # about what a stored event costs beyond its raw text
KV_PAIR = re.compile(r'([A-Za-z_][\w.]*)=("[^"]*"|[^\s,;"]+)')


def new_event(event: Any, time: float, ready: float, **meta: Any) -> dict[str, Any]:
    """An event as the mock stores it: received at `time`, searchable from `ready`; `meta` is
    its index, sourcetype, source, host and indexed `fields`."""
    raw = event if isinstance(event, str) else json.dumps(event)
    return {"time": time, "event": event, "raw": raw, "fields": {}, **meta, "ready": ready}


def row_of(event: dict[str, Any]) -> Row:
    """A stored HEC event as a search result: its search-time fields (JSON keys, flattened, or
    key=value pairs in text, as AUTO_KV_JSON and KV_MODE=auto extract them), its indexed
    `fields`, then Splunk's own."""
    indexed = {k: (v if isinstance(v, list) else str(v)) for k, v in event["fields"].items()}
    raw: str = event["raw"]
    return {
        **_extracted(event["event"], raw),
        **indexed,
        "_raw": raw,
        "_time": stamp(event["time"]),
        "_indextime": str(int(event["ready"])),
        "host": event["host"],
        "index": event["index"],
        "linecount": str(raw.count("\n") + 1),
        "source": event["source"],
        "sourcetype": event["sourcetype"],
        "splunk_server": SERVER_NAME,
    }


def _extracted(event: Any, raw: str) -> Row:
    if isinstance(event, str):
        try:
            # strictly: a lone surrogate or a nesting past the parser extracts no fields
            event = strict_json(raw) if raw.lstrip().startswith("{") else None
        except ValueError:
            event = None
        if not isinstance(event, dict):
            return {k: v.strip('"') for k, v in KV_PAIR.findall(raw)}
    found: Row = {}
    _flatten(event, "", found)
    return found


def _flatten(value: Any, prefix: str, into: Row) -> None:
    """JSON as Splunk names its fields: a.b for nesting, a{} for an array's values."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(value, list):
        for inner in value:
            _flatten(inner, f"{prefix}{{}}", into)
    elif prefix:
        text = json.dumps(value) if value is None or isinstance(value, bool) else str(value)
        if prefix in into:
            held = into[prefix]
            into[prefix] = [*held, text] if isinstance(held, list) else [held, text]
        else:
            into[prefix] = text
