"""Splunk HEC probe: health, send one event (fields verify=true and run_id), then confirm it was
indexed: by indexer acknowledgment when the token answers an ackId, otherwise by search.

Pages followed: help.splunk.com "HTTP Event Collector REST API endpoints" (/health, /event,
/ack), "About HTTP Event Collector Indexer Acknowledgment" (channels, ack polling), "Export data
using the Splunk REST API" (search/jobs/export, output_mode=json). A 200 from HEC means received,
not indexed: only an ack or a search proves the event landed.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from opwire.http import Reply

if TYPE_CHECKING:
    from opwire.integrations.splunk import Settings
    from opwire.probing import ProbeContext

CONFIRM_WINDOW_S = 60.0
SOURCETYPE = "opwire:verify"


def event_body(run_id: str) -> dict[str, Any]:
    return {
        "time": time.time(),
        "sourcetype": SOURCETYPE,
        "source": "opwire",
        "event": {
            "message": f"opwire verify {run_id}: test event (verify=true)",
            "run_id": run_id,
            "verify": "true",
        },
        "fields": {"run_id": run_id, "verify": "true"},
    }


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    if settings.insecure:
        ctx.note(
            f"TLS verification is OFF for Splunk HEC host {_host(settings.hec_url)} only "
            "(SPLUNK_HEC_INSECURE=1): dev only, never in production; the search host is "
            "verified as usual"
        )
    base, channel = settings.hec_url, str(uuid.uuid4())
    auth = {
        "Authorization": f"Splunk {settings.token.reveal()}",
        "X-Splunk-Request-Channel": channel,
    }
    if (
        await ctx.call("health", "GET", f"{base}/services/collector/health", ok=_code(200, 17))
        is None
    ):
        return
    sent = await ctx.call(
        "send",
        "POST",
        f"{base}/services/collector/event",
        headers=auth,
        json=event_body(ctx.run_id),
        ok=_code(200, 0),
    )
    if sent is None:
        return
    ack_id = (sent.json() or {}).get("ackId")
    if isinstance(ack_id, int):
        await ctx.poll(
            "confirm by ack",
            "POST",
            f"{base}/services/collector/ack",
            params={"channel": channel},
            headers=auth,
            json={"acks": [ack_id]},
            ok=lambda r: r.status == 200,
            found=_acked(ack_id),
            within_s=CONFIRM_WINDOW_S,
            missing="splunk.not_indexed",
        )
    elif missing := settings.missing_search_vars():
        ctx.skipped(
            "confirm",
            f"the token has no indexer acknowledgment; set {' and '.join(missing)}"
            " to find the event by search",
        )
    else:
        await _search(ctx, settings, ctx.run_id)


async def _search(ctx: ProbeContext, settings: Settings, run_id: str) -> None:
    assert settings.search_token is not None
    query = f"search sourcetype={SOURCETYPE} run_id={run_id} earliest=-15m | stats count"
    await ctx.poll(
        "confirm by search",
        "POST",
        f"{settings.search_url}/services/search/jobs/export",
        data={"search": query, "output_mode": "json"},
        headers={"Authorization": f"Bearer {settings.search_token.reveal()}"},
        ok=lambda r: r.status == 200,
        found=_counted,
        within_s=CONFIRM_WINDOW_S,
        missing="splunk.not_searchable",
    )


def _host(url: str) -> str:
    """host:port of a URL, never its user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _code(status: int, code: int) -> Any:
    return lambda reply: reply.status == status and (reply.json() or {}).get("code") == code


def _acked(ack_id: int) -> Any:
    return lambda reply: ((reply.json() or {}).get("acks") or {}).get(str(ack_id)) is True


def _counted(reply: Reply) -> bool:
    import json

    for line in reply.text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        count = (row.get("result") or {}).get("count") if isinstance(row, dict) else None
        if count is not None and str(count).isdigit() and int(count) >= 1:
            return True
    return False
