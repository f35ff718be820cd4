"""The Sentry web API's issue routes, for the Sentry mock: retrieve, update and delete an issue;
its events (and `latest`, `oldest`, `recommended` or one id); the project's and the org's issue
lists, and their bulk update and bulk delete by `id=` or by search.

Followed: docs.sentry.io/api/events/{retrieve-an-issue,update-an-issue,remove-an-issue,
list-an-issues-events,retrieve-an-issue-event,bulk-mutate-an-organizations-issues,
bulk-remove-an-organizations-issues,bulk-mutate-a-list-of-issues,list-a-projects-issues}/,
shared/specs/sentry/openapi-derefed.json (those operations), getsentry/sentry
issues/endpoints/group_details.py (PUT answers the whole issue, DELETE 202),
api/helpers/group_index/update.py (the bulk PUT answers only what changed; 204 when no issue
matches; `resolvedInNextRelease` is stored as resolved with `inNextRelease`; a DRF field error
is `{"<field>": ["…"]}`), issues/endpoints/group_event_details.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.sentry.mock_search import DEFAULT_QUERY, SearchError, matches
from opwire.integrations.sentry.mock_search import parse as search
from opwire.integrations.sentry.mock_shapes import (
    event_body,
    event_summary,
    listed_group,
    public_group,
)
from opwire.integrations.sentry.mock_state import (
    ISSUE_STATUSES,
    SentryState,
    api_auth,
    detail,
    group_in,
    limit,
    not_there,
    paged,
    state_of,
    visible,
)
from opwire.mock.app import json_body
from opwire.mock.state import clock_of

FLAGS = ("hasSeen", "isBookmarked", "isSubscribed", "isPublic")
# What a status leaves in `substatus` (sentry/types/group.py GroupSubStatus); UNCONFIRMED for
# ignored, which Sentry splits by how long the issue is archived.
SUBSTATUS = {"unresolved": "ongoing", "ignored": "archived_until_escalating", "resolved": None}
PRIORITIES = ("low", "medium", "high")
SPECIAL_EVENTS = ("latest", "oldest", "recommended")
# Issue list `sort=`, newest or most first (docs.sentry.io/api/events/list-an-organizations-
# issues/: date = last seen, new = first seen, freq = events, user = users).
SORTS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "date": lambda g: g["lastSeen"],
    "new": lambda g: g["firstSeen"],
    "freq": lambda g: int(g["count"]),
    "user": lambda g: g.get("userCount", 0),
}


class FieldError(ValueError):
    """A DRF serializer's field error: answered as `{field: [message]}`, status 400."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _changes(body: Any) -> dict[str, Any]:
    """What a PUT body changes, as the bulk PUT answers it; a field of the wrong kind is a
    FieldError. Fields the mock does not model (assignedTo, merge, discard) are ignored."""
    if not isinstance(body, dict):
        raise FieldError("non_field_errors", "Invalid data. Expected a dictionary.")
    changed: dict[str, Any] = {}
    if "status" in body:
        changed |= _status(body["status"], body.get("statusDetails"))
    for flag in FLAGS:
        if flag in body:
            if not isinstance(body[flag], bool):
                raise FieldError(flag, "Must be a valid boolean.")
            changed[flag] = body[flag]
    if "priority" in body:
        if body["priority"] not in PRIORITIES:
            raise FieldError("priority", f'"{body["priority"]}" is not a valid choice.')
        changed["priority"] = body["priority"]
    return changed


def _status(status: Any, details: Any) -> dict[str, Any]:
    if status == "muted":
        status = "ignored"
    if status not in ISSUE_STATUSES:
        raise FieldError("status", f'"{status}" is not a valid choice.')
    shown: dict[str, Any] = dict(details) if isinstance(details, dict) else {}
    if status == "resolvedInNextRelease":
        status, shown = "resolved", {"inNextRelease": True}
    return {"status": status, "statusDetails": shown, "substatus": SUBSTATUS[status]}


def _apply(group: dict[str, Any], changed: dict[str, Any]) -> None:
    group.update(changed)


def _field_error(exc: FieldError) -> Response:
    return JSONResponse({exc.name: [str(exc)]}, 400)


async def issue(request: Request) -> Response:
    """GET, PUT (answers the updated issue) or DELETE (202, then gone) one issue."""
    if denied := api_auth(request):
        return denied
    state = state_of(request)
    group = group_in(request, state)
    if group is None:
        return not_there()
    if request.method == "DELETE":
        _remove(state, [group])
        return Response(status_code=202)
    if request.method == "PUT":
        try:
            _apply(group, _changes(json_body(await request.body())))
        except FieldError as exc:
            return _field_error(exc)
    return JSONResponse(public_group(group))


def _remove(state: SentryState, groups: list[dict[str, Any]]) -> None:
    """Delete issues and their events, as Sentry's deletion task does (it runs async there)."""
    doomed = {g["id"] for g in groups}
    for stored_id in [k for k, v in state.events.items() if v["group"] in doomed]:
        del state.events[stored_id]
    for group_id in doomed:
        del state.groups[group_id]


def _group_events(state: SentryState, group: dict[str, Any], now: float) -> list[str]:
    """The issue's processed events, oldest first."""
    return [
        event_id
        for event_id, stored in state.events.items()
        if stored["group"] == group["id"] and visible(state, event_id, now)
    ]


async def issue_events(request: Request) -> Response:
    """GET …/issues/{issue_id}/events/: newest first; `full=true` gives whole events."""
    if denied := api_auth(request):
        return denied
    state, now = state_of(request), clock_of(request).now()
    group = group_in(request, state)
    if group is None:
        return not_there()
    full = request.query_params.get("full", "").lower() in ("1", "true")
    shown = []
    for event_id in reversed(_group_events(state, group, now)):
        stored = state.events[event_id]
        body = event_body(event_id, stored) if full else event_summary(event_id, stored)
        shown.append({**body, "event.type": stored["payload"]["type"]})
    return paged(request, shown, limit(request))


async def issue_event(request: Request) -> Response:
    """GET …/issues/{issue_id}/events/{event_id}/: an id of the issue, or `latest`, `oldest`,
    `recommended` (the latest: UNCONFIRMED, Sentry prefers the event with most context)."""
    if denied := api_auth(request):
        return denied
    state, now = state_of(request), clock_of(request).now()
    group = group_in(request, state)
    if group is None:
        return not_there()
    ids = _group_events(state, group, now)
    wanted = request.path_params["event_id"]
    if wanted in SPECIAL_EVENTS and ids:
        wanted = ids[0] if wanted == "oldest" else ids[-1]
    if wanted not in ids:
        return detail(404, "Event not found")
    at = ids.index(wanted)
    return JSONResponse(
        {
            **event_body(wanted, state.events[wanted]),
            "previousEventID": ids[at - 1] if at > 0 else None,
            "nextEventID": ids[at + 1] if at + 1 < len(ids) else None,
        }
    )


def _chosen(request: Request, state: SentryState, projects: set[int]) -> list[dict[str, Any]]:
    """The issues of `projects` that `id=` names, else that match `query` (default
    is:unresolved), newest first. A bad query raises SearchError."""
    ids = set(request.query_params.getlist("id"))
    terms = [] if ids else search(request.query_params.get("query", DEFAULT_QUERY))
    return [
        g
        for g in reversed(state.groups.values())
        if int(g["project"]["id"]) in projects
        and (g["id"] in ids if ids else matches(terms, g, g["_tags"]))
    ]


async def _issue_list(request: Request, state: SentryState, projects: set[int]) -> Response:
    """GET lists the chosen issues; PUT updates them (answers what changed, 204 for none);
    DELETE removes them (204)."""
    try:
        chosen = _chosen(request, state, projects)
    except SearchError as exc:
        return detail(400, str(exc))
    if request.method == "DELETE":
        _remove(state, chosen)
        return Response(status_code=204)
    if request.method == "PUT":
        return _bulk_update(chosen, json_body(await request.body()))
    order = request.query_params.get("sort", "date")
    if order not in SORTS:
        return detail(400, f"sort must be one of {sorted(SORTS)}")
    chosen.sort(key=SORTS[order], reverse=True)
    found = [listed_group(g, _has_attachments(state, g)) for g in chosen]
    return paged(request, found, limit(request))


def _bulk_update(chosen: list[dict[str, Any]], body: Any) -> Response:
    try:
        changed = _changes(body)
    except FieldError as exc:
        return _field_error(exc)
    if not chosen:
        return Response(status_code=204)
    for group in chosen:
        _apply(group, changed)
    shown = {k: v for k, v in changed.items() if v is not None}
    return JSONResponse(shown)


def _has_attachments(state: SentryState, group: dict[str, Any]) -> bool:
    return bool((state.events.get(group.get("_latest", "")) or {}).get("attachments"))


async def project_issues(request: Request) -> Response:
    if denied := api_auth(request):
        return denied
    p, state = request.path_params, state_of(request)
    project = state.find_project(p["org"], p["project"])
    if project is None:
        return not_there()
    return await _issue_list(request, state, {project.id})


async def organization_issues(request: Request) -> Response:
    """The org's issues; `project=` (ids or slugs, -1 for all) narrows them."""
    if denied := api_auth(request):
        return denied
    org, state = request.path_params["org"], state_of(request)
    if org not in state.orgs():
        return not_there()
    owned = [p for p in state.projects.values() if p.org == org]
    wanted = set(request.query_params.getlist("project")) - {"-1"}
    chosen = {p.id for p in owned if not wanted or wanted & {p.slug, str(p.id)}}
    return await _issue_list(request, state, chosen)


async def short_id(request: Request) -> Response:
    """GET organizations/{org}/shortids/{short_id}/: the issue a short id (`MOCK-7`) names."""
    if denied := api_auth(request):
        return denied
    org, state = request.path_params["org"], state_of(request)
    wanted = request.path_params["short_id"].upper()
    for group in state.groups.values():
        owner = state.projects.get(int(group["project"]["id"]))
        if group["shortId"] == wanted and owner is not None and owner.org == org:
            return JSONResponse(
                {
                    "organizationSlug": org,
                    "projectSlug": owner.slug,
                    "groupId": group["id"],
                    "group": public_group(group),
                    "shortId": group["shortId"],
                }
            )
    return not_there()


# sentry/tagstore/base.py TAG_LABELS; any other key is shown title-cased (UNCONFIRMED beyond
# those the module lists).
TAG_LABELS = {
    "user": "User",
    "release": "Release",
    "os": "OS",
    "url": "URL",
    "server_name": "Server",
}


def _label(key: str) -> str:
    return TAG_LABELS.get(key) or key.replace("_", " ").title()


def _values(key: str, seen: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A tag's values, most seen first, as tagstore's GroupTagValue serializer shows them."""
    shown = [{"key": key, "name": value, "value": value, **stats} for value, stats in seen.items()]
    return sorted(shown, key=lambda v: -int(v["count"]))


async def issue_tag(request: Request) -> Response:
    """GET …/issues/{issue_id}/tags/{key}/: the key's label, value counts and top values."""
    if denied := api_auth(request):
        return denied
    group = group_in(request, state_of(request))
    key = request.path_params["key"]
    if group is None:
        return not_there()
    if key not in group["_tags"]:
        return detail(404, "The requested resource does not exist")
    values = _values(key, group["_tags"][key])
    return JSONResponse(
        {
            "key": key,
            "name": _label(key),
            "uniqueValues": len(values),
            "totalValues": sum(v["count"] for v in values),
            "topValues": values[:9],
        }
    )


async def issue_tag_values(request: Request) -> Response:
    """GET …/issues/{issue_id}/tags/{key}/values/: each value seen, most seen first."""
    if denied := api_auth(request):
        return denied
    group = group_in(request, state_of(request))
    key = request.path_params["key"]
    if group is None or key not in group["_tags"]:
        return not_there()
    return paged(request, _values(key, group["_tags"][key]), limit(request))
