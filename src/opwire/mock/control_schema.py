"""JSON Schemas (draft 2020-12) of every answer of the mocks' control routes: control API v1.

A web inbox and a count reconciliation read these routes, so their answers are an API: a field
is added, never renamed or removed. tests/test_control_api.py validates every control answer of
every mock against the schema named here for its route, and fails on a control route without
one. `answer_schema(slug, kinds, method, route)` is the lookup.

Shared routes are keyed by their path under `/_opwire/`; a room's own by `<slug>/<name>`.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
STRING: Schema = {"type": "string"}
NUMBER: Schema = {"type": "number"}
COUNT: Schema = {"type": "integer", "minimum": 0}
BOOLEAN: Schema = {"type": "boolean"}
STRINGS: Schema = {"type": "array", "items": STRING}
OBJECT: Schema = {"type": "object"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def shape(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these fields, and no others (the shapes v1 fixes)."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }


def at_least(required: dict[str, Schema]) -> Schema:
    """An object with at least these fields (older answers and the vendors' own JSON)."""
    return {"type": "object", "required": sorted(required), "properties": required}


ERROR = shape({"error": {"type": "string", "minLength": 1}}, {"scenarios": STRINGS})

HEALTH = shape(
    {
        "status": {"const": "ok"},
        "vendor": STRING,
        "opwire": STRING,
        "dropped": {"type": "object", "additionalProperties": COUNT},
        "scenarios": STRINGS,
        "faults": COUNT,
    }
)

# The request log as it was before v1 (`GET /_opwire/requests[?since=N]`), kept for its callers.
LEGACY_ENTRY = at_least(
    {
        "seq": COUNT,
        "time": NUMBER,
        "method": STRING,
        "path": STRING,
        "query": STRING,
        "headers": {"type": "object", "additionalProperties": STRING},
        "body": STRING,
        "body_bytes": COUNT,
        "credential": nullable(STRING),
        "status": nullable(COUNT),
    }
)
LEGACY_REQUESTS = shape({"requests": {"type": "array", "items": LEGACY_ENTRY}})

REQUEST_ITEM = shape(
    {
        "seq": COUNT,
        "time": NUMBER,
        "method": STRING,
        "path": STRING,
        "query": STRING,
        "headers": {"type": "object", "additionalProperties": STRING},
        "status": nullable({"type": "integer", "minimum": 100, "maximum": 599}),
        "duration_ms": nullable({"type": "number", "minimum": 0}),
        "credential": nullable({"type": "string", "pattern": "^sha256:[0-9a-f]{12}$"}),
        "run_id": nullable(STRING),
        "body_excerpt": STRING,
        "body_bytes": COUNT,
        "fault": nullable(COUNT),
        "too_large": BOOLEAN,
        "wrong_region": BOOLEAN,
    }
)
REQUESTS = shape(
    {"next": COUNT, "dropped": COUNT, "items": {"type": "array", "items": REQUEST_ITEM}}
)

FAULT_RULE = shape(
    {
        "method": STRING,
        "path": STRING,
        "status": nullable(COUNT),
        "body": STRING,
        "headers": {"type": "object", "additionalProperties": STRING},
        "content_type": STRING,
        "latency_ms": COUNT,
        "hang": BOOLEAN,
        "times": nullable(COUNT),
        "skip": COUNT,
        "drip_ms": COUNT,
        "truncate": BOOLEAN,
        "body_repeat": COUNT,
        "share": STRING,
        "hits": COUNT,
        "seen": COUNT,
    }
)
FAULTS = shape({"faults": {"type": "array", "items": FAULT_RULE}})
RESET = shape({"status": {"const": "reset"}})
REGION = shape({"region": STRING, "regional": BOOLEAN})
CREDENTIALS = shape(
    {"credentials": {"type": "array", "items": shape({"credential": STRING, "region": STRING})}}
)
SCENARIOS = shape(
    {
        "active": STRINGS,
        "scenarios": {
            "type": "array",
            "items": shape({"name": STRING, "description": STRING, "seed_row": STRING}),
        },
    }
)
CLOCK = shape({"now": NUMBER, "offset_s": {"type": "number", "minimum": 0}})

# The fields each vendor's own JSON of an item carries at least, by vendor and kind: what an
# inbox may rely on. The kinds are the rooms' (their Inventory); the test holds the two equal.
VENDOR_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "datadog": {
        "event": ("id", "title", "text", "tags", "date_happened"),
        "metric_point": ("metric", "tags", "timestamp", "value"),
    },
    "sentry": {
        "event": ("eventID", "groupID", "title", "tags", "dateReceived"),
        "issue": ("id", "title", "status", "count", "firstSeen", "lastSeen"),
    },
    "pagerduty": {
        "incident": ("id", "incident_key", "status", "title", "created_at", "service"),
        "change_event": ("id", "summary", "timestamp"),
    },
    "opsgenie": {
        "alert": ("id", "alias", "message", "status", "createdAt", "tags"),
        "heartbeat": ("name", "lastPingTime"),
    },
    "slack": {"message": ("type", "text", "ts", "channel")},
    "splunk": {"hec_event": ("_raw", "_time", "index", "sourcetype", "source", "host")},
}


def item_schema(slug: str) -> Schema:
    """One item of `/_opwire/state`: its kind one of the vendor's, its own JSON with the fields
    VENDOR_FIELDS promises for that kind."""
    kinds = VENDOR_FIELDS[slug]
    return {
        **shape(
            {
                "kind": {"enum": sorted(kinds)},
                "time": NUMBER,
                "run_id": nullable({"type": "string", "minLength": 1}),
                "vendor": OBJECT,
            }
        ),
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": kind}}},
                "then": {"properties": {"vendor": {"required": list(fields)}}},
            }
            for kind, fields in kinds.items()
        ],
    }


def state_schema(slug: str) -> Schema:
    return shape(
        {
            "vendor": {"const": slug},
            "items": {"type": "array", "items": item_schema(slug)},
            "total": COUNT,
        }
    )


def counts_schema(slug: str) -> Schema:
    """Every kind of the vendor is counted, 0 included, and no other."""
    kinds = sorted(VENDOR_FIELDS[slug])
    return shape(
        {
            "vendor": {"const": slug},
            "counts": shape(dict.fromkeys(kinds, COUNT)),
            "since": nullable(NUMBER),
            "until": nullable(NUMBER),
            "run_id": nullable(STRING),
        }
    )


# What a hook that sends on its own (a Sentry alert rule, a PagerDuty Slack extension) sent.
DELIVERY = shape(
    {
        "fired": COUNT,
        "pending": COUNT,
        "delivered": COUNT,
        "failed": COUNT,
        "last_status": nullable({"type": "integer"}),
        "last_error": nullable(STRING),
    }
)

# A room's own control routes (`/_opwire/<slug>/...`): configuration and views written before
# v1's state route, which an inbox should prefer.
ROOM_ANSWERS: dict[str, Schema] = {
    "slack/hooks": shape(
        {
            "hooks": {
                "type": "object",
                "additionalProperties": shape({"channel": STRING, "state": STRING}),
            }
        }
    ),
    "slack/channels": shape({"id": STRING, "member": BOOLEAN, "archived": BOOLEAN}),
    "slack/rate": shape({"burst": NUMBER, "per_second": NUMBER}),
    "slack/messages": {
        "type": "object",
        "additionalProperties": {
            "type": "array",
            "items": at_least({"type": STRING, "text": STRING, "ts": STRING}),
        },
    },
    "opsgenie/config": shape(
        {
            "teams": STRINGS,
            "request_delay_s": NUMBER,
            "alerts": {"type": "array", "items": OBJECT},
            "heartbeats": {"type": "object", "additionalProperties": NUMBER},
        }
    ),
    "sentry/config": shape(
        {"processing_delay_s": NUMBER, "issues": {"type": "array", "items": OBJECT}}
    ),
    "sentry/rules": shape(
        {
            "rules": {
                "type": "array",
                "items": shape(
                    {
                        "id": STRING,
                        "action": {"const": "pagerduty"},
                        "events_url": STRING,
                        "routing_key": STRING,  # its fingerprint, never the key
                        "delay_s": NUMBER,
                        "severity": STRING,
                        "delivery": DELIVERY,
                    }
                ),
            }
        }
    ),
    "splunk/config": shape(
        {"health": STRING, "events": COUNT, "indexing_delay_s": NUMBER},
        {"version": STRING, "jobs": COUNT},  # added in round 2: the search API's
    ),
    "pagerduty/extensions": shape(
        {
            "extensions": {
                "type": "array",
                "items": shape(
                    {
                        "id": STRING,
                        "routing_key": nullable(STRING),  # its fingerprint, never the key
                        "service": nullable(STRING),
                        "webhook_url": STRING,  # its secret part masked
                        "delivery": DELIVERY,
                    }
                ),
            }
        }
    ),
    "pagerduty/services": shape(
        {
            "services": {
                "type": "array",
                "items": shape({"id": STRING, "name": STRING, "paused": BOOLEAN}),
            }
        }
    ),
}

SHARED_ANSWERS: dict[str, Schema] = {
    "health": HEALTH,
    "requests": LEGACY_REQUESTS,
    "requests?after": REQUESTS,
    "faults": FAULTS,
    "reset": RESET,
    "region": REGION,
    "credentials": CREDENTIALS,
    "scenarios": SCENARIOS,
    "clock": CLOCK,
}


def answer_schema(slug: str, route: str) -> Schema:
    """The schema of a 200 answer of `/_opwire/<route>` on the `slug` mock (`requests?after`
    for the v1 request log); KeyError for a route without one. Errors are `ERROR`."""
    if route == "state":
        schema = state_schema(slug)
    elif route == "counts":
        schema = counts_schema(slug)
    else:
        schema = SHARED_ANSWERS.get(route) or ROOM_ANSWERS[route]
    return {"$schema": DIALECT, **schema}
