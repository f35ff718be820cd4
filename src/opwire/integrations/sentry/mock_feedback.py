"""User reports (the older user feedback), for the Sentry mock: `user_report` envelope items
and the web API's project user-feedback list and submit routes.

Followed: docs.sentry.io/api/projects/submit-user-feedback/ and list-a-projects-user-feedback/
(shared/specs/sentry/openapi-derefed.json: `event_id`, `name`, `email`, `comments` required;
the report: id, eventID, name, email, comments, dateCreated, user, event, issue),
develop.sentry.dev/sdk/envelopes/ (the `user_report` item carries the same JSON),
getsentry/sentry feedback/usecases/save_userreport.py (a report for an event saved over 30
minutes ago, or one that replaces a report older than 5 minutes, is a 409 "Feedback for this
event cannot be modified."; the event's issue counts its reports).
"""

from __future__ import annotations

from itertools import count
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.sentry.mock_events import event_id, iso
from opwire.integrations.sentry.mock_shapes import public_group
from opwire.integrations.sentry.mock_state import (
    PAGE,
    Project,
    SentryState,
    api_auth,
    detail,
    not_there,
    paged,
    state_of,
)
from opwire.mock.app import json_body
from opwire.mock.state import clock_of, strict_json

REQUIRED = ("event_id", "name", "email", "comments")
# sentry/models/userreport.py field lengths (UNCONFIRMED for comments, a TextField there).
LENGTHS = {"name": 128, "email": 75, "comments": 4096}
REPORTS_PER_PROJECT = 100
EVENT_WINDOW_S = 30 * 60
REPLACE_WINDOW_S = 5 * 60
FROZEN = "Feedback for this event cannot be modified."
_ids = count(1)


class Conflict(ValueError):
    pass


def _errors(body: Any) -> dict[str, list[str]] | None:
    if not isinstance(body, dict):
        return {"non_field_errors": ["Invalid data. Expected a dictionary."]}
    missing = {k: ["This field is required."] for k in REQUIRED if not body.get(k)}
    wrong = {
        k: ["Not a valid string."] for k in REQUIRED if k in body and not isinstance(body[k], str)
    }
    long = {
        k: [f"Ensure this field has no more than {n} characters."]
        for k, n in LENGTHS.items()
        if isinstance(body.get(k), str) and len(body[k]) > n
    }
    errors = missing | wrong | long
    if not errors and _event_id(body["event_id"]) is None:
        errors = {"event_id": ["Must be a valid UUID."]}
    return errors or None


def _event_id(raw: str) -> str | None:
    try:
        return event_id(raw)
    except ValueError:
        return None


def save(state: SentryState, project: Project, body: dict[str, Any], now: float) -> dict[str, Any]:
    """Keep a report (checked by `_errors`); raises Conflict past Sentry's windows."""
    wanted = _event_id(body["event_id"]) or ""
    stored = state.events.get(wanted)
    if stored is not None and stored["project"] is not project:
        stored = None
    if stored is not None and now - stored["received"] > EVENT_WINDOW_S:
        raise Conflict(FROZEN)
    old = project.user_reports.get(wanted)
    if old is not None and now - old["_added"] > REPLACE_WINDOW_S:
        raise Conflict(FROZEN)
    report = {
        "_added": now if old is None else old["_added"],
        "id": old["id"] if old else str(next(_ids)),
        "eventID": wanted,
        "name": body["name"],
        "email": body["email"],
        "comments": body["comments"],
        "dateCreated": iso(now) if old is None else old["dateCreated"],
        "user": None,
        "event": {"id": wanted if stored else None, "eventID": wanted},
    }
    project.user_reports.pop(wanted, None)
    project.user_reports[wanted] = report
    for kept in list(project.user_reports)[:-REPORTS_PER_PROJECT]:
        del project.user_reports[kept]
        state.dropped["user_reports"] += 1
    if stored is not None:
        stored["user_report"] = report
        group = state.groups.get(stored["group"] or "")
        if group is not None and old is None:
            group["userReportCount"] = group.get("userReportCount", 0) + 1
    return report


def shown(state: SentryState, report: dict[str, Any]) -> dict[str, Any]:
    stored = state.events.get(report["eventID"]) or {}
    group = state.groups.get(stored.get("group") or "")
    return {
        **{k: v for k, v in report.items() if not k.startswith("_")},
        "issue": public_group(group) if group else None,
    }


def keep_item(state: SentryState, project: Project, payload: bytes, now: float) -> None:
    """A `user_report` envelope item; one Relay would reject is dropped quietly."""
    try:
        body = strict_json(payload)
    except (ValueError, UnicodeDecodeError):
        return
    if _errors(body) is None:
        try:
            save(state, project, body, now)
        except Conflict:
            return


async def user_feedback(request: Request) -> Response:
    """GET lists the project's reports, newest first; POST submits one."""
    if denied := api_auth(request):
        return denied
    p, state = request.path_params, state_of(request)
    project = state.find_project(p["org"], p["project"])
    if project is None:
        return not_there()
    if request.method == "GET":
        reports = reversed(project.user_reports.values())
        return paged(request, [shown(state, r) for r in reports], PAGE)
    body = json_body(await request.body())
    if errors := _errors(body):
        return JSONResponse(errors, 400)
    try:
        report = save(state, project, body, clock_of(request).now())
    except Conflict as exc:
        return detail(409, str(exc))
    return JSONResponse(shown(state, report))
