"""Sentry probe: send an error event carrying the run id, expect `{"id"}` = the event id, poll the
web API until the event is stored (within 60 s, as the seed says), resolve its issue, confirm.

Pages followed: develop.sentry.dev/sdk/envelopes/ (envelope with item `length`),
develop.sentry.dev/sdk/overview/ (X-Sentry-Auth, `{"id": …}`), docs.sentry.io/api/events/
(retrieve an event for a project, 404 until processed), docs.sentry.io/api/events/update-an-issue/
(`{"status": "resolved"}`).
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from opwire.integrations.sentry import client

if TYPE_CHECKING:
    from opwire.integrations.sentry import Settings
    from opwire.probing import ProbeContext

READ_BACK_WINDOW_S = 60.0
CONFIRM_WINDOW_S = 30.0


def verify_event(event_id: str, run_id: str) -> dict[str, Any]:
    """An error event that says it is a test, tagged with the run id the read-back looks for."""
    return {
        "event_id": event_id,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "logger": "opwire",
        "environment": "opwire-verify",
        "message": {"formatted": f"opwire verify {run_id}: test error event (verify=true)"},
        "tags": {"run_id": run_id, "verify": "true"},
    }


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    event_id = uuid.uuid4().hex
    missing = settings.missing_read_vars()
    entry = None if missing else ctx.remember({"event_id": event_id})
    sent = await ctx.call(
        "send",
        client.envelope(settings, verify_event(event_id, ctx.run_id)),
        ok=lambda reply: client.stored(reply, event_id),
    )
    if sent.refused:
        ctx.forget(entry)
        if sent.code == "sentry.region_mismatch" and settings.sweep and not missing:
            await sweep(ctx, settings)
        return
    if missing:
        if sent.ok:
            ctx.skipped(
                "read back",
                f"set {' and '.join(missing)} to confirm the event was "
                "stored and to resolve its issue (it stays open in Sentry until then)",
            )
        return
    if not sent.ok:
        return
    event = await ctx.poll(
        "read back",
        client.get_event(settings, event_id),
        ok=client.ok,
        found=lambda reply: client.tagged(reply, ctx.run_id),
        pending=client.not_yet,
        within_s=READ_BACK_WINDOW_S,
        missing="sentry.event_not_found",
    )
    group = client.group_id(event.answer) if event.ok else None
    if group and await cleanup(ctx, settings, {"event_id": event_id}, group=group):
        ctx.forget(entry)


async def cleanup(
    ctx: ProbeContext, settings: Settings, artifact: dict[str, Any], *, group: str | None = None
) -> bool:
    """Resolve the issue of the journaled test event and confirm it is resolved."""
    if settings.missing_read_vars():
        return False
    if group is None:
        found = await ctx.peek(client.find_event(settings, str(artifact["event_id"])))
        if found is not None and found.status == 404:
            ctx.note(f"event {artifact['event_id']} was never stored: nothing to resolve")
            return True
        group = client.group_id(found, "groupId") if found and found.status == 200 else None
        if group is None:
            return False
    resolved = await ctx.call("resolve", client.resolve_issue(settings, group), ok=client.ok)
    if not resolved.ok:
        return False
    done = await ctx.poll(
        "confirm resolved",
        client.get_issue(settings, group),
        ok=client.ok,
        found=client.resolved,
        within_s=CONFIRM_WINDOW_S,
        missing="sentry.not_resolved",
    )
    return done.ok


async def sweep(ctx: ProbeContext, settings: Settings) -> None:
    """Ask each region's web API where SENTRY_ORG lives (one read with the auth token)."""
    others = {r: u for r, u in settings.region_apis.items() if u != settings.api_url}
    swept = await ctx.sweep(
        "asking the Sentry regions where SENTRY_ORG lives",
        others,
        lambda base: client.organization(settings, base),
        client.ok,
    )
    if (region := swept.found) is not None:
        ctx.amend(
            f"SENTRY_DSN host {settings.ingest_host} is not a {region} host, but the "
            f"Sentry API says the org {settings.org} is in {region}",
            fix=f"Re-issue the DSN from the {region} org (Project → Settings → Client "
            f"Keys): its host ends in .ingest.{region}.sentry.io.",
        )


async def whoami(ctx: ProbeContext, settings: Settings) -> None:
    """Whether the credentials work now, creating nothing (`opwire creds show --online`):
    SENTRY_AUTH_TOKEN by reading SENTRY_ORG; the sweep asks the other region when refused."""
    ctx.note(
        "SENTRY_DSN not checked: Sentry says whether a DSN works only to an event sent with it "
        "(`opwire verify sentry` sends one)"
    )
    if missing := settings.missing_read_vars():
        ctx.skipped(
            "token", f"set {' and '.join(missing)} to check the auth token on the organization"
        )
        return
    read = await ctx.call(
        "token", client.organization(settings, settings.api_url), ok=client.is_organization
    )
    if read.code in ("sentry.auth_token_invalid", "sentry.org_not_found") and settings.sweep:
        await sweep(ctx, settings)
