"""Slack mock answers checked against Slack's own OpenAPI (shared/specs/slack, Swagger 2.0).

The spec is archived (2021). Two documented deviations, both where the spec disagrees with itself
or with the live API: `response_metadata` appears in the spec's own example but not its schema,
and `not_in_channel` is a documented live error missing from the stale error enum.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from conftest import Mock, spec_path

SPEC = "slack/slack_web_openapi_v2.json"

HOOK = "/services/T0SPECTST/B0SPECTST/SpecSecretSpecSecret1234"
TOKEN = {"Authorization": "Bearer xoxb-spec-test-token"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(spec_path(SPEC).read_text())
    return document


def validate(spec: dict[str, Any], status: str, body: dict[str, Any]) -> None:
    schema = spec["paths"]["/conversations.history"]["get"]["responses"][status]["schema"]
    jsonschema.Draft4Validator({**schema, "definitions": spec["definitions"]}).validate(body)


def test_history_success_matches_the_spec(slack_mock: Mock, spec: dict[str, Any]) -> None:
    assert httpx.post(slack_mock.url + HOOK, json={"text": "plain"}).text == "ok"
    with_attachment = {"text": "t", "attachments": [{"fallback": "f", "image_url": "https://x"}]}
    assert httpx.post(slack_mock.url + HOOK, json=with_attachment).text == "ok"
    reply = httpx.get(
        f"{slack_mock.url}/api/conversations.history",
        params={"channel": "C0OPWIRE01"},
        headers=TOKEN,
    )
    body = reply.json()
    assert reply.headers["content-type"].startswith("application/json")
    assert set(body.pop("response_metadata")) == {"next_cursor"}
    validate(spec, "200", body)


@pytest.mark.parametrize(
    ("params", "headers", "error"),
    [
        ({"channel": "C0NOWHERE1"}, TOKEN, "channel_not_found"),
        ({"channel": "C0OPWIRE01"}, {}, "not_authed"),
        ({"channel": "C0OPWIRE01"}, {"Authorization": "Bearer nope"}, "invalid_auth"),
        ({"channel": "C0OPWIRE01", "oldest": "yesterday"}, TOKEN, "invalid_ts_oldest"),
        ({"channel": "C0OPWIRE01", "latest": "later"}, TOKEN, "invalid_ts_latest"),
    ],
)
def test_history_errors_match_the_spec(
    slack_mock: Mock,
    spec: dict[str, Any],
    params: dict[str, str],
    headers: dict[str, str],
    error: str,
) -> None:
    reply = httpx.get(f"{slack_mock.url}/api/conversations.history", params=params, headers=headers)
    assert reply.status_code == 200 and reply.json()["error"] == error
    validate(spec, "default", reply.json())
