"""Logs and spans as the Sentry mock's events table reads them (`dataset=logs`, `spans`):
`log` envelope items kept per project, and each transaction's root span and child spans.

Followed: develop.sentry.dev/sdk/telemetry/logs/ (the `log` item: `{"items": [{timestamp,
trace_id, span_id?, level, body, attributes: {name: {value, type}}}]}`, attribute types string,
integer, double, boolean; `sentry.environment`, `sentry.release`), docs.sentry.io/product/
explore/logs/ and /traces/ (columns: message, severity, timestamp, trace; span.op,
span.description, span.duration in ms, transaction, is_transaction),
develop.sentry.dev/sdk/data-model/event-payloads/transaction/ (start_timestamp, timestamp as
RFC 3339 or unix seconds; spans with span_id, parent_span_id, op, description, status).
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import datetime
from typing import Any

from opwire.integrations.sentry.mock_events import iso
from opwire.integrations.sentry.mock_state import Project, SentryState, visible
from opwire.mock.state import strict_json

LOGS_KEPT = 10_000
LOGS_WEIGHT = 16 << 20
LOG_BYTES = 1 << 20  # one log's JSON (UNCONFIRMED: Relay's `max_log_size`)
ATTRIBUTE_KINDS = {"integer": "integer", "double": "number", "boolean": "boolean"}
LOG_KINDS = {"timestamp": "date", "severity_number": "integer", "project.id": "integer"}
SPAN_KINDS = {
    "timestamp": "date",
    "span.duration": "duration",
    "is_transaction": "boolean",
    "project.id": "integer",
}
Found = tuple[float, dict[str, Any]]  # when it was received, its cells


def scalar(value: Any) -> Any:
    """A cell's value: a string, number, bool or null; anything else as its JSON text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, default=str)


def scalars(cells: dict[str, Any]) -> dict[str, Any]:
    return {k: v if k.startswith("_") else scalar(v) for k, v in cells.items()}


def seconds(value: Any) -> float | None:
    """A unix time from seconds or RFC 3339 text; None for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _attributes(raw: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Each attribute's value and the table's type for it."""
    values: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for name, attribute in raw.items() if isinstance(raw, dict) else []:
        if isinstance(attribute, dict) and "value" in attribute:
            values[name] = attribute["value"]
            kinds[name] = ATTRIBUTE_KINDS.get(str(attribute.get("type")), "string")
    return values, kinds


def keep_logs(state: SentryState, project: Project, payload: bytes, now: float) -> None:
    """A `log` item's logs, kept as table rows; what is not a log is dropped, as Relay does,
    and so is one over LOG_BYTES. The newest LOGS_KEPT, within LOGS_WEIGHT bytes, stay."""
    try:
        body = strict_json(payload)
    except (ValueError, UnicodeDecodeError):
        return
    logs = body.get("items") if isinstance(body, dict) else None
    for log in logs if isinstance(logs, list) else []:
        weight = len(json.dumps(log, default=str))
        if isinstance(log, dict) and isinstance(log.get("body"), str) and weight <= LOG_BYTES:
            cells = scalars(_log_cells(project, log, now))
            state.logs.append((project.id, now, cells, weight))
            state.logs_weight += weight
    while state.logs and (len(state.logs) > LOGS_KEPT or state.logs_weight > LOGS_WEIGHT):
        state.logs_weight -= state.logs.popleft()[3]
        state.dropped["logs"] += 1


def _log_cells(project: Project, log: dict[str, Any], now: float) -> dict[str, Any]:
    values, kinds = _attributes(log.get("attributes"))
    sent = seconds(log.get("timestamp"))
    return {
        **values,
        "_kinds": {**kinds, **LOG_KINDS},
        "id": uuid.uuid4().hex,
        "message": log["body"],
        "severity": str(log.get("level") or "info"),
        "severity_number": values.get("sentry.severity_number"),
        "timestamp": iso(sent if sent is not None else now),
        "trace": log.get("trace_id"),
        "project": project.slug,
        "project.id": project.id,
        "environment": values.get("sentry.environment"),
        "release": values.get("sentry.release"),
    }


def log_rows(state: SentryState, projects: set[int]) -> list[Found]:
    """The logs of `projects`, newest first."""
    return [(row[1], row[2]) for row in reversed(state.logs) if row[0] in projects]


def _span(event: dict[str, Any], span: dict[str, Any], root: bool) -> dict[str, Any]:
    start, end = seconds(span.get("start_timestamp")), seconds(span.get("timestamp"))
    duration = (end - start) * 1000 if start is not None and end is not None else None
    return {
        "id": span.get("span_id"),
        "span.op": span.get("op"),
        "span.description": event.get("transaction") if root else span.get("description"),
        "span.duration": duration,
        "span.status": span.get("status"),
        "parent_span": span.get("parent_span_id"),
        "is_transaction": root,
        "transaction": event.get("transaction"),
        "trace": span.get("trace_id"),
        "timestamp": iso(end) if end is not None else None,
        "environment": event.get("environment"),
        "release": event.get("release"),
    }


def span_rows(state: SentryState, projects: set[int], now: float) -> list[Found]:
    """Each processed transaction's root span (its trace context) and its child spans."""
    found: list[Found] = []
    for event_id, stored in reversed(state.events.items()):
        event, project = stored["payload"], stored["project"]
        if event["type"] != "transaction" or project.id not in projects:
            continue
        if not visible(state, event_id, now):
            continue
        trace = (event.get("contexts") or {}).get("trace") or {}
        root = {**trace, "start_timestamp": event.get("start_timestamp")}
        root["timestamp"] = event.get("timestamp")
        raw = event.get("spans")
        spans = [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []
        for cells in [_span(event, root, True), *(_span(event, s, False) for s in spans)]:
            cells |= {"project": project.slug, "project.id": project.id, "_kinds": SPAN_KINDS}
            found.append((stored["received"], scalars(cells)))
    return found
