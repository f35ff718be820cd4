"""What one mock holds besides its vendor's state: the request log, fault rules, region
registrations and switched-on scenarios; and the small helpers every room's handlers share.

The recorder (mock/app.py) and the control routes (mock/control.py) both read this state, so it
lives below both of them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.mock.clock import MockClock
from opwire.mock.faults import MAX_RULES, FaultRule
from opwire.mock.inventory import Inventory
from opwire.mock.limits import BODY_CAP, CONFIGURED, CappedDict, CappedList, TooLargeAnswer
from opwire.mock.scenarios import Scenario

CONTROL = "/_opwire"
# The request log keeps the newest entries, at most this many and about this many body bytes.
LOG_ENTRIES, LOG_WEIGHT = 2000, 16 << 20


def fingerprint(credential: str) -> str:
    """A stable, non-reversible tag of a credential: which key was used, not what it is."""
    return "sha256:" + hashlib.sha256(credential.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Incoming:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


# A vendor tells the recorder which credential a request carried (None: none).
CredentialOf = Callable[[Incoming], str | None]


WrongRegion = Callable[[Incoming], Response]


@dataclass(slots=True)
class MockState:
    slug: str
    vendor: Any
    new_vendor_state: Callable[[], Any]
    too_large: TooLargeAnswer
    # What the vendor state holds, as /_opwire/state and /_opwire/counts list it.
    inventory: Inventory
    body_cap: int = BODY_CAP
    faults: list[FaultRule] = field(default_factory=list)
    seq: int = 0
    region: str = ""
    wrong_region: WrongRegion | None = None
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    # How many entries each capped store of this mock has dropped, oldest first.
    dropped: Counter[str] = field(default_factory=Counter)
    # What every time-based behaviour reads: real time plus what /_opwire/clock advanced.
    clock: MockClock = field(default_factory=MockClock)
    requests: CappedList[dict[str, Any]] = field(init=False)
    # credential -> the region it belongs to; "*" holds for every credential (a scenario).
    credential_regions: CappedDict[str, str] = field(init=False)
    active: CappedList[str] = field(init=False)

    def __post_init__(self) -> None:
        self.requests = CappedList("request_log", self.dropped, LOG_ENTRIES, LOG_WEIGHT)
        self.credential_regions = CappedDict("credentials", self.dropped, CONFIGURED)
        self.active = CappedList("active_scenarios", self.dropped, MAX_RULES)

    def reset(self) -> None:
        self.vendor = self.new_vendor_state()
        self.requests.clear()
        self.faults.clear()
        self.credential_regions.clear()
        self.active.clear()
        self.clock.reset()  # a clean start: nothing is left that an earlier advance aged
        for store in self.dropped:
            self.dropped[store] = 0

    def dropped_counts(self) -> dict[str, int]:
        """Entries dropped per store: this mock's own, then its vendor state's (if it counts)."""
        vendor = getattr(self.vendor, "dropped", None)
        return {**self.dropped, **(vendor if isinstance(vendor, Counter) else {})}

    def foreign(self, credential: str | None) -> bool:
        """True when the credential is registered to another region than this instance's."""
        home = self.credential_regions.get(credential or "", self.credential_regions.get("*"))
        return self.wrong_region is not None and home is not None and home != self.region


def mock_state(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


def clock_of(request: Request) -> MockClock:
    """The clock of the mock that `request` came to."""
    return mock_state(request).clock


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is past a double")
    return value


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# JSON as the vendors' parsers read it (RFC 8259): Python's json also takes NaN, Infinity and
# 1e400 (read as infinity), which no vendor accepts, and which a mock that stored them could
# not write back out (starlette's JSON answers refuse non-finite numbers).
STRICT_JSON = json.JSONDecoder(parse_float=_finite, parse_constant=_not_json)


def strict_json(text: str | bytes) -> Any:
    """Parse JSON text strictly (see STRICT_JSON); ValueError when it is not JSON, or nests
    deeper than Python's parser goes, or holds a lone surrogate (`"\\ud800"`: text no UTF-8
    answer can carry, so a mock that stored it could never write it back; Relay's serde_json and
    PHP's json_decode refuse it too; that every vendor does is UNCONFIRMED)."""
    if isinstance(text, bytes):  # as json.loads reads bytes: UTF-8, -16 or -32
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    try:
        document = STRICT_JSON.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if holds_surrogate(document):
        raise ValueError("a string holds a lone surrogate")
    return document


def holds_surrogate(document: Any) -> bool:
    """Any key or string of the document that UTF-8 cannot encode (walked without recursion)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def json_body(request_body: bytes) -> Any:
    """Parse a JSON body; None when it is not JSON (callers answer with the vendor's error)."""
    try:
        return strict_json(request_body)
    except (ValueError, UnicodeDecodeError):
        return None
