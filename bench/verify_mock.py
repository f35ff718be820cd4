"""Median wall time of `opwire verify` in mock mode: against a running stack vs mocks started
in-process for the run. Run by hand (`make bench`); prints medians and ratios, asserts nothing.

Every request goes to 127.0.0.1. Usage: python bench/verify_mock.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from opwire.integrations import IMPLEMENTED
from opwire.mock.server import MockStack

OPWIRE = str(Path(sys.executable).parent / "opwire")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(args: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([OPWIRE, *args], env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"opwire {' '.join(args)} exited {done.returncode}:\n{done.stdout}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "NO_COLOR": "1",
        "OPERATOR_WIRING_ENV_FILE": "/dev/null",  # no .env.local: an empty one
    }
    startup = timed(["--version"], base, runs)
    with MockStack(IMPLEMENTED) as stack:
        running_env = {
            **base,
            **{
                f"OPERATOR_WIRING_MOCK_PORT_{s.upper()}": str(srv.port)
                for s, srv in stack.servers.items()
            },
        }
        running = timed(["verify"], running_env, runs)
    cold_env = {
        **base,
        **{f"OPERATOR_WIRING_MOCK_PORT_{s.upper()}": str(free_port()) for s in IMPLEMENTED},
    }
    in_process = timed(["verify"], cold_env, runs)
    rows = [
        ("opwire --version (start-up floor)", startup),
        ("verify, running mock stack", running),
        ("verify, mocks started in-process", in_process),
    ]
    print(f"integrations: {', '.join(IMPLEMENTED)}; {runs} runs each; wall time per run")
    for name, values in rows:
        print(
            f"  {name:<36} median {statistics.median(values) * 1000:7.1f} ms   "
            f"min {min(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"
        )
    ratio = statistics.median(in_process) / statistics.median(running)
    print(f"  in-process / running stack: {ratio:.2f}x")


if __name__ == "__main__":
    main()
