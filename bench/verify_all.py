"""Wall time of verify over all six against a running mock stack: plain, and with a SaaS-like
latency profile (every request +LATENCY ms, Sentry processing and Opsgenie request delays of
seconds), beside the slowest single integration run alone. Run by hand (`make bench`).

A run should cost about its slowest integration, not the sum. Every request goes to 127.0.0.1.
Usage: python bench/verify_all.py [--runs N] [--latency-ms MS]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

import httpx
from _stack import OPWIRE, running_stack

SLUGS = ("datadog", "sentry", "pagerduty", "opsgenie", "slack", "splunk")


def run(env: dict[str, str], *slugs: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [OPWIRE, "verify", *slugs], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"verify {' '.join(slugs)} exited {done.returncode}:\n{done.stdout}")
    return elapsed


def profile(urls: dict[str, str], latency_ms: int) -> None:
    for url in urls.values():
        httpx.post(f"{url}/_opwire/faults", json={"path": "*", "latency_ms": latency_ms})
    httpx.post(f"{urls['sentry']}/_opwire/sentry/config", json={"processing_delay_s": 3.0})
    httpx.post(f"{urls['opsgenie']}/_opwire/opsgenie/config", json={"request_delay_s": 2.0})


def report(name: str, env: dict[str, str], runs: int) -> None:
    whole = [run(env) for _ in range(runs)]
    alone = {slug: statistics.median(run(env, slug) for _ in range(runs)) for slug in SLUGS}
    slowest = max(alone, key=lambda s: alone[s])
    total = sum(alone.values())
    print(f"{name}:")
    print(
        f"  verify all six        median {statistics.median(whole):6.2f} s  "
        f"(min {min(whole):.2f}, max {max(whole):.2f})"
    )
    for slug in SLUGS:
        print(f"  {slug:<10} alone      median {alone[slug]:6.2f} s")
    print(
        f"  all six / slowest alone ({slowest}): "
        f"{statistics.median(whole) / alone[slowest]:.2f}x;  sum of six alone: {total:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=40)
    args = parser.parse_args()
    with running_stack() as urls:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "NO_COLOR": "1",
            "HOME": os.environ.get("HOME", "/"),
            "OPERATOR_WIRING_ENV_FILE": "/dev/null",  # no .env.local: an empty one
            **{
                f"OPERATOR_WIRING_MOCK_PORT_{s.upper()}": u.rsplit(":", 1)[1]
                for s, u in urls.items()
            },
        }
        report("running stack, no added latency", env, args.runs)
        profile(urls, args.latency_ms)
        report(
            f"SaaS-like profile (+{args.latency_ms} ms a request, Sentry processing 3 s, "
            "Opsgenie requests 2 s)",
            env,
            args.runs,
        )


if __name__ == "__main__":
    main()
