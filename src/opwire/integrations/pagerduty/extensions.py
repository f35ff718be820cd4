"""The PagerDuty mock's Slack extensions: a service's new incident becomes a message in a Slack
channel, through the channel's incoming webhook.

Pages followed: support.pagerduty.com/docs/slack-integration-guide ("When a PagerDuty incident is
triggered outside of Slack, an event is sent to the mapped Slack workspace, which generates a
message with the incident's details in the designated channel"); the REST spec's Extension
(`extension_objects` are services) and Incident (number, title, status, html_url, urgency,
service).

UNCONFIRMED, in one place so it is easy to correct: PagerDuty's Slack app posts through the Slack
API with its own layout and buttons; the mock posts to a webhook a message carrying what that
layout shows (status, `#<number>`, the title, the link, urgency, service), as attachment fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from opwire.config import credential_part
from opwire.mock.deliver import Delivery, is_http_url
from opwire.mock.state import fingerprint
from opwire.mock.values import ControlError

ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
FIELDS = ("id", "routing_key", "service", "webhook_url")
# Slack's attachment colours as PagerDuty's notifications use them by status (UNCONFIRMED).
COLOURS = {"triggered": "#D32F2F", "acknowledged": "#F9A825", "resolved": "#2E7D32"}


@dataclass(slots=True)
class Extension:
    """Slack notifications for one service, named by its routing key or its service id."""

    id: str
    webhook_url: str
    routing_key: str | None = None
    service: str | None = None
    delivery: Delivery = field(default_factory=Delivery)

    def serves(self, routing_key: str, service_id: str) -> bool:
        return self.routing_key == routing_key or self.service == service_id

    def mask(self, text: str) -> str:
        """`text` without the webhook's secret part (nor the routing key)."""
        for secret in (credential_part(self.webhook_url), self.routing_key):
            if secret and secret != self.webhook_url:
                text = text.replace(secret, "****")
        return text

    def to_json(self) -> dict[str, Any]:
        """The extension as the control route shows it: no secret in it."""
        return {
            "id": self.id,
            "routing_key": fingerprint(self.routing_key) if self.routing_key else None,
            "service": self.service,
            "webhook_url": self.mask(self.webhook_url),
            "delivery": self.delivery.to_json(),
        }


def parse_extensions(data: Any, taken: int) -> list[Extension]:
    """An extension object or a list of them, checked whole; ControlError says what is wrong."""
    items = data if isinstance(data, list) else [data]
    return [_extension(item, taken + n) for n, item in enumerate(items, 1)]


def _extension(item: Any, n: int) -> Extension:
    if not isinstance(item, dict):
        raise ControlError('an extension is {"routing_key" or "service", "webhook_url", "id"?}')
    if unknown := sorted(set(item) - set(FIELDS)):
        raise ControlError(f"unknown extension field {unknown[0]!r}; fields: {', '.join(FIELDS)}")
    key, service = item.get("routing_key"), item.get("service")
    if (key is None) == (service is None):
        raise ControlError("name the service by exactly one of routing_key or service (its id)")
    if key is not None and not (isinstance(key, str) and ROUTING_KEY.match(key)):
        raise ControlError("routing_key is a 32-character Events API v2 integration key")
    if service is not None and not (isinstance(service, str) and service.strip()):
        raise ControlError("service is a service id, like PSVC001")
    url = item.get("webhook_url")
    if not isinstance(url, str) or not is_http_url(url):
        raise ControlError("webhook_url is the Slack incoming webhook URL to post to")
    ext_id = item.get("id", f"extension-{n}")
    if not isinstance(ext_id, str) or not ext_id.strip():
        raise ControlError("id is a non-empty string")
    return Extension(ext_id, url, key, service)


def slack_message(incident: dict[str, Any]) -> dict[str, Any]:
    """The channel's message for an incident: its status, number, title (which carries what
    the alert said, a run id included), link, urgency and service."""
    status = str(incident["status"])
    number, title, link = incident["incident_number"], incident["title"], incident["html_url"]
    words = f"{status.capitalize()}: #{number} {title}"
    return {
        "text": f"{status.capitalize()}: <{link}|#{number} {title}>",
        "attachments": [
            {
                "fallback": words,
                "color": COLOURS.get(status, "#616161"),
                "title": f"#{number} {title}",
                "title_link": link,
                "fields": [
                    {"title": "Status", "value": status.capitalize(), "short": True},
                    {
                        "title": "Urgency",
                        "value": str(incident["urgency"]).capitalize(),
                        "short": True,
                    },
                    {"title": "Service", "value": incident["service"]["summary"], "short": True},
                ],
            }
        ],
    }
