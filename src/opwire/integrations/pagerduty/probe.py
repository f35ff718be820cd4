"""PagerDuty probe: trigger with dedup_key = run id, find the incident, resolve it, confirm.

Pages followed: developer.pagerduty.com docs/events-API-v2/02-Trigger-Events (body, 202
`{"status":"success","dedup_key":…}`), REST-API/02-Authentication (`Token token=`), the REST
spec's GET /incidents (`incident_key`, `since`, `until`, `statuses[]`).
The incident is journaled before the trigger and resolved even when a later rung fails.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from opwire.http import Reply

if TYPE_CHECKING:
    from opwire.integrations.pagerduty import Settings
    from opwire.probing import ProbeContext

FIND_WINDOW_S = 30.0
CONFIRM_WINDOW_S = 30.0


def trigger_body(settings: Settings, run_id: str) -> dict[str, Any]:
    return {
        "routing_key": settings.routing_key.reveal(),
        "event_action": "trigger",
        "dedup_key": run_id,
        "client": "opwire verify",
        "payload": {
            "summary": f"opwire verify {run_id}: test incident, resolves itself (verify=true)",
            "source": "opwire",
            "severity": "info",
            "custom_details": {"run_id": run_id, "verify": "true"},
        },
    }


def resolve_body(settings: Settings, dedup_key: str) -> dict[str, Any]:
    return {
        "routing_key": settings.routing_key.reveal(),
        "event_action": "resolve",
        "dedup_key": dedup_key,
    }


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    artifact = {"dedup_key": ctx.run_id}
    entry = ctx.remember(artifact)
    triggered = await ctx.call(
        "trigger",
        "POST",
        f"{settings.events_url}/v2/enqueue",
        ok=_accepted(ctx.run_id),
        json=trigger_body(settings, ctx.run_id),
    )
    if triggered is None and ctx.refused:
        ctx.forget(entry)  # PagerDuty refused the event: nothing was opened
        return
    if triggered is not None and settings.api_token is None:
        ctx.skipped(
            "find incident", "set PAGERDUTY_API_TOKEN to confirm the incident opened and resolved"
        )
    found = (
        triggered is not None
        and settings.api_token is not None
        and await ctx.poll(
            "find incident",
            "GET",
            f"{settings.api_url}/incidents",
            ok=_rest_ok,
            found=lambda reply: bool(_incidents(reply)),
            within_s=FIND_WINDOW_S,
            missing="pagerduty.no_incident",
            **_lookup(settings, ctx.run_id),
        )
        is not None
    )
    if await _resolve(ctx, settings, ctx.run_id, confirm=found):
        ctx.forget(entry)


async def cleanup(ctx: ProbeContext, settings: Settings, artifact: dict[str, Any]) -> bool:
    """Resolve a journaled test incident and, with a REST token, confirm nothing stays open."""
    return await _resolve(
        ctx, settings, str(artifact["dedup_key"]), confirm=settings.api_token is not None
    )


async def _resolve(ctx: ProbeContext, settings: Settings, dedup_key: str, *, confirm: bool) -> bool:
    resolved = await ctx.call(
        "resolve",
        "POST",
        f"{settings.events_url}/v2/enqueue",
        ok=_accepted(dedup_key),
        json=resolve_body(settings, dedup_key),
    )
    if resolved is None or not confirm:
        return resolved is not None
    done = await ctx.poll(
        "confirm resolved",
        "GET",
        f"{settings.api_url}/incidents",
        ok=_rest_ok,
        found=lambda reply: all(i.get("status") == "resolved" for i in _incidents(reply)),
        within_s=CONFIRM_WINDOW_S,
        missing="pagerduty.not_resolved",
        **_lookup(settings, dedup_key),
    )
    return done is not None


def _lookup(settings: Settings, dedup_key: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    assert settings.api_token is not None
    return {
        "params": {
            "incident_key": dedup_key,
            "since": (now - timedelta(hours=24)).isoformat(timespec="seconds"),
            "until": (now + timedelta(hours=1)).isoformat(timespec="seconds"),
        },
        "headers": {
            "Authorization": f"Token token={settings.api_token.reveal()}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
    }


def _accepted(dedup_key: str) -> Any:
    def check(reply: Reply) -> bool:
        body = reply.json()
        return (
            reply.status == 202
            and isinstance(body, dict)
            and body.get("status") == "success"
            and body.get("dedup_key", dedup_key) == dedup_key
        )

    return check


def _rest_ok(reply: Reply) -> bool:
    return reply.status == 200 and isinstance(reply.json(), dict)


def _incidents(reply: Reply) -> list[dict[str, Any]]:
    incidents = (reply.json() or {}).get("incidents") or []
    return [i for i in incidents if isinstance(i, dict)]
