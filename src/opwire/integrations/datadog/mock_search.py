"""Event and log search for the Datadog mock: the query syntax, time bounds and cursor pages shared
by GET /api/v2/events, POST /api/v2/events/search and the v2 log reads (mock_logs_search.py).

Pages followed: shared/specs/datadog/v2/openapi.yaml (`ListEvents` parameters `filter[query]`,
`filter[from]`/`filter[to]` "in milliseconds", `sort`, `page[cursor]`, `page[limit]` at most
1000, default 10; `EventsQueryFilter` defaults `now-15m`, `now`, `*`; `x-pagination` cursor
`meta.page.after`), docs.datadoghq.com/logs/guide/collect-multiple-logs-with-pagination, the
recorded search exchanges (an ISO 8601 `from` with an offset; an unknown cursor is a 400 in a
nested legacy text), docs.datadoghq.com/events/explorer/searching (`tag:value`, `priority:`,
`status:`, `source:`, `host:`, `@attribute:`, quoted phrases, `AND`/`OR`/`NOT`/`-`, `*`).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Vendor facts, in one place.
DEFAULT_FROM, DEFAULT_TO, DEFAULT_LIMIT, MAX_LIMIT = "now-15m", "now", 10, 1000
# Newest first when no sort is asked. UNCONFIRMED (the spec gives EventsSort no default).
DEFAULT_SORT = "-timestamp"
SORTS = ("timestamp", "-timestamp")
# Recorded (v2_test_search_events_returns_bad_request_response): the whole answer's one error.
BAD_CURSOR = "{'errors': [u\"input_validation_error(Field 'page' is invalid: invalid cursor)\"]}"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 2_592_000, "y": 31_536_000}
DATE_MATH = re.compile(r"^now(?:(?P<sign>[-+])(?P<n>\d{1,12})(?P<unit>mo|s|m|h|d|w|y))?$", re.ASCII)
# Milliseconds as ASCII digits (str.isdigit also takes "²" and Arabic-Indic digits).
DIGITS = re.compile(r"\d{1,16}", re.ASCII)
# A bound past any date (2**53 ms, about 285,000 years) is refused. UNCONFIRMED: Datadog's own
# limit is not documented; the 400 is what it answers to a bound it cannot read.
MAX_MS = 2**53
TOKEN = re.compile(r'-?"[^"]*"|\S+')
# The search facets an event answers from its own fields rather than from its tags.
FACETS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "priority": lambda e: e.get("priority") or "normal",
    "status": lambda e: e.get("alert_type"),
    "source": lambda e: e.get("source_type_name"),
    "host": lambda e: e.get("host"),
}
# The cursor's `startAt`: a version byte, then the last event's timestamp (ms) and id, as the
# recorded cursors open with 0x01 and a millisecond timestamp. Its exact layout: UNCONFIRMED.
CURSOR = struct.Struct(">BQQ")


@dataclass(frozen=True, slots=True)
class View:
    """How a query reads one stored record: its free text, its facets, its `@` attributes, and
    how a page's last record becomes the next page's cursor."""

    text: Callable[[dict[str, Any]], str]
    facets: dict[str, Callable[[dict[str, Any]], Any]]
    attributes: Callable[[dict[str, Any]], Any]
    encode: Callable[[tuple[int, int]], str]


class SearchError(ValueError):
    """A search Datadog refuses with a 400; the message is the answer's one error."""


@dataclass(frozen=True, slots=True)
class Page:
    query: str
    start_ms: int
    end_ms: int
    descending: bool
    after: tuple[int, int] | None
    limit: int


def instant_ms(value: Any, now: float, name: str) -> int:
    """Milliseconds of a bound: an integer (ms, as the spec says), date math or ISO 8601."""
    ms = _instant_ms(value, now, name)
    if not -MAX_MS < ms < MAX_MS:
        raise SearchError(f"Invalid {name}: {value!r} is past any date")
    return ms


def _instant_ms(value: Any, now: float, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if DIGITS.fullmatch(text):
        return int(text)
    if match := DATE_MATH.match(text):
        offset = int(match["n"] or 0) * UNITS[match["unit"] or "s"]
        return int((now + (offset if match["sign"] == "+" else -offset)) * 1000)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"Invalid {name}: {text!r}") from None
    if when.tzinfo is None:
        raise SearchError(f"Invalid {name}: {text!r} has no time zone")
    return int(when.timestamp() * 1000)


def encode_cursor(key: tuple[int, int]) -> str:
    start_at = base64.urlsafe_b64encode(CURSOR.pack(1, *key)).decode().rstrip("=")
    return base64.b64encode(json.dumps({"startAt": start_at}).encode()).decode()


def decode_cursor(cursor: Any) -> tuple[int, int]:
    try:
        start_at = json.loads(base64.b64decode(str(cursor), validate=True))["startAt"]
        raw = base64.urlsafe_b64decode(start_at + "=" * (-len(start_at) % 4))
        version, ms, event_id = CURSOR.unpack(raw)
    except (ValueError, TypeError, KeyError, binascii.Error, struct.error):
        raise SearchError(BAD_CURSOR) from None
    if version != 1:
        raise SearchError(BAD_CURSOR)
    return ms, event_id


def page_of(
    query: Any,
    bounds: tuple[Any, Any],
    sort: Any,
    cursor: Any,
    limit: Any,
    now: float,
    decode: Callable[[Any], tuple[int, int]] = decode_cursor,
) -> Page:
    """The page a request asks for, from its raw values; SearchError names what is wrong."""
    if not isinstance(query, str):
        raise SearchError("Invalid filter query: expected a string")
    if sort not in SORTS:
        raise SearchError(f"Invalid sort: {sort!r}, expected one of {list(SORTS)}")
    if isinstance(limit, str) and DIGITS.fullmatch(limit.strip()):
        limit = int(limit)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"Invalid page limit: must be between 1 and {MAX_LIMIT}")
    start, end = (instant_ms(v, now, n) for v, n in zip(bounds, ("from", "to"), strict=True))
    after = decode(cursor) if cursor not in (None, "") else None
    return Page(query, start, end, sort == "-timestamp", after, limit)


def key_of(event: dict[str, Any]) -> tuple[int, int]:
    return int(event["ts_ms"]), int(event["id"])


def select(
    events: Iterable[dict[str, Any]], page: Page, view: View | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The page's records in order, and the cursor of the next page (None on the last)."""
    view = view or EVENTS
    match = matcher(page.query, view)
    found = [e for e in events if page.start_ms <= e["ts_ms"] <= page.end_ms and match(e)]
    found.sort(key=key_of, reverse=page.descending)
    if page.after is not None:
        after = page.after
        found = [e for e in found if (key_of(e) < after if page.descending else key_of(e) > after)]
    hits = found[: page.limit]
    return hits, view.encode(key_of(hits[-1])) if len(found) > page.limit else None


def matcher(query: str, view: View | None = None) -> Callable[[dict[str, Any]], bool]:
    """A record predicate for the query: `OR` of `AND`s of (possibly negated) terms."""
    alternatives = [_terms(part) for part in re.split(r"\s+OR\s+", query.strip())]
    seen = view or EVENTS

    def match(event: dict[str, Any]) -> bool:
        return any(all(_term(seen, event, t) != negated for t, negated in a) for a in alternatives)

    return match


def _terms(text: str) -> list[tuple[str, bool]]:
    terms, negate = [], False
    for token in TOKEN.findall(text):
        if token == "NOT":
            negate = True
            continue
        if token not in ("AND", "*", "(", ")"):
            negated = negate or (token.startswith("-") and len(token) > 1)
            terms.append((token[1:] if token.startswith("-") else token, negated))
        negate = False
    return terms


def _like(value: Any, pattern: str) -> bool:
    return isinstance(value, str) and fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _term(view: View, event: dict[str, Any], term: str) -> bool:
    if term.startswith('"'):
        return term.strip('"').lower() in view.text(event).lower()
    name, colon, value = term.partition(":")
    if not colon:
        return _like(view.text(event), f"*{term}*")
    if name in view.facets:
        return _like(view.facets[name](event), value)
    if name.startswith("@"):
        return _like(_attribute(view.attributes(event), name[1:]), value)
    wanted = value if name in ("tags", "tag") else term
    return any(_like(tag, wanted) for tag in event["tags"])


def _attribute(found: Any, path: str) -> Any:
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return found if isinstance(found, str) else None if found is None else json.dumps(found)


EVENTS = View(
    lambda e: f"{e['title']}\n{e['text']}",
    FACETS,
    lambda e: (e.get("v2") or {}).get("attributes") or {},
    encode_cursor,
)
