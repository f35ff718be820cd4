"""Log reads of the Datadog mock: GET /api/v2/logs/events, POST /api/v2/logs/events/search and
the older POST /api/v1/logs-queries/list.

Pages followed: shared/specs/datadog/v2/openapi.yaml (`ListLogsGet`, `ListLogs`,
`LogsListRequest`, `LogsQueryFilter` defaults `now-15m`/`now`/`*`, `LogsListRequestPage` limit
default 10 at most 1000, `LogsSort`, `LogsListResponse`, `Log`, `LogAttributes`, `x-pagination`
cursor `meta.page.after`), v1/openapi.yaml (`ListLogs`: `LogsListRequest` with a required
`time`, `startAt`, `LogsListResponse` with `nextLogId`, `LogsAPIErrorResponse`), the recorded
exchanges in DataDog/datadog-api-client-python tests/v2/cassettes/test_scenarios/
test_get_a_list_of_logs_returns_ok_response_with_pagination.yaml,
test_search_logs_returns_ok_response_with_pagination.yaml (a cursor is base64 of
`{"after": "<log id>"}`; `links.next` is a GET URL; the page past the last is `{"data":[]}`),
test_get_a_quick_list_of_logs_returns_ok_response.yaml (`meta` with `elapsed`, `request_id`,
`status`), tests/v1/cassettes/test_scenarios/test_search_test_logs_returns_ok_response.yaml.
The query syntax is mock_search.py's (docs.datadoghq.com/logs/explorer/search_syntax: `service:`,
`host:`, `status:`, `source:`, `@attribute:`, tags, free text).

| fact | value |
|---|---|
| default v2 sort | `-timestamp`, newest first (recorded: the paginated list, sent with no sort) |
| a bad v2 cursor | 400 APIErrorResponse, the events' text (UNCONFIRMED for logs) |
| v1 default limit, sort | 10, `desc` (UNCONFIRMED) |
| v1 400 | LogsAPIErrorResponse `{"error": {"code": "InvalidArgument", "message"}}` UNCONFIRMED |
| a time without a zone | UTC (the client sends naive datetimes with a `Z`) |
| `filter[indexes]`, `storage_tier` | accepted, not applied: the mock has one index (UNCONFIRMED) |
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.datadog import mock_search
from opwire.integrations.datadog.mock_base import (
    auth,
    errors,
    optional_object,
    raw,
    state_of,
)
from opwire.integrations.datadog.mock_logs import iso, key_of_id, log_id
from opwire.mock.app import json_body
from opwire.mock.state import clock_of

BAD_CURSOR = "input_validation_error(Field 'page' is invalid: invalid cursor)"
V1_LIMIT, V1_SORTS = 10, {"asc": False, "desc": True}
FACETS = {
    "host": lambda log: log.get("host"),
    "service": lambda log: log.get("service"),
    "status": lambda log: log.get("status"),
    "source": lambda log: log.get("source"),
}


def encode_cursor(key: tuple[int, int]) -> str:
    after = json.dumps({"after": log_id(*key)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(after.encode()).decode().rstrip("=")


def decode_cursor(cursor: Any) -> tuple[int, int]:
    text = str(cursor)
    try:
        after = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))["after"]
        key = key_of_id(str(after))
    except (ValueError, TypeError, KeyError, binascii.Error):
        key = None
    if key is None:
        raise mock_search.SearchError(BAD_CURSOR)
    return key


LOGS = mock_search.View(
    lambda log: str(log["message"]), FACETS, lambda log: log["attributes"], encode_cursor
)


def v2_log(log: dict[str, Any]) -> dict[str, Any]:
    """A `Log` of the v2 reads; fields the log does not have are left out."""
    attributes = {
        "attributes": log["attributes"],
        "host": log["host"],
        "message": log["message"],
        "service": log["service"],
        "status": log["status"],
        "tags": log["tags"],
        "timestamp": iso(log["ts_ms"]),
    }
    kept = {k: v for k, v in attributes.items() if v is not None}
    return {"id": log["uid"], "type": "log", "attributes": kept}


def _answer(request: Request, page: mock_search.Page, params: list[tuple[str, str]]) -> Response:
    hits, after = mock_search.select(state_of(request).logs, page, LOGS)
    meta: dict[str, Any] = {"elapsed": 1, "request_id": uuid.uuid4().hex, "status": "done"}
    body: dict[str, Any] = {"data": [v2_log(log) for log in hits], "meta": meta}
    if after is not None:
        meta["page"] = {"after": after}
        # This mock's own URL, so a client that follows `links.next` stays on it.
        query = urlencode([*params, ("page[cursor]", after)])
        body["links"] = {"next": str(request.url.replace(path="/api/v2/logs/events", query=query))}
    return JSONResponse(body)


def _page(filters: dict[str, Any], sort: Any, cursor: Any, limit: Any, now: float) -> Any:
    return mock_search.page_of(
        filters.get("query", "*"),
        (filters.get("from", "now-15m"), filters.get("to", "now")),
        sort,
        cursor,
        limit,
        now,
        decode_cursor,
    )


async def list_logs_get(request: Request) -> Response:
    """GET /api/v2/logs/events: filter[query|from|to|indexes], sort, page[cursor|limit]."""
    if denied := auth(request, read=True):
        return denied
    params = request.query_params
    filters = {
        k: params[f"filter[{k}]"] for k in ("query", "from", "to") if f"filter[{k}]" in params
    }
    try:
        page = _page(
            filters,
            params.get("sort", mock_search.DEFAULT_SORT),
            params.get("page[cursor]"),
            params.get("page[limit]", mock_search.DEFAULT_LIMIT),
            clock_of(request).now(),
        )
    except mock_search.SearchError as exc:
        return errors(400, str(exc))
    kept = [(k, v) for k, v in params.multi_items() if k != "page[cursor]"]
    return _answer(request, page, kept)


def _search_page(body: dict[str, Any], now: float) -> tuple[Any, list[tuple[str, str]]]:
    filters, paging = body.get("filter") or {}, body.get("page") or {}
    if not isinstance(filters, dict) or not isinstance(paging, dict):
        raise mock_search.SearchError("filter and page are objects")
    limit = paging.get("limit", mock_search.DEFAULT_LIMIT)
    sort = body.get("sort", mock_search.DEFAULT_SORT)
    page = _page(filters, sort, paging.get("cursor"), limit, now)
    named = [(f"filter[{k}]", str(filters[k])) for k in ("query", "from", "to") if k in filters]
    return page, [*named, ("sort", str(sort)), ("page[limit]", str(limit))]


async def list_logs(request: Request) -> Response:
    """POST /api/v2/logs/events/search: an optional `LogsListRequest`."""
    if denied := auth(request, read=True):
        return denied
    body = await optional_object(request)
    if isinstance(body, Response):
        return body
    try:
        page, params = _search_page(body, clock_of(request).now())
    except mock_search.SearchError as exc:
        return errors(400, str(exc))
    return _answer(request, page, params)


# --- v1 ---------------------------------------------------------------------------------------


class V1Error(ValueError):
    """A v1 logs list request Datadog refuses with a 400."""


def v1_error(message: str) -> Response:
    body = {"error": {"code": "InvalidArgument", "message": message}}
    return raw(json.dumps(body), 400, "application/json")


def _ms(value: Any, name: str) -> int:
    if not isinstance(value, str):
        raise V1Error(f"time.{name} is a required date-time")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise V1Error(f"time.{name} is not a date-time: {value!r}") from None
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() * 1000)


def _v1_page(body: Any) -> tuple[mock_search.Page, int]:
    """The page a v1 request asks for (one more than its limit, to name `nextLogId`)."""
    if not isinstance(body, dict) or not isinstance(body.get("time"), dict):
        raise V1Error("time is required")
    query, sort, limit = (
        body.get("query", "*"),
        body.get("sort", "desc"),
        body.get("limit", V1_LIMIT),
    )
    # A JSON array or object is no `LogsSort` (and unhashable, so test the type first).
    if not isinstance(query, str) or not isinstance(sort, str) or sort not in V1_SORTS:
        raise V1Error("query is a string and sort one of asc, desc")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise V1Error("limit must be between 1 and 1000")
    descending = V1_SORTS[sort]
    start = key_of_id(body["startAt"]) if isinstance(body.get("startAt"), str) else None
    # startAt is the first log returned: one step before it, as `select` skips up to its key.
    after = None if start is None else (start[0], start[1] + (1 if descending else -1))
    bounds = (_ms(body["time"].get("from"), "from"), _ms(body["time"].get("to"), "to"))
    return mock_search.Page(query, *bounds, descending, after, limit + 1), limit


def _v1_content(log: dict[str, Any]) -> dict[str, Any]:
    """v1's `LogContent`: the v2 attributes but `status`, which it does not have."""
    content: dict[str, Any] = v2_log(log)["attributes"]
    content.pop("status", None)
    return content


async def list_logs_v1(request: Request) -> Response:
    """POST /api/v1/logs-queries/list: `{"logs", "nextLogId", "status"}`."""
    if denied := auth(request, read=True):
        return denied
    try:
        page, limit = _v1_page(json_body(await request.body()))
    except V1Error as exc:
        return v1_error(str(exc))
    hits, _ = mock_search.select(state_of(request).logs, page, LOGS)
    logs = [{"id": log["uid"], "content": _v1_content(log)} for log in hits[:limit]]
    following = hits[limit]["uid"] if len(hits) > limit else None
    return JSONResponse({"logs": logs, "nextLogId": following, "status": "done"})
