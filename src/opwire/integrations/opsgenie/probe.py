"""Opsgenie probe: create (alias = run id, the team as responder), wait until processed, read the
alert back, close it by alias, wait for the close, confirm it is closed.

Pages followed: docs.opsgenie.com/docs/alert-api (Create Alert 202 `requestId`, Get Request
Status, Get Alert `identifierType=alias`, Close Alert), opsgenie-go-sdk-v2 client.go (poll while
404 `X-Opsgenie-Errortype: RequestNotProcessed`). Every write is asynchronous: a 202 proves
nothing until the request status says `isSuccess`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opwire.integrations.opsgenie import client

if TYPE_CHECKING:
    from opwire.http import Reply
    from opwire.integrations.opsgenie import Settings
    from opwire.probing import ProbeContext

PROCESS_WINDOW_S = 30.0


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    alias = ctx.run_id
    entry = ctx.remember({"alias": alias})
    created = await ctx.call(
        "create",
        client.create_alert(
            settings,
            alias,
            f"opwire verify {alias} (test alert, closes itself)",
            description="Sent by opwire verify to prove delivery; closed automatically.",
            tags=("verify", "opwire"),
            details={"run_id": alias, "verify": "true"},
            priority="P5",
        ),
        ok=client.accepted,
    )
    if created.refused:
        ctx.forget(entry)  # refused outright: no alert exists
        if created.code == "opsgenie.key_invalid" and settings.sweep:
            await sweep(ctx, settings)
        return
    if created.ok and not await _processed(ctx, settings, "create processed", created.answer):
        return  # whether the alert exists is for `opwire cleanup` to find out: its entry stays
    if created.ok:
        await ctx.call(
            "read back",
            client.get_alert(settings, alias),
            ok=lambda reply: client.alert_status(reply, "open"),
        )
    if await cleanup(ctx, settings, {"alias": alias}, known_open=created.ok):
        ctx.forget(entry)


async def cleanup(
    ctx: ProbeContext, settings: Settings, artifact: dict[str, Any], *, known_open: bool = False
) -> bool:
    """Close the test alert by alias, wait for the close to be processed, confirm it closed."""
    alias = str(artifact["alias"])
    if not known_open:
        current = await ctx.peek(client.get_alert(settings, alias))
        if current is not None and (
            current.status == 404 or client.alert_status(current, "closed")
        ):
            ctx.note(f"alert {alias} is not open: nothing to close")
            return True
    closing = await ctx.call(
        "close",
        client.close_alert(settings, alias, note="opwire verify cleanup"),
        ok=client.accepted,
    )
    if not closing.ok or not await _processed(ctx, settings, "close processed", closing.answer):
        return False
    closed = await ctx.poll(
        "confirm closed",
        client.get_alert(settings, alias),
        ok=lambda reply: reply.status == 200,
        found=lambda reply: client.alert_status(reply, "closed"),
        within_s=PROCESS_WINDOW_S,
        missing="opsgenie.not_closed",
    )
    return closed.ok


async def sweep(ctx: ProbeContext, settings: Settings) -> None:
    """Ask the other region whether it knows the key: a read-only alert count."""
    others = {r: u for r, u in settings.region_urls.items() if r != settings.region}
    swept = await ctx.sweep(
        "asking the other Opsgenie region whether it knows the key",
        others,
        lambda base: client.count_alerts(settings, base),
        lambda reply: reply.status == 200,
    )
    if (region := swept.found) is not None:
        ctx.amend(
            f"this key is valid in {region} ({others[region]}); OPSGENIE_REGION is "
            f"{settings.region}",
            code="opsgenie.wrong_region",
            fix=f"Set OPSGENIE_REGION={region} in .env.local.",
        )


async def _processed(ctx: ProbeContext, settings: Settings, step: str, accepted: Reply) -> bool:
    done = await ctx.poll(
        step,
        client.request_status(settings, str(client.request_id(accepted))),
        ok=client.succeeded,
        found=client.succeeded,
        pending=client.not_processed,
        within_s=PROCESS_WINDOW_S,
        missing="opsgenie.request_not_processed",
    )
    return done.ok


async def whoami(ctx: ProbeContext, settings: Settings) -> None:
    """Whether OPSGENIE_API_KEY works now, creating nothing (`opwire creds show --online`): an
    alert count, the read any key with read access may make. Not GET /v2/account: a team
    integration's key is refused account-level requests (docs.opsgenie.com/docs/api-key-
    management), which that one likely is. The sweep asks the other region when refused."""
    counted = await ctx.call(
        "api key", client.count_alerts(settings, settings.api_url), ok=client.counted
    )
    if counted.code == "opsgenie.key_invalid" and settings.sweep:
        await sweep(ctx, settings)
    elif counted.ok:
        ctx.note(
            "whether OPSGENIE_API_KEY may create alerts (an API integration's key, not an "
            "account or user key) shows only when one is created: `opwire verify opsgenie`"
        )
