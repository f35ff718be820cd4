"""Splunk HEC's request checks: the reply-code table, tokens' settings, and how a body of
concatenated JSON events is read and each event validated.

Pages followed: help.splunk.com "Format events for HTTP Event Collector" (batches of
concatenated objects; `event` required and not blank; `fields` values a string or an array of
strings; `time` epoch seconds), "Troubleshoot HTTP Event Collector" (codes 0–22,
shared/specs/splunk/splunkadmins_hec_reply_code_lookup.csv); vendor-contracts § 6.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from opwire.integrations.splunk.search import TIME_RANGE
from opwire.mock.state import STRICT_JSON, holds_surrogate

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
# code -> (HTTP status, text), from the reply-code table (shared/specs/splunk CSV).
CODES = {
    0: (200, "Success"),
    1: (403, "Token disabled"),
    2: (401, "Token is required"),
    3: (401, "Invalid authorization"),
    4: (403, "Invalid token"),
    5: (400, "No data"),
    6: (400, "Invalid data format"),
    7: (400, "Incorrect index"),
    8: (500, "Internal server error"),
    9: (503, "Server is busy"),
    10: (400, "Data channel is missing"),
    11: (400, "Invalid data channel"),
    12: (400, "Event field is required"),
    13: (400, "Event field cannot be blank"),
    14: (400, "ACK is disabled"),
    15: (400, "Error in handling indexed fields"),
    16: (400, "Query string authorization is not enabled"),
    17: (200, "HEC is healthy"),
    18: (503, "HEC is unhealthy, queues are full"),
    19: (503, "HEC is unhealthy, ack service unavailable"),
    20: (503, "HEC is unhealthy, queues are full, ack service unavailable"),
    21: (400, "Invalid token"),
    22: (400, "Token disabled"),
}
HEALTH = {"healthy": 17, "queues_full": 18, "ack_unavailable": 19, "both": 20}
# HEC facts no Splunk page settled, each the most likely reading (third-party emulators and a
# published interop run against a Splunk container), kept in one place.
UNCONFIRMED = {
    "invalid-event-number": "counts from 0 (emulators; an interop run saw the same)",
    "bad time": "code 6 Invalid data format (the nearest row of the reply-code table)",
    "event null or false": "code 6; a blank or whitespace-only string code 13 (interop run)",
    "time magnitude": "13 digits read as milliseconds, 16 as microseconds, 19 as nanoseconds",
    "time range": "a time before 1970 or past the year 9999 is code 6",
    "unknown HEC path": "404 {text: The requested URL was not found on this server., code: 404}",
    "HEC trailing slash": "not routed: the same 404 as an unknown path",
    "queues full": "event and raw intake answer 503 code 9 while /health says 18 or 20",
}
EVENT_NUMBER_BASE = 0


class HecError(Exception):
    def __init__(self, code: int, event_number: int | None = None) -> None:
        super().__init__(CODES[code][1])
        self.code, self.event_number = code, event_number


@dataclass(slots=True)
class Token:
    disabled: bool = False
    ack: bool = False
    indexes: list[str] | None = None
    default_index: str = "main"
    # an event's source and sourcetype when it names none (a named token's http:<name>)
    source: str = "http:opwire-mock"
    sourcetype: str = "httpevent"
    # deleted or replaced through data/inputs/http: HEC's 403 code 4, not the any-GUID default
    revoked: bool = False


def objects(text: str) -> list[Any]:
    """Concatenated JSON objects, optional whitespace between: no array, no commas."""
    decoder, at = STRICT_JSON, 0
    found: list[Any] = []
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return found
        try:
            value, at = decoder.raw_decode(text, at)
        except (ValueError, RecursionError):
            raise HecError(6, len(found) + EVENT_NUMBER_BASE) from None
        if holds_surrogate(value):  # text no answer can carry: as strict_json, invalid data
            raise HecError(6, len(found) + EVENT_NUMBER_BASE)
        found.append(value)


def fields_ok(fields: Any) -> bool:
    if not isinstance(fields, dict):
        return False
    return all(
        isinstance(v, str | int | float)
        or (isinstance(v, list) and all(isinstance(i, str) for i in v))
        for v in fields.values()
    )


def checked_item(n: int, item: Any, token: Token) -> dict[str, Any]:
    number = n + EVENT_NUMBER_BASE
    if not isinstance(item, dict):
        raise HecError(6, number)
    if "event" not in item:
        raise HecError(12, number)
    if item["event"] is None or item["event"] is False:
        raise HecError(6, number)
    if isinstance(item["event"], str) and not item["event"].strip():
        raise HecError(13, number)
    index = item.get("index", token.default_index)
    if token.indexes is not None and index not in token.indexes:
        raise HecError(7, number)
    if "fields" in item and not fields_ok(item["fields"]):
        raise HecError(15, number)
    if not time_ok(item.get("time")):
        # HEC's answer to an unreadable time is UNCONFIRMED; "Invalid data format" is the nearest
        # row of the reply-code table (and a 500 here was the mock's bug, not HEC's).
        raise HecError(6, number)
    return item


def epoch(value: Any, now: float) -> float:
    """Event time as epoch seconds; HEC reads a long integer by its magnitude (UNCONFIRMED)."""
    if value is None or value == "":
        return now
    seconds = float(value)
    for digits, scale in ((19, 1e9), (16, 1e6), (13, 1e3)):
        if abs(seconds) >= 10 ** (digits - 1):
            return seconds / scale
    return seconds


def time_ok(value: Any) -> bool:
    """An event time HEC can read: absent, or epoch seconds as a number or a numeric string."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        return math.isfinite(float(value)) and 0 <= epoch(value, 0) < TIME_RANGE
    except (ValueError, OverflowError):
        return False
