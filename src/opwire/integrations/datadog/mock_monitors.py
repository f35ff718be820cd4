"""Monitors of the Datadog mock: create, list, get, edit, delete, validate, can_delete.

Pages followed: shared/specs/datadog/v1/openapi.yaml (`/api/v1/monitor` CreateMonitor and
ListMonitors with `page`/`page_size` at most 1000, `/api/v1/monitor/{monitor_id}`,
`/api/v1/monitor/validate`, `/api/v1/monitor/can_delete`; `Monitor` requires `type` and `query`,
`MonitorType`, `MonitorUpdateRequest`), the recorded exchanges in
DataDog/datadog-api-client-python tests/v1/cassettes/test_scenarios/
test_create_a_metric_monitor_returns_ok_response.yaml (a `metric alert` is answered as a
`query alert`; the default options; `overall_state` "No Data"; the null fields),
test_edit_a_monitor_returns_ok_response.yaml (sent options replace the old ones; the answer has
no `creator`), test_delete_a_monitor_returns_ok_response.yaml (`{"deleted_monitor_id"}`, then
404 `{"errors":["Monitor not found"]}`), test_create_a_monitor_returns_bad_request_response.yaml
(the query refusal, word for word), test_validate_a_monitor_returns_ok_response.yaml (`{}`),
test_get_all_monitors_returns_bad_request_response.yaml and
test_get_all_monitors_returns_ok_response_with_pagination.yaml (a JSON array;
`matching_downtimes`).

| fact | value |
|---|---|
| queries checked | metric/query/log alerts end in `<comparator> <number>`; others: UNCONFIRMED |
| `multi` | true when the query groups (` by `, `.by(`) (as recorded for both) |
| name left out | the query (UNCONFIRMED) |
| other 400 texts | `The value provided for parameter '<name>' is invalid` (UNCONFIRMED) |
| `tags` filter of the list | tags in the query's scope; `monitor_tags` the monitor's own (spec) |
| creator | the key's user `frog@datadoghq.com`, as recorded |
| `page_size` out of 1..1000 without `page` | 400, as with it (UNCONFIRMED) |
| past 10,000 monitors or 64 MiB of them | 400 `Monitor limit reached` (the mock's own bound) |
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.datadog.mock_base import auth, errors, state_of
from opwire.mock.limits import ENTRIES, WEIGHT
from opwire.mock.state import clock_of, json_body

# The spec's MonitorType enum.
TYPES = (
    "composite",
    "event alert",
    "log alert",
    "metric alert",
    "process alert",
    "query alert",
    "rum alert",
    "service check",
    "synthetics alert",
    "trace-analytics alert",
    "slo alert",
    "event-v2 alert",
    "audit alert",
    "ci-pipelines alert",
    "ci-tests alert",
    "error-tracking alert",
    "database-monitoring alert",
    "network-performance alert",
    "cost alert",
    "data-quality alert",
    "network-path alert",
    "data-jobs alert",
    "llm-observability alert",
)
CHECKED = ("metric alert", "query alert", "log alert")
COMPARED = re.compile(r"(>=|<=|>|<|==|!=)\s*-?\d+(\.\d+)?\s*$")
BAD_QUERY = "The value provided for parameter 'query' is invalid: invalid operator specified: "
NOT_FOUND = "Monitor not found"
# Past the mock's count or weight of monitors (UNCONFIRMED: Datadog's own limit is per plan).
FULL = f"Monitor limit reached: this mock holds at most {ENTRIES} monitors or {WEIGHT} bytes"
GROUP_STATES = ("all", "alert", "warn", "no data", "ok", "ignored", "skipped", "unknown")
ORG_ID = 321813  # the recorded organisation
CREATOR = {
    "name": None,
    "handle": "frog@datadoghq.com",
    "email": "frog@datadoghq.com",
    "id": 1445416,
}
DEFAULTS = {"notify_no_data": False, "notify_audit": False, "include_tags": True}


def _problem(body: Any, *, partial: bool) -> str | None:
    """Why Datadog refuses this monitor, or None. `partial`: an edit, where all is optional."""
    if not isinstance(body, dict):
        return "Invalid JSON body: expected a Monitor object"
    for name in () if partial else ("type", "query"):
        if name not in body:
            return f"The value provided for parameter '{name}' is invalid: it is required"
    if "type" in body and body["type"] not in TYPES:
        return "The value provided for parameter 'type' is invalid"
    for name in ("query", "name", "message"):
        if name in body and not isinstance(body[name], str):
            return f"The value provided for parameter '{name}' is invalid"
    tags, priority = body.get("tags", []), body.get("priority")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return "The value provided for parameter 'tags' is invalid"
    # An int64 from 1 to 5 (spec); JSON true is a Python int, and no integer.
    valid = isinstance(priority, int) and not isinstance(priority, bool) and 1 <= priority <= 5
    if priority is not None and not valid:
        return "The value provided for parameter 'priority' is invalid"
    if not isinstance(body.get("options", {}), dict):
        return "The value provided for parameter 'options' is invalid"
    return None


def _query_problem(kind: str, query: str) -> str | None:
    return BAD_QUERY if kind in CHECKED and not COMPARED.search(query) else None


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="microseconds")


def _options(kind: str, sent: dict[str, Any], *, created: bool) -> dict[str, Any]:
    defaults = {**DEFAULTS, "new_host_delay": 300} if created else dict(DEFAULTS)
    if kind == "log alert":
        defaults["groupby_simple_monitor"] = False
    options = {**sent, **{k: v for k, v in defaults.items() if k not in sent}, "silenced": {}}
    thresholds = options.get("thresholds")
    if isinstance(thresholds, dict):
        options["thresholds"] = {
            k: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
            for k, v in thresholds.items()
            if v is not None
        }
    return options


def _multi(query: str) -> bool:
    return " by " in query or ".by(" in query


def _created(body: dict[str, Any], monitor_id: int, now: float) -> dict[str, Any]:
    kind = "query alert" if body["type"] == "metric alert" else body["type"]
    return {
        "id": monitor_id,
        "org_id": ORG_ID,
        "type": kind,
        "name": body.get("name") or body["query"],
        "message": body.get("message", ""),
        "tags": list(body.get("tags", [])),
        "query": body["query"],
        "options": _options(kind, body.get("options") or {}, created=True),
        "multi": _multi(body["query"]),
        "created_at": int(now * 1000),
        "created": _iso(now),
        "modified": _iso(now),
        "deleted": None,
        "restricted_roles": body.get("restricted_roles"),
        "priority": body.get("priority"),
        "overall_state_modified": None,
        "overall_state": "No Data",
        "creator": CREATOR,
    }


# --- routes -----------------------------------------------------------------------------------


async def create(request: Request) -> Response:
    """POST /api/v1/monitor: 200 and the `Monitor` as Datadog keeps it."""
    if denied := auth(request, read=True):
        return denied
    body = json_body(await request.body())
    problem = _problem(body, partial=False) or _query_problem(body["type"], body["query"])
    if problem:
        return errors(400, problem)
    monitors = state_of(request).monitors
    monitor = _created(body, next(state_of(request).monitor_ids), clock_of(request).now())
    if not monitors.fits(monitor["id"], monitor):
        return errors(400, FULL)
    monitors.put(monitor["id"], monitor)
    return JSONResponse(monitor)


async def validate(request: Request) -> Response:
    """POST /api/v1/monitor/validate: 200 `{}` or the refusal create would give."""
    if denied := auth(request, read=True):
        return denied
    body = json_body(await request.body())
    problem = _problem(body, partial=False) or _query_problem(body["type"], body["query"])
    return errors(400, problem) if problem else JSONResponse({})


def _shown(monitor: dict[str, Any], downtimes: bool) -> dict[str, Any]:
    return {**monitor, "matching_downtimes": []} if downtimes else monitor


async def get(request: Request) -> Response:
    if denied := auth(request, read=True):
        return denied
    found = state_of(request).monitors.get(request.path_params["monitor_id"])
    if found is None:
        return errors(404, NOT_FOUND)
    return JSONResponse(_shown(found, request.query_params.get("with_downtimes") == "true"))


async def update(request: Request) -> Response:
    """PUT /api/v1/monitor/{monitor_id}: sent fields replace the held ones (options whole)."""
    if denied := auth(request, read=True):
        return denied
    found = state_of(request).monitors.get(request.path_params["monitor_id"])
    if found is None:
        return errors(404, NOT_FOUND)
    body = json_body(await request.body())
    if problem := _problem(body, partial=True):
        return errors(400, problem)
    kind = found["type"] if "type" not in body else body["type"]
    kind = "query alert" if kind == "metric alert" else kind
    if problem := _query_problem(kind, body.get("query", found["query"])):
        return errors(400, problem)
    edits = {k: body[k] for k in ("name", "message", "tags", "query", "priority") if k in body}
    edited = {**found, **edits, "type": kind, "modified": _iso(clock_of(request).now())}
    edited["multi"] = _multi(edited["query"])
    if "options" in body:
        edited["options"] = _options(kind, body["options"] or {}, created=False)
    if not (monitors := state_of(request).monitors).fits(edited["id"], edited):
        return errors(400, FULL)
    monitors.put(edited["id"], edited)
    return JSONResponse({k: v for k, v in edited.items() if k != "creator"})


async def delete(request: Request) -> Response:
    if denied := auth(request, read=True):
        return denied
    monitor_id = request.path_params["monitor_id"]
    monitors = state_of(request).monitors
    if monitor_id not in monitors:
        return errors(404, NOT_FOUND)
    monitors.remove(monitor_id)
    return JSONResponse({"deleted_monitor_id": monitor_id})


async def can_delete(request: Request) -> Response:
    """GET /api/v1/monitor/can_delete?monitor_ids=1,2: `{"data": {"ok": [...]}, "errors": null}`
    (no monitor here is referenced by an SLO or composite, so each held one can go)."""
    if denied := auth(request, read=True):
        return denied
    raw = request.query_params.get("monitor_ids", "")
    try:
        wanted = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        return errors(400, "The value provided for parameter 'monitor_ids' is invalid")
    held = state_of(request).monitors
    return JSONResponse({"data": {"ok": [i for i in wanted if i in held]}, "errors": None})


def _listed(monitor: dict[str, Any], params: Any) -> bool:
    name = params.get("name", "").lower()
    scope = [t for t in params.get("tags", "").split(",") if t]
    own = [t for t in params.get("monitor_tags", "").split(",") if t]
    return (
        name in monitor["name"].lower()
        and all(t in monitor["query"] for t in scope)
        and all(t in monitor["tags"] for t in own)
        and monitor["id"] > int(params.get("id_offset", 0))
    )


async def list_all(request: Request) -> Response:
    """GET /api/v1/monitor: a JSON array by id; `page` and `page_size` (default 100, at most
    1000) page it, as the SDK's list_monitors_with_pagination reads it."""
    if denied := auth(request, read=True):
        return denied
    params = request.query_params
    states = [s.strip().lower() for s in params.get("group_states", "").split(",") if s.strip()]
    if any(s not in GROUP_STATES for s in states):
        return errors(400, "Invalid group_state filters.")  # recorded
    try:
        page, size = int(params.get("page", -1)), int(params.get("page_size", 100))
        hits = [m for _, m in sorted(state_of(request).monitors.items()) if _listed(m, params)]
    except ValueError:
        return errors(400, "page, page_size and id_offset are integers")
    # The spec's `maximum: 1000` holds with or without `page` (without it: UNCONFIRMED), though
    # only `page` pages: without it "the request returns all monitors" (spec).
    if not 1 <= size <= 1000:
        return errors(400, "page_size must be between 1 and 1000")
    if page >= 0:
        hits = hits[page * size : (page + 1) * size]
    downtimes = params.get("with_downtimes", "true") != "false"
    return JSONResponse([_shown(m, downtimes) for m in hits])
