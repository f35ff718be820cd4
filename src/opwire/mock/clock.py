"""The mock's clock: real time plus an offset that `POST /_opwire/clock {"advance_s": 5}` moves.

Every time-based behaviour of a mock reads it (processing and indexing delays, rate-limit windows,
the timestamps it stamps), so a test waits out a 30 s vendor delay by advancing the clock, never
by sleeping, and the mock's timestamps stay consistent with its delays. `wall` and `ticks` are
injectable (a test may hold time still); the offset is added to both. After sentry-python's
rate-limit parsing, driven in its tests by a fixed clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from opwire.mock.values import number

# Far enough for any vendor delay a scenario sets (1e9 s means "never"), small enough that unix
# seconds stay exact to the microsecond in a float.
MAX_ADVANCE_S = 10 * 365 * 86400.0


@dataclass(slots=True)
class MockClock:
    wall: Callable[[], float] = time.time
    ticks: Callable[[], float] = time.monotonic
    offset_s: float = 0.0

    def now(self) -> float:
        """Unix seconds, as the mock's timestamps show them."""
        return self.wall() + self.offset_s

    def monotonic(self) -> float:
        """Seconds that never go back: what delays and rate windows are measured in."""
        return self.ticks() + self.offset_s

    def advance(self, seconds: float) -> None:
        self.offset_s += checked_advance(seconds)

    def reset(self) -> None:
        self.offset_s = 0.0


def checked_advance(value: object) -> float:
    """`value` as seconds to move forward, or ControlError: time only goes forward."""
    return number(value, "advance_s", maximum=MAX_ADVANCE_S)
