"""Slack: an incoming webhook to send, the Web API's conversations.history to read back.

Pages followed: api.slack.com/messaging/webhooks, api.slack.com/changelog/2016-05-17-changes-to-
errors-for-incoming-webhooks, api.slack.com/methods/conversations.history, and
shared/reference/vendor-contracts.md § 5.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from opwire.config import ConfigError, Lookup, Secret
from opwire.room import READ_BACK, ROUTING, Problem, Room, Var, loopback_url

SLUG = "slack"
TITLE = "Slack"
API_BASE = "https://slack.com/api"
# The secret is 24 alphanumerics, as Slack issues it (vendor-contracts.md § 5.1, the example in
# slackapi/slack-github-action's docs); the Slack mock authenticates the same shape, so a value
# cut short or pasted with more is caught here, before a run, instead of as a 404 from Slack.
WEBHOOK_PATH = re.compile(r"^/services/(T[A-Z0-9]{6,})/(B[A-Z0-9]{6,})/([A-Za-z0-9]{24})$")
BOT_TOKEN = re.compile(r"^xox[bp]-[A-Za-z0-9-]{10,}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")

# Incoming webhooks live on hooks.slack.com, and on hooks.slack-gov.com for GovSlack
# (api.slack.com/messaging/webhooks; slack.com/help/articles/GovSlack).
WEBHOOK_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")
WEBHOOK_SHAPE = r"https://hooks\.slack(-gov)?\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/\S+"
_FIX = "copy it again from App Directory → Incoming Webhooks → Add to channel"


def _webhook_check(value: str) -> Problem | None:
    """The webhook URL's shape, and the things pasted instead of it, each named."""
    if BOT_TOKEN.match(value) or value.startswith("xox"):
        return Problem(
            "is a Slack token (xox…), not a webhook URL", f"it goes in SLACK_BOT_TOKEN; {_FIX}"
        )
    parts = urlsplit(value)
    if "/triggers/" in parts.path or "/workflows/" in parts.path:
        return Problem(
            "is a Workflow Builder webhook (…/triggers/…), not an incoming webhook",
            f"it takes the workflow's own variables, not a message; {_FIX}",
        )
    if loopback_url(value):
        if WEBHOOK_PATH.match(parts.path):
            return Problem("points at this machine, not Slack", "fine for the mocks", True)
    elif parts.scheme != "https" or parts.hostname not in WEBHOOK_HOSTS:
        return Problem(
            "is not an incoming webhook URL on https://hooks.slack.com (or hooks.slack-gov.com; "
            "the value is not shown)",
            _FIX,
        )
    if not WEBHOOK_PATH.match(parts.path):
        return Problem(
            "is not an incoming webhook URL: its path is not /services/T…/B…/<24 characters> "
            "(cut short or pasted with more; the value is not shown)",
            _FIX,
        )
    return None


def _channel_check(value: str) -> Problem | None:
    if value.startswith("#") or not value[:1].isupper():
        return Problem(
            "is a channel name, not its ID",
            "open the channel's details in Slack and copy the ID (like C0123456789)",
        )
    return None


# Mock mode never carries an operator's secret: placeholders of the right shape. The channel is
# the one the Slack mock delivers unregistered webhooks to (its documented default).
MOCK_WEBHOOK_PATH = "/services/T0OPWIRE0/B0OPWIRE0/opwireMockPlaceholder000"
MOCK_BOT_TOKEN = "xoxb-opwire-mock-placeholder"
MOCK_CHANNEL_ID = "C0OPWIRE01"

ROOM = Room(
    slug=SLUG,
    title=TITLE,
    port=4105,
    variables=(
        Var(
            "SLACK_WEBHOOK_URL",
            "an incoming webhook URL, https://hooks.slack.com/services/T…/B…/<24 characters> "
            "(App Directory → Incoming Webhooks → Add to channel)",
            "https://hooks.slack.com/services/T0EXAMPLE/B0EXAMPLE/ExampleExampleExample000",
            secret=True,
            checks=(_webhook_check,),
            shape=WEBHOOK_SHAPE,
        ),
        Var(
            "SLACK_BOT_TOKEN",
            "a Bot User OAuth Token (xoxb-…) with channels:history",
            "xoxb-0000000000-example-placeholder",
            secret=True,
            needed_for=frozenset({READ_BACK}),
            pattern=r"xox[bp]-[A-Za-z0-9-]{10,}",
        ),
        Var(
            "SLACK_CHANNEL_ID",
            "the webhook's channel ID, like C0123456789 (not the #name: open the channel's "
            "details in Slack to copy it)",
            "C0123456789",
            needed_for=frozenset({READ_BACK}),
            pattern=r"[CGD][A-Z0-9]{6,}",
            checks=(_channel_check,),
        ),
        Var(
            "OPERATOR_WIRING_SLACK_API_URL",
            "an http(s) URL: the Web API base for the read-back (default https://slack.com/api)",
            "https://slack-proxy.internal/api",
            needed_for=frozenset({ROUTING}),
            url=True,
        ),
    ),
    probe="opwire.integrations.slack.probe:probe",
    rules="opwire.integrations.slack.failures:RULES",
    drills="opwire.integrations.slack.failures:DRILLS",
    mock="opwire.integrations.slack.mock:create_app",
    auth="opwire.integrations.slack.probe:whoami",
    no_cleanup=(
        "a webhook cannot delete what it posted; the message carries the run id and says it is "
        "a test"
    ),
)


@dataclass(frozen=True, slots=True)
class Settings:
    webhook_url: Secret
    bot_token: Secret | None
    channel_id: str | None
    api_base: str

    def secrets(self) -> list[Secret]:
        # The webhook's last path segment is its secret; masking it keeps the T…/B… ids readable.
        match = WEBHOOK_PATH.match(urlsplit(self.webhook_url.reveal()).path)
        parts = [Secret(match.group(3))] if match else [self.webhook_url]
        return [*parts, *([self.bot_token] if self.bot_token else [])]

    def missing_read_vars(self) -> list[str]:
        return [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", self.bot_token),
                ("SLACK_CHANNEL_ID", self.channel_id),
            )
            if value is None
        ]


def load_settings(lookup: Lookup, real: bool, mock_base: str) -> Settings:
    if not real:
        return Settings(
            Secret(mock_base + MOCK_WEBHOOK_PATH),
            Secret(MOCK_BOT_TOKEN),
            MOCK_CHANNEL_ID,
            mock_base + "/api",
        )
    webhook = ROOM.var("SLACK_WEBHOOK_URL").secret_of(lookup)
    if webhook is None:
        raise ConfigError(
            "SLACK_WEBHOOK_URL is not set (real_slack needs the incoming webhook URL)"
        )
    _check_webhook(webhook)
    token = lookup.secret("SLACK_BOT_TOKEN")
    if token is not None and not BOT_TOKEN.match(token.reveal()):
        raise ConfigError("SLACK_BOT_TOKEN is not a Slack bot token (expected xoxb-…)")
    channel = lookup.get("SLACK_CHANNEL_ID")
    if channel is not None and not CHANNEL_ID.match(channel):
        raise ConfigError(
            f"SLACK_CHANNEL_ID {channel!r} is not a channel ID (expected like C0123456789, "
            "not the #name: open the channel's details in Slack to copy it)"
        )
    api_base = (lookup.url("OPERATOR_WIRING_SLACK_API_URL") or API_BASE).rstrip("/")
    return Settings(webhook, token, channel, api_base)


def _check_webhook(webhook: Secret) -> None:
    parts = urlsplit(webhook.reveal())
    loopback = _is_loopback(parts.hostname or "")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConfigError("SLACK_WEBHOOK_URL must be an https:// URL (the value is not shown)")
    if not WEBHOOK_PATH.match(parts.path):
        raise ConfigError(
            "SLACK_WEBHOOK_URL is not an incoming webhook URL (expected "
            "https://hooks.slack.com/services/T…/B…/<secret>; the value is not shown)"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def at_mock(real: Settings, mock: Settings) -> Settings:
    """The operator's webhook (its path, on the mock's host) and bot token against the mock."""
    path = urlsplit(real.webhook_url.reveal()).path
    base = mock.webhook_url.reveal().removesuffix(MOCK_WEBHOOK_PATH)
    return replace(mock, webhook_url=Secret(base + path), bot_token=real.bot_token)
