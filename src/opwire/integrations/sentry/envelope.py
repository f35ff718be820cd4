"""Envelope parsing for the Sentry mock (develop.sentry.dev/sdk/envelopes/).

`Envelope = Headers { "\\n" Item } [ "\\n" ]`, `Item = Headers "\\n" Payload`; an item header's
`length` (bytes) wins, else the payload runs to the next newline. Headers are parsed as Relay's
serde_json does: a header nested past the parser's depth, or holding a lone surrogate
(`"\\ud800"`), is not JSON, and neither is a `length` of `true` (a bool is not a number). The
body is walked by offset, so an envelope of many items parses in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from opwire.mock.state import strict_json

ITEM_LIMITS = {
    "event": 1 << 20,
    "transaction": 1 << 20,
    "check_in": 100 << 10,
    "client_report": 4 << 10,
}
EVENT_TYPES = ("event", "transaction")  # mutually exclusive in one envelope
_CONTENT = re.compile(rb"\S")  # what bytes.strip() would not strip


class EnvelopeError(ValueError):
    """Relay's 400: `detail` and `causes` for the JSON body."""

    def __init__(self, detail: str, *causes: str) -> None:
        super().__init__(detail)
        self.detail, self.causes = detail, list(causes)


@dataclass(slots=True)
class Item:
    headers: dict[str, Any]
    payload: bytes


@dataclass(slots=True)
class Envelope:
    headers: dict[str, Any]
    items: list[Item] = field(default_factory=list)

    def event(self) -> Item | None:
        """The envelope's event or transaction item (it may hold one of them, once)."""
        return next((i for i in self.items if i.headers.get("type") in EVENT_TYPES), None)


def _json_line(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = strict_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError("invalid event envelope", f"invalid {what}: {exc}") from None
    if not isinstance(value, dict):
        raise EnvelopeError("invalid event envelope", f"{what} is not a JSON object")
    return value


def _line(body: bytes, start: int) -> tuple[bytes, int]:
    """The line from `start` and the offset past its newline (the body's end when it has none)."""
    newline = body.find(b"\n", start)
    return (body[start:], len(body)) if newline < 0 else (body[start:newline], newline + 1)


def parse(body: bytes) -> Envelope:
    head, at = _line(body, 0)
    envelope = Envelope(_json_line(head, "envelope header"))
    while _CONTENT.search(body, at):  # what is left is more than whitespace
        line, at = _line(body, at)
        headers = _json_line(line, "item header")
        payload, at = _payload(headers, body, at)
        _check_item(envelope, headers, payload)
        envelope.items.append(Item(headers, payload))
    return envelope


def _payload(headers: dict[str, Any], body: bytes, at: int) -> tuple[bytes, int]:
    length = headers.get("length")
    if length is None:
        return _line(body, at)
    if isinstance(length, bool) or not isinstance(length, int):
        raise EnvelopeError("invalid event envelope", "item length is not a number")
    if length < 0 or length > len(body) - at:
        raise EnvelopeError("invalid event envelope", "item length exceeds the envelope")
    end = at + length
    return body[at:end], end + 1 if body[end : end + 1] == b"\n" else end


def _check_item(envelope: Envelope, headers: dict[str, Any], payload: bytes) -> None:
    kind = headers.get("type")
    if not isinstance(kind, str):
        raise EnvelopeError("invalid event envelope", "item header has no type")
    if kind in EVENT_TYPES and envelope.event() is not None:
        raise EnvelopeError("invalid event envelope", "duplicate event item")
    limit = ITEM_LIMITS.get(kind)
    if limit is not None and len(payload) > limit:
        raise EnvelopeError(
            f"envelope exceeded size limits for type '{kind}' "
            "(https://develop.sentry.dev/sdk/envelopes/#size-limits)"
        )
