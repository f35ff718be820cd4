"""Sentry probe: send an error event carrying the run id, expect `{"id"}` = the event id, poll the
web API until the event is stored (within 60 s, as the seed says), resolve its issue, confirm.

Pages followed: develop.sentry.dev/sdk/envelopes/ (envelope with item `length`),
develop.sentry.dev/sdk/overview/ (X-Sentry-Auth, `{"id": …}`), docs.sentry.io/api/events/
(retrieve an event for a project, 404 until processed), docs.sentry.io/api/events/update-an-issue/
(`{"status": "resolved"}`).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opwire import __version__
from opwire.http import Reply

if TYPE_CHECKING:
    from opwire.integrations.sentry import Settings
    from opwire.probing import ProbeContext

READ_BACK_WINDOW_S = 60.0
CONFIRM_WINDOW_S = 30.0


def envelope(event_id: str, run_id: str) -> bytes:
    event = {
        "event_id": event_id,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "logger": "opwire",
        "environment": "opwire-verify",
        "message": {"formatted": f"opwire verify {run_id}: test error event (verify=true)"},
        "tags": {"run_id": run_id, "verify": "true"},
    }
    payload = json.dumps(event).encode()
    head = {"event_id": event_id, "sent_at": datetime.now(UTC).isoformat()}
    item = {"type": "event", "length": len(payload), "content_type": "application/json"}
    return b"\n".join([json.dumps(head).encode(), json.dumps(item).encode(), payload]) + b"\n"


def _ingest_headers(settings: Settings) -> dict[str, str]:
    auth = (
        f"Sentry sentry_version=7, sentry_client=opwire/{__version__}, "
        f"sentry_key={settings.key.reveal()}"
    )
    return {"X-Sentry-Auth": auth, "Content-Type": "application/x-sentry-envelope"}


def _api_headers(settings: Settings) -> dict[str, str]:
    assert settings.auth_token is not None
    return {"Authorization": f"Bearer {settings.auth_token.reveal()}"}


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    event_id = uuid.uuid4().hex
    missing = settings.missing_read_vars()
    entry = None if missing else ctx.remember({"event_id": event_id})
    sent = await ctx.call(
        "send",
        "POST",
        settings.ingest_url,
        ok=_stored(event_id),
        content=envelope(event_id, ctx.run_id),
        headers=_ingest_headers(settings),
    )
    if sent is None and ctx.refused:
        ctx.forget(entry)
        if ctx.failure_code == "sentry.region_mismatch" and settings.sweep and not missing:
            await sweep(ctx, settings)
        return
    if missing:
        if sent is not None:
            ctx.skipped(
                "read back",
                f"set {' and '.join(missing)} to confirm the event was "
                "stored and to resolve its issue (it stays open in Sentry until then)",
            )
        return
    event = sent and await ctx.poll(
        "read back",
        "GET",
        f"{settings.api_url}/api/0/projects/{settings.org}/{settings.project}/events/{event_id}/",
        ok=lambda r: r.status == 200,
        found=_tagged(ctx.run_id),
        pending=lambda r: r.status == 404,
        within_s=READ_BACK_WINDOW_S,
        missing="sentry.event_not_found",
        headers=_api_headers(settings),
    )
    group = str((event.json() or {}).get("groupID")) if event else None
    if group and await cleanup(ctx, settings, {"event_id": event_id}, group=group):
        ctx.forget(entry)


async def cleanup(
    ctx: ProbeContext, settings: Settings, artifact: dict[str, Any], *, group: str | None = None
) -> bool:
    """Resolve the issue of the journaled test event and confirm it is resolved."""
    if settings.missing_read_vars():
        return False
    base, headers = f"{settings.api_url}/api/0/organizations/{settings.org}", _api_headers(settings)
    if group is None:
        found = await ctx.peek("GET", f"{base}/eventids/{artifact['event_id']}/", headers=headers)
        if found is not None and found.status == 404:
            ctx.note(f"event {artifact['event_id']} was never stored: nothing to resolve")
            return True
        group = str((found.json() or {}).get("groupId")) if found and found.status == 200 else None
        if group is None:
            return False
    issue = f"{base}/issues/{group}/"
    resolved = await ctx.call(
        "resolve",
        "PUT",
        issue,
        ok=lambda r: r.status == 200,
        json={"status": "resolved"},
        headers=headers,
    )
    if resolved is None:
        return False
    done = await ctx.poll(
        "confirm resolved",
        "GET",
        issue,
        ok=lambda r: r.status == 200,
        found=lambda r: (r.json() or {}).get("status") == "resolved",
        within_s=CONFIRM_WINDOW_S,
        missing="sentry.not_resolved",
        headers=headers,
    )
    return done is not None


async def sweep(ctx: ProbeContext, settings: Settings) -> None:
    """Ask each region's web API where SENTRY_ORG lives (one read with the auth token)."""
    others = {r: u for r, u in settings.region_apis.items() if u != settings.api_url}
    swept = await ctx.sweep(
        "asking the Sentry regions where SENTRY_ORG lives",
        others,
        f"/api/0/organizations/{settings.org}/",
        lambda r: r.status == 200,
        headers=_api_headers(settings),
    )
    if (region := swept.found) is not None:
        ctx.amend(
            f"SENTRY_DSN host {settings.ingest_host} is not a {region} host, but the "
            f"Sentry API says the org {settings.org} is in {region}",
            fix=f"Re-issue the DSN from the {region} org (Project → Settings → Client "
            f"Keys): its host ends in .ingest.{region}.sentry.io.",
        )


def _stored(event_id: str) -> Any:
    return lambda reply: reply.status == 200 and (reply.json() or {}).get("id") == event_id


def _tagged(run_id: str) -> Any:
    def check(reply: Reply) -> bool:
        tags = (reply.json() or {}).get("tags") or []
        return any(isinstance(t, dict) and t.get("value") == run_id for t in tags)

    return check
