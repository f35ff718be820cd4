"""Requests per second each mock takes from a concurrent client on loopback, and Splunk HEC events
per second in batches of 100 with the stored count read back. Run by hand (`make bench`).

The mocks run in their own process (`opwire mock up --ephemeral`), as an operator runs them; the
client is one asyncio process with CONCURRENCY requests in flight. Prints medians of REPEATS.
Usage: python bench/mock_throughput.py [--requests N] [--repeats R] [--concurrency C]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Callable

import httpx
from _stack import running_stack

GUID = "11111111-2222-3333-4444-555555555555"


def envelope(n: int) -> bytes:
    payload = json.dumps({"message": f"bench {n}", "platform": "python"}).encode()
    head = json.dumps({"event_id": uuid.uuid4().hex}).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode()
    return head + b"\n" + item + b"\n" + payload + b"\n"


# vendor -> (path, headers, body for request n)
WORKLOADS: dict[str, tuple[str, dict[str, str], Callable[[int], bytes]]] = {
    "datadog": (
        "/api/v2/series",
        {"DD-API-KEY": "ab" * 16},
        lambda n: json.dumps(
            {
                "series": [
                    {"metric": "bench.m", "points": [{"timestamp": int(time.time()), "value": n}]}
                ]
            }
        ).encode(),
    ),
    "sentry": (
        "/api/42/envelope/",
        {"X-Sentry-Auth": f"Sentry sentry_key={'cd' * 16}, sentry_version=7"},
        envelope,
    ),
    "pagerduty": (
        "/v2/enqueue",
        {},
        lambda n: json.dumps(
            {
                "routing_key": "ef" * 16,
                "event_action": "trigger",
                "dedup_key": f"bench-{n}",
                "payload": {"summary": "bench", "source": "bench", "severity": "info"},
            }
        ).encode(),
    ),
    "opsgenie": (
        "/v2/alerts",
        {"Authorization": f"GenieKey {GUID}"},
        lambda n: json.dumps({"message": "bench", "alias": f"bench-{n}"}).encode(),
    ),
    "slack": (
        "/services/T0BENCH00/B0BENCH00/BenchSecretBenchSecret12",
        {},
        lambda n: json.dumps({"text": f"bench {n}"}).encode(),
    ),
    "splunk": (
        "/services/collector/event",
        {"Authorization": f"Splunk {GUID}"},
        lambda n: json.dumps({"event": {"n": n}}).encode(),
    ),
}
# Lift the vendors' own limits so the benchmark measures the mock, not the emulated throttle.
UNTHROTTLE = {
    "slack": ("slack/rate", {"burst": 1e9, "per_second": 1e9}),
    "pagerduty": ("pagerduty/services", {"routing_key": "ef" * 16, "rate_limit": 10**9}),
}


async def blast(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: Callable[[int], bytes],
    total: int,
    concurrency: int,
) -> float:
    counter = iter(range(total))
    headers = {"Content-Type": "application/json", **headers}

    async def worker() -> None:
        for n in counter:
            reply = await client.post(url, content=body(n), headers=headers)
            if reply.status_code >= 300:
                raise SystemExit(f"{url}: HTTP {reply.status_code} {reply.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


async def hec_batches(
    client: httpx.AsyncClient, base: str, batches: int, concurrency: int
) -> tuple[float, int, int]:
    run = uuid.uuid4().hex[:8]

    def batch(n: int) -> bytes:
        events = ({"event": {"n": n * 100 + i}, "fields": {"run": run}} for i in range(100))
        return "".join(json.dumps(e) for e in events).encode()

    rate = await blast(
        client,
        f"{base}/services/collector/event",
        {"Authorization": f"Splunk {GUID}"},
        batch,
        batches,
        concurrency,
    )
    reply = await client.post(
        f"{base}/services/search/jobs/export",
        data={"search": f"search run={run} | stats count", "output_mode": "json"},
        headers={"Authorization": "Bearer bench"},
    )
    stored = int(json.loads(reply.text.splitlines()[0])["result"]["count"])
    return rate * 100, batches * 100, stored


async def measure(urls: dict[str, str], total: int, repeats: int, concurrency: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for slug, (path, payload) in UNTHROTTLE.items():
            await client.post(f"{urls[slug]}/_opwire/{path}", json=payload)
        print(
            f"requests/s per mock ({total} requests, {concurrency} in flight, median of {repeats}):"
        )
        for slug, (path, headers, body) in WORKLOADS.items():
            rates = [
                await blast(client, urls[slug] + path, headers, body, total, concurrency)
                for _ in range(repeats)
            ]
            print(
                f"  {slug:<10} {statistics.median(rates):8.0f} req/s   "
                f"(min {min(rates):.0f}, max {max(rates):.0f})"
            )
        results = [
            await hec_batches(client, urls["splunk"], total // 10, concurrency)
            for _ in range(repeats)
        ]
        rate = statistics.median(r[0] for r in results)
        sent, stored = results[-1][1], results[-1][2]
        print(
            f"splunk HEC, batches of 100: {rate:8.0f} events/s (median of {repeats}); "
            f"last run sent {sent}, search counted {stored}: "
            f"{'equal' if sent == stored else 'MISMATCH'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with running_stack() as urls:
        asyncio.run(measure(urls, args.requests, args.repeats, args.concurrency))


if __name__ == "__main__":
    main()
