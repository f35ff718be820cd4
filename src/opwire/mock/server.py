"""Serve mock apps on loopback, each in a uvicorn server on its own thread (in-process stack).

Slow and idle clients cannot hold a mock: a request head must arrive within HEAD_TIMEOUT_S (of
the connection, or of the previous answer), and past MAX_CONNECTIONS the longest-idle connections
are closed to make room, so a fresh client is answered while hundreds of sockets sit silent.
When the process runs out of file descriptors, accept errors are reported in one short line,
rate-limited, instead of a traceback for each of asyncio's retries (see `_Listener`).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, TextIO

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from opwire.config import ConfigError, host_for_url
from opwire.integrations import load
from opwire.mock.tls import TlsFiles

HEAD_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256
BACKLOG = 1024
KEEP_ALIVE_S = 5
# Accept errors that mean "out of descriptors or memory": the loop retries each second.
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
REPORT_EVERY_S = 10.0
# After an accept fails for want of resources, further accepts wait this long: less than
# asyncio's one-second retry, so the retry itself tries for real.
ACCEPT_PAUSE_S = 0.5


class MockServer:
    """One mock app on host:port (port 0 = an ephemeral port), served from a daemon thread.

    A context manager: `with MockServer("slack") as server:` stops it however the block ends,
    so a test never leaves a server (its thread and socket) to the garbage collector."""

    def __init__(
        self,
        slug: str,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: TlsFiles | None = None,
        *,
        head_timeout_s: float = HEAD_TIMEOUT_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.slug, self.host, self.tls = slug, host, tls
        self._socket = _bind(host, port, slug)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            load(slug).create_app(),
            http=guarded_protocol(head_timeout_s, max_connections),
            ssl_certfile=str(tls.cert_path) if tls else None,
            ssl_keyfile=str(tls.key_path) if tls else None,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=KEEP_ALIVE_S,
            # Past this, uvicorn answers 503: only when max_connections are all mid-request,
            # since idle ones are closed first (the margin covers closes still in flight).
            limit_concurrency=max_connections + 16,
            backlog=BACKLOG,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"opwire-mock-{slug}", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        reporter = AcceptErrorReporter(self.slug, self._socket)
        asyncio.get_running_loop().set_exception_handler(reporter)
        await self._server.serve(sockets=[self._socket])
        # Connections closed during shutdown finish their TLS close on the next loop turns;
        # without this the loop ends first and leaves their sockets to the garbage collector.
        await asyncio.sleep(0.05)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host_for_url(self.host)}:{self.port}"

    def start(self, timeout: float = 10.0) -> MockServer:
        """Serve, and return once the server answers; a server that does not start is stopped
        before the error is raised, so a failed start leaves no thread or socket behind."""
        try:
            self.launch()
            return self.wait_started(timeout)
        except BaseException:
            self.stop()
            raise

    def launch(self) -> None:
        self._thread.start()

    def wait_started(self, timeout: float = 10.0) -> MockServer:
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.slug} mock did not start on {self.url}")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self.signal_exit()
        self.join()

    def signal_exit(self) -> None:
        self._server.should_exit = True

    def join(self) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._socket.close()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self.stop()


class _Guarded(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for each request head and room made for new
    connections by closing the longest-idle ones. It reads H11Protocol attributes that are not
    public API but have been there since long before uvicorn 0.29 (`cycle`, the request in
    progress; `connections`; `transport`; `loop`); tests/test_mock_bounds.py shows a break."""

    head_timeout_s = HEAD_TIMEOUT_S
    max_connections = MAX_CONNECTIONS
    _head_timer: asyncio.TimerHandle | None = None
    _idle_since = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()
        self._make_room()

    def handle_events(self) -> None:
        super().handle_events()
        if self._busy():
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._idle_since = self.loop.time()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timeout)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        # No request head in time (idle, or a head dripped byte by byte): let the socket go.
        # h11 cannot answer 408 before a request is parsed, so the answer is the close.
        self._head_timer = None
        if not self._busy():
            self.transport.close()

    def _make_room(self) -> None:
        excess = len(self.connections) - self.max_connections
        if excess <= 0:
            return
        idle = [c for c in self.connections if isinstance(c, _Guarded) and not c._busy()]
        idle = sorted((c for c in idle if c is not self), key=lambda c: c._idle_since)
        for connection in idle[:excess]:
            connection.transport.close()


def guarded_protocol(head_timeout_s: float, max_connections: int) -> type[H11Protocol]:
    """The guarded h11 protocol class with these limits (uvicorn takes a class, not a value)."""
    limits = {"head_timeout_s": head_timeout_s, "max_connections": max_connections}
    return type("GuardedH11", (_Guarded,), limits)


class _Listener(socket.socket):
    """A listening socket whose accept() fails for want of resources once per burst.

    asyncio (3.11, selector_events `_accept_connection`) goes on calling accept() after EMFILE
    for the rest of its backlog loop and schedules a retry for every failure, so one burst is
    `backlog` reports and retries, and the retries start more bursts. After one such failure
    accept() says "nothing waiting" for ACCEPT_PAUSE_S: one report and one retry a second."""

    _paused_until = 0.0

    def accept(self) -> tuple[socket.socket, Any]:
        if time.monotonic() < self._paused_until:
            raise BlockingIOError(errno.EAGAIN, "accept paused: out of resources")
        try:
            return super().accept()
        except OSError as exc:
            if exc.errno in RESOURCE_ERRNOS:
                self._paused_until = time.monotonic() + ACCEPT_PAUSE_S
            raise


class AcceptErrorReporter:
    """A loop exception handler: out-of-resource accept errors (EMFILE and the like) become one
    short line on stderr at most every REPORT_EVERY_S, with a count of those not shown; anything
    else goes to asyncio's default handler, which would log a traceback for each."""

    def __init__(
        self, slug: str, listener: socket.socket | None = None, stream: TextIO | None = None
    ) -> None:
        self.slug, self.listener, self.stream = slug, listener, stream
        self.last = -REPORT_EVERY_S
        self.quiet = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        closed = self.listener is not None and self.listener.fileno() == -1
        if isinstance(exc, ValueError) and closed:
            return  # an accept retry still pending when shutdown closed the listener: nothing lost
        if not (isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS):
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self.last < REPORT_EVERY_S:
            self.quiet += 1
            return
        more = f" ({self.quiet} more since the last report)" if self.quiet else ""
        print(
            f"opwire mock {self.slug}: cannot accept connections: {exc.strerror}; "
            f"retrying each second{more}",
            file=self.stream or sys.stderr,
            flush=True,
        )
        self.last, self.quiet = now, 0


def _bind(host: str, port: int, slug: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = _Listener(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Answers go out in two writes (head, body); without NODELAY, Nagle and delayed ACKs add
    # about 40 ms to every keep-alive request. Accepted sockets inherit the option on Linux.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot serve the {slug} mock on {host}:{port}: {exc.strerror} "
            "(is a mock stack already running? stop it, or use --ephemeral)"
        ) from None
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


class MockStack:
    """Several mock servers started and stopped together; a context manager."""

    def __init__(
        self,
        slugs: Iterable[str],
        host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
        tls: TlsFiles | None = None,
    ) -> None:
        self.servers: dict[str, MockServer] = {}
        try:
            for slug in slugs:
                self.servers[slug] = MockServer(slug, host, (ports or {}).get(slug, 0), tls)
        except BaseException:
            self.stop()
            raise

    @property
    def urls(self) -> dict[str, str]:
        return {slug: server.url for slug, server in self.servers.items()}

    def start(self) -> MockStack:
        # Launch all, then wait: the servers start (and below, stop) side by side. If one does
        # not start, all are stopped before the error is raised (`with` never reaches __exit__).
        try:
            for server in self.servers.values():
                server.launch()
            for server in self.servers.values():
                server.wait_started()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.signal_exit()
        for server in self.servers.values():
            server.join()

    def __enter__(self) -> MockStack:
        return self.start()

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        self.stop()
