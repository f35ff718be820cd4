"""`opwire cleanup`: finish the cleanups a killed run left in the journal (DESIGN § 3).

Each journal entry names a vendor artifact (a PagerDuty incident, an Opsgenie alert, a Sentry
issue) that a run created and did not get to clean up; this resolves or closes it and removes
the entry once the vendor confirms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opwire import integrations
from opwire.config import ConfigError, Lookup, Redactor, RunSettings
from opwire.http import Budget, Http, RetryPolicy, Timeouts, make_client
from opwire.probing import ProbeContext
from opwire.state import Journal
from opwire.verify import Event


@dataclass(frozen=True, slots=True)
class Cleaned:
    entry: dict[str, Any]
    done: bool
    how: str


async def clean_journal(
    journal: Journal,
    lookup: Lookup,
    run: RunSettings,
    sink: Callable[[Event], None],
    redact: Redactor,
) -> list[Cleaned]:
    """Finish the cleanups a killed run left in the journal; confirmed ones leave the journal."""
    from opwire.mock.stack import answers

    results = []
    async with make_client() as client:
        http = Http(
            client,
            lambda line: sink(line),
            redact,
            Timeouts(run.connect_timeout_s, run.read_timeout_s),
            RetryPolicy(max_attempts=run.max_attempts),
        )
        for entry in journal.entries():
            slug, real = str(entry.get("slug")), bool(entry.get("real"))
            if not real and not answers(str(entry.get("mock_base")), slug):
                journal.remove(str(entry.get("id")))
                results.append(Cleaned(entry, True, "its mock is gone, and the artifact with it"))
                continue
            results.append(await _clean_one(entry, journal, lookup, http, run, sink, redact))
    return results


async def _clean_one(
    entry: dict[str, Any],
    journal: Journal,
    lookup: Lookup,
    http: Http,
    run: RunSettings,
    sink: Callable[[Event], None],
    redact: Redactor,
) -> Cleaned:
    vendor = integrations.load(str(entry["slug"]))
    try:
        settings = vendor.load_settings(
            lookup, bool(entry["real"]), str(entry.get("mock_base", ""))
        )
    except ConfigError as exc:
        return Cleaned(entry, False, str(exc))
    redact.add(settings.secrets())
    ctx = ProbeContext(
        vendor.SLUG,
        bool(entry["real"]),
        str(entry["run_id"]),
        http,
        Budget(run.integration_budget_s),
        vendor.rules(),
        sink,
    )
    try:
        done = await vendor.run_cleanup(ctx, settings, dict(entry["artifact"]))
    except Exception as exc:  # a bug in one cleanup must not stop the others
        return Cleaned(entry, False, redact(f"opwire.internal_error: {type(exc).__name__}: {exc}"))
    if done:
        journal.remove(str(entry["id"]))
        return Cleaned(entry, True, "cleaned up and confirmed")
    diagnosis = next((s.diagnosis for s in ctx.steps if s.diagnosis), None)
    return Cleaned(entry, False, f"{diagnosis.code}: {diagnosis.fix}" if diagnosis else "failed")
