"""The suite's network guard: nothing but loopback, not even a DNS lookup of a vendor host.

Installed for the whole session in this process (conftest.py) and, through
`_netguard/sitecustomize.py` on PYTHONPATH, in every opwire subprocess a test starts with
`clean_env()`. A lookup of a non-local name, or a connect or datagram to a non-loopback address,
is refused on the spot (OSError, so nothing leaves the machine) and recorded; the test that did
it fails at teardown, even when the code under test swallowed the error as a diagnosis.
A test that runs a process inside a network namespace it made itself sets OPWIRE_NETGUARD=off
for that process: there, nothing can leave by construction.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from typing import Any

LOCAL_NAMES = frozenset({"", "localhost", "localhost.localdomain", "ip6-localhost"})
# Bind addresses (a server listening), never destinations.
WILDCARDS = frozenset({"0.0.0.0", "::"})
LOG_VARIABLE = "OPWIRE_NETGUARD_LOG"

violations: list[str] = []
_log_to_file = False


def local(host: object) -> bool:
    """True for loopback addresses and names, and for bind-all addresses."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    text = str(host).strip("[]").split("%", 1)[0].lower()
    if text in LOCAL_NAMES or text in WILDCARDS:
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> OSError:
    message = f"network guard: {what} (tests reach loopback only)"
    violations.append(message)
    path = os.environ.get(LOG_VARIABLE) if _log_to_file else None
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(message + "\n")
    return OSError(f"[netguard] {message}")


def _address_host(address: Any) -> object:
    return address[0] if isinstance(address, tuple) and address else None


def install(*, log_to_file: bool = False) -> None:
    """Wrap the stdlib's lookup and connect calls once; idempotent. A subprocess records what
    it refused in the file named by OPWIRE_NETGUARD_LOG, for the test that started it."""
    global _log_to_file
    _log_to_file = log_to_file
    if getattr(socket, "_opwire_netguard", False):
        return
    socket._opwire_netguard = True  # type: ignore[attr-defined]
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not local(host):
            raise _refuse(f"DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    for name in ("connect", "connect_ex", "sendto"):
        _wrap(name, getattr(socket.socket, name))


def _wrap(name: str, real: Callable[..., Any]) -> None:
    def guarded(self: socket.socket, *args: Any) -> Any:
        address = args[-1] if args else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and not local(_address_host(address)):
            raise _refuse(f"{name} to {address!r}")
        return real(self, *args)

    setattr(socket.socket, name, guarded)
