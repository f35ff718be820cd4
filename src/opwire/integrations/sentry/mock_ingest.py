"""Relay's ingest endpoints, for the Sentry mock: `/api/{project_id}/envelope/` and the legacy
`/store/`, from the auth checks to the stored event, its issue and the envelope's other items.

Followed: develop.sentry.dev/sdk/{overview,envelopes,store}/ (envelope format, `{"id": …}`),
Relay relay-server/src/extractors/request_meta.rs (auth forms and errors, mock_auth.py),
endpoints/store.rs (legacy bodies: base64, base64 of zlib), endpoints/envelope.rs
(StoreResponse: `{}` without an event id), relay-event-normalization (mock_events.py), and
Sentry's grouping (docs.sentry.io/concepts/data-management/event-grouping/: an explicit
fingerprint, `{{ default }}` in it, else the title).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
import zlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.encoding import DecodeError, decode_body
from opwire.integrations.sentry.alerts import trigger
from opwire.integrations.sentry.envelope import Envelope, EnvelopeError, parse
from opwire.integrations.sentry.mock_attachments import keep as keep_attachments
from opwire.integrations.sentry.mock_auth import (
    BAD_PROJECT,
    MISSING,
    AuthError,
    checked,
    envelope_auth,
    request_auth,
)
from opwire.integrations.sentry.mock_crons import keep_checkin
from opwire.integrations.sentry.mock_events import (
    EventIdError,
    all_tags,
    derived_tags,
    event_id,
    iso,
    metadata,
    normalize,
    title,
)
from opwire.integrations.sentry.mock_explore import keep_logs
from opwire.integrations.sentry.mock_feedback import keep_item as keep_report
from opwire.integrations.sentry.mock_releases import observe as observe_release
from opwire.integrations.sentry.mock_releases import observe_sessions
from opwire.integrations.sentry.mock_shapes import (
    public_group,
)
from opwire.integrations.sentry.mock_state import (
    Project,
    SentryState,
    detail,
    state_of,
)
from opwire.mock.limits import TOO_LARGE
from opwire.mock.state import clock_of, strict_json

DEFAULT_PART = re.compile(r"^\{\{\s*default\s*\}\}$")
BODY_LIMIT = 200 << 20  # decompressed envelope (develop.sentry.dev envelopes "size limits")
EVENT_OVERHEAD = 512
ENVELOPE_TYPE = "application/x-sentry-envelope"
TAG_VALUES_PER_ISSUE = 100  # what issue search remembers of each tag
# The tag keys an issue remembers besides the ones Sentry derives (level, user, release, …,
# always kept): a new client key past it is not remembered (UNCONFIRMED: Sentry's tagstore sets
# no documented cap; the mock's bound, as values are capped per key).
TAG_KEYS_PER_ISSUE = 200


def _project_id(request: Request) -> int:
    raw = request.path_params["project_id"]
    if not raw.isdigit() or int(raw) >= 1 << 64:
        raise AuthError(BAD_PROJECT)
    return int(raw)


def _admit(request: Request, first_line: bytes | None) -> Project:
    """The project, once Relay's checks pass: the path, then the one auth payload (the envelope
    endpoint reads the `dsn` header of `first_line` when the request has none), then the key."""
    project_id = _project_id(request)
    auth = request_auth(request.headers, request.url.query)
    if auth is None and first_line is not None:
        auth = envelope_auth(first_line)
    if auth is None:
        raise AuthError(MISSING)
    key = checked(auth)
    project = state_of(request).project(project_id)
    if key in project.rejected_keys or state_of(request).reject_all_keys:
        raise AuthError((403, "event submission rejected with_reason: ProjectId"))
    return project


async def _body(request: Request) -> bytes | Response:
    raw = await request.body()
    if not raw:
        return detail(400, "empty request body")
    try:
        body = decode_body(raw, request.headers.get("content-encoding"), BODY_LIMIT)
    except DecodeError as exc:
        if exc.too_large:
            return TOO_LARGE["sentry"].response()
        return detail(
            400,
            "failed to read request body",
            str(exc),
            headers={"X-Sentry-Error": "failed to read request body"},
        )
    return body if body else detail(400, "empty request body")


def _first_line(body: bytes) -> bytes:
    return body.split(b"\n", 1)[0]


async def envelope_endpoint(request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    try:
        project = _admit(request, _first_line(body))
        return _accept(request, project, parse(body), len(body))
    except AuthError as exc:
        return detail(exc.status, exc.detail)
    except EnvelopeError as exc:
        return detail(400, exc.detail, *exc.causes)


def _envelope_id(envelope: Envelope) -> str | None:
    try:
        return event_id(envelope.headers.get("event_id"))
    except EventIdError as exc:
        raise EnvelopeError("invalid event envelope", f"invalid envelope header: {exc}") from None


def _accept(request: Request, project: Project, envelope: Envelope, size: int) -> Response:
    """Store the envelope's event or transaction and its attachments; Relay answers the
    envelope's event id (`{}` when it has none)."""
    header_id = _envelope_id(envelope)
    item = envelope.event()
    event = _event_json(item.payload) if item else None
    stored_id = header_id
    if event is not None and item is not None:
        stored_id = header_id or _payload_id(event) or uuid.uuid4().hex
        _keep(request, project, stored_id, event, str(item.headers["type"]), size)
    _keep_items(request, project, envelope, stored_id, event is not None)
    return JSONResponse({"id": stored_id} if stored_id else {})


def _keep_items(
    request: Request, project: Project, envelope: Envelope, stored_id: str | None, event: bool
) -> None:
    """The envelope's other items the mock reads back: attachments on the event, check-ins,
    user reports and logs. Any other type (session, client_report, profile, …) is accepted
    and not kept."""
    state, now = state_of(request), clock_of(request).now()
    if stored_id is not None:
        keep_attachments(state, stored_id, envelope.items, now, event)
    for item in [] if state.drop_events else envelope.items:
        kind = item.headers.get("type")
        if kind == "check_in":
            keep_checkin(project, item.payload, now)
        elif kind == "user_report":
            keep_report(state, project, item.payload, now)
        elif kind == "log":
            keep_logs(state, project, item.payload, now)
        elif kind in ("session", "sessions"):
            observe_sessions(project, item.payload, now)


def _payload_id(event: dict[str, Any]) -> str | None:
    try:
        return event_id(event.get("event_id"))
    except EventIdError as exc:
        raise EnvelopeError(f"invalid JSON data: {exc}") from None


def _keep(
    request: Request,
    project: Project,
    stored_id: str,
    event: dict[str, Any],
    item_type: str,
    size: int,
) -> None:
    state, received = state_of(request), clock_of(request).now()
    normalized = normalize(event, item_type, stored_id)
    new = _store(state, project, stored_id, normalized, size, received)
    if not state.drop_events:
        observe_release(project, normalized.get("release"), received, new is not None, False)
    _alert(request, stored_id, new)


async def store_endpoint(request: Request) -> Response:
    """The legacy JSON endpoint: a body that is not JSON is base64, of zlib or of JSON
    (store.rs `decode_bytes`); an envelope content type is parsed as an envelope."""
    body = await _body(request)
    if isinstance(body, Response):
        return body
    try:
        project = _admit(request, None)
        if request.headers.get("content-type", "").startswith(ENVELOPE_TYPE):
            return _accept(request, project, parse(body), len(body))
        event = _event_json(_legacy_decode(body))
        stored_id = _payload_id(event) or uuid.uuid4().hex
    except AuthError as exc:
        return detail(exc.status, exc.detail)
    except EnvelopeError as exc:
        return detail(400, exc.detail, *exc.causes)
    item_type = "transaction" if event.get("type") == "transaction" else "event"
    _keep(request, project, stored_id, event, item_type, len(body))
    return JSONResponse({"id": stored_id})


def _legacy_decode(body: bytes) -> bytes:
    if body.startswith(b"{"):
        return body
    try:
        binary = base64.b64decode(body.strip(), validate=True)
        if binary.startswith(b"{"):
            return binary
        decoder = zlib.decompressobj()
        decoded = decoder.decompress(binary, BODY_LIMIT)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise EnvelopeError("invalid request body", str(exc)) from None
    if decoder.unconsumed_tail:
        raise EnvelopeError("invalid request body", "the decoded body exceeds the size limit")
    if not decoded:
        raise EnvelopeError("empty request body")
    return decoded


def _event_json(payload: bytes) -> dict[str, Any]:
    try:
        event = strict_json(payload)
    except ValueError as exc:
        raise EnvelopeError(f"invalid JSON data: {exc}") from None
    if not isinstance(event, dict):
        raise EnvelopeError("invalid JSON data: expected an object")
    return event


def _group_key(project: Project, event: dict[str, Any], title: str) -> str:
    """Explicit fingerprint, else the title (exception type/value, or the message)."""
    fingerprint = event.get("fingerprint")
    if isinstance(fingerprint, list) and fingerprint:
        # `{{ default }}` stands for Sentry's own grouping (docs.sentry.io/concepts/data-
        # management/event-grouping/fingerprint-rules/): here, the title.
        fingerprint = [title if DEFAULT_PART.match(str(p)) else p for p in fingerprint]
    key = json.dumps(fingerprint) if fingerprint else title
    return hashlib.sha256(f"{project.id}:{key}".encode()).hexdigest()


def _new_group(state: SentryState, project: Project, event: dict[str, Any], title: str) -> Any:
    group_id = str(next(state.group_ids))  # a counter: ids stay unique once old ones drop
    return {
        "_key": _group_key(project, event, title),
        "_tags": {},
        "id": group_id,
        "title": title,
        "status": "unresolved",
        "project": {"id": str(project.id), "slug": project.slug},
        "count": "0",
        "shortId": f"MOCK-{group_id}",
        "level": event["level"],
        "culprit": str(event.get("culprit") or event.get("transaction") or ""),
        "platform": event["platform"],
        "type": event["type"],
        "metadata": metadata(event, title),
    }


def _count_into(group: dict[str, Any], event: dict[str, Any], now: str) -> None:
    group["count"], group["lastSeen"] = str(int(group["count"]) + 1), now
    group.setdefault("firstSeen", now)
    if group["status"] == "resolved":
        # A regression reopens the issue, as Sentry does.
        group |= {"status": "unresolved", "substatus": "regressed", "statusDetails": {}}
    # Each tag's values, with how often and when each was seen (the issue's tags routes);
    # search reads the keys as the set of values.
    seen: dict[str, dict[str, dict[str, Any]]] = group["_tags"]
    derived = derived_tags(event)
    for tag in all_tags(event):
        if tag["key"] not in seen and tag["key"] not in derived and len(seen) >= TAG_KEYS_PER_ISSUE:
            continue
        values = seen.setdefault(tag["key"], {})
        if tag["value"] not in values and len(values) < TAG_VALUES_PER_ISSUE:
            values[tag["value"]] = {"count": 0, "firstSeen": now}
        if tag["value"] in values:
            values[tag["value"]] |= {"count": values[tag["value"]]["count"] + 1, "lastSeen": now}
    group["userCount"] = len(seen.get("user", {}))


def _store(
    state: SentryState,
    project: Project,
    stored_id: str,
    event: dict[str, Any],
    size: int,
    received: float,
) -> dict[str, Any] | None:
    """Keep the normalized event (weighed by its body's `size`), `received` at that unix time;
    an error or message counts into its issue (a transaction has none). The issue when this
    event opened it (what issue alert rules fire on)."""
    if state.drop_events:
        return None
    shown = title(event)
    stored = {"received": received, "project": project, "group": None, "payload": event}
    stored["attachments"] = []
    stored["title"], opened = shown, None
    if event["type"] != "transaction":
        key = _group_key(project, event, shown)
        group = next((g for g in state.groups.values() if g["_key"] == key), None)
        if group is None:
            group = opened = _new_group(state, project, event, shown)
            state.groups[group["id"]] = group
        _count_into(group, event, iso(received))
        stored["group"], group["_latest"] = group["id"], stored_id
    state.events.put(stored_id, stored, size + EVENT_OVERHEAD)
    return opened


def _alert(request: Request, stored_id: str, group: dict[str, Any] | None) -> None:
    """A new issue: each alert rule sends its trigger once the event is processed (its delay
    on the mock clock). Never raises: what cannot be built counts as that rule's failure."""
    state = state_of(request)
    stored = state.events.get(stored_id)
    if group is None or stored is None:
        return
    for rule in list(state.rules.values()):
        try:
            body = trigger(rule, stored_id, stored, public_group(group))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            rule.delivery.fired += 1
            rule.delivery.failed += 1
            rule.delivery.last_error = f"the trigger could not be built: {type(exc).__name__}"
            continue
        state.outbox.send(
            f"{rule.events_url}/v2/enqueue",
            body,
            rule.delivery,
            clock_of(request),
            delay_s=state.processing_delay_s + rule.delay_s,
            mask=rule.mask,
        )
