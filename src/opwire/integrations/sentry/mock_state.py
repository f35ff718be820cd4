"""What the Sentry mock holds (projects, events, issues, alert rules) and the web API's shared
answers: bearer-token auth, DRF's `{"detail": …}` errors, ResourceDoesNotExist, the processing
delay before an event is readable, and the issue a path names.

Followed: docs.sentry.io/api/auth/ (bearer tokens), getsentry/sentry api/bases/organization.py
and project.py (an org or project the caller cannot see is ResourceDoesNotExist),
shared/specs/sentry/openapi-derefed.json (the 401/404 bodies).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.sentry.alerts import AlertRule
from opwire.mock.app import mock_state
from opwire.mock.deliver import Outbox
from opwire.mock.limits import CONFIGURED, CappedDict

DEFAULT_ORG = "opwire-mock"
# Web API tokens: org (sntrys_), user (sntryu_), or legacy 64 hex. Shapes UNCONFIRMED beyond docs.
AUTH_TOKEN = re.compile(r"^(sntry[su]_[A-Za-z0-9+/=_.-]{10,}|[0-9a-f]{64})$")
ISSUE_STATUSES = ("resolved", "unresolved", "ignored", "resolvedInNextRelease")  # a tuple: see `in`
PAGE = 100  # the web API's default and largest page
MONITORS_PER_PROJECT = 100


@dataclass(slots=True)
class Project:
    id: int
    slug: str
    org: str = DEFAULT_ORG
    rejected_keys: set[str] = field(default_factory=set)
    # The room's drop counts (SentryState.dropped): monitors, user reports and releases are
    # capped per project and count what they drop there (/_opwire/health).
    dropped: Counter[str] = field(default_factory=Counter)
    # Cron monitors by slug, the newest MONITORS_PER_PROJECT.
    monitors: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # by event id
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)  # by version

    def add_monitor(self, monitor: dict[str, Any]) -> None:
        self.monitors[monitor["slug"]] = monitor
        for slug in list(self.monitors)[:-MONITORS_PER_PROJECT]:
            del self.monitors[slug]
            self.dropped["monitors"] += 1


@dataclass(slots=True)
class SentryState:
    processing_delay_s: float = 0.2
    reject_all_keys: bool = False
    drop_events: bool = False  # answers 200 with the id, never stores (Relay's "Pending" case)
    group_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    attachment_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    dropped: Counter[str] = field(default_factory=Counter)
    # Any project id in a path makes a project, so they are capped like the rest.
    projects: CappedDict[int, Project] = field(init=False)
    events: CappedDict[str, dict[str, Any]] = field(init=False)
    groups: CappedDict[str, dict[str, Any]] = field(init=False)
    rules: CappedDict[str, AlertRule] = field(init=False)
    outbox: Outbox = field(default_factory=Outbox)
    # Logs as table rows, (project id, received, cells, weight), oldest first, and their
    # total weight: bounded by count and bytes in mock_explore.py (drops counted as "logs").
    logs: deque[tuple[int, float, dict[str, Any], int]] = field(default_factory=deque)
    logs_weight: int = 0

    def __post_init__(self) -> None:
        self.projects = CappedDict("projects", self.dropped, CONFIGURED)
        self.events = CappedDict("events", self.dropped)
        self.groups = CappedDict("issues", self.dropped)
        self.rules = CappedDict("alert_rules", self.dropped, CONFIGURED)
        for store in ("logs", "monitors", "user_reports", "releases"):  # counted where capped
            self.dropped[store] = 0

    def project(self, project_id: int) -> Project:
        if project_id not in self.projects:
            fresh = Project(project_id, f"project-{project_id}", dropped=self.dropped)
            self.projects.put(project_id, fresh)
        return self.projects[project_id]

    def monitors(self) -> list[dict[str, Any]]:
        return [m for p in self.projects.values() for m in p.monitors.values()]

    def orgs(self) -> set[str]:
        return {DEFAULT_ORG, *(p.org for p in self.projects.values())}

    def find_project(self, org: str, wanted: str) -> Project | None:
        """`{project_id_or_slug}` in `{org}`: a project of another org is not found."""
        found = (p for p in self.projects.values() if p.org == org)
        return next((p for p in found if wanted in (p.slug, str(p.id))), None)


def state_of(request: Request) -> SentryState:
    state: SentryState = mock_state(request).vendor
    return state


def detail(status: int, text: str, *causes: str, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"detail": text}
    if causes:
        body["causes"] = list(causes)
    return JSONResponse(body, status, headers)


def api_auth(request: Request) -> Response | None:
    header = request.headers.get("authorization", "")
    if not header:
        return detail(401, "Authentication credentials were not provided.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not AUTH_TOKEN.match(token.strip()):
        return detail(401, "Invalid token")
    return None


def visible(state: SentryState, stored_id: str, now: float) -> dict[str, Any] | None:
    """The event once it is processed: `processing_delay_s` after it was received, at `now`."""
    stored = state.events.get(stored_id)
    if stored is None or now - stored["received"] < state.processing_delay_s:
        return None
    return stored


def not_there() -> Response:
    """Sentry's ResourceDoesNotExist: an org, project or issue it cannot find for the caller."""
    return detail(404, "The requested resource does not exist")


def group_in(request: Request, state: SentryState) -> dict[str, Any] | None:
    """The issue of the path, when `{org}` (if the path names one) owns its project."""
    group = state.groups.get(request.path_params["issue_id"])
    org = request.path_params.get("org")
    if group is None or org is None:
        return group
    owner = state.projects.get(int(group["project"]["id"]))
    return group if owner is not None and owner.org == org else None


def limit(request: Request) -> int:
    raw = request.query_params.get("limit", "")
    return min(int(raw), PAGE) if raw.isdigit() and int(raw) > 0 else PAGE


def _cursor(request: Request) -> int:
    """The offset a `cursor` (Sentry's `<value>:<offset>:<is_prev>`) names; 0 when absent or
    unreadable (UNCONFIRMED: Sentry answers 400 "Invalid cursor parameter." for a bad one)."""
    parts = request.query_params.get("cursor", "").split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0


def _link(request: Request, offset: int, rel: str, results: bool) -> str:
    cursor = f"0:{max(offset, 0)}:{1 if rel == 'previous' else 0}"
    url = request.url.include_query_params(cursor=cursor)
    flag = "true" if results else "false"
    return f'<{url}>; rel="{rel}"; results="{flag}"; cursor="{cursor}"'


def paged(request: Request, rows: list[Any], size: int) -> JSONResponse:
    """One page of `rows` from the request's cursor, with Sentry's `Link` header (a previous
    and a next link, each saying whether it has results): docs.sentry.io/api/pagination/."""
    start = _cursor(request)
    page = rows[start : start + size]
    links = [
        _link(request, start - size, "previous", start > 0),
        _link(request, start + size, "next", start + size < len(rows)),
    ]
    return JSONResponse(page, headers={"Link": ", ".join(links)})
