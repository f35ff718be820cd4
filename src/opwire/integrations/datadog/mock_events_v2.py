"""What POST /api/v2/events accepts: the spec's `EventCreateRequestPayload`, checked as the
intake checks it, each refusal worded as the recorded one (`JSON validation failed at <path>:
<reason>.`).

Pages followed: shared/specs/datadog/v2/openapi.yaml (`EventCreateRequestPayload`,
`EventPayload` with additionalProperties false, `ChangeEventCustomAttributes`,
`AlertEventCustomAttributes`), cassettes/v2_test_post_an_event_returns_bad_request_response
(the category refusal, word for word). Reasons other than the recorded enum one: UNCONFIRMED.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

Check = Callable[[str, Any], str | None]
MAX_AGE_S = 18 * 3600  # spec: timestamp "Limited to values no older than 18 hours"


def _at(path: str, reason: str) -> str:
    return f"JSON validation failed at {path}: {reason}."


def text(low: int, high: int, *, blank: bool = True) -> Check:
    def check(path: str, value: Any) -> str | None:
        if not isinstance(value, str):
            return _at(path, "value must be a string")
        if not low <= len(value) <= high:
            return _at(path, f"length must be between {low} and {high}")
        if not blank and not value.strip():
            return _at(path, "value must contain a non-whitespace character")
        return None

    return check


def enum(*values: str) -> Check:
    def check(path: str, value: Any) -> str | None:
        if isinstance(value, str) and value in values:
            return None
        return _at(path, f"value must be one of: {json.dumps(sorted(values))}")

    return check


def array(item: Check, low: int = 0, high: int = 10_000) -> Check:
    def check(path: str, value: Any) -> str | None:
        if not isinstance(value, list):
            return _at(path, "value must be an array")
        if not low <= len(value) <= high:
            return _at(path, f"array must have between {low} and {high} items")
        return next((p for n, v in enumerate(value) if (p := item(f"{path}[{n}]", v))), None)

    return check


def free_object(path: str, value: Any) -> str | None:
    return None if isinstance(value, dict) else _at(path, "value must be an object")


def obj(fields: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    """A closed object (additionalProperties: false) with these fields."""

    def check(path: str, value: Any) -> str | None:
        if not isinstance(value, dict):
            return _at(path, "value must be an object")
        if missing := next((n for n in required if n not in value), None):
            return _at(f"{path}.{missing}", "value is required")
        if extra := next((n for n in value if n not in fields), None):
            return _at(f"{path}.{extra}", "additional property is not allowed")
        found = (fields[n](f"{path}.{n}", v) for n, v in value.items())
        return next((p for p in found if p), None)

    return check


NAMED_128 = text(1, 128)
CHANGE = obj(
    {
        "author": obj(
            {"name": NAMED_128, "type": enum("user", "system", "api", "automation")},
            ("name", "type"),
        ),
        "change_metadata": free_object,
        "changed_resource": obj(
            {"name": text(1, 128, blank=False), "type": enum("feature_flag", "configuration")},
            ("type", "name"),
        ),
        "impacted_resources": array(
            obj({"name": NAMED_128, "type": enum("service")}, ("type", "name")), 0, 100
        ),
        "new_value": free_object,
        "prev_value": free_object,
    },
    ("changed_resource",),
)
LINK = obj(
    {
        "category": enum("runbook", "documentation", "dashboard", "resource"),
        "title": text(1, 300),
        "url": text(1, 2048),
    },
    ("url", "category"),
)
ALERT = obj(
    {
        "custom": free_object,
        "links": array(LINK, 1, 20),
        "priority": enum("1", "2", "3", "4", "5"),
        "status": enum("warn", "error", "ok"),
    },
    ("status",),
)


def timestamp(path: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return _at(path, "value must be a string")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _at(path, "value must be an ISO 8601 timestamp")
    if when.tzinfo is None:
        return _at(path, "value must be an ISO 8601 timestamp with a zone")
    return None


PAYLOAD = obj(
    {
        "aggregation_key": text(1, 100),
        "attributes": free_object,  # checked against its category's schema below
        "category": enum("change", "alert"),
        "host": text(1, 255),
        "integration_id": enum("custom-events"),
        "message": text(1, 4000),
        "tags": array(text(1, 200), 1, 100),
        "timestamp": timestamp,
        "title": text(1, 500),
    },
    ("title", "category", "attributes"),
)
REQUEST = obj(
    {"data": obj({"type": enum("event"), "attributes": free_object}, ("type", "attributes"))},
    ("data",),
)


def problem(body: Any) -> str | None:
    """Why the intake refuses `body`, or None: the first refusal, as the spec orders fields."""
    path = "$.data.attributes"
    found = REQUEST("$", body) or PAYLOAD(path, body["data"]["attributes"])
    if found:
        return found
    attributes = body["data"]["attributes"]
    category = CHANGE if attributes["category"] == "change" else ALERT
    return category(f"{path}.attributes", attributes["attributes"])


def happened(attributes: dict[str, Any], now: float) -> float | str:
    """Seconds of the event's `timestamp` (receipt when absent), or why it is refused."""
    if "timestamp" not in attributes:
        return now
    when = datetime.fromisoformat(str(attributes["timestamp"]).replace("Z", "+00:00"))
    if when.timestamp() < now - MAX_AGE_S:
        return _at("$.data.attributes.timestamp", "value must be no older than 18 hours")
    return when.timestamp()
