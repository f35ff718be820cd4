"""What every route of the Datadog mock shares: its state, its keys and its two error shapes.

Pages followed: shared/specs/datadog/v1/openapi.yaml and v2/openapi.yaml (`security` of each
operation, `APIErrorResponse`, `JSONAPIErrorResponse`), the recorded validate exchanges
(cassettes/v1_test_validate_api_key_*), vendor-contracts.md § 1.2.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from opwire.mock.app import json_body, mock_state
from opwire.mock.limits import ENTRIES, WEIGHT, CappedList

APP_URL = "https://app.datadoghq.com"
# Key shapes: 32 hex (API), 40 hex (APP). UNCONFIRMED (widely known; vendor-contracts § 1.2).
API_KEY = re.compile(r"^[0-9a-f]{32}$")
APP_KEY = re.compile(r"^[0-9a-f]{40}$")
# Stored points: one row is a small tuple sharing its series' metric and tags, so count alone
# bounds them; events, service checks and logs carry client text and are weighed too. Monitors
# and metric metadata are an operator's configuration, which Datadog keeps until deleted: they
# are weighed as well (`Weighed`), and past the count or the weight a new one is refused rather
# than an old one dropped.
POINTS = 200_000
ENTRY_OVERHEAD = 512
JSON = "application/json"
TEXT_JSON = "text/json"  # what the v1 intake routes answer (recorded for /api/v1/series)

Row = tuple[str, frozenset[str], float, float]
K = TypeVar("K")


class Weighed(dict[K, dict[str, Any]]):
    """JSON objects by key, at most `cap` of them and `budget` of weight (about their bytes).

    `fits` says whether a put would stay within both; set entries only with `put`."""

    def __init__(self, cap: int = ENTRIES, budget: int = WEIGHT) -> None:
        super().__init__()
        self.cap, self.budget, self.weight = cap, budget, 0
        self._weights: dict[K, int] = {}

    def fits(self, key: K, value: dict[str, Any]) -> bool:
        if key not in self and len(self) >= self.cap:
            return False
        return self.weight - self._weights.get(key, 0) + weight(value) <= self.budget

    def put(self, key: K, value: dict[str, Any]) -> None:
        heft = weight(value)
        self.weight += heft - self._weights.get(key, 0)
        self._weights[key] = heft
        super().__setitem__(key, value)

    def remove(self, key: K) -> None:
        self.weight -= self._weights.pop(key, 0)
        super().pop(key)


@dataclass(slots=True)
class DatadogState:
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(6327818702635911562))
    drop_points: bool = False  # intake answers 202 and keeps nothing (it has, for bad keys)
    dropped: Counter[str] = field(default_factory=Counter)
    events: CappedList[dict[str, Any]] = field(init=False)
    points: CappedList[Row] = field(init=False)
    service_checks: CappedList[dict[str, Any]] = field(init=False)
    logs: CappedList[dict[str, Any]] = field(init=False)
    log_ids: itertools.count[int] = field(default_factory=itertools.count)
    # PUT /api/v1/metrics/{name}: what an operator set, by metric name, at most ENTRIES.
    metadata: Weighed[str] = field(default_factory=lambda: Weighed[str]())
    # Monitors by id, at most ENTRIES; ids as the recorded ones (cassettes/test_edit_a_monitor_*).
    monitors: Weighed[int] = field(default_factory=lambda: Weighed[int]())
    monitor_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(155845150))
    # The type each metric was first submitted with (its metadata `type`), at most ENTRIES.
    metric_types: dict[str, str] = field(default_factory=dict)
    # Metric names submitted as distributions (queried as one population), at most ENTRIES.
    distributions: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.events = CappedList("events", self.dropped)
        self.points = CappedList("points", self.dropped, POINTS)
        self.service_checks = CappedList("service_checks", self.dropped)
        self.logs = CappedList("logs", self.dropped)


def weight(value: Any) -> int:
    """About the bytes a stored JSON value holds."""
    return len(json.dumps(value, default=str)) + ENTRY_OVERHEAD


def state_of(request: Request) -> DatadogState:
    state: DatadogState = mock_state(request).vendor
    return state


def errors(status: int, *messages: str, content_type: str = JSON) -> Response:
    """Datadog's `APIErrorResponse`: `{"errors": ["<text>", ...]}`."""
    return raw(json.dumps({"errors": list(messages)}), status, content_type)


def raw(body: str, status: int, content_type: str) -> Response:
    """An answer with exactly this content type (Starlette would add a charset to text/json)."""
    return Response(body, status, headers={"content-type": content_type})


async def optional_object(request: Request) -> dict[str, Any] | Response:
    """The JSON object of a request whose body may be empty (the v2 search and aggregate
    requests: an empty body is `{}`); any other body is Datadog's 400."""
    given = await request.body()
    body = json_body(given) if given.strip() else {}
    return body if isinstance(body, dict) else errors(400, "Invalid JSON body")


def jsonapi_error(status: int, detail: str) -> Response:
    """The v2 intake's `JSONAPIErrorResponse` (recorded for a 400 of POST /api/v2/events)."""
    title = {400: "Bad Request", 403: "Forbidden"}.get(status, "Error")
    item = {"status": str(status), "title": title, "detail": detail}
    return Response(json.dumps({"errors": [item]}), status, media_type=JSON)


def api_key(request: Request) -> str | None:
    return request.headers.get("dd-api-key") or request.query_params.get("api_key")


def app_key(request: Request) -> str | None:
    return request.headers.get("dd-application-key") or request.query_params.get("application_key")


def refusal(request: Request, *, read: bool) -> str | None:
    """None when the keys pass; otherwise Datadog's 403 text (recorded when the key is absent).

    `read` is the spec's `security: [apiKeyAuth, appKeyAuth]`: the APP key is needed too."""
    key = api_key(request)
    if not key:
        return "API key required"
    if not API_KEY.match(key):
        return "Forbidden"
    if read and not APP_KEY.match(app_key(request) or ""):
        return "Forbidden"
    return None


def auth(request: Request, *, read: bool, content_type: str = JSON) -> Response | None:
    refused = refusal(request, read=read)
    return errors(403, refused, content_type=content_type) if refused else None


def finite(value: float | None) -> float | None:
    """A value JSON can carry: an overflow (inf) becomes null, as a gap in a series is.
    UNCONFIRMED (Datadog's own answer to an overflowing aggregate is not known)."""
    return value if value is None or math.isfinite(value) else None


def numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(t, str) for t in value)
