"""Datadog probe: validate the API key, submit `operator_wiring.verify` = 1 and an event, both
tagged `run_id:<id>` and `verify:true`, then read the event and the metric back.

Pages followed: docs.datadoghq.com/api/latest/authentication/#validate-api-key (check first:
metric intake has accepted unknown keys with 202), /metrics/#submit-metrics (v2 series),
/events/#post-an-event (v1, `id_str`), /events/#get-an-event, /metrics/#query-timeseries-points.
Nothing is cleaned up: the artifacts are tagged verify:true, as the seed asks.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from opwire.http import Reply

if TYPE_CHECKING:
    from opwire.integrations.datadog import Settings
    from opwire.probing import ProbeContext

METRIC = "operator_wiring.verify"
READ_BACK_WINDOW_S = 60.0


def tags(run_id: str) -> list[str]:
    return [f"run_id:{run_id}", "verify:true", "source:opwire"]


def series_body(run_id: str, now: int) -> dict[str, Any]:
    return {
        "series": [
            {
                "metric": METRIC,
                "type": 3,
                "points": [{"timestamp": now, "value": 1.0}],
                "tags": tags(run_id),
                "resources": [{"name": "opwire", "type": "host"}],
            }
        ]
    }


def event_body(run_id: str) -> dict[str, Any]:
    return {
        "title": f"opwire verify {run_id}",
        "alert_type": "info",
        "tags": tags(run_id),
        "text": "Test event sent by opwire verify to prove delivery (verify=true).",
    }


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    api, now = settings.api_url, int(time.time())
    write = {"DD-API-KEY": settings.api_key.reveal()}
    if (
        await ctx.call("validate", "GET", f"{api}/api/v1/validate", headers=write, ok=_valid)
        is None
    ):
        if ctx.failure_code == "datadog.wrong_site" and settings.sweep:
            await sweep(ctx, settings, write)
        return
    metric = await ctx.call(
        "submit metric",
        "POST",
        f"{api}/api/v2/series",
        headers=write,
        json=series_body(ctx.run_id, now),
        ok=lambda r: r.status == 202 and (r.json() or {}).get("errors") == [],
    )
    event = await ctx.call(
        "post event",
        "POST",
        f"{api}/api/v1/events",
        headers=write,
        json=event_body(ctx.run_id),
        ok=_event_created,
    )
    if metric is None or event is None:
        return
    if settings.app_key is None:
        ctx.skipped("read back", "set DD_APP_KEY to read the metric and event back")
        return
    read = {**write, "DD-APPLICATION-KEY": settings.app_key.reveal()}
    event_id = event.json()["event"]["id_str"]
    await ctx.poll(
        "read event",
        "GET",
        f"{api}/api/v1/events/{event_id}",
        headers=read,
        ok=lambda r: r.status == 200,
        pending=lambda r: r.status == 404,
        found=_tagged(ctx.run_id),
        within_s=READ_BACK_WINDOW_S,
        missing="datadog.event_not_found",
    )
    query = f"max:{METRIC}{{run_id:{ctx.run_id}}}"
    await ctx.poll(
        "read metric",
        "GET",
        f"{api}/api/v1/query",
        headers=read,
        params={"from": str(now - 600), "to": str(now + 60), "query": query},
        ok=lambda r: r.status == 200,
        found=_has_point,
        within_s=READ_BACK_WINDOW_S,
        missing="datadog.metric_not_found",
    )


async def sweep(ctx: ProbeContext, settings: Settings, write: dict[str, str]) -> None:
    """Ask the other sites whether they know this key: the cheapest check, /api/v1/validate."""
    others = {s: u for s, u in settings.site_urls.items() if s != settings.site}
    question = f"asking {len(others)} other Datadog sites whether they know the key"
    swept = await ctx.sweep(question, others, "/api/v1/validate", _valid, headers=write)
    if (site := swept.found) is not None:
        ctx.amend(
            f"this key is valid on {site}; DD_SITE is {settings.site}",
            fix=f"Set DD_SITE={site} in .env.local (your dashboard is app.{site}).",
        )
    elif others and not swept.unreachable:
        ctx.amend(
            f"no other site knows the key either ({', '.join(others)})", code="datadog.key_rejected"
        )


def _valid(reply: Reply | None) -> bool:
    return reply is not None and reply.status == 200 and (reply.json() or {}).get("valid") is True


def _event_created(reply: Reply) -> bool:
    body = reply.json() or {}
    return reply.status == 202 and bool((body.get("event") or {}).get("id_str"))


def _tagged(run_id: str) -> Any:
    return lambda reply: (
        f"run_id:{run_id}" in ((reply.json() or {}).get("event") or {}).get("tags", [])
    )


def _has_point(reply: Reply) -> bool:
    series = (reply.json() or {}).get("series") or []
    points = [p for s in series for p in s.get("pointlist") or []]
    return any(isinstance(p, list) and len(p) == 2 and (p[1] or 0) >= 1 for p in points)
