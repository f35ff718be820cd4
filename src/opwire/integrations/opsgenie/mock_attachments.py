"""Opsgenie alert attachments, for the mock: add (multipart), list, get, remove.

Pages followed: docs.opsgenie.com/docs/alert-api-continued (Alert Attachments), shared/specs/
opsgenie/swagger.json (`POST /v2/alerts/{identifier}/attachments`: formData `file` required,
`user`, `indexFile`, answers 201 SuccessResponse; `GET` answers ListAlertAttachmentsResponse,
data [AlertAttachmentMeta {name, id}]; `GET .../{attachmentId}` GetAlertAttachmentResponse,
data AlertAttachment {name, url}; `DELETE .../{attachmentId}` 200 SuccessResponse; the alert
is named by `alertIdentifierType`, not `identifierType`), opsgenie_sdk api/alert
add_attachment (multipart/form-data, the file's base name as its filename).

UNCONFIRMED, chosen here: unlike the alert actions an attachment is added at once (the 201),
answered `{"result": "Created", "data": {"id", "name"}}`; removing one answers `"Deleted"`; a
body that is not multipart is 415 (docs.opsgenie.com/docs/response "Request body format is not
supported"); the mock keeps each file's name and size, not its bytes, so a `url` names a
download host that is not served (Opsgenie answers a short-lived signed link).
"""

from __future__ import annotations

import uuid
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.opsgenie.mock_http import answer, unprocessable
from opwire.integrations.opsgenie.mock_journal import Journal
from opwire.integrations.opsgenie.mock_store import TEXTS as STORE_TEXTS
from opwire.integrations.opsgenie.mock_store import alert_of, record, settled
from opwire.mock.state import clock_of

NAME_LIMIT = 255  # UNCONFIRMED: the longest file name kept
PER_ALERT = 100  # attachments one alert keeps in the mock; the oldest go first
DOWNLOAD = "https://attachments.opsgenie.invalid/{alert}/{id}/{name}"
TEXTS = {
    "not_multipart": "Request body format is not supported (Content-Type header)",
    "missing": "Attachment does not exist",
    "no_file": "File can not be empty.",
}


def _form(request: Request, raw: bytes) -> dict[str, Message] | None:
    """A multipart/form-data body's parts by their field name, None when it is not one."""
    head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        return None
    parts = [p for p in message.get_payload() if isinstance(p, Message)]
    return {str(p.get_param("name", "", header="content-disposition")): p for p in parts}


def _text(part: Message | None) -> str:
    payload = part.get_payload(decode=True) if part is not None else None
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _file_name(part: Message) -> str:
    name = part.get_filename() or "attachment"
    return name.replace("\\", "/").rsplit("/", 1)[-1][:NAME_LIMIT] or "attachment"


async def add_attachment(request: Request) -> Response:
    alert = await alert_of(request, write=True, param="alertIdentifierType")
    if isinstance(alert, Response):
        return alert
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return answer(415, {"message": TEXTS["not_multipart"]})
    form = _form(request, await request.body())
    part = (form or {}).get("file")
    if form is None or part is None:
        return unprocessable({"file": TEXTS["no_file"]})
    content = part.get_payload(decode=True)
    state, now = await settled(request), clock_of(request).now()
    if state.alerts.get(alert["id"]) is not alert:  # deleted while this waited: not re-made
        return answer(404, {"message": STORE_TEXTS["alert_missing"]})
    journal = state.journals.setdefault(alert["id"], Journal())
    while len(journal.attachments) >= PER_ALERT:
        journal.attachments.pop(next(iter(journal.attachments)))
    size = len(content) if isinstance(content, bytes) else 0
    ident = str(uuid.uuid4())
    entry: dict[str, Any] = {"id": ident, "name": _file_name(part), "size": size}
    journal.attachments[ident] = entry
    by = {"user": _text(form.get("user"))}
    record(state, alert, f"Attachment [{entry['name']}] added", by, now)
    return answer(201, {"result": "Created", "data": {"id": entry["id"], "name": entry["name"]}})


async def list_attachments(request: Request) -> Response:
    alert = await alert_of(request, param="alertIdentifierType")
    if isinstance(alert, Response):
        return alert
    journal = (await settled(request)).journals.get(alert["id"]) or Journal()
    shown = [{"name": a["name"], "id": a["id"]} for a in journal.attachments.values()]
    return answer(200, {"data": shown})


async def _attachment(
    request: Request, *, write: bool = False
) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    alert = await alert_of(request, write=write, param="alertIdentifierType")
    if isinstance(alert, Response):
        return alert
    journal = (await settled(request)).journals.get(alert["id"]) or Journal()
    found = journal.attachments.get(request.path_params["attachment_id"])
    return answer(404, {"message": TEXTS["missing"]}) if found is None else (alert, found)


async def get_attachment(request: Request) -> Response:
    found = await _attachment(request)
    if isinstance(found, Response):
        return found
    alert, entry = found
    url = DOWNLOAD.format(alert=alert["id"], id=entry["id"], name=entry["name"])
    return answer(200, {"data": {"name": entry["name"], "url": url}})


async def remove_attachment(request: Request) -> Response:
    found = await _attachment(request, write=True)
    if isinstance(found, Response):
        return found
    alert, entry = found
    state = await settled(request)
    journal = state.journals.get(alert["id"])
    if state.alerts.get(alert["id"]) is not alert or journal is None:  # deleted meanwhile
        return answer(404, {"message": STORE_TEXTS["alert_missing"]})
    if journal.attachments.pop(entry["id"], None) is None:  # removed by a concurrent DELETE
        return answer(404, {"message": TEXTS["missing"]})
    by = {"user": request.query_params.get("user", "")}
    record(state, alert, f"Attachment [{entry['name']}] removed", by, clock_of(request).now())
    return answer(200, {"result": "Deleted"})
