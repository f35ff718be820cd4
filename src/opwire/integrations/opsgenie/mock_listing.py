"""Opsgenie's alert reads that page: List Alerts and Count Alerts (the search query language),
List Alert Logs and List Alert Notes.

Pages followed: docs.opsgenie.com/docs/alert-api-continued (List Alerts: `query`, `sort`,
`order`, `offset`, `limit`; Count Alerts; List Alert Logs / Notes: `offset`, `direction`,
`limit`, `order`), docs.opsgenie.com/docs/pagination (`paging` links), shared/specs/opsgenie/
swagger.json (ListAlertsResponse answers BaseAlert, without Get Alert's own fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.opsgenie import mock_searches as searches
from opwire.integrations.opsgenie.mock_http import answer as _answer
from opwire.integrations.opsgenie.mock_http import auth as _auth
from opwire.integrations.opsgenie.mock_http import whole
from opwire.integrations.opsgenie.mock_journal import Journal, offset_key, page
from opwire.integrations.opsgenie.mock_query import QueryError, compile_query, sort_key
from opwire.integrations.opsgenie.mock_store import (
    TEXTS,
    OpsgenieState,
    alert_of,
    fresh,
    settled,
)
from opwire.mock.state import clock_of

LIST_LIMIT, LIST_DEFAULT = 100, 20  # the spec: "Default value is 20 and maximum value is 100"
# The spec's `sort` values for List Alerts (default createdAt, order desc).
SORTS = (
    "createdAt",
    "updatedAt",
    "tinyId",
    "alias",
    "message",
    "status",
    "acknowledged",
    "isSeen",
    "snoozed",
    "snoozedUntil",
    "count",
    "lastOccurredAt",
    "source",
    "owner",
    "integration.name",
    "integration.type",
    "report.ackTime",
    "report.closeTime",
    "report.acknowledgedBy",
    "report.closedBy",
)
LISTED = ("actions", "entity", "description", "details")  # Get Alert's, not List Alerts' (spec)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    """A paging number, held within [low, high] (ValueError when it is not an integer)."""
    return default if value is None else min(max(whole(value), low), high)


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get(name, allowed[0])
    if value not in allowed:
        raise ValueError(f"{name} should be one of {', '.join(allowed)}")
    return value


async def alert_journal(request: Request) -> Response:
    """GET /v2/alerts/{identifier}/logs and /notes, paged by entry offset."""
    alert = await alert_of(request)
    if isinstance(alert, Response):
        return alert
    try:
        limit = _int(request.query_params.get("limit"), LIST_DEFAULT, 1, LIST_LIMIT)
        direction = _choice(request, "direction", ("next", "prev"))
        order = _choice(request, "order", ("desc", "asc"))
        offset = request.query_params.get("offset") or None
        if offset is not None and offset_key(offset) is None:
            raise ValueError("offset is not an offset this list gave")
    except ValueError as exc:
        return _answer(422, {"message": f"Invalid parameter: {exc}"})
    journal = (await settled(request)).journals.get(alert["id"]) or Journal()
    kind = "logs" if request.url.path.endswith("/logs") else "notes"
    found = page(list(getattr(journal, kind)), offset, direction, limit, order)
    paging = {"first": _page_url(request, {"offset": None, "direction": None})}
    if found.next_offset is not None:
        paging["next"] = _page_url(request, {"offset": found.next_offset, "direction": "next"})
    return _answer(200, {"data": found.entries, "paging": paging})


async def alert_recipients(request: Request) -> Response:
    """GET /v2/alerts/{identifier}/recipients (ListAlertRecipientsResponse)."""
    alert = await alert_of(request)
    if isinstance(alert, Response):
        return alert
    journal = (await settled(request)).journals.get(alert["id"]) or Journal()
    return _answer(200, {"data": list(journal.recipients.values())})


def _page_url(request: Request, changes: Mapping[str, str | int | None]) -> str:
    params: dict[str, str | int] = {**request.query_params}
    for name, value in changes.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    return str(request.url.replace(query=urlencode(params)))


def _searched(request: Request, state: OpsgenieState) -> list[dict[str, Any]]:
    """The alerts the request's `query` and saved search (`searchIdentifier`) both match
    (QueryError, ValueError when it cannot)."""
    saved = searches.saved_query(request, state)
    if saved is None:
        raise ValueError(TEXTS["no_saved_search"])
    matches = [compile_query(saved), compile_query(request.query_params.get("query", ""))]
    now = clock_of(request).now()
    found = [alert for alert in state.alerts.values() if all(m(fresh(alert, now)) for m in matches)]
    return found


async def count_alerts(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    state = await settled(request)
    try:
        hits = _searched(request, state)
    except (QueryError, ValueError) as exc:
        return _answer(422, {"message": f"Invalid query: {exc}"})
    return _answer(200, {"data": {"count": len(hits)}})


async def list_alerts(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    state = await settled(request)
    try:
        limit = _int(request.query_params.get("limit"), LIST_DEFAULT, 1, LIST_LIMIT)
        offset = _int(request.query_params.get("offset"), 0, 0, 1 << 31)
        sort = _choice(request, "sort", SORTS)
        order = _choice(request, "order", ("desc", "asc"))
        hits = _searched(request, state)
    except (QueryError, ValueError) as exc:
        return _answer(422, {"message": f"Invalid parameter: {exc}"})
    hits.sort(key=sort_key(sort), reverse=order == "desc")
    shown = [{k: v for k, v in a.items() if k not in LISTED} for a in hits[offset:][:limit]]
    paging = _list_paging(request, offset, limit, len(hits))
    headers = {f"X-Paging-{name.capitalize()}": url for name, url in paging.items()}
    return _answer(200, {"data": shown, "paging": paging}, headers)


def _list_paging(request: Request, offset: int, limit: int, total: int) -> dict[str, str]:
    """docs.opsgenie.com/docs/pagination: the links to the next, previous, first, last page."""
    last = max(total - 1, 0) // limit * limit
    paging = {"first": _page_url(request, {"offset": 0, "limit": limit})}
    if offset + limit < total:
        paging["next"] = _page_url(request, {"offset": offset + limit, "limit": limit})
    if offset > 0:
        paging["prev"] = _page_url(request, {"offset": max(offset - limit, 0), "limit": limit})
    paging["last"] = _page_url(request, {"offset": last, "limit": limit})
    return paging
