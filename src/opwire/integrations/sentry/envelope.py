"""Envelope parsing for the Sentry mock (develop.sentry.dev/sdk/envelopes/).

`Envelope = Headers { "\\n" Item } [ "\\n" ]`, `Item = Headers "\\n" Payload`; an item header's
`length` (bytes) wins, else the payload runs to the next newline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ITEM_LIMITS = {
    "event": 1 << 20,
    "transaction": 1 << 20,
    "check_in": 100 << 10,
    "client_report": 4 << 10,
}
EVENT_TYPES = ("event", "transaction")  # mutually exclusive in one envelope


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
        value = json.loads(raw)
    except ValueError as exc:
        raise EnvelopeError("invalid event envelope", f"invalid {what}: {exc}") from None
    if not isinstance(value, dict):
        raise EnvelopeError("invalid event envelope", f"{what} is not a JSON object")
    return value


def parse(body: bytes) -> Envelope:
    newline = body.find(b"\n")
    head, rest = (body, b"") if newline < 0 else (body[:newline], body[newline + 1 :])
    envelope = Envelope(_json_line(head, "envelope header"))
    while rest.strip():
        newline = rest.find(b"\n")
        line, rest = (rest, b"") if newline < 0 else (rest[:newline], rest[newline + 1 :])
        headers = _json_line(line, "item header")
        payload, rest = _payload(headers, rest)
        _check_item(envelope, headers, payload)
        envelope.items.append(Item(headers, payload))
    return envelope


def _payload(headers: dict[str, Any], rest: bytes) -> tuple[bytes, bytes]:
    length = headers.get("length")
    if length is None:
        newline = rest.find(b"\n")
        return (rest, b"") if newline < 0 else (rest[:newline], rest[newline + 1 :])
    if not isinstance(length, int) or length < 0 or length > len(rest):
        raise EnvelopeError("invalid event envelope", "item length exceeds the envelope")
    payload, rest = rest[:length], rest[length:]
    return payload, rest[1:] if rest.startswith(b"\n") else rest


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
