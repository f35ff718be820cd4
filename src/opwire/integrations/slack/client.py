"""Slack requests, as values: a message through an incoming webhook, the channel's history.

Pages followed: api.slack.com/messaging/webhooks (200 `ok`, text/plain);
api.slack.com/methods/conversations.history (Bearer token, `oldest`, `{"ok": …, "messages": […]}`);
api.slack.com/methods/auth.test (GET in shared/specs/slack, `{"ok": true, "team_id", "user_id"}`).
Builders take what they send as arguments; the verify ladder (probe.py) and the application-side
sender each bring their own words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opwire.http import Outbound, Reply

if TYPE_CHECKING:
    from opwire.integrations.slack import Settings


def post_message(settings: Settings, text: str) -> Outbound:
    """`text` to the webhook's channel (the webhook fixes the channel; no token needed)."""
    return Outbound("POST", settings.webhook_url.reveal(), json={"text": text})


def channel_history(settings: Settings, oldest: float, limit: int = 100) -> Outbound:
    """The channel's messages since `oldest` (epoch seconds), newest first, with the bot token."""
    assert settings.bot_token is not None and settings.channel_id is not None
    return Outbound(
        "GET",
        f"{settings.api_base}/conversations.history",
        headers={"Authorization": f"Bearer {settings.bot_token.reveal()}"},
        params={"channel": settings.channel_id, "oldest": f"{oldest:.6f}", "limit": str(limit)},
    )


def auth_test(settings: Settings) -> Outbound:
    """Who the bot token is: the Web API's cheapest authenticated read (no scope needed)."""
    assert settings.bot_token is not None
    headers = {"Authorization": f"Bearer {settings.bot_token.reveal()}"}
    return Outbound("GET", f"{settings.api_base}/auth.test", headers)


def webhook_ok(reply: Reply) -> bool:
    """Webhooks answer 200 and the plain text `ok`; anything else is Slack's word for a fault."""
    return reply.status == 200 and reply.text.strip() == "ok"


def api_ok(reply: Reply) -> bool:
    document = reply.json()
    return reply.status == 200 and isinstance(document, dict) and document.get("ok") is True


def has_message(reply: Reply, needle: str) -> bool:
    """A message of the history answer contains `needle` (a run id) in its text."""
    messages = reply.json().get("messages") or []
    return any(needle in str(m.get("text", "")) for m in messages if isinstance(m, dict))
