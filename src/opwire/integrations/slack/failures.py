"""Slack's failure table: each row a symptom (status, body), a cause and a fix.

Webhook errors are bare words in a text/plain body (api.slack.com/changelog/2016-05-17-changes-to-
errors-for-incoming-webhooks; vendor-contracts.md § 5.3). Web API errors are HTTP 200 with
`{"ok": false, "error": "<code>"}` (api.slack.com/methods/conversations.history, § 5.4).

The word is the contract, so a webhook row matches the word at any status. The comment above
each row gives the status Slack documents (the changelog's table) or, marked UNCONFIRMED, the one
it most likely is (vendor-contracts.md § 5.3, § 9); it is never matched, so a status that differs
from the guess (ours, and the mock's) cannot turn `no_service` into another diagnosis. Only the
429 and the bare 404 rows match a status: they have no documented word.
"""

from __future__ import annotations

from opwire.diagnosis import Rule

RUNBOOK = "setup-runbooks/slack.md"
_REISSUE = (
    "Re-issue the webhook in Slack (App Directory → Incoming Webhooks → Add to channel) and put "
    "the new URL in SLACK_WEBHOOK_URL in .env.local; no redeploy is needed."
)
_BOT = "Invite the bot to the channel (/invite @bot) or fix SLACK_CHANNEL_ID."


def _word(code: str, word: str, cause: str, fix: str) -> Rule:
    """A webhook error by its word, at whatever status it comes with."""
    return _send(code, None, word, cause, fix)


def _send(code: str, status: int | None, body: str | None, cause: str, fix: str) -> Rule:
    return Rule(
        f"slack.{code}",
        cause,
        fix,
        status=status,
        body=body,
        step="send",
        runbook=f"{RUNBOOK}#{code.replace('_', '-')}",
    )


def _read(code: str, error: str, cause: str, fix: str, step: str | None = "read back") -> Rule:
    return Rule(
        f"slack.{code}",
        cause,
        fix,
        json={"ok": False, "error": error},
        step=step,
        runbook=f"{RUNBOOK}#{code.replace('_', '-')}",
    )


RULES: tuple[Rule, ...] = (
    # Slack's status: 404 UNCONFIRMED
    _word(
        "webhook_revoked",
        "no_service",
        "The webhook is disabled, removed or invalid: the app was uninstalled, the channel "
        "deleted, or the URL rotated. Webhooks expire silently.",
        _REISSUE,
    ),
    # Slack's status: 404
    _word(
        "channel_not_found",
        "channel_not_found",
        "The webhook's channel no longer exists.",
        _REISSUE,
    ),
    # Slack's status: 410
    _word(
        "channel_archived",
        "channel_is_archived",
        "The webhook's channel is archived.",
        "Unarchive the channel, or re-issue the webhook for a live channel.",
    ),
    # Slack's status: 400
    _word(
        "invalid_payload",
        "invalid_payload",
        "Slack could not parse the message body (malformed JSON or blocks).",
        "A bug in the sender: report it with this output; the webhook itself is fine.",
    ),
    # Slack's status: 400 UNCONFIRMED (observed)
    _word(
        "no_text",
        "no_text",
        "The message had no text, blocks or attachments.",
        "A bug in the sender: report it with this output; the webhook itself is fine.",
    ),
    # Slack's status: 400 UNCONFIRMED (observed)
    _word(
        "no_text",
        "missing_text_or_fallback_or_attachments",
        "The message had no text, blocks or attachments.",
        "A bug in the sender: report it with this output; the webhook itself is fine.",
    ),
    # Slack's status: 403
    _word(
        "action_prohibited",
        "action_prohibited",
        "A workspace admin restricts posting to this channel.",
        "Ask a Slack admin to allow the app to post, or use another channel's webhook.",
    ),
    # Slack's status: 403 UNCONFIRMED
    _word(
        "general_channel_denied",
        "posting_to_general_channel_denied",
        "Only admins may post to the workspace's general channel.",
        "Issue the webhook for a dedicated alerts channel instead.",
    ),
    # Slack's status: 403 UNCONFIRMED
    _word(
        "invalid_token",
        "invalid_token",
        "The webhook's token is no longer valid.",
        _REISSUE,
    ),
    # Slack's status: UNCONFIRMED
    _word(
        "team_disabled",
        "team_disabled",
        "The Slack workspace has been disabled.",
        "Contact the workspace owner; no webhook will work until it is re-enabled.",
    ),
    # Slack's status: 400
    _word(
        "user_not_found",
        "user_not_found",
        "The user who installed the webhook no longer exists.",
        _REISSUE,
    ),
    # Documented status, undocumented body (`rate_limited`? UNCONFIRMED): the status is all.
    _send(
        "rate_limited",
        429,
        None,
        "Slack rate-limited the webhook (about one message per second) for the whole budget.",
        "Wait 60 s and retry once; if sustained, something else posts through this webhook.",
    ),
    # Seed § 4: any other 404 from the webhook host means the same thing in practice.
    _send(
        "webhook_revoked",
        404,
        None,
        "The webhook URL answers 404: revoked, rotated, or mistyped.",
        _REISSUE,
    ),
    _read(
        "bot_not_in_channel",
        "not_in_channel",
        "The bot in SLACK_BOT_TOKEN is not a member of SLACK_CHANNEL_ID, so it cannot read it.",
        _BOT,
    ),
    _read(
        "history_channel_not_found",
        "channel_not_found",
        "SLACK_CHANNEL_ID does not exist or is private and the bot cannot see it.",
        _BOT,
    ),
    # Any Web API call says these of the token (auth.test's error enum in shared/specs/slack):
    # the read-back's and auth.test's (`opwire creds show --online`); a webhook never answers JSON.
    *(
        _read(
            "bot_token_invalid",
            error,
            "SLACK_BOT_TOKEN is missing, invalid, revoked or its account is inactive.",
            "Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page "
            "into SLACK_BOT_TOKEN.",
            step=None,
        )
        for error in ("not_authed", "invalid_auth", "token_revoked", "account_inactive")
    ),
    _read(
        "missing_scope",
        "missing_scope",
        "SLACK_BOT_TOKEN lacks the scope to read history.",
        "Add channels:history (and groups:history for private channels) to the app's bot "
        "scopes, reinstall it, and copy the new token.",
    ),
    Rule(
        "slack.message_not_in_channel",
        "The webhook answered ok, but the message did not appear in SLACK_CHANNEL_ID: the "
        "webhook posts to a different channel (a routing issue, not a credential issue).",
        "Check which channel the webhook was created for (Slack app → Incoming Webhooks) and "
        "set SLACK_CHANNEL_ID to that channel, or re-issue the webhook for this one.",
        runbook=f"{RUNBOOK}#message-not-in-channel",
    ),
)


# The drills of this room's named scenarios (mock.py): each must produce this code (opwire drill).
DRILLS: dict[str, str] = {
    "slack/revoked": "slack.webhook_revoked",
    "slack/archived": "slack.channel_archived",
    "slack/bot_not_in_channel": "slack.bot_not_in_channel",
    "slack/wrong_channel": "slack.message_not_in_channel",
    "slack/rate_limited": "slack.rate_limited",
}
