"""The Sentry web API's event lists, for the Sentry mock: a project's events and the org's
events table (Discover / Explore: `field=` columns, `query=`, `sort=`, `count()`).

Followed: docs.sentry.io/api/events/list-a-projects-error-events/ (newest first, error events
only, `full=true` for whole events), docs.sentry.io/api/discover/query-discover-events-in-table-
format/ and shared/specs/sentry/openapi-derefed.json (`{"data": [rows], "meta": {"fields",
"units"}}`; `field` and `dataset` required), docs.sentry.io/concepts/search/searchable-
properties/events/ (the columns and search keys). A row holds the requested columns only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.sentry.mock_events import all_tags, formatted, iso
from opwire.integrations.sentry.mock_explore import (
    LOG_KINDS,
    SPAN_KINDS,
    Found,
    log_rows,
    scalars,
    seconds,
    span_rows,
)
from opwire.integrations.sentry.mock_search import SearchError, matches
from opwire.integrations.sentry.mock_search import parse as search
from opwire.integrations.sentry.mock_shapes import event_body, event_summary
from opwire.integrations.sentry.mock_state import (
    PAGE,
    SentryState,
    api_auth,
    detail,
    not_there,
    paged,
    state_of,
    visible,
)
from opwire.mock.state import clock_of

Row = tuple[str, dict[str, Any], dict[str, Any] | None]  # event id, what is stored, its issue
PER_PAGE = 50  # Discover's default page; 100 at most
PERIOD = re.compile(r"^(\d+)([smhdw])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# dataset -> which event types it reads; logs and spans have their own rows (mock_explore.py).
# UNCONFIRMED: the mock keeps no metrics, profiles or uptime results, so those tables are empty.
DATASETS: dict[str, tuple[str, ...]] = {
    "errors": ("error", "default"),
    "discover": ("error", "default", "transaction"),
    "transactions": ("transaction",),
    "logs": (),
    "spans": (),
    "profile_functions": (),
    "tracemetrics": (),
    "uptime_results": (),
}


def _payload(key: str) -> Callable[[Row], Any]:
    def read(row: Row) -> Any:
        value = row[1]["payload"].get(key)
        return value if isinstance(value, str | int | float) else None

    return read


def _context(name: str, key: str) -> Callable[[Row], Any]:
    def read(row: Row) -> Any:
        contexts = row[1]["payload"].get("contexts")
        found = contexts.get(name) if isinstance(contexts, dict) else None
        return found.get(key) if isinstance(found, dict) else None

    return read


def _user(key: str) -> Callable[[Row], Any]:
    def read(row: Row) -> Any:
        user = row[1]["payload"].get("user")
        return user.get(key) if isinstance(user, dict) else None

    return read


def _sdk(key: str) -> Callable[[Row], Any]:
    def read(row: Row) -> Any:
        sdk = row[1]["payload"].get("sdk")
        return sdk.get(key) if isinstance(sdk, dict) else None

    return read


def _duration(row: Row) -> float | None:
    event = row[1]["payload"]
    start, end = seconds(event.get("start_timestamp")), seconds(event.get("timestamp"))
    return (end - start) * 1000 if start is not None and end is not None else None


COLUMNS: dict[str, tuple[str, Callable[[Row], Any]]] = {
    "id": ("string", lambda r: r[0]),
    "title": ("string", lambda r: r[1]["title"]),
    "message": ("string", lambda r: formatted(r[1]["payload"]) or r[1]["title"]),
    "timestamp": ("date", lambda r: iso(r[1]["received"])),
    "event.type": ("string", lambda r: r[1]["payload"]["type"]),
    "project": ("string", lambda r: r[1]["project"].slug),
    "project.name": ("string", lambda r: r[1]["project"].slug),
    "project.id": ("integer", lambda r: r[1]["project"].id),
    "issue": ("string", lambda r: r[2]["shortId"] if r[2] else None),
    "issue.id": ("integer", lambda r: int(r[2]["id"]) if r[2] else None),
    "level": ("string", _payload("level")),
    "environment": ("string", _payload("environment")),
    "release": ("string", _payload("release")),
    "dist": ("string", _payload("dist")),
    "transaction": ("string", _payload("transaction")),
    "platform": ("string", _payload("platform")),
    "culprit": ("string", _payload("culprit")),
    "logger": ("string", _payload("logger")),
    "server_name": ("string", _payload("server_name")),
    "transaction.duration": ("duration", _duration),
    "transaction.op": ("string", _context("trace", "op")),
    "transaction.status": ("string", _context("trace", "status")),
    "trace": ("string", _context("trace", "trace_id")),
    "trace.span": ("string", _context("trace", "span_id")),
    "user.id": ("string", _user("id")),
    "user.email": ("string", _user("email")),
    "user.username": ("string", _user("username")),
    "user.ip": ("string", _user("ip_address")),
    "sdk.name": ("string", _sdk("name")),
    "sdk.version": ("string", _sdk("version")),
}


def _tags(row: Row) -> dict[str, str]:
    return {t["key"]: t["value"] for t in all_tags(row[1]["payload"])}


def _event_cells(row: Row) -> dict[str, Any]:
    """An event's cells: its tags by key, then the columns (a column wins over a tag)."""
    kinds = {k: kind for k, (kind, _) in COLUMNS.items()}
    cells = {**_tags(row), **{k: read(row) for k, (_, read) in COLUMNS.items()}}
    return {**scalars(cells), "_kinds": kinds}


def _cell(cells: dict[str, Any], name: str) -> Any:
    if name in cells:
        return cells[name]
    return cells.get(name.removeprefix("tags[").removesuffix("]"))


def _searchable(cells: dict[str, Any]) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """The row as issue search reads a group: title and level fields, the rest as tags."""
    tags = {k: {str(v)} for k, v in cells.items() if v is not None and not k.startswith("_")}
    group = {
        "title": str(cells.get("title") or cells.get("message") or ""),
        "culprit": cells.get("culprit") or "",
        "level": cells.get("level") or cells.get("severity"),
        "shortId": cells.get("issue") or "",
        "status": "unresolved",
    }
    return group, tags


def _window(request: Request, now: float) -> float:
    """The oldest receive time `statsPeriod` lets in (default 14d); 400 text on a bad one."""
    raw = request.query_params.get("statsPeriod", "14d")
    found = PERIOD.match(raw)
    if found is None:
        raise SearchError(f"Invalid statsPeriod: {raw!r}")
    return now - int(found[1]) * SECONDS[found[2]]


def _source(request: Request, state: SentryState, projects: set[int], dataset: str) -> list[Found]:
    """The dataset's rows of `projects`, newest first, before any filter."""
    now = clock_of(request).now()
    if dataset == "logs":
        return log_rows(state, projects)
    if dataset == "spans":
        return span_rows(state, projects, now)
    kinds = DATASETS[dataset]
    found = []
    for event_id, stored in reversed(state.events.items()):
        if stored["project"].id not in projects or stored["payload"]["type"] not in kinds:
            continue
        if visible(state, event_id, now):
            row = (event_id, stored, state.groups.get(stored["group"] or ""))
            found.append((stored["received"], {**_event_cells(row), "_row": row}))
    return found


def _rows(
    request: Request, state: SentryState, projects: set[int], dataset: str
) -> list[dict[str, Any]]:
    """The dataset's rows in the window and environments, matching `query`."""
    oldest = _window(request, clock_of(request).now())
    terms = search(request.query_params.get("query", ""))
    environments = set(request.query_params.getlist("environment"))
    return [
        cells
        for received, cells in _source(request, state, projects, dataset)
        if received >= oldest
        and (not environments or cells.get("environment") in environments)
        and matches(terms, *_searchable(cells))
    ]


def _aggregate(name: str, rows: list[dict[str, Any]]) -> Any:
    if name == "count()":
        return len(rows)
    if name in ("last_seen()", "first_seen()"):
        times = [str(r.get("timestamp")) for r in rows]
        return max(times) if name == "last_seen()" else min(times)
    inner = name.removeprefix("count_unique(").removesuffix(")")
    return len({_cell(r, inner) for r in rows} - {None})


def _is_aggregate(name: str) -> bool:
    return name in ("count()", "last_seen()", "first_seen()") or (
        name.startswith("count_unique(") and name.endswith(")")
    )


def _kind(name: str, rows: list[dict[str, Any]], dataset: str) -> str:
    if name in ("count()",) or name.startswith("count_unique("):
        return "integer"
    if name in ("last_seen()", "first_seen()"):
        return "date"
    empty = {"logs": LOG_KINDS, "spans": SPAN_KINDS}.get(dataset) or {
        k: kind for k, (kind, _) in COLUMNS.items()
    }
    kinds = rows[0]["_kinds"] if rows else empty
    return str(kinds.get(name, "string"))


def _table(fields: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per event, or, with an aggregate among the fields, per distinct plain columns."""
    plain = [f for f in fields if not _is_aggregate(f)]
    if len(plain) == len(fields):
        return [{f: _cell(r, f) for f in fields} for r in rows]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(_cell(row, f) for f in plain), []).append(row)
    return [
        {f: (_aggregate(f, members) if _is_aggregate(f) else key[plain.index(f)]) for f in fields}
        for key, members in groups.items()
    ]


Table = list[dict[str, Any]]


def _sorted(request: Request, fields: list[str], table: Table) -> Table:
    raw = request.query_params.get("sort", "")
    if not raw:
        return table
    name = raw.removeprefix("-")
    if name not in fields:
        raise SearchError(f"Cannot sort by a field that is not selected: {name}")
    present = [r for r in table if r[name] is not None]
    # Text after numbers, so a column of mixed kinds still sorts.
    present.sort(key=lambda r: (isinstance(r[name], str), r[name]), reverse=raw.startswith("-"))
    return present + [r for r in table if r[name] is None]


def _per_page(request: Request) -> int:
    raw = request.query_params.get("per_page", "")
    return min(int(raw), PAGE) if raw.isdigit() and int(raw) > 0 else PER_PAGE


async def organization_events(request: Request) -> Response:
    """GET organizations/{org}/events/?field=…&dataset=…: the events table."""
    if denied := api_auth(request):
        return denied
    org, state = request.path_params["org"], state_of(request)
    if org not in state.orgs():
        return not_there()
    fields = request.query_params.getlist("field")
    dataset = request.query_params.get("dataset", "discover")
    if not fields:
        return detail(400, "No columns selected")
    if dataset not in DATASETS:
        return detail(400, f"dataset must be one of {sorted(DATASETS)}")
    wanted = set(request.query_params.getlist("project")) - {"-1"}
    owned = [p for p in state.projects.values() if p.org == org]
    projects = {p.id for p in owned if not wanted or wanted & {p.slug, str(p.id)}}
    try:
        rows = _rows(request, state, projects, dataset)
        table = _sorted(request, fields, _table(fields, rows))
    except SearchError as exc:
        return detail(400, str(exc))
    meta = {
        "fields": {f: _kind(f, rows, dataset) for f in fields},
        "units": {f: None for f in fields},
        "isMetricsData": False,
        "isMetricsExtractedData": False,
        "tips": {},
        "datasetReason": "unchanged",
        "dataset": dataset,
    }
    return JSONResponse({"data": table[: _per_page(request)], "meta": meta})


async def project_events(request: Request) -> Response:
    """GET projects/{org}/{project}/events/: the project's error and message events, newest
    first (`full=true`: whole events, else each event's summary)."""
    if denied := api_auth(request):
        return denied
    p, state = request.path_params, state_of(request)
    project = state.find_project(p["org"], p["project"])
    if project is None:
        return not_there()
    full = request.query_params.get("full", "").lower() in ("1", "true")
    try:
        rows = [r["_row"] for r in _rows(request, state, {project.id}, "errors")]
    except SearchError as exc:
        return detail(400, str(exc))
    shown = [
        {
            **(event_body(r[0], r[1]) if full else event_summary(r[0], r[1])),
            "event.type": r[1]["payload"]["type"],
        }
        for r in rows
    ]
    return paged(request, shown, PAGE)


async def organization_event(request: Request) -> Response:
    """GET organizations/{org}/events/{project_id_or_slug}:{event_id}/: one event of the org
    (OrganizationEventDetailsEndpoint), transactions included."""
    if denied := api_auth(request):
        return denied
    org, state = request.path_params["org"], state_of(request)
    wanted, _, event_id = request.path_params["ref"].rpartition(":")
    project = state.find_project(org, wanted) if wanted else None
    if project is None:
        return not_there()
    stored = visible(state, event_id, clock_of(request).now())
    if stored is None or stored["project"] is not project:
        return detail(404, "Event not found")
    return JSONResponse({**event_body(event_id, stored), "projectSlug": project.slug})
