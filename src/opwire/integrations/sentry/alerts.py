"""The Sentry mock's issue alert rules: when an event opens a new issue, each rule sends the
PagerDuty Events API v2 trigger that Sentry's own PagerDuty integration sends.

Pages followed: getsentry/sentry src/sentry/integrations/pagerduty/client.py
(`build_pagerduty_event_payload`, read at blob 4349966611 of the code index: routing_key,
event_action trigger, payload summary = the event's message cut to 1024 or its title, severity
from the `level` tag unless the rule sets one, source = transaction or culprit or "<unknown>",
component = the project slug, custom_details = ExternalEventSerializer, client "sentry",
client_url, dedup_key = the issue's qualified short id, links "View Sentry Issue Details");
src/sentry/api/serializers/models/event.py (`ExternalEventSerializer`'s fields);
actions/notification.py (one send per rule, `after` the event is processed).

UNCONFIRMED here: Sentry's `event.message` is its search message; the mock sends the event's
formatted message. The `notification_uuid` in the link is a fresh uuid per send, as Sentry's is.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opwire.mock.deliver import Delivery, is_http_url
from opwire.mock.state import fingerprint
from opwire.mock.values import ControlError, number

ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
# Sentry's PagerdutySeverity; "default" maps the event's level through LEVEL_SEVERITY.
SEVERITIES = ("default", "critical", "warning", "error", "info")
LEVEL_SEVERITY = {
    "debug": "info",
    "info": "info",
    "warning": "warning",
    "error": "error",
    "fatal": "critical",
}
SUMMARY_MAX = 1024
FIELDS = ("id", "action", "events_url", "routing_key", "delay_s", "severity")
MAX_DELAY_S = 86400.0


@dataclass(slots=True)
class AlertRule:
    """`When a new issue is created, send a notification to PagerDuty` (one service's key)."""

    id: str
    events_url: str
    routing_key: str
    delay_s: float = 0.0
    severity: str = "default"
    delivery: Delivery = field(default_factory=Delivery)

    def mask(self, text: str) -> str:
        """`text` without the routing key (an error text may echo what was sent)."""
        return text.replace(self.routing_key, "****")

    def to_json(self) -> dict[str, Any]:
        """The rule as the control route shows it: the routing key as its fingerprint only."""
        return {
            "id": self.id,
            "action": "pagerduty",
            "events_url": self.events_url,
            "routing_key": fingerprint(self.routing_key),
            "delay_s": self.delay_s,
            "severity": self.severity,
            "delivery": self.delivery.to_json(),
        }


def parse_rules(data: Any, taken: int) -> list[AlertRule]:
    """A rule object or a list of them, checked whole; ControlError says what is wrong.
    `taken` numbers the rules that come without an id."""
    items = data if isinstance(data, list) else [data]
    return [_rule(item, taken + n) for n, item in enumerate(items, 1)]


def _rule(item: Any, n: int) -> AlertRule:
    if not isinstance(item, dict):
        raise ControlError(
            'a rule is {"action": "pagerduty", "events_url", "routing_key", "delay_s"?, '
            '"severity"?, "id"?}'
        )
    if unknown := sorted(set(item) - set(FIELDS)):
        raise ControlError(f"unknown rule field {unknown[0]!r}; fields: {', '.join(FIELDS)}")
    if item.get("action") != "pagerduty":
        raise ControlError('action must be "pagerduty" (the one rule action the mock has)')
    url = item.get("events_url")
    if not isinstance(url, str) or not is_http_url(url):
        raise ControlError("events_url is the Events API base, like http://127.0.0.1:4103")
    key = item.get("routing_key")
    if not isinstance(key, str) or not ROUTING_KEY.match(key):
        raise ControlError("routing_key is a 32-character Events API v2 integration key")
    severity = item.get("severity", "default")
    if severity not in SEVERITIES:
        raise ControlError(f"severity is one of {', '.join(SEVERITIES)}")
    rule_id = item.get("id", f"rule-{n}")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise ControlError("id is a non-empty string")
    delay = number(item.get("delay_s", 0), "delay_s", maximum=MAX_DELAY_S)
    return AlertRule(rule_id, url.rstrip("/"), key, delay, severity)


def trigger(
    rule: AlertRule, event_id: str, stored: dict[str, Any], group: dict[str, Any]
) -> dict[str, Any]:
    """The Events API v2 body Sentry's PagerDuty integration sends for a new issue."""
    event, project = stored["payload"], stored["project"]
    details = external_event(event_id, stored, group)
    level = next((t["value"] for t in details["tags"] if t["key"] == "level"), None)
    level = level or str(event.get("level") or "error")
    severity = rule.severity
    if severity == "default":
        severity = LEVEL_SEVERITY.get(level, "error")
    link = f"{group['permalink']}?referrer=pagerduty_integration&notification_uuid={uuid.uuid4()}"
    return {
        "routing_key": rule.routing_key,
        "event_action": "trigger",
        "payload": {
            "summary": details["message"][:SUMMARY_MAX] or details["title"],
            "severity": severity,
            "source": str(event.get("transaction") or event.get("culprit") or "<unknown>"),
            "custom_details": details,
            "component": project.slug,
        },
        "client": "sentry",
        "client_url": link,
        "dedup_key": group["shortId"],
        "links": [{"href": link, "text": "View Sentry Issue Details"}],
    }


def external_event(event_id: str, stored: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
    """ExternalEventSerializer's fields: what Sentry lets an integration see of an event."""
    event = stored["payload"]
    tags = event.get("tags") or {}
    pairs = (
        tags.items()
        if isinstance(tags, dict)
        else (t for t in tags if isinstance(t, list | tuple) and len(t) == 2)
    )
    user = event.get("user")
    return {
        "groupID": group["id"],
        "eventID": event_id,
        "project": str(stored["project"].id),
        "message": _message(event),
        "title": stored["title"],
        "location": None,
        "culprit": str(event.get("culprit") or ""),
        "user": user if isinstance(user, dict) else None,
        "tags": [{"key": str(k), "value": str(v)} for k, v in pairs],
        "platform": str(event.get("platform", "other")),
        "datetime": datetime.fromtimestamp(stored["received"], UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        ),
    }


def _message(event: dict[str, Any]) -> str:
    message = event.get("logentry") or event.get("message") or ""
    if isinstance(message, dict):
        message = message.get("formatted") or message.get("message") or ""
    return str(message)
