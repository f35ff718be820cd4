"""The Sentry web API's shapes for what the mock holds: an event (and the summary an issue's
events list shows), an issue, and an issue as the org's issue list shows it.

Followed: shared/specs/sentry/openapi-derefed.json (retrieve an event for a project, list an
issue's events, retrieve an issue, list an organization's issues), getsentry/sentry
api/serializers/models/{event,group,group_stream}.py.
"""

from __future__ import annotations

import json
from typing import Any

from opwire.integrations.sentry.mock_events import all_tags, entries, formatted, iso, metadata

# An issue's first priority follows its level (sentry/issues/priority.py).
PRIORITY = {"fatal": "high", "error": "high", "warning": "medium"}


def event_summary(stored_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    """The fields every event answer has (an issue's events list has just these)."""
    event, project = stored["payload"], stored["project"]
    user = event.get("user")
    return {
        "id": stored_id,
        "eventID": stored_id,
        "groupID": stored["group"],
        "projectID": str(project.id),
        "title": stored["title"],
        "message": formatted(event) or stored["title"],
        "platform": event["platform"],
        "dateCreated": iso(stored["received"]),
        "tags": all_tags(event),
        "culprit": str(event.get("culprit") or event.get("transaction") or ""),
        "location": None,
        "user": user if isinstance(user, dict) else None,
        "metadata": metadata(event, stored["title"]),
        "crashFile": None,
    }


def event_body(stored_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    """The web API's event: what was sent, as Sentry shows it (entries, derived tags)."""
    event = stored["payload"]
    return {
        **event_summary(stored_id, stored),
        "type": event["type"],
        "dateReceived": iso(stored["received"]),
        "entries": entries(event),
        "contexts": event.get("contexts") if isinstance(event.get("contexts"), dict) else {},
        "sdk": event.get("sdk") if isinstance(event.get("sdk"), dict) else None,
        "size": len(json.dumps(event)),
        "context": event.get("extra") if isinstance(event.get("extra"), dict) else {},
        "packages": event.get("modules") if isinstance(event.get("modules"), dict) else {},
        "errors": [],
        "fingerprints": [],
        "groupingConfig": {"id": "mock", "enhancements": ""},
        "_meta": {},
        "nextEventID": None,
        "previousEventID": None,
        "resolvedWith": [],
        "sdkUpdates": [],
        "userReport": _report(stored.get("user_report")),
        "occurrence": None,
        "release": None,
        "dist": event.get("dist") if isinstance(event.get("dist"), str) else None,
    }


def _report(report: dict[str, Any] | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {k: v for k, v in report.items() if not k.startswith("_")} | {"issue": None}


def public_group(group: dict[str, Any]) -> dict[str, Any]:
    """The issue as the web API's organizations/{org}/issues/{id}/ answers (spec fields)."""
    project = group["project"]
    return {
        **_issue_defaults(group),
        **{k: v for k, v in group.items() if not k.startswith("_")},
        "project": {**project, "name": project["slug"], "platform": group["platform"]},
    }


def _issue_defaults(group: dict[str, Any]) -> dict[str, Any]:
    """What an issue shows until a PUT or a regression changes it."""
    return {
        "activity": [],
        "annotations": [],
        "assignedTo": None,
        "hasSeen": False,
        "isBookmarked": False,
        "isPublic": False,
        "isSubscribed": False,
        "issueCategory": "error",
        "issueType": "error",
        "logger": None,
        "numComments": 0,
        "participants": [],
        "permalink": f"https://opwire-mock.sentry.io/issues/{group['id']}/",
        "priority": PRIORITY.get(group["level"], "low"),
        "priorityLockedAt": None,
        "seenBy": [],
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "seerFixabilityScore": None,
        "shareId": None,
        "stats": {"24h": []},
        "statusDetails": {},
        "subscriptionDetails": None,
        "substatus": "ongoing" if group["status"] == "unresolved" else None,
        "userCount": 0,
        "userReportCount": 0,
    }


def listed_group(group: dict[str, Any], has_attachments: bool) -> dict[str, Any]:
    """An issue as organizations/{org}/issues/ lists it (StreamGroupSerializer's extra fields;
    the expand-only ones, which the spec requires, are present and empty)."""
    latest = str(group.get("_latest"))
    return {
        **public_group(group),
        "derivedData": {
            "blocker": "",
            "progress": "",
            "status": "",
            "viewCount": 0,
            "hasOpenFixPr": False,
            "isAssigned": False,
            "hasRootCause": False,
            "lastCompletedAutofixStep": "",
            "lastProgressedAt": None,
        },
        "filtered": None,
        "inbox": {"reason": 0, "reason_details": None, "date_added": group["firstSeen"]},
        "integrationIssues": [],
        "isUnhandled": "no" in group["_tags"].get("handled", set()),
        "latestEventHasAttachments": has_attachments,
        "lifetime": {
            "count": group["count"],
            "userCount": group.get("userCount", 0),
            "firstSeen": group["firstSeen"],
        },
        "matchingEventEnvironment": None,
        "matchingEventId": latest,
        "owners": {"type": "", "owner": "", "date_added": group["firstSeen"]},
        "sentryAppIssues": [],
        "sessionCount": 0,
    }
