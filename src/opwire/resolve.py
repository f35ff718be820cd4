"""Name lookups inside the time budget.

httpx (through anyio) resolves names with `loop.getaddrinfo`, in the event loop's default thread
pool. A resolver that drops queries keeps such a thread for tens of seconds, a cancelled request
does not stop it, and `asyncio.run` waits for the pool at exit: with `--budget 3` the process
took 41 s (issue 8 item 10). Here each lookup runs in its own daemon thread that the request
waits for only as long as its connect timeout allows; a lookup past that is abandoned (the
thread ends on its own, the process does not wait for it) and reported as a DNS failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore import AsyncNetworkBackend, AsyncNetworkStream
from httpcore._backends.anyio import AnyIOBackend

Address = tuple[str, int]


class DnsTimeout(socket.gaierror):
    """The resolver did not answer in time (a gaierror, so the failure reads as DNS)."""


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def lookup(host: str, port: int, timeout: float | None) -> list[Address]:
    """getaddrinfo in a daemon thread, waited for at most `timeout` seconds."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Address]] = loop.create_future()

    def settle(result: list[Address] | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result or [])

    def work() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found = [(str(info[4][0]), port) for info in infos]
            outcome: tuple[list[Address] | None, BaseException | None] = (found, None)
        except OSError as exc:
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name=f"opwire-dns-{host}", daemon=True).start()
    try:
        return await asyncio.wait_for(done, timeout)
    except TimeoutError:
        waited = f"{timeout:.1f} s" if timeout is not None else "its timeout"
        raise DnsTimeout(
            socket.EAI_AGAIN, f"DNS lookup of {host} got no answer in {waited}"
        ) from None


class ResolvingBackend(AsyncNetworkBackend):
    """httpcore's network backend with the lookup above; connects to each address in turn."""

    def __init__(self) -> None:
        self._inner = AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        if _literal(host):
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        started = time.monotonic()
        try:
            addresses = await lookup(host, port, timeout)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return await self._first(addresses, started, timeout, local_address, socket_options)

    async def _first(
        self,
        addresses: list[Address],
        started: float,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[Any] | None,
    ) -> AsyncNetworkStream:
        error: Exception = httpcore.ConnectError("the name resolved to no address")
        for address, port in addresses:
            left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
            try:
                return await self._inner.connect_tcp(
                    address, port, left, local_address, socket_options
                )
            except httpcore.ConnectTimeout:
                raise
            except httpcore.ConnectError as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def install(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Give every transport of `client` (direct and proxied) the resolving backend.

    httpx does not expose httpcore's `network_backend`; its pools keep it in
    `_network_backend`, which is set here once, at the one client factory. A test proves the
    effect (a dropping resolver ends inside the budget), so a rename in httpcore fails loudly.
    """
    backend = ResolvingBackend()
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is not None:
            pool._network_backend = backend
    return client
