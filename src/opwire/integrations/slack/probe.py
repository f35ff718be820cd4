"""Slack probe: post a message carrying the run id through the webhook, then find it in the
channel's history with the bot token.

Pages followed: api.slack.com/messaging/webhooks (200 `ok`, text/plain);
api.slack.com/methods/conversations.history (Bearer token, `oldest`, `{"ok": …, "messages": […]}`).
Nothing is cleaned up: the message says it is a test, and Slack webhooks cannot delete.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from opwire.integrations.slack import client

if TYPE_CHECKING:
    from opwire.integrations.slack import Settings
    from opwire.probing import ProbeContext

READ_BACK_WINDOW_S = 30.0
# Slack's clock and ours may differ; look back this far for the message.
CLOCK_SLACK_S = 300.0


def text(run_id: str) -> str:
    """The run id in the text, so the read-back finds exactly this message."""
    return (
        f"opwire verify {run_id}: test message from the operator-wiring verifier "
        "(verify=true). Safe to ignore."
    )


async def probe(ctx: ProbeContext, settings: Settings) -> None:
    started = time.time()
    sent = await ctx.call(
        "send", client.post_message(settings, text(ctx.run_id)), ok=client.webhook_ok
    )
    if not sent.ok:
        return
    missing = settings.missing_read_vars()
    if missing or settings.bot_token is None:
        ctx.skipped(
            "read back", f"set {' and '.join(missing)} to confirm the message reached the channel"
        )
        return
    await ctx.poll(
        "read back",
        client.channel_history(settings, started - CLOCK_SLACK_S),
        ok=client.api_ok,
        found=lambda reply: client.has_message(reply, ctx.run_id),
        within_s=READ_BACK_WINDOW_S,
        missing="slack.message_not_in_channel",
    )


async def whoami(ctx: ProbeContext, settings: Settings) -> None:
    """Whether the credentials work now, creating nothing (`opwire creds show --online`):
    SLACK_BOT_TOKEN by auth.test."""
    ctx.note(
        "SLACK_WEBHOOK_URL not checked: a webhook can only post, so only a posted message "
        "tests it (`opwire verify slack` posts one)"
    )
    if settings.bot_token is None:
        ctx.skipped("token", "SLACK_BOT_TOKEN is not set (the read-back needs it)")
        return
    await ctx.call("token", client.auth_test(settings), ok=client.api_ok)
