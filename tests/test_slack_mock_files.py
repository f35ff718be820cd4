"""The official slack_sdk WebClient against the Slack mock: files (upload v2 by
files.getUploadURLExternal and files.completeUploadExternal, the legacy files.upload).

Split from test_slack_mock_sdk.py (its helpers are imported from there)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_slack_mock_sdk import (
    CHANNEL,
    api_error,
    web,
)

from conftest import Mock, serve


@pytest.fixture(scope="module")
def _one_mock() -> Iterator[Mock]:
    yield from serve("slack")


@pytest.fixture
def slack_mock(_one_mock: Mock) -> Mock:
    """One mock for the module, reset to a clean start before each test."""
    _one_mock.control("POST", "reset")
    return _one_mock


def test_files_upload_v2_shares_into_the_channel(slack_mock: Mock) -> None:
    """files_upload_v2: files.getUploadURLExternal, the bytes POSTed to upload_url (HTTP 200),
    files.completeUploadExternal; the SDK answers the one file as `file`, and the channel's
    history has the message that shares it, with the initial comment."""
    client = web(slack_mock)
    done = client.files_upload_v2(
        channel=CHANNEL,
        content="line one\nline two\n",
        filename="incident.log",
        title="Incident log",
        initial_comment="log attached",
    )
    assert done["file"]["id"].startswith("F") and done["file"]["title"] == "Incident log"
    assert done["file"]["name"] == "incident.log" and done["file"]["size"] == 18
    (shared,) = client.conversations_history(channel=CHANNEL)["messages"]
    assert shared["text"] == "log attached" and shared["files"][0]["id"] == done["file"]["id"]
    assert client.files_info(file=done["file"]["id"])["file"]["channels"] == [CHANNEL]
    urls = [r["path"] for r in slack_mock.requests()]
    assert urls[:3] == [
        "/api/files.getUploadURLExternal",
        f"/upload/v1/{done['file']['id']}",
        "/api/files.completeUploadExternal",
    ]


def test_files_complete_upload_of_unknown_file_is_an_error(slack_mock: Mock) -> None:
    """files.completeUploadExternal with a file id never issued: file_not_found (UNCONFIRMED)."""
    failed = api_error(
        lambda: web(slack_mock).files_completeUploadExternal(files=[{"id": "F0NOTHING0"}])
    )
    assert failed.response["error"] == "file_not_found"


def test_legacy_files_upload_is_gone(slack_mock: Mock) -> None:
    """files.upload was sunset on 2025-11-12 (Slack changelog 2024-04): slack_sdk's deprecated
    files_upload (a multipart body) gets ok false, method_deprecated (UNCONFIRMED name)."""
    with pytest.warns(UserWarning):
        failed = api_error(
            lambda: web(slack_mock).files_upload(channels=CHANNEL, content="x", filename="a.txt")
        )
    assert failed.response.status_code == 200
    assert failed.response["error"] == "method_deprecated"
