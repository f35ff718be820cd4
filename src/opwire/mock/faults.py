"""Fault rules: ordered, first match wins; each answers, delays or hangs, for N requests or always.

A rule is JSON posted to `/_opwire/faults`:
`{"method": "POST", "path": "/services/*", "status": 429, "body": "rate_limited",
  "headers": {"Retry-After": "1"}, "latency_ms": 0, "hang": false, "times": 2}`.
`path` is a glob (fnmatch); `method` "*" matches any; `times` null means every request;
`skip` lets that many matching requests through first ("the third call fails"). Rules with the
same `share` name spend one `times` count between them: "the first 3 requests are throttled",
each answered in the shape of the API it went to.
Answers can misbehave on the wire: `drip_ms` sends the body a byte at a time, `truncate` promises
more bytes than it sends and closes (a reset mid-response), `body_repeat` makes a huge body.

Both are bounded, so a client cannot make the mock hold what it cannot answer: at most
`MAX_RULES` rules at once, and `body` times `body_repeat` at most `REPEAT_CAP` bytes (it is sent
in pieces, never built whole).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

_FIELDS = {
    "method",
    "path",
    "status",
    "body",
    "headers",
    "content_type",
    "latency_ms",
    "hang",
    "times",
    "skip",
    "drip_ms",
    "truncate",
    "body_repeat",
    "share",
}


MAX_RULES = 256
REPEAT_CAP = 64 << 20  # bytes of a repeated body: past the client's 8 MiB answer cap, with room


class FaultError(ValueError):
    """A malformed fault rule; the control route answers 400 with this text."""


@dataclass(slots=True)
class FaultRule:
    method: str = "*"
    path: str = "*"
    status: int | None = None
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain; charset=utf-8"
    latency_ms: int = 0
    hang: bool = False
    times: int | None = None
    skip: int = 0
    drip_ms: int = 0
    truncate: bool = False
    body_repeat: int = 1
    share: str = ""
    hits: int = 0
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        method_ok = self.method == "*" or self.method.upper() == method.upper()
        return method_ok and fnmatch.fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_rule(data: Any) -> FaultRule:
    if not isinstance(data, Mapping):
        raise FaultError("a fault rule is a JSON object")
    unknown = set(data) - _FIELDS
    if unknown:
        raise FaultError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    rule = FaultRule(**dict(data))
    _check(rule)
    return rule


def _check(rule: FaultRule) -> None:
    if not isinstance(rule.method, str) or not isinstance(rule.path, str):
        raise FaultError("method and path are strings")
    if rule.status is not None and not (isinstance(rule.status, int) and 100 <= rule.status < 600):
        raise FaultError("status is an HTTP status between 100 and 599")
    if not isinstance(rule.body, str) or not isinstance(rule.content_type, str):
        raise FaultError("body and content_type are strings")
    if not isinstance(rule.headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in rule.headers.items()
    ):
        raise FaultError("headers is an object of strings")
    if not isinstance(rule.latency_ms, int) or not 0 <= rule.latency_ms <= 600_000:
        raise FaultError("latency_ms is a whole number from 0 to 600000")
    if rule.times is not None and (not isinstance(rule.times, int) or rule.times < 1):
        raise FaultError("times is a positive whole number or null")
    if not isinstance(rule.skip, int) or rule.skip < 0:
        raise FaultError("skip is a whole number, 0 or more")
    if not isinstance(rule.drip_ms, int) or not 0 <= rule.drip_ms <= 60_000:
        raise FaultError("drip_ms is a whole number from 0 to 60000")
    if not isinstance(rule.truncate, bool):
        raise FaultError("truncate is true or false")
    if not isinstance(rule.body_repeat, int) or not 1 <= rule.body_repeat <= 100_000_000:
        raise FaultError("body_repeat is a whole number from 1 to 100000000")
    if len(rule.body.encode()) * rule.body_repeat > REPEAT_CAP:
        raise FaultError(f"body times body_repeat is at most {REPEAT_CAP} bytes")
    if not isinstance(rule.hang, bool):
        raise FaultError("hang is true or false")
    if not isinstance(rule.share, str) or len(rule.share) > 100:
        raise FaultError("share is a name (a string of at most 100 characters)")
    if rule.share and rule.times is None:
        raise FaultError("share needs times: the count its rules spend together")
    if rule.status is None and not rule.hang and not rule.latency_ms:
        raise FaultError("a rule needs at least one of status, hang or latency_ms")


def _shared_spent(rules: list[FaultRule], rule: FaultRule) -> bool:
    """True when `rule` shares its count and the rules of its `share` have used it up."""
    if not rule.share or rule.times is None:
        return False
    return sum(r.hits for r in rules if r.share == rule.share) >= rule.times


def add_rules(held: list[FaultRule], new: list[FaultRule]) -> None:
    """Append `new` after `held`, or raise FaultError (and add none) past MAX_RULES."""
    counts = {r.share: r.times for r in held if r.share}
    for rule in new:
        if rule.share and counts.setdefault(rule.share, rule.times) != rule.times:
            raise FaultError(f"the rules that share {rule.share!r} must have the same times")
    if len(held) + len(new) > MAX_RULES:
        raise FaultError(
            f"at most {MAX_RULES} fault rules at once ({len(held)} held, {len(new)} more asked): "
            "DELETE /_opwire/faults first"
        )
    held.extend(new)


def first_match(rules: list[FaultRule], method: str, path: str) -> FaultRule | None:
    for rule in rules:
        if rule.matches(method, path) and not _shared_spent(rules, rule):
            rule.seen += 1
            if rule.seen <= rule.skip:
                if rule.share:
                    return None  # skipped by its share: through, not to a sibling's answer
                continue
            rule.hits += 1
            return rule
    return None
