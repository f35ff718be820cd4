"""Sentry requests, as values: an event in an envelope, its read-back, its issue resolved.

Pages followed: develop.sentry.dev/sdk/envelopes/ (envelope with item `length`),
develop.sentry.dev/sdk/overview/ (X-Sentry-Auth, `{"id": …}`), docs.sentry.io/api/events/
(retrieve an event for a project, 404 until processed), docs.sentry.io/api/events/update-an-issue/
(`{"status": "resolved"}`).
Builders take what they send as arguments; the verify ladder (probe.py) and the application-side
sender each bring their own words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opwire import __version__
from opwire.http import Outbound, Reply

if TYPE_CHECKING:
    from opwire.integrations.sentry import Settings


def envelope(
    settings: Settings, event: Mapping[str, Any], *, sent_at: datetime | None = None
) -> Outbound:
    """`event` (with its `event_id`) as a one-item envelope to the DSN's ingest endpoint;
    `sent_at` (default now) lets Relay correct the event's clock."""
    payload = json.dumps(dict(event)).encode()
    head = {
        "event_id": event["event_id"],
        "sent_at": (sent_at or datetime.now(UTC)).isoformat(),
    }
    item = {"type": "event", "length": len(payload), "content_type": "application/json"}
    body = b"\n".join([json.dumps(head).encode(), json.dumps(item).encode(), payload]) + b"\n"
    auth = (
        f"Sentry sentry_version=7, sentry_client=opwire/{__version__}, "
        f"sentry_key={settings.key.reveal()}"
    )
    headers = {"X-Sentry-Auth": auth, "Content-Type": "application/x-sentry-envelope"}
    return Outbound("POST", settings.ingest_url, headers, content=body)


def _api(settings: Settings, method: str, path: str, body: Any = None, base: str = "") -> Outbound:
    """A web API request with the auth token (SENTRY_AUTH_TOKEN, for the read-back)."""
    assert settings.auth_token is not None
    headers = {"Authorization": f"Bearer {settings.auth_token.reveal()}"}
    return Outbound(method, f"{base or settings.api_url}/api/0/{path}", headers, json=body)


def get_event(settings: Settings, event_id: str) -> Outbound:
    """The stored event, in SENTRY_PROJECT (404 until Sentry has processed it)."""
    return _api(settings, "GET", f"projects/{settings.org}/{settings.project}/events/{event_id}/")


def find_event(settings: Settings, event_id: str) -> Outbound:
    """Where an event id landed in the organization: its project and issue (`groupId`)."""
    return _api(settings, "GET", f"organizations/{settings.org}/eventids/{event_id}/")


def get_issue(settings: Settings, group: str) -> Outbound:
    return _api(settings, "GET", f"organizations/{settings.org}/issues/{group}/")


def resolve_issue(settings: Settings, group: str) -> Outbound:
    path = f"organizations/{settings.org}/issues/{group}/"
    return _api(settings, "PUT", path, {"status": "resolved"})


def organization(settings: Settings, base: str) -> Outbound:
    """SENTRY_ORG on the region whose web API is at `base`: the region sweep's question."""
    return _api(settings, "GET", f"organizations/{settings.org}/", base=base)


def ok(reply: Reply) -> bool:
    return reply.status == 200


def is_organization(reply: Reply) -> bool:
    """The web API answered with the organization (its `slug`)."""
    document = reply.json()
    return reply.status == 200 and isinstance(document, dict) and bool(document.get("slug"))


def stored(reply: Reply, event_id: str) -> bool:
    """Ingest took the envelope: 200 with the event's own id."""
    return reply.status == 200 and (reply.json() or {}).get("id") == event_id


def tagged(reply: Reply, value: str) -> bool:
    """The event read back carries a tag of `value` (the run id)."""
    tags = (reply.json() or {}).get("tags") or []
    return any(isinstance(t, dict) and t.get("value") == value for t in tags)


def not_yet(reply: Reply) -> bool:
    """404 "Event not found": the event is not processed yet. A 404 "The requested resource does
    not exist" is the org or project the token cannot see (Sentry's ResourceDoesNotExist, from the
    endpoint's org and project lookup): that never turns into the event, so it is not waited on."""
    return reply.status == 404 and "requested resource does not exist" not in reply.text


def group_id(reply: Reply, key: str = "groupID") -> str | None:
    """The issue of an event read back (`groupID`; `groupId` in an eventids answer); None when
    the answer names none (never the text "None" as an issue id)."""
    value = (reply.json() or {}).get(key)
    return None if value in (None, "") else str(value)


def resolved(reply: Reply) -> bool:
    return (reply.json() or {}).get("status") == "resolved"
