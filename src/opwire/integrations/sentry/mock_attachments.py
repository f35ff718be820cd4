"""Event attachments, for the Sentry mock: `attachment` envelope items kept on their event,
listed, described and downloaded through the web API.

Followed: develop.sentry.dev/sdk/envelopes/#attachment (`filename`, `content_type`,
`attachment_type`, default `event.attachment`), docs.sentry.io/api/events/list-an-events-
attachments/ and retrieve-an-event-attachment/ (shared/specs/sentry/openapi-derefed.json: id,
event_id, type, name, mimetype, dateCreated, size, headers, sha1; `download` for the bytes),
getsentry/sentry api/endpoints/event_attachment_details.py (the download answers the bytes with
their Content-Type and `Content-Disposition: attachment; filename="…"`, the name's whitespace
runs made one space and its path dropped: `posixpath.basename(" ".join(name.split()))`). A name
Latin-1 cannot carry is sent as RFC 6266's `filename*=UTF-8''…` (RFC 5987) with an ASCII
`filename` beside it, where Django would MIME-encode the header (UNCONFIRMED which a client
reads better: both are what RFC 6266 asks for); a content type that is not a printable ASCII
`type/subtype` is served as application/octet-stream (UNCONFIRMED: Django would refuse it).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.sentry.envelope import Item as EnvelopeItem
from opwire.integrations.sentry.mock_events import iso
from opwire.integrations.sentry.mock_state import (
    SentryState,
    api_auth,
    not_there,
    state_of,
    visible,
)
from opwire.mock.state import clock_of

ATTACHMENTS_PER_EVENT = 100
TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # RFC 9110's token
MEDIA_TYPE = re.compile(rf"{TOKEN}/{TOKEN}(\s*;[ -~]*)?")


def keep(
    state: SentryState, stored_id: str, items: list[EnvelopeItem], now: float, with_event: bool
) -> None:
    """Each attachment item on its event. Its bytes are kept when it came in the event's own
    envelope (whose size the event already weighs); a later one keeps its metadata only
    (UNCONFIRMED: Sentry serves those too). One for an event the mock does not hold is
    dropped (UNCONFIRMED: Sentry keeps it)."""
    stored = state.events.get(stored_id)
    if stored is None:
        return
    kept: list[dict[str, Any]] = stored["attachments"]
    for item in items:
        if item.headers.get("type") != "attachment" or len(kept) >= ATTACHMENTS_PER_EVENT:
            continue
        mimetype = item.headers.get("content_type")
        mimetype = mimetype if isinstance(mimetype, str) else "application/octet-stream"
        kept.append(
            {
                "_bytes": item.payload if with_event else None,
                "id": str(next(state.attachment_ids)),
                "event_id": stored_id,
                "type": str(item.headers.get("attachment_type") or "event.attachment"),
                "name": str(item.headers.get("filename") or "Unnamed Attachment"),
                "mimetype": mimetype,
                "dateCreated": iso(now),
                "size": len(item.payload),
                "headers": {"Content-Type": mimetype},
                "sha1": hashlib.sha1(item.payload, usedforsecurity=False).hexdigest(),
            }
        )


def _shown(attachment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attachment.items() if not k.startswith("_")}


def _event(request: Request) -> dict[str, Any] | None:
    p, state = request.path_params, state_of(request)
    project = state.find_project(p["org"], p["project"])
    stored = visible(state, p["event_id"], clock_of(request).now())
    if project is None or stored is None or stored["project"] is not project:
        return None
    return stored


async def event_attachments(request: Request) -> Response:
    """GET …/events/{event_id}/attachments/: what the event's envelope carried (`query=`
    narrows by name)."""
    if denied := api_auth(request):
        return denied
    stored = _event(request)
    if stored is None:
        return not_there()
    wanted = request.query_params.get("query", "").lower()
    return JSONResponse([_shown(a) for a in stored["attachments"] if wanted in a["name"].lower()])


async def event_attachment(request: Request) -> Response:
    """GET …/attachments/{attachment_id}/: its metadata, or with `download` its bytes."""
    if denied := api_auth(request):
        return denied
    stored = _event(request)
    wanted = request.path_params["attachment_id"]
    found = next((a for a in (stored or {}).get("attachments", []) if a["id"] == wanted), None)
    if found is None:
        return not_there()
    if "download" not in request.query_params:
        return JSONResponse(_shown(found))
    if found["_bytes"] is None:
        return not_there()
    return Response(
        found["_bytes"],
        media_type=_media_type(found["mimetype"]),
        headers={"Content-Disposition": _disposition(found["name"])},
    )


def _media_type(mimetype: str) -> str:
    return mimetype if MEDIA_TYPE.fullmatch(mimetype) else "application/octet-stream"


def _disposition(name: str) -> str:
    """`attachment; filename="…"` for the name's last path part, its whitespace runs one space
    and its other control characters dropped (nothing is left to split or break the header);
    `filename*` too when Latin-1 cannot carry it."""
    name = posixpath.basename(" ".join(name.split()))
    name = "".join(c for c in name if c.isprintable())
    try:
        name.encode("latin-1")
    except UnicodeEncodeError:
        fallback = _quoted(name.encode("ascii", "replace").decode())
        encoded = quote(name, safe="", errors="replace")
        return f"attachment; filename={fallback}; filename*=UTF-8''{encoded}"
    return f"attachment; filename={_quoted(name)}"


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
