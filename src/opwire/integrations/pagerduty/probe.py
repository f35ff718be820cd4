"""PagerDuty probe: trigger with dedup_key = run id, find the incident, resolve it, confirm.

Pages followed: developer.pagerduty.com docs/events-API-v2/02-Trigger-Events (body, 202
`{"status":"success","dedup_key":…}`), REST-API/02-Authentication (`Token token=`), the REST
spec's GET /incidents (`incident_key`, `since`, `until`, `statuses[]`).
The incident is journaled before the trigger and resolved even when a later rung fails.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opwire.integrations.pagerduty import client

if TYPE_CHECKING:
    from opwire.integrations.pagerduty import Settings
    from opwire.probing import ProbeContext

FIND_WINDOW_S = 30.0
CONFIRM_WINDOW_S = 30.0


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    key = ctx.run_id
    entry = ctx.remember({"dedup_key": key})
    triggered = await ctx.call(
        "trigger",
        client.enqueue(
            settings,
            "trigger",
            key,
            summary=f"opwire verify {key}: test incident, resolves itself (verify=true)",
            details={"run_id": key, "verify": "true"},
            client="opwire verify",
        ),
        ok=lambda reply: client.accepted(reply, key),
    )
    if triggered.refused:
        ctx.forget(entry)  # PagerDuty refused the event: nothing was opened
        return
    if triggered.ok and settings.api_token is None:
        ctx.skipped(
            "find incident", "set PAGERDUTY_API_TOKEN to confirm the incident opened and resolved"
        )
    found = (
        triggered.ok
        and settings.api_token is not None
        and (
            await ctx.poll(
                "find incident",
                client.find_incidents(settings, key, datetime.now(UTC)),
                ok=client.rest_ok,
                found=lambda reply: bool(client.incidents(reply)),
                within_s=FIND_WINDOW_S,
                missing="pagerduty.no_incident",
            )
        ).ok
    )
    if await _resolve(ctx, settings, key, confirm=found):
        ctx.forget(entry)


async def cleanup(ctx: ProbeContext, settings: Settings, artifact: dict[str, Any]) -> bool:
    """Resolve a journaled test incident and, with a REST token, confirm nothing stays open."""
    return await _resolve(
        ctx, settings, str(artifact["dedup_key"]), confirm=settings.api_token is not None
    )


async def _resolve(ctx: ProbeContext, settings: Settings, dedup_key: str, *, confirm: bool) -> bool:
    resolved = await ctx.call(
        "resolve",
        client.enqueue(settings, "resolve", dedup_key),
        ok=lambda reply: client.accepted(reply, dedup_key),
    )
    if not resolved.ok or not confirm:
        return resolved.ok
    done = await ctx.poll(
        "confirm resolved",
        client.find_incidents(settings, dedup_key, datetime.now(UTC)),
        ok=client.rest_ok,
        found=client.all_resolved,
        within_s=CONFIRM_WINDOW_S,
        missing="pagerduty.not_resolved",
    )
    return done.ok


async def whoami(ctx: ProbeContext, settings: Settings) -> None:
    """Whether the credentials work now, creating nothing (`opwire creds show --online`):
    PAGERDUTY_API_TOKEN by the REST API's GET /abilities."""
    ctx.note(
        "PAGERDUTY_ROUTING_KEY not checked: the Events API has no read, so only a sent event "
        "tests the key (`opwire verify pagerduty` triggers and resolves one)"
    )
    if settings.api_token is None:
        ctx.skipped("token", "PAGERDUTY_API_TOKEN is not set (the read-back needs it)")
        return
    await ctx.call("token", client.abilities(settings), ok=client.has_abilities)
