"""Datadog probe: validate the API key, submit `operator_wiring.verify` = 1 and an event, both
tagged `run_id:<id>` and `verify:true`, then read the event and the metric back.

Pages followed: docs.datadoghq.com/api/latest/authentication/#validate-api-key (check first:
metric intake has accepted unknown keys with 202), /metrics/#submit-metrics (v2 series),
/events/#post-an-event (v1, `id_str`), /events/#get-an-event, /metrics/#query-timeseries-points.
Nothing is cleaned up: the artifacts are tagged verify:true, as the seed asks.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from opwire.integrations.datadog import client

if TYPE_CHECKING:
    from opwire.integrations.datadog import Settings
    from opwire.probing import ProbeContext

METRIC = "operator_wiring.verify"
READ_BACK_WINDOW_S = 60.0


def tags(run_id: str) -> list[str]:
    return [f"run_id:{run_id}", "verify:true", "source:opwire"]


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    now, tagged = int(time.time()), tags(ctx.run_id)
    validated = await ctx.call("validate", client.validate(settings), ok=client.valid)
    if not validated.ok:
        if validated.code == "datadog.wrong_site" and settings.sweep:
            await sweep(ctx, settings)
        return
    metric = await ctx.call(
        "submit metric",
        client.submit_metric(settings, METRIC, 1.0, now, tagged),
        ok=client.series_accepted,
    )
    event = await ctx.call(
        "post event",
        client.post_event(
            settings,
            f"opwire verify {ctx.run_id}",
            "Test event sent by opwire verify to prove delivery (verify=true).",
            tagged,
        ),
        ok=client.event_created,
    )
    if not (metric.ok and event.ok):
        return
    if settings.app_key is None:
        ctx.skipped("read back", "set DD_APP_KEY to read the metric and event back")
        return
    await ctx.poll(
        "read event",
        client.get_event(settings, str(client.event_id(event.answer))),
        ok=lambda reply: reply.status == 200,
        pending=lambda reply: reply.status == 404,
        found=lambda reply: client.event_tagged(reply, f"run_id:{ctx.run_id}"),
        within_s=READ_BACK_WINDOW_S,
        missing="datadog.event_not_found",
    )
    await ctx.poll(
        "read metric",
        client.query_metric(settings, f"max:{METRIC}{{run_id:{ctx.run_id}}}", now - 600, now + 60),
        ok=lambda reply: reply.status == 200,
        found=client.has_point,
        within_s=READ_BACK_WINDOW_S,
        missing="datadog.metric_not_found",
    )


async def sweep(ctx: ProbeContext, settings: Settings) -> None:
    """Ask the other sites whether they know this key: the cheapest check, /api/v1/validate."""
    others = {s: u for s, u in settings.site_urls.items() if s != settings.site}
    question = f"asking {len(others)} other Datadog sites whether they know the key"
    swept = await ctx.sweep(
        question, others, lambda api: client.validate(settings, api), client.valid
    )
    if (site := swept.found) is not None:
        ctx.amend(
            f"this key is valid on {site}; DD_SITE is {settings.site}",
            fix=f"Set DD_SITE={site} in .env.local (your dashboard is app.{site}).",
        )
    elif others and not swept.unreachable:
        ctx.amend(
            f"no other site knows the key either ({', '.join(others)})", code="datadog.key_rejected"
        )


async def whoami(ctx: ProbeContext, settings: Settings) -> None:
    """Whether the keys work now, creating nothing (`opwire creds show --online`): DD_API_KEY by
    /api/v1/validate (the sweep names the site that knows a refused key), then DD_APP_KEY by a
    one-minute query of the probe's metric, the read the read-back needs."""
    validated = await ctx.call("validate", client.validate(settings), ok=client.valid)
    if not validated.ok:
        if validated.code == "datadog.wrong_site" and settings.sweep:
            await sweep(ctx, settings)
        if settings.app_key is not None:
            ctx.skipped("app key", "every read needs a valid DD_API_KEY too, so it was not asked")
        return
    if settings.app_key is None:
        ctx.skipped("app key", "DD_APP_KEY is not set (the read-back needs it)")
        return
    now = int(time.time())
    query = client.query_metric(settings, f"max:{METRIC}{{*}}", now - 60, now)
    await ctx.call("app key", query, ok=client.query_ok)
