"""The suite's network guard itself: an outside lookup or connect is stopped and fails the test."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

import netguard
from conftest import clean_env


def test_an_outside_lookup_is_refused_and_recorded(network_guard: list[str]) -> None:
    with pytest.raises(OSError, match="network guard"):
        socket.getaddrinfo("api.datadoghq.com", 443)
    assert any("api.datadoghq.com" in v for v in network_guard)
    network_guard.clear()  # this test meant to trip it


def test_a_connect_beyond_loopback_is_refused(network_guard: list[str]) -> None:
    with socket.socket() as sock, pytest.raises(OSError, match="network guard"):
        sock.connect(("192.0.2.10", 443))  # TEST-NET-1: never sent, the guard stops it first
    assert network_guard
    network_guard.clear()


def test_loopback_is_allowed() -> None:
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert netguard.local("::1") and netguard.local("[::1]") and not netguard.local("10.1.2.3")


def test_a_subprocess_started_with_clean_env_is_guarded_too() -> None:
    code = "import socket; socket.getaddrinfo('hooks.slack.com', 443)"
    env = clean_env(OPWIRE_NETGUARD_LOG="")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "network guard: DNS lookup of 'hooks.slack.com'" in done.stderr
