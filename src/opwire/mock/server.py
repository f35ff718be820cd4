"""Serve mock apps on loopback, each in a uvicorn server on its own thread (in-process stack)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType

import uvicorn

from opwire.config import ConfigError, host_for_url
from opwire.integrations import load
from opwire.mock.tls import TlsFiles


class MockServer:
    """One mock app on host:port (port 0 = an ephemeral port), served from a daemon thread."""

    def __init__(
        self, slug: str, host: str = "127.0.0.1", port: int = 0, tls: TlsFiles | None = None
    ) -> None:
        self.slug, self.host, self.tls = slug, host, tls
        self._socket = _bind(host, port, slug)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            load(slug).create_app(),
            ssl_certfile=str(tls.cert_path) if tls else None,
            ssl_keyfile=str(tls.key_path) if tls else None,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"opwire-mock-{slug}", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        await self._server.serve(sockets=[self._socket])
        # Connections closed during shutdown finish their TLS close on the next loop turns;
        # without this the loop ends first and leaves their sockets to the garbage collector.
        await asyncio.sleep(0.05)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host_for_url(self.host)}:{self.port}"

    def start(self, timeout: float = 10.0) -> MockServer:
        self.launch()
        return self.wait_started(timeout)

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


def _bind(host: str, port: int, slug: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
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
    sock.listen(128)
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
        # Launch all, then wait: the servers start (and below, stop) side by side.
        for server in self.servers.values():
            server.launch()
        for server in self.servers.values():
            server.wait_started()
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
