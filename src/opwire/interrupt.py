"""Interrupts end cleanly: SIGINT, SIGTERM and a closed stdout (DESIGN § 3, "Cleanup is
crash-safe").

The first signal stops what creates and lets what cleans up finish: work inside `Stop.scope()`
ends at once (it raises `Interrupted`), work inside `Stop.scope(GRACE_S)` gets up to GRACE_S
after the signal, and a second signal ends that too. The command then exits 128 + the signal's
number (130 SIGINT, 143 SIGTERM). A signal that arrives while nothing runs (before a run starts,
while the summary prints) exits at once with that code: nothing exists yet, or nothing is left.

A closed stdout (`opwire verify | head -1`) is an interrupt too, except that it never exits at
once: the output goes to /dev/null from then on, the run stops as for a signal, and the command
exits 1 (what click does on EPIPE), with no traceback.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from types import FrameType
from typing import IO, Any, TypeVar, cast

from opwire.results import EXIT_FAIL, EXIT_SIGINT, EXIT_SIGTERM

T = TypeVar("T")

# Long enough to resolve a test incident and confirm it (two requests), short enough that a
# person who pressed Ctrl-C does not wait for a hanging vendor.
GRACE_S = 5.0
SIGNALS = {signal.SIGINT: EXIT_SIGINT, signal.SIGTERM: EXIT_SIGTERM}
CLOSED_STDOUT = "closed stdout"


class Interrupted(Exception):
    """The run was told to stop: raised by `Stop.scope` when its time is up, and by `Stop.check`
    where new work (a new test artifact) would begin."""


class Stop:
    """What the interrupts of one command asked so far, and the scopes that obey them.

    A Stop that no signal reaches (the library's default) never interrupts anything."""

    def __init__(self, grace_s: float = GRACE_S) -> None:
        self.grace_s = grace_s
        self.cause = ""  # "SIGINT", "SIGTERM" or CLOSED_STDOUT: the first interrupt's name
        self.code = 0  # the exit code the first interrupt asks for
        self.count = 0
        self._at = 0.0  # the first interrupt, on the monotonic clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting = False  # in `wait()`: the first signal ends the wait, not the command
        self._scopes: list[tuple[asyncio.Timeout, float]] = []
        self._listeners: list[Callable[[], None]] = []

    @property
    def requested(self) -> bool:
        return self.count > 0

    @property
    def hurried(self) -> bool:
        """A second interrupt: nothing waits any more, not even cleanups."""
        return self.count > 1

    def check(self) -> None:
        """Raise Interrupted once a stop was asked: call it before creating anything new."""
        if self.requested:
            raise Interrupted(self.cause)

    def left(self, grace_s: float) -> float:
        """Seconds left of a grace of `grace_s` after the first interrupt (0 once hurried)."""
        if not self.requested:
            return grace_s
        return 0.0 if self.hurried else max(0.0, self._at + grace_s - time.monotonic())

    def exit_code(self, otherwise: int) -> int:
        return self.code if self.requested else otherwise

    def describe(self) -> str:
        """One line for the operator, as each interrupt lands."""
        if self.hurried:
            return f"a second {self.cause}: stopping now, cleanups cut short"
        again = "a second signal skips that" if self.cause != CLOSED_STDOUT else "output discarded"
        return (
            f"{self.cause}: stopping; no new test artifact is created, open ones get up to "
            f"{self.grace_s:g} s to be cleaned up ({again})"
        )

    def on_interrupt(self, listener: Callable[[], None]) -> None:
        """Call `listener` on the event loop after each interrupt that lands during `run`."""
        self._listeners.append(listener)

    def interrupt(self, cause: str, code: int) -> None:
        """Record one interrupt. Outside a run (and after the first, outside a wait) it ends the
        command at once with `code`: nothing is open there to clean up."""
        self._record(cause, code)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._rearm)
        elif not (self._waiting and self.count == 1):
            raise SystemExit(self.code)

    def output_closed(self) -> None:
        """The reader of stdout went away: stop the run as for a signal, never exit at once."""
        self._record(CLOSED_STDOUT, EXIT_FAIL)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._rearm)

    def _record(self, cause: str, code: int) -> None:
        self.count += 1
        if self.count == 1:
            self.cause, self.code, self._at = cause, code, time.monotonic()

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """`asyncio.run(main)`, with the interrupts steering its scopes."""
        return asyncio.run(self._running(main))

    async def _running(self, main: Coroutine[Any, Any, T]) -> T:
        self._loop = asyncio.get_running_loop()
        try:
            return await main
        finally:
            self._loop = None

    def wait(self) -> None:
        """Block until the first interrupt (a server in the foreground)."""
        self._waiting = True
        try:
            # Polled, not a threading.Event: a handler that took the event's lock could find it
            # held by the very wait it interrupted, and hang.
            while not self.requested:
                time.sleep(0.1)
        finally:
            self._waiting = False

    @asynccontextmanager
    async def scope(self, grace_s: float = 0.0) -> AsyncIterator[None]:
        """Work that ends `grace_s` after the first interrupt, and at the second; raises
        Interrupted then. With grace 0 it ends at the first: the place for whatever creates."""
        timeout = asyncio.timeout(None)
        try:
            async with timeout:
                held = (timeout, grace_s)
                self._scopes.append(held)
                try:
                    self._arm(timeout, grace_s)
                    yield
                finally:
                    self._scopes.remove(held)
        except TimeoutError:
            if timeout.expired():  # a deadline of None fires only when an interrupt set one
                raise Interrupted(self.cause) from None
            raise

    def _arm(self, timeout: asyncio.Timeout, grace_s: float) -> None:
        if not self.requested or timeout.expired():
            return
        loop = asyncio.get_running_loop()
        when = loop.time() + self.left(grace_s)
        current = timeout.when()
        if current is None or when < current:
            timeout.reschedule(when)

    def _rearm(self) -> None:
        for timeout, grace_s in list(self._scopes):
            self._arm(timeout, grace_s)
        for listener in self._listeners:
            listener()


def install(grace_s: float = GRACE_S) -> Stop:
    """Route SIGINT and SIGTERM to a new Stop for the rest of this command."""
    stop = Stop(grace_s)

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.interrupt(signal.Signals(signum).name, SIGNALS[signal.Signals(signum)])

    for sig in SIGNALS:
        signal.signal(sig, handle)
    return stop


class _Guarded(io.TextIOBase):
    """A text stream whose closed reader (EPIPE) becomes `Stop.output_closed` and silence: the
    file descriptor is pointed at /dev/null, so nothing is lost loudly at exit either."""

    def __init__(self, stream: IO[str], stop: Stop) -> None:
        self._stream, self._stop, self._gone = stream, stop, False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._closed()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._closed()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def _closed(self) -> None:
        self._gone = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)
        self._stop.output_closed()


def guarded(stream: IO[str], stop: Stop) -> IO[str]:
    """`stream`, with a reader that goes away turned into an interrupt instead of an error."""
    return cast(IO[str], _Guarded(stream, stop))
