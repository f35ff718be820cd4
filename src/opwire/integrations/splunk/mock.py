"""Splunk HEC mock: event and raw intake, health, channels and indexer acknowledgment (the
request checks and reply codes in mock_hec.py), plus splunkd's management REST API
(mock_routes.py: login, server info, search jobs, indexes, apps, saved searches, users …).

Pages followed: help.splunk.com "HTTP Event Collector REST API endpoints" (the raw endpoint's
channel, host, source, sourcetype, index and time parameters), "Format events for HTTP Event
Collector" (batches of concatenated objects; `fields` values a string or an array of strings),
"Troubleshoot HTTP Event Collector" (codes 0–22,
shared/specs/splunk/splunkadmins_hec_reply_code_lookup.csv), "About HTTP Event Collector
Indexer Acknowledgment"; vendor-contracts § 6.

Any GUID token is accepted (ack off, every index allowed) unless configured, or deleted or
replaced through data/inputs/http (then 403 code 4 "Invalid token"). The config (mock_config.py):
`POST /_opwire/splunk/config {"tokens": {TOKEN: {"disabled": false, "ack": true,
"indexes": ["main"]}}, "indexing_delay_s": 0, "health": "healthy", "query_auth": false,
"search_tokens": ["…"], "users": {"admin": "…"}, "version": "9.3.2"}`
(search_tokens / users null: any search token, any user and password).
The management API (port 8089 on a real Splunk) is served on the same port here.

Stores keep the newest entries (events, pending acks, ack channels, tokens) and count
what they drop (`/_opwire/health`); a body past the limit gets HEC's 413 (mock/limits.py).
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.encoding import DecodeError, decode_body
from opwire.integrations.splunk import mock_atom, mock_config, mock_routes, mock_search
from opwire.integrations.splunk.mock_entities import RestState
from opwire.integrations.splunk.mock_hec import (
    CODES,
    EVENT_NUMBER_BASE,
    GUID,
    HEALTH,
    HecError,
    Token,
    checked_item,
    epoch,
    objects,
)
from opwire.integrations.splunk.mock_rows import EVENT_OVERHEAD, new_event, row_of
from opwire.integrations.splunk.mock_search import SearchState
from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, field_value, run_id_in
from opwire.mock.limits import CONFIGURED, TOO_LARGE, CappedDict, CappedList
from opwire.mock.scenarios import Scenario, vendor_state
from opwire.mock.state import clock_of

NOT_FOUND_TEXT = "The requested URL was not found on this server."
BODY_LIMIT = 32 << 20  # decompressed bytes per request
# Stored events: enough for a benchmark's 20 000-event run to be counted whole.
EVENTS, EVENTS_WEIGHT = 100_000, 128 << 20


class TooLarge(Exception):
    """The decoded body passed BODY_LIMIT: HEC's too-large answer, not code 6."""


@dataclass(slots=True)
class SplunkState:
    indexing_delay_s: float = 0.0
    health: str = "healthy"
    query_auth: bool = False
    default_token: Token = field(default_factory=Token)
    dropped: Counter[str] = field(default_factory=Counter)
    tokens: CappedDict[str, Token] = field(init=False)
    events: CappedList[dict[str, Any]] = field(init=False)
    search: SearchState = field(init=False)
    rest: RestState = field(init=False)  # indexes, apps, saved searches
    # channel -> its next ack id; (channel, ack id) -> when it is indexed. One store for the
    # pending acks of every channel, so many channels cannot multiply its cap. A pending ack
    # dropped for room answers false, as a lost one does on Splunk.
    next_ack: CappedDict[str, int] = field(init=False)
    acks: CappedDict[tuple[str, int], float] = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = CappedDict("tokens", self.dropped, CONFIGURED)
        self.events = CappedList("events", self.dropped, EVENTS, EVENTS_WEIGHT)
        self.next_ack = CappedDict("channels", self.dropped)
        self.acks = CappedDict("acks", self.dropped)
        self.search = SearchState(self.dropped)
        self.rest = RestState(self.dropped)

    def next_ack_id(self, channel: str) -> int:
        ack_id = self.next_ack.get(channel, 0)
        self.next_ack[channel] = ack_id + 1
        return ack_id


def _state(request: Request) -> SplunkState:
    state: SplunkState = mock_state(request).vendor
    return state


def _now(request: Request) -> float:
    return clock_of(request).now()


def _reply(code: int, **extra: Any) -> Response:
    status, text = CODES[code]
    return JSONResponse({"text": text, "code": code, **extra}, status)


def _token(request: Request) -> tuple[str, Token]:
    state, header = _state(request), request.headers.get("authorization")
    if header is None:
        value = request.query_params.get("token")
        if value is None:
            raise HecError(2)
        if not state.query_auth:
            raise HecError(16)
    else:
        value = _header_token(header)
    if not GUID.match(value):
        raise HecError(4)
    token = state.tokens.get(value.lower(), state.default_token)
    if token.revoked:
        raise HecError(4)
    if token.disabled:
        raise HecError(1)
    return value.lower(), token


def _header_token(header: str) -> str:
    scheme, _, rest = header.partition(" ")
    if scheme == "Splunk" and rest.strip():
        return rest.strip()
    if scheme == "Basic":
        try:
            return base64.b64decode(rest.strip()).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            raise HecError(3) from None
    raise HecError(3)


def _not_busy(request: Request) -> None:
    """With its queues full HEC refuses intake: 503 code 9 "Server is busy" (the backpressure
    answer of vendor-contracts § 6.4), after the token is checked (order UNCONFIRMED)."""
    if _state(request).health in ("queues_full", "both"):
        raise HecError(9)


def _channel(request: Request, token: Token) -> str | None:
    channel = request.headers.get("x-splunk-request-channel") or request.query_params.get("channel")
    if channel is None:
        if token.ack:
            raise HecError(10)
        return None
    if not GUID.match(channel):
        raise HecError(11)
    return channel.lower()


async def _body(request: Request) -> bytes:
    try:
        raw = decode_body(await request.body(), request.headers.get("content-encoding"), BODY_LIMIT)
    except DecodeError as exc:
        if exc.too_large:
            raise TooLarge from None
        raise HecError(6, EVENT_NUMBER_BASE) from None
    if not raw.strip():
        raise HecError(5)
    return raw


def _store(
    state: SplunkState,
    items: list[dict[str, Any]],
    token: Token,
    channel: str | None,
    defaults: dict[str, str],
    now: float,
) -> dict[str, Any]:
    """Keep the events, received at `now` (unix seconds), indexed `indexing_delay_s` later."""
    ready = now + state.indexing_delay_s
    for item in items:
        stored = new_event(
            item["event"],
            epoch(item.get("time"), now),
            ready,
            index=item.get("index", defaults.get("index", token.default_index)),
            sourcetype=item.get("sourcetype", defaults.get("sourcetype", token.sourcetype)),
            source=item.get("source", defaults.get("source", token.source)),
            host=item.get("host", defaults.get("host", "opwire-mock")),
            fields=item.get("fields") or {},
        )
        state.events.append(stored, len(stored["raw"]) + EVENT_OVERHEAD)
    if not token.ack or channel is None:
        return {}
    ack_id = state.next_ack_id(channel)
    state.acks[(channel, ack_id)] = ready
    return {"ackId": ack_id}


async def event_endpoint(request: Request) -> Response:
    try:
        _, token = _token(request)
        _not_busy(request)
        channel = _channel(request, token)
        raw = await _body(request)
        items = [
            checked_item(n, item, token)
            for n, item in enumerate(objects(raw.decode("utf-8", "replace")))
        ]
    except HecError as exc:
        return _error(exc)
    except TooLarge:
        return TOO_LARGE["splunk"].response()
    return _reply(0, **_store(_state(request), items, token, channel, {}, _now(request)))


async def raw_endpoint(request: Request) -> Response:
    try:
        _, token = _token(request)
        _not_busy(request)
        channel = _channel(request, token)
        raw = await _body(request)
        defaults = {
            k: v
            for k, v in request.query_params.items()
            if k in ("index", "sourcetype", "source", "host", "time")
        }
        item = checked_item(0, {"event": "x", **defaults}, token)
    except HecError as exc:
        return _error(exc)
    except TooLarge:
        return TOO_LARGE["splunk"].response()
    lines = [line for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    items = [{**item, "event": line} for line in lines]
    stored = _store(_state(request), items, token, channel, defaults, _now(request))
    return _reply(0, **stored)


def _error(exc: HecError) -> Response:
    if exc.event_number is None:
        return _reply(exc.code)
    return _reply(exc.code, **{"invalid-event-number": exc.event_number})


async def health(request: Request) -> Response:
    state = _state(request)
    value = request.query_params.get("token")
    if value is not None:
        token = state.tokens.get(value.lower(), state.default_token)
        if not GUID.match(value) or token.revoked:
            return _reply(21)
        if token.disabled:
            return _reply(22)
    return _reply(HEALTH[state.health])


async def ack(request: Request) -> Response:
    try:
        _, token = _token(request)
        if not token.ack:
            raise HecError(14)
        channel = _channel(request, token)
    except HecError as exc:
        return _error(exc)
    body = json_body(await request.body())
    wanted = body.get("acks") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not all(isinstance(a, int) for a in wanted):
        return _reply(6)
    pending, now = _state(request).acks, _now(request)
    answer = {}
    for ack_id in wanted:
        key = (channel or "", ack_id)
        done = key in pending and pending[key] <= now
        answer[str(ack_id)] = done
        if done:
            del pending[key]  # a true answer is given once, then forgotten
    return JSONResponse({"acks": answer})


def items(state: SplunkState, clock: MockClock) -> Iterator[Item]:
    """Each event held (indexed or not yet), as a search export row shows it; the run id is its
    `run_id` field (indexed, or in the event's JSON), else in its raw text."""
    for event in state.events:
        found = (
            field_value(event["fields"]) or field_value(event["event"]) or run_id_in(event["raw"])
        )
        yield Item("hec_event", event["time"], found, row_of(event))


def credential_of(incoming: Incoming) -> str | None:
    """The secret a request carries: a HEC token (header, Basic password or ?token=), a search
    token or session key (Bearer / Splunk, the splunkd_<port> cookie), or a login's password.
    The log masks the credential this names, the Authorization header and cookie whatever they
    hold, and every `password=` form field."""
    if password := mock_search.credential_of_login(incoming.path, incoming.body, incoming.query):
        return password
    header = incoming.headers.get("authorization", "")
    scheme, _, rest = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(rest).decode().partition(":")[2] or None
        except (ValueError, UnicodeDecodeError):
            return None
    if rest.strip():
        return rest.strip()
    if session := _cookie_session(incoming.headers.get("cookie", "")):
        return session
    found = parse_qs(incoming.query).get("token")
    return found[0] if found else None


def _cookie_session(header: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name.startswith("splunkd_") and value:
            return value
    return None


def _token_default(**values: Any) -> Any:
    def apply(state: Any) -> None:
        for name, value in values.items():
            setattr(state.vendor.default_token, name, value)

    return apply


def _never_indexed(state: Any) -> None:
    state.vendor.default_token.ack = True
    state.vendor.indexing_delay_s = 1e9


SCENARIOS = (
    Scenario(
        "splunk/token_disabled",
        "the HEC token is disabled (403, code 1)",
        _token_default(disabled=True),
        'Splunk HEC returns 403 "token disabled"',
    ),
    Scenario(
        "splunk/incorrect_index",
        "the token may not write to its default index (code 7)",
        _token_default(indexes=["security"], default_index="main"),
        'Splunk HEC returns 403 "token disabled" (index ACL rejected the source)',
    ),
    Scenario(
        "splunk/unhealthy", "HEC queues are full (503, code 18)", vendor_state(health="queues_full")
    ),
    Scenario(
        "splunk/not_indexed",
        "events are received but never acknowledged as indexed",
        _never_indexed,
    ),
)


def not_found(request: Request, status: int) -> Response:
    """HEC's own JSON for a path (or method) it does not serve; splunkd's messages elsewhere."""
    if request.url.path.startswith("/services/collector"):
        return JSONResponse({"text": NOT_FOUND_TEXT, "code": 404}, status)
    text = "Not Found" if status == 404 else "Method Not Allowed"
    json_mode = request.query_params.get("output_mode", "").lower() == "json"
    return mock_atom.messages("ERROR", text, status, json_mode)


def create_app() -> ASGIApp:
    intake = ("/services/collector", "/services/collector/event", "/services/collector/event/1.0")
    return create_mock_app(
        "splunk",
        [
            *(Route(path, event_endpoint, methods=["POST"]) for path in intake),
            Route("/services/collector/raw", raw_endpoint, methods=["POST"]),
            Route("/services/collector/raw/1.0", raw_endpoint, methods=["POST"]),
            Route("/services/collector/health", health, methods=["GET"]),
            Route("/services/collector/health/1.0", health, methods=["GET"]),
            Route("/services/collector/ack", ack, methods=["POST"]),
            *mock_routes.routes(),
        ],
        SplunkState,
        credential_of,
        [Route("/_opwire/splunk/config", mock_config.control_config, methods=["GET", "POST"])],
        scenarios=SCENARIOS,
        throttled=('{"text":"Server is busy","code":9}', "application/json"),
        # Splunk sends no rate-limit headers (vendor-contracts § 6.4): only Retry-After.
        throttle_headers={},
        not_found=not_found,
        too_large=TOO_LARGE["splunk"],
        inventory=Inventory(("hec_event",), items),
    )
