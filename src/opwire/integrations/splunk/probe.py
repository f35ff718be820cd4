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
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from opwire.integrations.splunk import client

if TYPE_CHECKING:
    from opwire.http import Reply
    from opwire.integrations.splunk import Settings
    from opwire.probing import ProbeContext

CONFIRM_WINDOW_S = 60.0
SOURCETYPE = "opwire:verify"


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    _say_insecure(ctx, settings)
    channel, tagged = str(uuid.uuid4()), {"run_id": ctx.run_id, "verify": "true"}
    if not (await ctx.call("health", client.health(settings), ok=_healthy)).ok:
        return
    sent = await ctx.call(
        "send",
        client.send_event(
            settings,
            {"message": f"opwire verify {ctx.run_id}: test event (verify=true)", **tagged},
            tagged,
            channel=channel,
            time=time.time(),
            sourcetype=SOURCETYPE,
        ),
        ok=lambda reply: client.hec_code(reply, 200, 0),
    )
    if not sent.ok:
        return
    if (ack := client.ack_id(sent.answer)) is not None:
        await ctx.poll(
            "confirm by ack",
            client.ack(settings, channel, [ack]),
            ok=lambda reply: reply.status == 200,
            found=lambda reply: client.acked(reply, ack),
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
        await ctx.poll(
            "confirm by search",
            client.count_events(settings, SOURCETYPE, {"run_id": ctx.run_id}),
            ok=lambda reply: reply.status == 200,
            found=client.counted,
            within_s=CONFIRM_WINDOW_S,
            missing="splunk.not_searchable",
        )


def _say_insecure(ctx: ProbeContext, settings: Settings) -> None:
    if settings.insecure:
        ctx.note(
            f"TLS verification is OFF for Splunk HEC host {_host(settings.hec_url)} only "
            "(SPLUNK_HEC_INSECURE=1): dev only, never in production; the search host is "
            "verified as usual"
        )


def _healthy(reply: Reply) -> bool:
    return client.hec_code(reply, 200, 17)


def _host(url: str) -> str:
    """host:port of a URL, never its user or password."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


async def whoami(ctx: ProbeContext, settings: Settings) -> None:
    """Whether the credentials work now, creating nothing (`opwire creds show --online`): HEC's
    health, then SPLUNK_HEC_TOKEN by an event request with no body (code 5 "No data": the token
    is good and nothing was indexed)."""
    _say_insecure(ctx, settings)
    if settings.search_token is not None:
        # GET /services/authentication/current-context would do, but no contract of it is in
        # vendor-contracts.md or shared/specs for the mock to be built from.
        ctx.note(
            "SPLUNK_SEARCH_TOKEN not checked: no read-only check of it is built yet (only "
            "`opwire verify splunk` uses it, to search)"
        )
    if not (await ctx.call("health", client.health(settings), ok=_healthy)).ok:
        ctx.skipped("token", "HEC did not answer healthy, so the token was not asked")
        return
    checked = await ctx.call(
        "token",
        client.check_token(settings, str(uuid.uuid4())),
        ok=lambda reply: client.hec_code(reply, 400, 5),
    )
    if checked.ok:
        ctx.note('token: the 400 is code 5 "No data": HEC took the token and indexed nothing')
