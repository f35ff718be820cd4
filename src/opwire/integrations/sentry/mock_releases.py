"""Releases, for the Sentry mock: each release an event or a session names, per project, and
the web API's releases list and release details.

Followed: docs.sentry.io/product/releases/setup/ (a release an SDK reports is created when its
first event arrives), develop.sentry.dev/sdk/telemetry/sessions/ (`session` items carry
`attrs.release`, `sessions` aggregates too: the release then has health data),
docs.sentry.io/api/releases/list-an-organizations-releases/ and retrieve-an-organizations-
release/ (shared/specs/sentry/openapi-derefed.json: version, shortVersion, versionInfo,
newGroups, projects with hasHealthData), getsentry/sentry api/serializers/models/release.py
(shortVersion drops a `package@` prefix).
"""

from __future__ import annotations

from itertools import count
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.sentry.mock_events import iso
from opwire.integrations.sentry.mock_state import (
    PAGE,
    Project,
    api_auth,
    not_there,
    paged,
    state_of,
)
from opwire.mock.state import strict_json

RELEASES_PER_PROJECT = 100
_ids = count(1)


def observe(project: Project, version: Any, now: float, new_issue: bool, health: bool) -> None:
    """Note that `version` was seen in `project` (by an event, or a session with `health`)."""
    if not isinstance(version, str) or not version or len(version) > 200:
        return
    release = project.releases.get(version)
    if release is None:
        release = {"id": next(_ids), "dateCreated": iso(now), "newGroups": 0}
        release |= {"firstEvent": None, "lastEvent": None, "hasHealthData": False}
        project.releases[version] = release
        for old in list(project.releases)[:-RELEASES_PER_PROJECT]:
            del project.releases[old]
            project.dropped["releases"] += 1
    if health:
        release["hasHealthData"] = True
    else:
        release["firstEvent"] = release["firstEvent"] or iso(now)
        release["lastEvent"] = iso(now)
        release["newGroups"] += 1 if new_issue else 0


def observe_sessions(project: Project, payload: bytes, now: float) -> None:
    """A `session` or `sessions` item: its `attrs.release` has health data."""
    try:
        body = strict_json(payload)
    except (ValueError, UnicodeDecodeError):
        return
    attrs = body.get("attrs") if isinstance(body, dict) else None
    if isinstance(attrs, dict):
        observe(project, attrs.get("release"), now, new_issue=False, health=True)


def _version_info(version: str) -> dict[str, Any]:
    package, _, raw = version.rpartition("@")
    return {
        "package": package or None,
        "version": {"raw": raw},
        "description": raw,
        "buildHash": None,
    }


def _shown(version: str, found: list[tuple[Project, dict[str, Any]]]) -> dict[str, Any]:
    """One release across the projects that saw it (the first one's dates and id)."""
    first = found[0][1]
    events = [r["firstEvent"] for _, r in found if r["firstEvent"]]
    lasts = [r["lastEvent"] for _, r in found if r["lastEvent"]]
    return {
        "id": first["id"],
        "version": version,
        "shortVersion": _version_info(version)["description"],
        "versionInfo": _version_info(version),
        "status": "open",
        "ref": None,
        "url": None,
        "dateReleased": None,
        "dateCreated": min(r["dateCreated"] for _, r in found),
        "dateStarted": None,
        "owner": None,
        "lastCommit": None,
        "lastDeploy": None,
        "firstEvent": min(events) if events else None,
        "lastEvent": max(lasts) if lasts else None,
        "currentProjectMeta": {},
        "userAgent": None,
        "adoptionStages": None,
        "data": {},
        "newGroups": sum(r["newGroups"] for _, r in found),
        "commitCount": 0,
        "deployCount": 0,
        "authors": [],
        "projects": [_project(p, r) for p, r in found],
    }


def _project(project: Project, release: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": project.id,
        "slug": project.slug,
        "name": project.slug,
        "newGroups": release["newGroups"],
        "platform": None,
        "platforms": [],
        "hasHealthData": release["hasHealthData"],
    }


def _releases(request: Request) -> dict[str, list[tuple[Project, dict[str, Any]]]] | None:
    org, state = request.path_params["org"], state_of(request)
    if org not in state.orgs():
        return None
    wanted = set(request.query_params.getlist("project")) - {"-1"}
    found: dict[str, list[tuple[Project, dict[str, Any]]]] = {}
    for project in state.projects.values():
        if project.org == org and (not wanted or wanted & {project.slug, str(project.id)}):
            for version, release in project.releases.items():
                found.setdefault(version, []).append((project, release))
    return found


async def releases(request: Request) -> Response:
    """GET organizations/{org}/releases/: newest first; `query=` matches part of a version."""
    if denied := api_auth(request):
        return denied
    found = _releases(request)
    if found is None:
        return not_there()
    text = request.query_params.get("query", "")
    shown = [_shown(v, rows) for v, rows in found.items() if text in v]
    shown.sort(key=lambda r: r["dateCreated"], reverse=True)
    return paged(request, shown, PAGE)


async def release(request: Request) -> Response:
    """GET organizations/{org}/releases/{version}/."""
    if denied := api_auth(request):
        return denied
    found = _releases(request)
    version = request.path_params["version"]
    if found is None or version not in found:
        return not_there()
    return JSONResponse(_shown(version, found[version]))
