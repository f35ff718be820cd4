"""Slack Web API: file uploads the way slack_sdk's files_upload_v2 makes them.

Pages followed: docs.slack.dev/reference/methods/files.getUploadURLExternal (`filename` and
`length` in, `{ok, upload_url, file_id}` out), docs.slack.dev/messaging/working-with-files
(the bytes are POSTed to `upload_url`, which answers HTTP 200 text `OK - <length>`),
docs.slack.dev/reference/methods/files.completeUploadExternal (`files`: a JSON array of `{id,
title?}`; `channel_id` or `channels` to share into, `initial_comment`, `thread_ts`; answers
`{ok, files: [file objects]}`), docs.slack.dev/reference/methods/files.info (`{ok, file}`);
slack_sdk web/client.py files_upload_v2 (its three steps) and internal_utils.py
_upload_file_via_v2_url (a bare POST of the bytes, status 200 expected).

UNCONFIRMED, chosen as most likely: an unknown file id in `files` is `file_not_found`, as is a
file whose bytes never reached its upload URL; an unknown upload URL answers HTTP 404 text
`not_found`; the upload URL lives on the mock itself (the real one is files.slack.com).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from opwire.integrations.slack.mock_blocks import check_blocks
from opwire.integrations.slack.mock_methods import author, postable
from opwire.integrations.slack.mock_state import TEAM_ID, WORKSPACE_URL, Upload
from opwire.integrations.slack.mock_web import (
    ApiError,
    Call,
    json_array,
    required,
    text,
    web_method,
    whole,
)
from opwire.mock.app import mock_state

UPLOAD_PATH = "/upload/v1/"


def get_upload_url(call: Call) -> dict[str, Any]:
    name = required(call.params, "filename")
    length = whole(required(call.params, "length"))
    if length is None:
        raise ApiError("invalid_arguments")
    upload = Upload(call.state.new_id("F"), name, length, author(call)["user"], int(call.now))
    call.state.uploads[upload.id] = upload
    return {"upload_url": f"{call.base_url}{UPLOAD_PATH}{upload.id}", "file_id": upload.id}


async def receive(request: Request) -> Response:
    """The upload URL: it takes the file's bytes, whatever their content type."""
    state = mock_state(request).vendor
    upload = state.uploads.get(request.path_params["file_id"])
    if upload is None:
        return PlainTextResponse("not_found", 404)
    upload.received = len(await request.body())
    return PlainTextResponse(f"OK - {upload.received}")


def file_object(upload: Upload) -> dict[str, Any]:
    """A file as files.completeUploadExternal and files.info show it (objs_file's fields)."""
    kind = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else "binary"
    url = f"{WORKSPACE_URL}files/{upload.user}/{upload.id}/{upload.name}"
    return {
        "id": upload.id,
        "created": upload.created,
        "timestamp": upload.created,
        "name": upload.name,
        "title": upload.title or upload.name,
        "mimetype": "application/octet-stream",
        "filetype": kind,
        "pretty_type": kind.upper(),
        "user": upload.user,
        "user_team": TEAM_ID,
        "editable": False,
        "size": upload.received or 0,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": bool(upload.channels),
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": url,
        "url_private_download": url.replace("/files/", "/files-pri/"),
        "permalink": url,
        "comments_count": 0,
        "channels": list(upload.channels),
        "groups": [],
        "ims": [],
        "file_access": "visible",
    }


def _listed(call: Call) -> list[tuple[Upload, str]]:
    given = json_array(call.params, "files")
    if not given:
        raise ApiError("invalid_arguments")
    found = []
    for entry in given:
        file_id = entry.get("id") if isinstance(entry, dict) else None
        upload = call.state.uploads.get(file_id) if isinstance(file_id, str) else None
        if upload is None or upload.received is None:
            raise ApiError("file_not_found")
        title = entry.get("title")
        found.append((upload, title if isinstance(title, str) else ""))
    return found


def complete_upload(call: Call) -> dict[str, Any]:
    listed = _listed(call)
    targets = [text(call.params, "channel_id"), *text(call.params, "channels").split(",")]
    wanted = [target for target in dict.fromkeys(targets) if target]
    channels = [postable(_with(call, "channel", target)) for target in wanted]
    for upload, title in listed:
        upload.title = title or upload.title
        # Completed again into a channel it is in already, a file is listed there once.
        upload.channels = list(dict.fromkeys([*upload.channels, *(c.id for c in channels)]))
    files = [file_object(upload) for upload, _ in listed]
    for channel in channels:
        _share(call, channel.id, files)
    return {"files": files}


def _with(call: Call, name: str, value: str) -> Call:
    return dataclasses.replace(call, params={**call.params, name: value})


def _share(call: Call, channel_id: str, files: list[dict[str, Any]]) -> None:
    """The message that shares the files into a channel (with the initial comment)."""
    message: dict[str, Any] = {
        "type": "message",
        **author(call),
        "text": text(call.params, "initial_comment"),
        "files": files,
        "upload": True,
        "display_as_bot": False,
        "ts": call.state.next_ts(call.now),
        "team": TEAM_ID,
    }
    blocks = json_array(call.params, "blocks")
    if blocks and not message["text"]:
        check_blocks(blocks)
        message["blocks"] = blocks
    thread = text(call.params, "thread_ts")
    if thread and call.state.message(channel_id, thread):
        message["thread_ts"] = thread
    call.state.store(channel_id, message)


def info(call: Call) -> dict[str, Any]:
    upload = call.state.uploads.get(required(call.params, "file"))
    if upload is None or upload.received is None:
        raise ApiError("file_not_found")
    shown = file_object(upload)
    return {"file": shown, "comments": [], "response_metadata": {"next_cursor": ""}}


def legacy_upload(call: Call) -> dict[str, Any]:
    """files.upload, sunset on 2025-11-12 for every app (changelog 2024-04-a-better-way-to-
    upload-files-is-here-to-stay): `method_deprecated` (the error's name UNCONFIRMED)."""
    raise ApiError("method_deprecated")


def routes() -> list[Route]:
    return [
        web_method("files.upload", legacy_upload),
        web_method("files.getUploadURLExternal", get_upload_url),
        web_method("files.completeUploadExternal", complete_upload),
        web_method("files.info", info),
        Route(UPLOAD_PATH + "{file_id}", receive, methods=["POST"]),
    ]
