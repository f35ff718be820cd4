"""The PagerDuty mock's REST API v2: what every route shares (auth, the error body, pages, the
acting `From` user), incidents listed with their filters and read, an incident's alerts and log
entries, the account's log entries and abilities. Change events are read in mock_changes.py,
changing an incident is in mock_updates.py, making one (and notes, merges, services) in
mock_writes.py, the account's users, policies, schedules and services in mock_directory.py.

Pages followed: shared/specs/pagerduty/REST/openapiv3.json (listIncidents with `statuses[]`,
`incident_key`, `service_ids[]`, `team_ids[]`, `user_ids[]`, `urgencies[]`, `date_range`,
`since`/`until`, `sort_by`; the `From` header the writes require; listIncidentAlerts;
listIncidentLogEntries, listLogEntries, getLogEntry; listAbilities, getAbility; Pagination),
developer.pagerduty.com docs/REST-API/{02-Authentication,04-Rate-Limits,14-Errors} and the
pagination page (limit ≤ 100 on incidents, offset, `total` only when asked for, `more`).

Auth: `Authorization: Token token=<key>` (an API key) or `Authorization: Bearer <token>` (an
OAuth token); anything else is 401 code 2006.

UNCONFIRMED, chosen here: a request through an OAuth token acts as the token's user, so `From`
may be left out (it is required with an API key: code 2016, as go-pagerduty#32 and pdpyras#78
observed it; malformed, code 1028, go-pagerduty#336); a filter value outside the spec's enum,
an unknown `sort_by` field, `since` after `until` and a non-UTC change-event time are 400s with
the error doc's codes; the default order is oldest first for incidents and change events
(`sort_by` changes it for incidents) and newest first for log entries; a bulk update with an
unknown id changes nothing and answers 404; an unknown path or an unrouted method answers 404
with the REST error body (code 2100).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty.mock_state import PagerDutyState, vendor
from opwire.mock.state import clock_of

API_TOKEN = re.compile(r"^[A-Za-z0-9_+=.-]{16,}$")  # 20-char keys are usual; shape UNCONFIRMED
SCHEMES = ("Token token=", "Bearer ")
# Classic pagination stops at the 10000th result (the pagination page; python-pagerduty's
# ITERATION_LIMIT: "enforced server-side", a 400; its error code UNCONFIRMED).
ITERATION_LIMIT = 10_000
DEFAULT_RANGE = timedelta(days=30)  # listIncidents: "default is 1 month"
FROM_MISSING = (
    'You must specify a user\'s email address in the "From" header to perform this action',
    2016,
)
FROM_MALFORMED = ('Malformed "From" header', 1028)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UPDATE_STATUSES = ("triggered", "acknowledged", "resolved")
INVALID_INPUT = ("Invalid Input Provided", 2001)  # the REST error doc's code for bad input
BAD_TIMES = "Invalid time values in 'since' and/or 'until' parameters"
# The REST spec's example answer of GET /abilities (listAbilities): the names, nothing else.
ABILITIES = ("teams", "read_only_users", "service_support_hours", "urgencies")
# The documented 429 of the REST API and its headers (04-Rate-Limits): 960 a minute per key.
THROTTLED = {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
# `{wait}`: the throttle scenario's wait in seconds, as its Retry-After says.
THROTTLE_HEADERS = {
    "ratelimit-limit": "960",
    "ratelimit-remaining": "0",
    "ratelimit-reset": "{wait}",
}
# listIncidents' enum filters: the query parameter, the incident's field, the allowed values.
ENUM_FILTERS = (
    ("statuses[]", "status", UPDATE_STATUSES),
    ("urgencies[]", "urgency", ("high", "low")),
)
SORT_FIELDS = ("incident_number", "created_at", "resolved_at", "urgency")
URGENCY_RANK = {"low": "0", "high": "1"}


class Refused(Exception):
    """A request the REST API answers with its error body."""

    def __init__(self, status: int, message: str, code: int, *errors: str) -> None:
        super().__init__(message)
        self.response = rest_error(status, message, code, *errors)


def rest_error(status: int, message: str, code: int, *errors: str) -> Response:
    """The REST error shape (14-Errors): `{"error": {"message", "code", "errors"?}}`."""
    error: dict[str, Any] = {"message": message, "code": code}
    if errors:
        error["errors"] = list(errors)
    return JSONResponse({"error": error}, status)


def answer(request: Request, data: dict[str, Any]) -> Response:
    """A 200 whose `self` links point at the API the client called (the mock itself), so a
    client that follows them, as the SDK's resource-dict calls do, stays on the mock."""
    return JSONResponse(_rebased(data, str(request.base_url).rstrip("/")))


def _rebased(value: Any, base: str) -> Any:
    if isinstance(value, list):
        return [_rebased(v, base) for v in value]
    if not isinstance(value, dict):
        return value
    found = {k: _rebased(v, base) for k, v in value.items()}
    link = found.get("self")
    if isinstance(link, str) and link.startswith(shapes.HOST + "/"):
        found["self"] = base + link.removeprefix(shapes.HOST)
    return found


def not_found(request: Request, status: int) -> Response:
    """An unknown path, or a method a path does not take (see the module docstring)."""
    return rest_error(404, "Not Found", 2100)


def token_of(header: str) -> str:
    """The credential of an `Authorization` header in either scheme, else ""."""
    for scheme in SCHEMES:
        if header.startswith(scheme):
            return header.removeprefix(scheme).strip()
    return ""


def _authorized(request: Request) -> str:
    token = token_of(request.headers.get("authorization", ""))
    if not API_TOKEN.match(token):
        raise Refused(401, "Authentication failed", 2006)
    return token


def rest(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Any]:
    """A REST route: authenticated first, and any Refused answered as the API answers it."""

    async def route(request: Request) -> Response:
        try:
            _authorized(request)
            answer = await handler(request)
        except Refused as refused:
            return refused.response
        return answer

    route.__name__ = route.__qualname__ = handler.__name__
    route.__doc__ = handler.__doc__
    return route


def _number(params: Any, name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except ValueError:
        raise Refused(400, *INVALID_INPUT, f"{name} must be an integer") from None


def page(request: Request, key: str, items: Sequence[dict[str, Any]]) -> Response:
    """One page of `items` as the Pagination schema has it (`total` only when asked for)."""
    params = request.query_params
    limit = min(max(_number(params, "limit", 25), 1), 100)
    offset = max(_number(params, "offset", 0), 0)
    if offset + limit > ITERATION_LIMIT:
        raise Refused(400, *INVALID_INPUT, f"offset + limit must be at most {ITERATION_LIMIT}")
    return answer(
        request,
        {
            key: list(items[offset : offset + limit]),
            "limit": limit,
            "offset": offset,
            "total": len(items) if params.get("total") == "true" else None,
            "more": offset + limit < len(items),
        },
    )


def parse_time(text: str, utc_only: bool = False) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace(" ", "+"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    if utc_only and moment.utcoffset() != timedelta(0):
        raise ValueError("not UTC")
    return moment.astimezone(UTC)


def window(request: Request, default: timedelta | None, utc_only: bool = False) -> tuple[str, str]:
    """(since, until) as sortable UTC strings; with no `default` and neither given, all."""
    params = request.query_params
    if params.get("date_range") == "all" or (
        default is None and "since" not in params and "until" not in params
    ):
        return "", "9999"
    try:
        now = datetime.fromtimestamp(clock_of(request).now(), UTC)
        until = parse_time(params["until"], utc_only) if "until" in params else now
        since = (
            parse_time(params["since"], utc_only)
            if "since" in params
            else until - (default or DEFAULT_RANGE)
        )
    except (ValueError, OverflowError):
        raise Refused(400, "Invalid Input Provided", 2004, BAD_TIMES) from None
    if since > until:
        raise Refused(400, "Invalid Input Provided", 2004, BAD_TIMES)
    return since.strftime(shapes.TIME), until.strftime(shapes.TIME)


def _wanted(params: Any) -> dict[str, set[str]]:
    """listIncidents' filters: each incident field asked for, with the values it may have."""
    wanted: dict[str, set[str]] = {}
    for name, key, allowed in ENUM_FILTERS:
        values = set(params.getlist(name))
        if values - set(allowed):
            raise Refused(400, *INVALID_INPUT, f"{name} must be among {', '.join(allowed)}")
        if values:
            wanted[key] = values
    if "incident_key" in params:
        wanted["incident_key"] = {params["incident_key"]}
    for name, key in (("service_ids[]", "service"), ("team_ids[]", "teams")):
        if values := set(params.getlist(name)):
            wanted[key] = values
    if values := set(params.getlist("user_ids[]")):
        wanted["assignments"] = values
    return wanted


def _ids(value: Any) -> set[str]:
    """The ids an incident's field holds: a value, a reference, or a list of either."""
    items = value if isinstance(value, list) else [value]
    found = {i.get("assignee", i).get("id") if isinstance(i, dict) else i for i in items}
    return {str(v) for v in found}


def _keep(incident: dict[str, Any], wanted: dict[str, set[str]]) -> bool:
    return all(_ids(incident.get(key)) & values for key, values in wanted.items())


def _sort_key(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda incident: _sort_value(incident, name)


def _sorted(incidents: list[dict[str, Any]], sort_by: Sequence[str]) -> list[dict[str, Any]]:
    """`sort_by` (at most two `field[:asc|:desc]`, comma separated) applied, first field first."""
    keys = [k.strip() for value in sort_by for k in value.split(",") if k.strip()]
    if len(keys) > 2:
        raise Refused(400, *INVALID_INPUT, "sort_by takes at most two fields")
    for key in reversed(keys):  # stable sorts, the last field first
        name, _, direction = key.partition(":")
        if name not in SORT_FIELDS or direction not in ("", "asc", "desc"):
            raise Refused(400, *INVALID_INPUT, f"sort_by fields: {', '.join(SORT_FIELDS)}")
        incidents.sort(key=_sort_key(name), reverse=direction == "desc")
    return incidents


def _sort_value(incident: dict[str, Any], name: str) -> str:
    if name == "incident_number":
        return f"{incident[name]:012d}"
    if name == "urgency":
        return URGENCY_RANK[incident[name]]
    return str(incident.get(name) or "")


async def list_incidents(request: Request) -> Response:
    """listIncidents: the filters of the spec, then `sort_by`, then the page."""
    since, until = window(request, DEFAULT_RANGE)
    wanted = _wanted(request.query_params)
    hits = [
        i
        for i in vendor(request).incidents.values()
        if since <= i["created_at"] <= until and _keep(i, wanted)
    ]
    return page(request, "incidents", _sorted(hits, request.query_params.getlist("sort_by")))


def incident_of(state: PagerDutyState, key: str) -> dict[str, Any]:
    incident = state.incident(key)
    if incident is None:
        raise Refused(404, "Not Found", 2100)
    return incident


async def get_incident(request: Request) -> Response:
    """getIncident, by id or number."""
    return answer(request, {"incident": incident_of(vendor(request), request.path_params["id"])})


def actor(request: Request) -> dict[str, Any]:
    """Who acts: the `From` user; through an OAuth token, the token's own user without one."""
    sender = request.headers.get("from", "").strip()
    bearer = request.headers.get("authorization", "").startswith("Bearer ")
    if sender and not EMAIL.match(sender):
        raise Refused(400, *FROM_MALFORMED)
    if sender:
        return shapes.user_ref(sender)
    if not bearer:
        raise Refused(400, *FROM_MISSING)
    return shapes.token_user_ref(token_of(request.headers["authorization"]))


async def incident_alerts(request: Request) -> Response:
    """listIncidentAlerts: filtered by `alert_key` and `statuses[]`."""
    incident = incident_of(vendor(request), request.path_params["id"])
    params = request.query_params
    statuses, key = set(params.getlist("statuses[]")), params.get("alert_key")
    hits = [
        a
        for a in vendor(request).alerts.values()
        if a["incident"]["id"] == incident["id"]
        and (not statuses or a["status"] in statuses)
        and key in (None, a["alert_key"])
    ]
    return page(request, "alerts", hits)


def _in_window(entries: list[dict[str, Any]], window: tuple[str, str]) -> list[dict[str, Any]]:
    return [e for e in entries if window[0] <= e["created_at"] <= window[1]]


async def incident_log_entries(request: Request) -> Response:
    """listIncidentLogEntries: the incident's log, newest first, within since/until if given."""
    state = vendor(request)
    incident = incident_of(state, request.path_params["id"])
    entries = state.log_entries(incident["id"])
    return page(request, "log_entries", _in_window(entries, window(request, None)))


async def log_entries(request: Request) -> Response:
    """listLogEntries: the account's log, newest first, over the last month by default."""
    entries = vendor(request).log_entries()
    if teams := set(request.query_params.getlist("team_ids[]")):
        entries = [e for e in entries if any(t["id"] in teams for t in e["teams"])]
    return page(request, "log_entries", _in_window(entries, window(request, DEFAULT_RANGE)))


async def get_log_entry(request: Request) -> Response:
    """getLogEntry."""
    entry = vendor(request).log.get(request.path_params["id"])
    if entry is None:
        raise Refused(404, "Not Found", 2100)
    return answer(request, {"log_entry": entry})


async def abilities(request: Request) -> Response:
    """listAbilities: 200 `{"abilities": [...]}`."""
    return answer(request, {"abilities": list(ABILITIES)})


async def ability(request: Request) -> Response:
    """getAbility: 204 and no body for an ability the account has; the mock knows no others,
    so any other name is the 404 (the spec's 402, an ability not on the account's plan, is
    for names the mock cannot tell apart from unknown ones)."""
    if request.path_params["id"] not in ABILITIES:
        raise Refused(404, "Not Found", 2100)
    return Response(status_code=204)
