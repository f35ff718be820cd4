"""Log intake of the Datadog mock: POST /api/v2/logs and the older POST /v1/input.

Pages followed: shared/specs/datadog/v2/openapi.yaml (`SubmitLog`: `HTTPLog`/`HTTPLogItem`,
`Content-Encoding` gzip|deflate, `ddtags` query parameter, text/plain and logplex bodies, the
limits and status codes of its description, 202 "always 202 empty JSON", `HTTPLogErrors`),
v1/openapi.yaml (`/v1/input`: 200 "always 200 empty JSON", `HTTPLogError`), the recorded
exchanges in DataDog/datadog-api-client-python tests/v2/cassettes/test_scenarios/
test_send_logs_returns_request_accepted_for_processing_always_202_empty_json_response.yaml and
tests/v1/cassettes/test_scenarios/test_send_logs_returns_response_from_server_always_200_empty_json_
response.yaml (`{}`, application/json), docs.datadoghq.com/logs/log_configuration/
attributes_naming_convention (reserved attributes), DataDog/datadog-ci-rb#500 (an intake's 403).

A log is kept as Datadog stores it: `host` (from `hostname`/`host`), `service`, `status`
(default `info`), `message`, tags from `ddtags` plus `source:<ddsource>`, and the other fields
as its `attributes` (a remapped `hostname`/`timestamp` stays there too, as recorded).

| fact | value |
|---|---|
| intake 403 (bad key) | HTTPLogErrors, detail `API key is invalid` [obs datadog-ci-rb#500] |
| intake 401 (no key) | HTTPLogErrors, detail `API key is missing` (the spec's 401; UNCONFIRMED) |
| /v1/input refusals | HTTPLogError `{"code","message"}`, 403 `Forbidden` UNCONFIRMED |
| more than 1000 entries | 413, as the 5 MB limit (the spec gives no status: UNCONFIRMED) |
| non-JSON body as application/json | 400 `Malformed payload` (the spec's example detail) |
| a log older than 18 hours | 202 and not kept (spec: "up to 18 hours in the past"; UNCONFIRMED) |
| `timestamp` of a log | its `timestamp`/`date` (ms, s or ISO 8601), else receipt time |
| a log over 2 hours ahead | kept at receipt time (UNCONFIRMED) |
| a log stamped past any float (10**400) | kept at receipt time, as an unreadable stamp |
| an empty array | 400 `Malformed payload` (UNCONFIRMED) |
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.encoding import DecodeError, decode_body
from opwire.integrations.datadog.mock_base import (
    ENTRY_OVERHEAD,
    JSON,
    DatadogState,
    api_key,
    raw,
    refusal,
    state_of,
)
from opwire.mock.state import clock_of, json_body

MAX_BYTES = 5 << 20  # spec: "Maximum content size per payload (uncompressed): 5MB"
MAX_ITEMS = 1000  # spec: "Maximum array size if sending multiple logs in an array"
MAX_LOG = 1 << 20  # spec: a log over 1MB is truncated, not refused
MAX_AGE_S = 18 * 3600
MAX_AHEAD_S = 2 * 3600  # a later stamp is taken as receipt time (UNCONFIRMED)
# Reserved attributes taken out of `attributes` into their own fields.
RESERVED = ("message", "ddtags", "ddsource", "service", "status", "host")
LOG_ID = struct.Struct(">BQQ")  # recorded ids open with 0x01 and the log's ms timestamp
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 413: "Payload Too Large"}


def log_id(ts_ms: int, seq: int) -> str:
    """A log's id, like the recorded `AQAAAYAdL9QW...`: 0x01, its ms timestamp, then a sequence
    number (the rest of the recorded layout: UNCONFIRMED)."""
    return base64.urlsafe_b64encode(LOG_ID.pack(1, ts_ms, seq)).decode().rstrip("=")


def key_of_id(value: str) -> tuple[int, int] | None:
    try:
        version, ms, seq = LOG_ID.unpack(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, struct.error):
        return None
    return (ms, seq) if version == 1 else None


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- answers ----------------------------------------------------------------------------------


def v2_error(status: int, detail: str) -> Response:
    """`HTTPLogErrors`: `{"errors": [{"status", "title", "detail"}]}`."""
    item = {"status": str(status), "title": TITLES.get(status, "Error"), "detail": detail}
    return raw(json.dumps({"errors": [item]}), status, JSON)


def v1_error(status: int, message: str) -> Response:
    """v1's `HTTPLogError`: `{"code": <int>, "message": "<text>"}`."""
    return raw(json.dumps({"code": status, "message": message}), status, JSON)


# --- reading a submission ---------------------------------------------------------------------


def _items(body: bytes, content_type: str) -> list[Any] | None:
    """The submitted log items: a JSON array or object, or one message per line of text."""
    if "json" not in content_type:
        lines = body.decode("utf-8", "replace").splitlines()
        return [{"message": line} for line in lines if line.strip()]
    document = json_body(body)
    found = document if isinstance(document, list) else [document]
    return found if found and all(isinstance(item, dict) for item in found) else None


def _stated(value: Any) -> float | None:
    """Seconds of a `timestamp`/`date` field (ms, s, or ISO 8601), None when it is neither."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000 if value > 100_000_000_000 else float(value)
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    return None


def _when(item: dict[str, Any], now: float) -> float:
    """The log's time: its own, unless absent, unreadable or too far ahead (then receipt)."""
    try:
        stated = _stated(item.get("timestamp", item.get("date")))
    except OverflowError:  # an integer no float can hold (10**400)
        stated = None
    return now if stated is None or not stated <= now + MAX_AHEAD_S else stated


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _tags(item: dict[str, Any], extra: str) -> list[str]:
    tags = [t.strip() for t in f"{item.get('ddtags') or ''},{extra}".split(",") if t.strip()]
    source = _text(item.get("ddsource"))
    return [*tags, f"source:{source}"] if source else tags


def _message(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else json.dumps(value)


def kept(item: dict[str, Any], params: Any, ts_ms: int, seq: int) -> dict[str, Any]:
    """A submitted item as the log store holds it (query parameters fill what it leaves out)."""
    filled = {k: params[k] for k in ("ddsource", "service", "hostname") if k in params}
    item = {**filled, **item}
    message = item.get("message")
    attributes = {k: v for k, v in item.items() if k not in RESERVED}
    return {
        "id": seq,
        "uid": log_id(ts_ms, seq),
        "ts_ms": ts_ms,
        "message": _message(message)[:MAX_LOG],
        "host": _text(item.get("host")) or _text(item.get("hostname")),
        "service": _text(item.get("service")),
        "status": _text(item.get("status")) or "info",
        "source": _text(item.get("ddsource")),
        "tags": _tags(item, params.get("ddtags", "")),
        "attributes": attributes,
    }


def store(state: DatadogState, items: list[dict[str, Any]], params: Any, now: float) -> None:
    for item in items:
        when = _when(item, now)
        if when < now - MAX_AGE_S:
            continue
        log = kept(item, params, int(when * 1000), next(state.log_ids))
        weight = len(log["message"]) + len(json.dumps(log["attributes"], default=str))
        state.logs.append(log, weight + sum(map(len, log["tags"])) + ENTRY_OVERHEAD)


async def _received(request: Request) -> list[Any] | tuple[int, str]:
    """The decoded items, or the status and text refusing them."""
    body = await request.body()
    if len(body) > MAX_BYTES:
        return 413, "Payload too large"
    try:
        decoded = decode_body(body, request.headers.get("content-encoding"), MAX_BYTES)
    except DecodeError as exc:
        return (413, "Payload too large") if exc.too_large else (400, str(exc))
    items = _items(decoded, request.headers.get("content-type", JSON).lower())
    if items is None:
        return 400, "Malformed payload"
    return (413, "Payload too large") if len(items) > MAX_ITEMS else items


# --- routes -----------------------------------------------------------------------------------


async def submit_v2(request: Request) -> Response:
    """POST /api/v2/logs: 202 `{}` (recorded), refusals as `HTTPLogErrors`."""
    if not api_key(request):
        return v2_error(401, "API key is missing")
    if refusal(request, read=False):
        return v2_error(403, "API key is invalid")
    found = await _received(request)
    if isinstance(found, tuple):
        return v2_error(*found)
    store(state_of(request), found, request.query_params, clock_of(request).now())
    return raw("{}", 202, JSON)


async def submit_v1(request: Request) -> Response:
    """POST /v1/input: 200 `{}` (recorded), refusals as v1's `HTTPLogError`."""
    if refusal(request, read=False):
        return v1_error(403, "Forbidden")
    found = await _received(request)
    if isinstance(found, tuple):
        return v1_error(*found)
    store(state_of(request), found, request.query_params, clock_of(request).now())
    return raw("{}", 200, JSON)
