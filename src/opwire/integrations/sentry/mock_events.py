"""What Relay and Sentry make of an event, for the Sentry mock: its id, type, level and tags as
Relay normalizes them, and the web API's event body (entries, tags Sentry derives).

Followed: getsentry/relay relay-event-normalization (`normalize_event_tags`: client tags
release/dist/user/filename/function are dropped, an `environment` tag becomes the environment,
duplicates and empty or over-long keys and values are dropped, server_name and site become tags;
`infer_event_type`; level defaults error, info for transactions), relay-event-schema EventId
(any UUID form parses; it is stored and answered as 32 hex), getsentry/sentry
event_manager.py `_derive_tags_many` and interfaces/{exception,contexts,http}.py `iter_tags`
(level, logger, environment, release, dist, transaction, user, handled, mechanism, url,
runtime/os/browser/device), api/serializers/models/event.py (entries, sorted tags);
shared/specs/sentry/openapi-derefed.json (the event, the issue's events, attachments).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

TAG_LIMIT = 200  # MaxChars::TagKey and TagValue
CLIENT_TAGS_DROPPED = frozenset({"release", "dist", "user", "filename", "function"})
# Relay's Level parsing; any other value is invalid and the default applies.
LEVELS = {
    "debug": "debug",
    "info": "info",
    "log": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "fatal": "fatal",
    "critical": "fatal",
}
# Contexts that Sentry turns into tags: tag suffix -> the context fields it reads.
CONTEXT_TAGS: dict[str, dict[str, tuple[str, ...]]] = {
    "runtime": {"": ("name", "version"), "name": ("name",)},
    "os": {"": ("name", "version"), "name": ("name",)},
    "browser": {"": ("name", "version"), "name": ("name",)},
    "device": {"": ("model",), "family": ("family",)},
}
# relay-event-schema protocol/contexts: the context types Relay knows by their key.
KNOWN_CONTEXTS = frozenset(
    {
        "device",
        "os",
        "runtime",
        "app",
        "browser",
        "gpu",
        "trace",
        "profile",
        "replay",
        "response",
        "otel",
        "cloud_resource",
        "monitor",
        "flags",
        "feedback",
        "culture",
        "state",
    }
)
# Entry order on the event page. UNCONFIRMED: Sentry sorts by each interface's display score.
ENTRY_ORDER = ("message", "exception", "spans", "breadcrumbs", "request")


class EventIdError(ValueError):
    pass


def event_id(value: Any) -> str | None:
    """A client's event id as Relay keeps it: any UUID form (dashed, braced, urn), as 32 hex.
    Python's parser also takes dashes anywhere in the 32 digits, a little more than Relay."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise EventIdError(f"invalid event id {value!r}")
    try:
        return uuid.UUID(value.strip()).hex
    except ValueError:
        raise EventIdError(f"invalid event id {value!r}") from None


def iso(seconds: float) -> str:
    return (
        datetime.fromtimestamp(seconds, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _tag_pairs(raw: Any) -> list[tuple[Any, Any]]:
    if isinstance(raw, dict):
        return list(raw.items())
    if isinstance(raw, list):
        return [tuple(t) for t in raw if isinstance(t, list | tuple) and len(t) == 2]
    return []


def _good_tag(key: Any, value: Any) -> bool:
    return (
        isinstance(key, str)
        and isinstance(value, str | int | float | bool)
        and 0 < len(key) <= TAG_LIMIT
        and 0 < len(str(value)) <= TAG_LIMIT
    )


def client_tags(event: dict[str, Any]) -> dict[str, str]:
    """The event's own tags after Relay: the first of duplicates kept, internal ones dropped."""
    kept: dict[str, str] = {}
    for key, value in _tag_pairs(event.get("tags")):
        if key == "environment":
            if isinstance(value, str) and value and not event.get("environment"):
                event["environment"] = value
            continue
        if key in CLIENT_TAGS_DROPPED or key in kept or not _good_tag(key, value):
            continue
        kept[key] = str(value).lower() if isinstance(value, bool) else str(value)
    for key in ("server_name", "site"):
        if isinstance(event.get(key), str) and event[key]:
            kept[key] = event[key]
    return kept


def event_type(event: dict[str, Any], item_type: str) -> str:
    if item_type == "transaction" or event.get("type") == "transaction":
        return "transaction"
    return "error" if exceptions(event) else "default"


def exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    raw = event.get("exception")
    values = raw.get("values") if isinstance(raw, dict) else raw
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def normalize(event: dict[str, Any], item_type: str, stored_id: str) -> dict[str, Any]:
    """The event as Relay forwards it: id, type, level, platform, message, tags."""
    kind = event_type(event, item_type)
    level = LEVELS.get(str(event.get("level", "")).lower())
    message = event.get("logentry") or event.get("message")
    if isinstance(message, str):
        message = {"formatted": message}
    return {
        **event,
        "event_id": stored_id,
        "type": kind,
        "level": level or ("info" if kind == "transaction" else "error"),
        "platform": event.get("platform") if isinstance(event.get("platform"), str) else "other",
        "logentry": message if isinstance(message, dict) else None,
        "tags": client_tags(event),
        "contexts": typed_contexts(event.get("contexts")),
        "culprit": culprit(event),
    }


def culprit(event: dict[str, Any]) -> str:
    """Sentry's culprit (event_manager.py `get_culprit`, utils/event_frames.py): the client's,
    else the transaction, else `module in function` of the newest in-app frame, else the
    request's URL."""
    for key in ("culprit", "transaction"):
        if isinstance(event.get(key), str) and event[key]:
            return str(event[key])[:200]
    for value in reversed(exceptions(event)):
        trace = value.get("stacktrace")
        frames = trace.get("frames") if isinstance(trace, dict) else None
        for frame in reversed(frames if isinstance(frames, list) else []):
            if isinstance(frame, dict) and frame.get("in_app"):
                where = frame.get("module") or frame.get("filename") or "?"
                return f"{where} in {frame.get('function') or '?'}"[:200]
    request = event.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    return url.split("?", 1)[0][:200] if isinstance(url, str) else ""


def typed_contexts(raw: Any) -> dict[str, Any]:
    """Relay's contexts: each an object with its `type`, the key's for a known context, else
    `default`; what is not an object is dropped."""
    if not isinstance(raw, dict):
        return {}
    return {
        key: {**value, "type": value.get("type") or (key if key in KNOWN_CONTEXTS else "default")}
        for key, value in raw.items()
        if isinstance(value, dict)
    }


def formatted(event: dict[str, Any]) -> str:
    entry = event.get("logentry") or {}
    text = entry.get("formatted") or entry.get("message") or ""
    return text if isinstance(text, str) else json.dumps(text)


def title(event: dict[str, Any]) -> str:
    """Sentry's title: the transaction's name, `Type: value` of the last exception, else the
    message's first line."""
    if event["type"] == "transaction":
        return str(event.get("transaction") or "<unlabeled transaction>")
    if values := exceptions(event):
        last = values[-1]
        kind, value = last.get("type"), last.get("value")
        if kind:
            return f"{kind}: {value}" if value else str(kind)
        return str(value or "<unknown>")
    return formatted(event).split("\n", 1)[0][:200] or "<unlabeled event>"


def _user_tag(user: Any) -> str | None:
    if not isinstance(user, dict):
        return None
    for field, prefix in (("id", "id"), ("email", "email"), ("username", "username")):
        if user.get(field):
            return f"{prefix}:{user[field]}"
    return f"ip:{user['ip_address']}" if user.get("ip_address") else None


def _mechanism_tags(event: dict[str, Any]) -> dict[str, str]:
    """Exception.iter_tags: the first exception's mechanism. UNCONFIRMED which of a chain."""
    values = exceptions(event)
    mechanism = values[0].get("mechanism") if values else None
    if not isinstance(mechanism, dict):
        return {}
    tags = {"mechanism": str(mechanism.get("type") or "generic")}
    if isinstance(mechanism.get("handled"), bool):
        tags["handled"] = "yes" if mechanism["handled"] else "no"
    return tags


def _context_tags(contexts: Any) -> dict[str, str]:
    tags: dict[str, str] = {}
    for name, mapping in CONTEXT_TAGS.items():
        context = contexts.get(name) if isinstance(contexts, dict) else None
        if not isinstance(context, dict):
            continue
        for suffix, fields in mapping.items():
            parts = [str(context[f]) for f in fields if context.get(f)]
            if parts:
                tags[f"{name}.{suffix}" if suffix else name] = " ".join(parts)
    return tags


def derived_tags(event: dict[str, Any]) -> dict[str, str]:
    """The tags Sentry adds when it saves the event, over the client's."""
    tags = {"level": event["level"]}
    for key in ("logger", "environment", "release", "dist", "transaction"):
        if isinstance(event.get(key), str) and event[key]:
            tags[key] = event[key]
    if user := _user_tag(event.get("user")):
        tags["user"] = user
    request = event.get("request")
    if isinstance(request, dict) and isinstance(request.get("url"), str):
        tags["url"] = request["url"].split("?", 1)[0]
    return {**tags, **_mechanism_tags(event), **_context_tags(event.get("contexts"))}


def all_tags(event: dict[str, Any]) -> list[dict[str, str]]:
    tags = {**event["tags"], **derived_tags(event)}
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def _context_lines(frame: dict[str, Any]) -> list[list[Any]]:
    line = frame.get("lineno")
    if not isinstance(line, int) or "context_line" not in frame:
        return []
    pre = frame.get("pre_context") or []
    lines = [*pre, frame["context_line"], *(frame.get("post_context") or [])]
    return [[line - len(pre) + i, text] for i, text in enumerate(lines)]


def _frame(frame: dict[str, Any]) -> dict[str, Any]:
    return {
        "filename": frame.get("filename"),
        "absPath": frame.get("abs_path"),
        "module": frame.get("module"),
        "package": frame.get("package"),
        "platform": frame.get("platform"),
        "function": frame.get("function"),
        "rawFunction": None,
        "symbol": None,
        "lineNo": frame.get("lineno"),
        "colNo": frame.get("colno"),
        "inApp": bool(frame.get("in_app")),
        "context": _context_lines(frame),
        "vars": frame.get("vars"),
        "instructionAddr": None,
        "symbolAddr": None,
        "trust": None,
        "errors": None,
        "lock": None,
    }


def _stacktrace(raw: Any) -> dict[str, Any] | None:
    frames = raw.get("frames") if isinstance(raw, dict) else None
    if not isinstance(frames, list):
        return None
    shown = [_frame(f) for f in frames if isinstance(f, dict)]
    return {
        "frames": shown,
        "framesOmitted": None,
        "registers": None,
        "hasSystemFrames": any(not f["inApp"] for f in shown),
    }


def _exception_entry(event: dict[str, Any]) -> dict[str, Any] | None:
    values = [
        {
            "type": v.get("type"),
            "value": v.get("value"),
            "module": v.get("module"),
            "mechanism": v.get("mechanism"),
            "threadId": v.get("thread_id"),
            "stacktrace": _stacktrace(v.get("stacktrace")),
            "rawStacktrace": None,
        }
        for v in exceptions(event)
    ]
    if not values:
        return None
    system = any((v["stacktrace"] or {}).get("hasSystemFrames") for v in values)
    return {"values": values, "excOmitted": None, "hasSystemFrames": system}


def _timestamp(value: Any) -> Any:
    return iso(float(value)) if isinstance(value, int | float) else value


def _breadcrumbs_entry(event: dict[str, Any]) -> dict[str, Any] | None:
    raw = event.get("breadcrumbs")
    values = raw.get("values") if isinstance(raw, dict) else raw
    if not isinstance(values, list) or not values:
        return None
    crumbs = [
        {
            "type": c.get("type") or "default",
            "timestamp": _timestamp(c.get("timestamp")),
            "level": LEVELS.get(str(c.get("level", "info")), "info"),
            "message": c.get("message"),
            "category": c.get("category"),
            "data": c.get("data"),
            "event_id": None,
        }
        for c in values
        if isinstance(c, dict)
    ]
    return {"values": crumbs}


def _pairs(value: Any) -> list[list[str]]:
    if isinstance(value, dict):
        return [[str(k), str(v)] for k, v in value.items()]
    if isinstance(value, str):
        return [[k, v] for k, v in parse_qsl(value, keep_blank_values=True)]
    if isinstance(value, list):
        return [[str(p[0]), str(p[1])] for p in value if isinstance(p, list) and len(p) == 2]
    return []


def _request_entry(event: dict[str, Any]) -> dict[str, Any] | None:
    """Relay's request normalization: the query moves off the URL into pairs."""
    request = event.get("request")
    if not isinstance(request, dict):
        return None
    url = request.get("url") if isinstance(request.get("url"), str) else None
    base, _, query = (url or "").partition("?")
    data = request.get("data")
    return {
        "apiTarget": None,
        "method": request.get("method"),
        "url": base or None,
        "query": _pairs(request.get("query_string") or query),
        "fragment": request.get("fragment"),
        "data": data,
        "headers": sorted(_pairs(request.get("headers"))),
        "cookies": _pairs(request.get("cookies")),
        "env": request.get("env"),
        "inferredContentType": "application/json" if isinstance(data, dict) else None,
    }


def _message_entry(event: dict[str, Any]) -> dict[str, Any] | None:
    entry = event.get("logentry")
    if not isinstance(entry, dict):
        return None
    return {
        "formatted": formatted(event),
        "message": entry.get("message"),
        "params": entry.get("params"),
    }


def _spans_entry(event: dict[str, Any]) -> Any:
    spans = event.get("spans")
    return spans if event["type"] == "transaction" and isinstance(spans, list) else None


BUILDERS = {
    "message": _message_entry,
    "exception": _exception_entry,
    "spans": _spans_entry,
    "breadcrumbs": _breadcrumbs_entry,
    "request": _request_entry,
}


def entries(event: dict[str, Any]) -> list[dict[str, Any]]:
    found = ((kind, BUILDERS[kind](event)) for kind in ENTRY_ORDER)
    return [{"type": kind, "data": data} for kind, data in found if data is not None]


def metadata(event: dict[str, Any], shown_title: str) -> dict[str, Any]:
    values = exceptions(event)
    if event["type"] == "error" and values:
        last = values[-1]
        return {"title": shown_title, "type": str(last.get("type")), "value": last.get("value")}
    return {"title": shown_title}
