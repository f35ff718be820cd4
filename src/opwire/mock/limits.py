"""What a client can make a mock hold: request bodies, stored entries, and the vendors' answers to
a body that is too large.

A mock is a long-lived process that anyone on the machine can talk to; each cap keeps one client
from growing it without end. Caps are generous next to the vendors' own limits, so a faithful
client never meets one; an entry dropped from a store is counted, and `/_opwire/health` shows the
counts (a read-back that misses an old artifact can tell "dropped by the mock" from "never
arrived").

Pages followed for the too-large answers (one table, `TOO_LARGE`, so an UNCONFIRMED fact is easy
to correct): vendor-contracts.md § 1.4 (Datadog 413 "Payload too large"), § 2.3 (Relay 413),
§ 3.3 (PagerDuty 512 KB), § 5.3 (Slack's bare-word bodies), § 6.4 (Splunk's {text, code} bodies);
moby/moby#33268 (Splunk HEC answers 413 past limits.conf [http_input] max_content_length);
getsentry/relay relay-server/src/endpoints/common.rs (`failed to read request body`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from starlette.responses import Response

# Raw (still compressed) bytes of one request body: above the compressed limits the rooms enforce
# themselves (Datadog v1 3.2 MB, PagerDuty 512 KB), under Sentry's older 20 MB envelope limit,
# which nothing opwire sends comes near. Decompressed limits are each room's (decode_body).
BODY_CAP = 16 << 20
# A refused body is still read (and dropped, never held) up to this many bytes, so a client busy
# sending reads the refusal instead of a connection reset; past it the mock answers and closes.
DRAIN_CAP = 64 << 20
# Entries in one store, and the weight (about the bytes of client data) it may hold.
ENTRIES = 10_000
WEIGHT = 64 << 20
# Stores that only the control routes grow (registered credentials, tokens, hooks, channels).
CONFIGURED = 1_000

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class TooLargeAnswer:
    """A vendor's answer to a request body past its limit."""

    status: int
    body: str
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> Response:
        # Connection: close, as RFC 9110 § 15.5.14 allows: the rest of the body is not wanted.
        headers = {"connection": "close", **dict(self.headers)}
        return Response(self.body, self.status, headers, media_type=self.content_type)


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


TOO_LARGE: dict[str, TooLargeAnswer] = {
    # Status and words from the v2 spec (413 "Payload too large"); the exact body UNCONFIRMED.
    "datadog": TooLargeAnswer(413, _json({"errors": ["Payload too large"]}), "application/json"),
    # 413 per the contract (sentry-python drops the event on it); the body is UNCONFIRMED: Relay's
    # "failed to read request body" with actix's overflow cause, as Relay answered before axum.
    "sentry": TooLargeAnswer(
        413,
        _json(
            {"detail": "failed to read request body", "causes": ["A payload reached size limit."]}
        ),
        "application/json",
        (("x-sentry-error", "failed to read request body"),),
    ),
    # PagerDuty documents only the 512 KB limit; the mock's answer past it is its 400
    # "invalid event" (wording UNCONFIRMED, as the room's TEXTS says).
    "pagerduty": TooLargeAnswer(
        400,
        _json(
            {
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": ["Event object is too large (maximum 512 KB)"],
            }
        ),
        "application/json",
    ),
    # No limit or answer documented: 413 in Opsgenie's standard body shape, UNCONFIRMED.
    "opsgenie": TooLargeAnswer(
        413,
        _json({"message": "Request entity too large", "took": 0.0, "requestId": "too-large"}),
        "application/json",
    ),
    # Webhooks answer bare words; the 413 and its word are UNCONFIRMED.
    "slack": TooLargeAnswer(413, "request_too_large", "text/plain; charset=utf-8"),
    # 413 observed (moby/moby#33268); the body UNCONFIRMED. HEC always answers `{text, code}`;
    # the reply-code table has no size code, so `code` is the HTTP status, as splunkd's own
    # not-found answer (`{"text":"The requested URL was not found on this server.","code":404}`).
    "splunk": TooLargeAnswer(
        413, _json({"text": "Request entity too large", "code": 413}), "application/json"
    ),
}
# The control routes are opwire's own, so their refusal is opwire's shape.
CONTROL_TOO_LARGE = TooLargeAnswer(
    413, _json({"error": f"request body exceeds {BODY_CAP} bytes"}), "application/json"
)


class CappedList(list[T]):
    """A list that keeps the newest entries: at most `cap`, at most `budget` total weight.

    Only `append`, `extend` and `clear` may change it (weights are kept beside the entries);
    every entry dropped from the front is counted in `dropped[name]`."""

    def __init__(self, name: str, dropped: Counter[str], cap: int = ENTRIES, budget: int = WEIGHT):
        super().__init__()
        self.name, self.dropped, self.cap, self.budget = name, dropped, cap, budget
        self.dropped[name] += 0  # listed in health from the start
        self._weights: list[int] = []
        self.weight = 0

    def append(self, item: T, weight: int = 0) -> None:
        super().append(item)
        self._weights.append(weight)
        self.weight += weight
        self._trim()

    def extend(self, items: Iterable[T], weight: int = 0) -> None:
        """Append each item with the same weight."""
        for item in items:
            super().append(item)
            self._weights.append(weight)
            self.weight += weight
        self._trim()

    def clear(self) -> None:
        super().clear()
        self._weights.clear()
        self.weight = 0

    def _trim(self) -> None:
        excess, freed = 0, 0
        while len(self) - excess > 1 and (
            len(self) - excess > self.cap or self.weight - freed > self.budget
        ):
            freed += self._weights[excess]
            excess += 1
        if excess:
            self.weight -= freed
            del self[:excess]
            del self._weights[:excess]
            self.dropped[self.name] += excess


class CappedDict(dict[K, V]):
    """A dict that keeps the newest keys (insertion order): at most `cap`, at most `budget`.

    Set entries with `put` (or `[key] = value`, `setdefault`); the oldest are dropped, counted in
    `dropped[name]`, and returned by `put` so the caller can let go of what pointed at them."""

    def __init__(self, name: str, dropped: Counter[str], cap: int = ENTRIES, budget: int = WEIGHT):
        super().__init__()
        self.name, self.dropped, self.cap, self.budget = name, dropped, cap, budget
        self.dropped[name] += 0
        self._weights: dict[K, int] = {}
        self.weight = 0

    def put(self, key: K, value: V, weight: int = 0) -> list[tuple[K, V]]:
        self.weight += weight - self._weights.get(key, 0)
        self._weights[key] = weight
        super().__setitem__(key, value)
        return self._trim(key)

    def __setitem__(self, key: K, value: V) -> None:
        self.put(key, value)

    def setdefault(self, key: K, default: V) -> V:
        if key not in self:
            self.put(key, default)
        return self[key]

    def pop(self, key: K, *default: V) -> V:  # type: ignore[override]
        self.weight -= self._weights.pop(key, 0)
        return super().pop(key, *default)

    def __delitem__(self, key: K) -> None:
        self.weight -= self._weights.pop(key, 0)
        super().__delitem__(key)

    def clear(self) -> None:
        super().clear()
        self._weights.clear()
        self.weight = 0

    def _trim(self, newest: K) -> list[tuple[K, V]]:
        gone: list[tuple[K, V]] = []
        while len(self) > 1 and (len(self) > self.cap or self.weight > self.budget):
            key = next(iter(self))
            if key == newest:
                break
            gone.append((key, self.pop(key)))
        self.dropped[self.name] += len(gone)
        return gone
