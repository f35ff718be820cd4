"""Slack probe: post a message carrying the run id through the webhook, then find it in the
channel's history with the bot token.

Pages followed: api.slack.com/messaging/webhooks (200 `ok`, text/plain);
api.slack.com/methods/conversations.history (Bearer token, `oldest`, `{"ok": …, "messages": […]}`).
Nothing is cleaned up: the message says it is a test, and Slack webhooks cannot delete.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from opwire.http import Reply

if TYPE_CHECKING:
    from opwire.integrations.slack import Settings
    from opwire.probing import ProbeContext

READ_BACK_WINDOW_S = 30.0
# Slack's clock and ours may differ; look back this far for the message.
CLOCK_SLACK_S = 300.0


def message(run_id: str) -> dict[str, Any]:
    """The webhook body: the run id in the text, so the read-back finds exactly this message."""
    return {
        "text": f"opwire verify {run_id}: test message from the operator-wiring verifier "
        "(verify=true). Safe to ignore."
    }


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    started = time.time()
    sent = await ctx.call(
        "send", "POST", settings.webhook_url.reveal(), ok=_webhook_ok, json=message(ctx.run_id)
    )
    if sent is None:
        return
    missing = settings.missing_read_vars()
    if missing or settings.bot_token is None:
        ctx.skipped(
            "read back", f"set {' and '.join(missing)} to confirm the message reached the channel"
        )
        return
    await ctx.poll(
        "read back",
        "GET",
        f"{settings.api_base}/conversations.history",
        ok=_api_ok,
        found=lambda reply: _has(reply, ctx.run_id),
        within_s=READ_BACK_WINDOW_S,
        missing="slack.message_not_in_channel",
        params={
            "channel": settings.channel_id,
            "oldest": f"{started - CLOCK_SLACK_S:.6f}",
            "limit": "100",
        },
        headers={"Authorization": f"Bearer {settings.bot_token.reveal()}"},
    )


def _webhook_ok(reply: Reply) -> bool:
    return reply.status == 200 and reply.text.strip() == "ok"


def _api_ok(reply: Reply) -> bool:
    document = reply.json()
    return reply.status == 200 and isinstance(document, dict) and document.get("ok") is True


def _has(reply: Reply, run_id: str) -> bool:
    messages = reply.json().get("messages") or []
    return any(run_id in str(m.get("text", "")) for m in messages if isinstance(m, dict))
