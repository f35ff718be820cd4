"""Run the selected integrations' probes concurrently under one time budget. Never prints.

DESIGN § 3–4. One integration's crash is its own FAIL (`opwire.internal_error`), never the run's;
an integration that outlives its budget is cut off with `net.budget`.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opwire import integrations
from opwire.config import ConfigError, Lookup, Redactor, RunSettings, mode_name
from opwire.diagnosis import INTERNAL_ERROR, NET_RULES, substrate_note
from opwire.http import Budget, Http, RequestLine, RetryPolicy, Timeouts, make_client, origin
from opwire.probing import NoteLine, ProbeContext
from opwire.results import IntegrationResult, RunResult, Status, status_of
from opwire.state import Journal

Event = RequestLine | NoteLine


@dataclass(frozen=True, slots=True)
class Target:
    slug: str
    real: bool
    vendor: integrations.Vendor
    settings: Any
    mock_base: str = ""

    @property
    def insecure_origin(self) -> str:
        """The one origin whose TLS certificate is not verified (SPLUNK_HEC_INSECURE=1 covers
        the HEC host only, dev only); empty for every other vendor."""
        if not getattr(self.settings, "insecure", False):
            return ""
        return origin(str(self.settings.hec_url))


def new_run_id(now: datetime | None = None) -> str:
    """`ow-<utc timestamp>-<random>`: the key every vendor artifact of this run carries."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"ow-{stamp}-{secrets.token_hex(3)}"


def plan(
    slugs: Sequence[str], lookup: Lookup, run: RunSettings, mock_bases: Mapping[str, str]
) -> list[Target]:
    """Load each selected room's settings; every configuration problem is reported at once."""
    targets, problems = [], []
    for slug in slugs:
        vendor = integrations.load(slug)
        real = slug in run.real
        try:
            settings = vendor.load_settings(lookup, real, mock_bases.get(slug, ""))
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        targets.append(Target(slug, real, vendor, settings, "" if real else mock_bases[slug]))
    if problems:
        raise ConfigError("\n".join(problems))
    return targets


def redactor_for(targets: Sequence[Target]) -> Redactor:
    return Redactor(s for t in targets for s in t.settings.secrets())


async def verify(
    targets: Sequence[Target],
    run: RunSettings,
    sink: Callable[[Event], None],
    redact: Redactor,
    *,
    run_id: str | None = None,
    tls_verify: bool | ssl.SSLContext = True,
    journal: Journal | None = None,
    started: float | None = None,
) -> RunResult:
    """`started` is when the run began on the monotonic clock (the CLI's start, so the mock
    health checks before it count against the budget); the summary's time is wall time."""
    run_id = run_id or new_run_id()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic() if started is None else started
    lines: dict[str, list[RequestLine]] = {t.slug: [] for t in targets}

    def on_request(line: RequestLine) -> None:
        lines[line.integration].append(line)
        sink(line)

    run_budget = Budget(run.budget_s - (time.monotonic() - t0))
    async with (
        make_client(verify=tls_verify) as client,
        make_client(verify=tls_verify, proxies=False) as direct,
        make_client(verify=False) as insecure,
    ):

        def http_for(target: Target) -> Http:
            return Http(
                client if target.real else direct,
                on_request,
                redact,
                Timeouts(run.connect_timeout_s, run.read_timeout_s),
                RetryPolicy(max_attempts=run.max_attempts),
                insecure=insecure,
                insecure_origin=target.insecure_origin,
            )

        contexts = [
            ProbeContext(
                t.slug,
                t.real,
                run_id,
                http_for(t),
                run_budget.child(run.integration_budget_s),
                t.vendor.rules(),
                sink,
                journal,
                t.mock_base,
            )
            for t in targets
        ]
        await asyncio.gather(
            *(_guarded(t, c, redact) for t, c in zip(targets, contexts, strict=True))
        )
    results = tuple(
        IntegrationResult(
            c.slug,
            c.real,
            status_of(tuple(c.steps)),
            tuple(c.steps),
            tuple(lines[c.slug]),
            c.elapsed_s,
            tuple(c.notes),
        )
        for c in contexts
    )
    codes = [r.diagnosis.code for r in results if r.diagnosis]
    note = substrate_note(codes)
    return RunResult(
        run_id,
        mode_name(run.real),
        started_at,
        time.monotonic() - t0,
        results,
        (note,) if note else (),
    )


async def _guarded(target: Target, ctx: ProbeContext, redact: Redactor) -> None:
    """Run one probe; a bug or an overrun becomes this integration's FAIL only."""
    started = time.monotonic()
    try:
        await asyncio.wait_for(
            target.vendor.run_probe(ctx, target.settings), ctx.budget.seconds + 1
        )
    except TimeoutError:
        detail = f"the probe was still running when its {ctx.budget.seconds:.0f} s budget ran out"
        ctx.failed("budget", NET_RULES["budget"].diagnosis(detail))
    except Exception as exc:  # one vendor's bug must never abort the other five
        detail = redact(f"{type(exc).__name__}: {exc}")
        ctx.failed("internal", INTERNAL_ERROR.diagnosis(detail))
    if not ctx.steps:
        ctx.failed("internal", INTERNAL_ERROR.diagnosis("the probe recorded no step"))
    ctx.elapsed_s = time.monotonic() - started


def summary_counts(run: RunResult) -> dict[Status, int]:
    counts = dict.fromkeys(Status, 0)
    for result in run.integrations:
        counts[result.status] += 1
    return counts
