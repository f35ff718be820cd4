"""Opsgenie probe: create (alias = run id, the team as responder), wait until processed, read the
alert back, close it by alias, wait for the close, confirm it is closed.

Pages followed: docs.opsgenie.com/docs/alert-api (Create Alert 202 `requestId`, Get Request
Status, Get Alert `identifierType=alias`, Close Alert), opsgenie-go-sdk-v2 client.go (poll while
404 `X-Opsgenie-Errortype: RequestNotProcessed`). Every write is asynchronous: a 202 proves
nothing until the request status says `isSuccess`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opwire.http import Reply

if TYPE_CHECKING:
    from opwire.integrations.opsgenie import Settings
    from opwire.probing import ProbeContext

PROCESS_WINDOW_S = 30.0
ALIAS = {"identifierType": "alias"}


def alert_body(settings: Settings, alias: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": f"opwire verify {alias} (test alert, closes itself)",
        "alias": alias,
        "description": "Sent by opwire verify to prove delivery; closed automatically.",
        "tags": ["verify", "opwire"],
        "details": {"run_id": alias, "verify": "true"},
        "priority": "P5",
        "source": "opwire",
    }
    if settings.team:
        body["responders"] = [{"name": settings.team, "type": "team"}]
    return body


def _headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"GenieKey {settings.api_key.reveal()}"}


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    alias = ctx.run_id
    entry = ctx.remember({"alias": alias})
    created = await ctx.call(
        "create",
        "POST",
        f"{settings.api_url}/v2/alerts",
        ok=_accepted,
        json=alert_body(settings, alias),
        headers=_headers(settings),
    )
    if created is None and ctx.refused:
        ctx.forget(entry)  # refused outright: no alert exists
        if ctx.failure_code == "opsgenie.key_invalid" and settings.sweep:
            await sweep(ctx, settings)
        return
    if created is not None and not await _processed(ctx, settings, "create processed", created):
        if ctx.refused or _request_failed(ctx):
            ctx.forget(entry)  # the create failed at processing: no alert exists
        return
    if created is not None:
        await ctx.call(
            "read back",
            "GET",
            f"{settings.api_url}/v2/alerts/{alias}",
            ok=_alert_status("open"),
            params=ALIAS,
            headers=_headers(settings),
        )
    if await cleanup(ctx, settings, {"alias": alias}, known_open=created is not None):
        ctx.forget(entry)


async def cleanup(
    ctx: ProbeContext, settings: Settings, artifact: dict[str, Any], *, known_open: bool = False
) -> bool:
    """Close the test alert by alias, wait for the close to be processed, confirm it closed."""
    alias, url = str(artifact["alias"]), f"{settings.api_url}/v2/alerts/{artifact['alias']}"
    if not known_open:
        current = await ctx.peek("GET", url, params=ALIAS, headers=_headers(settings))
        if current is not None and (current.status == 404 or _alert_status("closed")(current)):
            ctx.note(f"alert {alias} is not open: nothing to close")
            return True
    closing = await ctx.call(
        "close",
        "POST",
        f"{url}/close",
        ok=_accepted,
        params=ALIAS,
        json={"source": "opwire", "note": "opwire verify cleanup"},
        headers=_headers(settings),
    )
    if closing is None or not await _processed(ctx, settings, "close processed", closing):
        return False
    closed = await ctx.poll(
        "confirm closed",
        "GET",
        url,
        ok=lambda r: r.status == 200,
        found=_alert_status("closed"),
        within_s=PROCESS_WINDOW_S,
        missing="opsgenie.not_closed",
        params=ALIAS,
        headers=_headers(settings),
    )
    return closed is not None


async def sweep(ctx: ProbeContext, settings: Settings) -> None:
    """Ask the other region whether it knows the key: a read-only alert count."""
    others = {r: u for r, u in settings.region_urls.items() if r != settings.region}
    question = "asking the other Opsgenie region whether it knows the key"
    swept = await ctx.sweep(
        question, others, "/v2/alerts/count", lambda r: r.status == 200, headers=_headers(settings)
    )
    if (region := swept.found) is not None:
        ctx.amend(
            f"this key is valid in {region} ({others[region]}); OPSGENIE_REGION is "
            f"{settings.region}",
            code="opsgenie.wrong_region",
            fix=f"Set OPSGENIE_REGION={region} in .env.local.",
        )


async def _processed(ctx: ProbeContext, settings: Settings, step: str, accepted: Reply) -> bool:
    request_id = (accepted.json() or {}).get("requestId")
    done = await ctx.poll(
        step,
        "GET",
        f"{settings.api_url}/v2/alerts/requests/{request_id}",
        ok=_succeeded,
        found=_succeeded,
        pending=_not_processed,
        within_s=PROCESS_WINDOW_S,
        missing="opsgenie.request_not_processed",
        headers=_headers(settings),
    )
    return done is not None


def _request_failed(ctx: ProbeContext) -> bool:
    reply = ctx.last_exchange.reply if ctx.last_exchange else None
    return False if reply is None else _field(reply, "isSuccess") is False


def _accepted(reply: Reply) -> bool:
    return reply.status == 202 and bool((reply.json() or {}).get("requestId"))


def _not_processed(reply: Reply) -> bool:
    return (
        reply.status == 404 and reply.headers.get("x-opsgenie-errortype") == "RequestNotProcessed"
    )


def _succeeded(reply: Reply) -> bool:
    return reply.status == 200 and _field(reply, "isSuccess") is True


def _field(reply: Reply, name: str) -> Any:
    document = reply.json()
    data = document.get("data") if isinstance(document, dict) else None
    return data.get(name) if isinstance(data, dict) else None


def _alert_status(wanted: str) -> Any:
    return lambda reply: reply.status == 200 and _field(reply, "status") == wanted
