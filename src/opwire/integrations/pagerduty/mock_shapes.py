"""The PagerDuty mock's REST shapes of what the Events API received: references, alert
contexts, log entries and change events.

Pages followed: shared/specs/pagerduty/REST/openapiv3.json components.schemas (Reference,
Context, Alert.body, LogEntry with TriggerLogEntry/AcknowledgeLogEntry/ResolveLogEntry,
Acknowledgement, AgentReference, ChangeEvent) and its listIncidentLogEntries example;
shared/specs/pagerduty/events-v2/openapiv3.json (`links[]` {href, text}, `images[]` {src, href,
alt}); developer.pagerduty.com docs/events-API-v2/{02-Trigger-Events,03-Change-Events}.

What the pages leave open is chosen in one block below, each line marked UNCONFIRMED.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

HOST = "https://api.pagerduty.com"
APP = "https://opwire-mock.pagerduty.com"
TIME = "%Y-%m-%dT%H:%M:%SZ"

# UNCONFIRMED facts, each easy to correct against a live account. (Each REST module's docstring
# lists its own: mock_rest.py, mock_updates.py, mock_writes.py, mock_directory.py.)
# A REST-made incident's trigger entry is "Triggered through the API by <user>"; a note's,
# reassignment's and snooze's entries are annotate, assign and snooze log entries so named.
# The spec's listIncidentLogEntries example: a trigger through the Events API is "Triggered
# through the API" by the service, channel {"type": "api"}. The other summaries follow it.
SUMMARIES = {
    ("trigger", "service"): "Triggered through the API",
    ("acknowledge", "service"): "Acknowledged through the API",
    ("resolve", "service"): "Resolved through the API",
    ("trigger", "user"): "Reopened by {who}",
    ("acknowledge", "user"): "Acknowledged by {who}",
    ("unacknowledge", "user"): "Unacknowledged by {who}",
    ("resolve", "user"): "Resolved by {who}",
    ("create", "user"): "Triggered through the API by {who}",
    ("annotate", "user"): "Note added by {who}",
    ("assign", "user"): "Reassigned by {who}",
    ("snooze", "user"): "Snoozed by {who}",
}
# LogEntry's type enum says acknowledge_log_entry (as do LogEntryReference's
# acknowledge_log_entry_reference and the docs); AcknowledgeLogEntry alone says
# acknowledgement_log_entry, which contradicts LogEntry inside its own allOf.
ACKNOWLEDGE_TYPE = "acknowledge_log_entry"
# A person's action through REST: the spec lists user channels as email, sms, website,
# web_trigger or note, none of them the API; the mock says "api" for both kinds of agent.
USER_CHANNEL = "api"
# An image context keeps the event's own field names (src, href, alt); the spec's Context has
# `text` as "the alternate display for an image" and names no `alt`.
IMAGE_FIELDS = ("src", "href", "alt")
# The REST answer's change event leaves out `routing_key` (the spec lists it, read-only), so
# the mock's answers and its inventory never show a credential.
LOG_TYPES = {
    "trigger": "trigger_log_entry",
    "acknowledge": ACKNOWLEDGE_TYPE,
    "unacknowledge": "unacknowledge_log_entry",
    "resolve": "resolve_log_entry",
    "create": "trigger_log_entry",
    "annotate": "annotate_log_entry",
    "assign": "assign_log_entry",
    "snooze": "snooze_log_entry",
}
REF_PATHS = {
    "service_reference": "services",
    "incident_reference": "incidents",
    "user_reference": "users",
    "alert_reference": "alerts",
    "escalation_policy_reference": "escalation_policies",
    "schedule_reference": "schedules",
    "priority_reference": "priorities",
    "team_reference": "teams",
}


# The mock account (mock_directory.py answers it whole): its owner, the owner's team, the one
# escalation policy, paging the one schedule.
OWNER = ("PMOCK01", "Opwire Mock Owner")
TEAM = ("PMOCKT1", "Operations")
POLICY = ("PMOCKE1", "Default")
SCHEDULE = ("PMOCKS1", "Primary on-call")


def owner_ref() -> dict[str, Any]:
    return ref("user_reference", *OWNER)


def team_ref() -> dict[str, Any]:
    return ref("team_reference", *TEAM)


def policy_ref() -> dict[str, Any]:
    return ref("escalation_policy_reference", *POLICY)


def assigned(now: str) -> list[dict[str, Any]]:
    """An open incident's assignments: the policy's on-call, the owner."""
    return [{"at": now, "assignee": owner_ref()}]


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:13].upper()


def stamp(moment: float) -> str:
    """A Unix time as PagerDuty writes it (whole seconds, UTC)."""
    return datetime.fromtimestamp(moment, UTC).strftime(TIME)


def ref(kind: str, obj_id: str, summary: str) -> dict[str, Any]:
    """A reference object (the spec's Reference: id, type, summary, self, html_url)."""
    path = REF_PATHS[kind]
    return {
        "id": obj_id,
        "type": kind,
        "summary": summary,
        "self": f"{HOST}/{path}/{obj_id}",
        "html_url": f"{APP}/{path}/{obj_id}",
    }


def ref_at(kind: str, obj_id: str, summary: str, path: str) -> dict[str, Any]:
    """A reference to an object under `path` (one REF_PATHS does not name)."""
    return {
        "id": obj_id,
        "type": kind,
        "summary": summary,
        "self": f"{HOST}/{path}/{obj_id}",
        "html_url": f"{APP}/{path}/{obj_id}",
    }


def token_user_ref(token: str) -> dict[str, Any]:
    """The user reference of a user-level token or OAuth token (a stable id per token)."""
    user_id = "PU" + hashlib.sha256(token.encode()).hexdigest()[:8].upper()
    return ref("user_reference", user_id, f"opwire mock user {user_id}")


def user_ref(email: str) -> dict[str, Any]:
    """The user reference of a `From` address (a stable id per address)."""
    user_id = "PU" + hashlib.sha256(email.lower().encode()).hexdigest()[:8].upper()
    return ref("user_reference", user_id, email)


def _strings(item: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {n: item[n] for n in names if isinstance(item.get(n), str)}


def links(body: dict[str, Any]) -> list[dict[str, str]]:
    """The event's `links` that have an `href` (href, text), as sent."""
    found = body.get("links")
    items = found if isinstance(found, list) else []
    return [_strings(i, ("href", "text")) for i in items if isinstance(i, dict) and _has(i, "href")]


def images(body: dict[str, Any]) -> list[dict[str, str]]:
    """The event's `images` that have a `src` (src, href, alt), as sent."""
    found = body.get("images")
    items = found if isinstance(found, list) else []
    return [_strings(i, IMAGE_FIELDS) for i in items if isinstance(i, dict) and _has(i, "src")]


def _has(item: dict[str, Any], name: str) -> bool:
    return isinstance(item.get(name), str) and bool(item[name].strip())


def contexts(body: dict[str, Any]) -> list[dict[str, str]]:
    """The alert body's `contexts` (the spec's Context): a link per link, an image per image."""
    return [{"type": "link", **link} for link in links(body)] + [
        {"type": "image", **image} for image in images(body)
    ]


def log_entry(
    action: str,
    incident: dict[str, Any],
    agent: dict[str, Any],
    now: str,
    **extra: Any,
) -> dict[str, Any]:
    """An incident log entry of `action` by `agent` (a service or user reference) at `now`."""
    entry_id = new_id("R")
    who = "user" if agent["type"] == "user_reference" else "service"
    summary = SUMMARIES[(action, who)].format(who=agent["summary"])
    channel = "api" if who == "service" else USER_CHANNEL
    return {
        "id": entry_id,
        "type": LOG_TYPES[action],
        "summary": summary,
        "self": f"{HOST}/log_entries/{entry_id}?incident_id={incident['id']}",
        "html_url": f"{APP}/incidents/{incident['id']}/log_entries/{entry_id}",
        "created_at": now,
        "agent": agent,
        "channel": {"type": channel, **extra.pop("channel", {})},
        "service": incident["service"],
        "incident": ref("incident_reference", incident["id"], incident["summary"]),
        "teams": incident.get("teams", []),
        "contexts": extra.pop("contexts", []),
        "event_details": {"description": incident["title"]},
        **extra,
    }


def entry_ref(entry: dict[str, Any]) -> dict[str, Any]:
    """A LogEntryReference of `entry` (as an incident's and an alert's first_trigger_log_entry)."""
    return {
        "id": entry["id"],
        "type": entry["type"] + "_reference",
        "summary": entry["summary"],
        "self": entry["self"],
        "html_url": entry["html_url"],
    }


def event_time(payload: dict[str, Any], received: str) -> str:
    """The event's own ISO 8601 `timestamp` in PagerDuty's format, else when it arrived."""
    text = payload.get("timestamp")
    if not isinstance(text, str):
        return received
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime(TIME)
    except (ValueError, OverflowError):  # unreadable, or past 9999 in UTC
        return received


def change_event(
    body: dict[str, Any], service: dict[str, Any], integration_id: str, now: str
) -> dict[str, Any]:
    """The REST API's ChangeEvent of an accepted change event: what it said, whole."""
    payload = body["payload"]
    event: dict[str, Any] = {
        "id": new_id("C"),
        "type": "change_event",
        "summary": payload["summary"],
        "timestamp": event_time(payload, now),
        "services": [service],
        "integration": {
            "id": integration_id,
            "type": "inbound_integration_reference",
            "summary": "Events API v2",
        },
        "custom_details": payload.get("custom_details")
        if isinstance(payload.get("custom_details"), dict)
        else {},
        "links": links(body),
        "images": images(body),
    }
    if isinstance(payload.get("source"), str):
        event["source"] = payload["source"]
    return event
