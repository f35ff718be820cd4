"""PagerDuty mock: Events API v2 (alert and change events) here; the REST API v2 in mock_rest.py
(reads), mock_updates.py (changing an incident), mock_writes.py (making incidents, notes, merges,
services), mock_directory.py (users, services, policies, schedules, on-calls, priorities, teams),
mock_users.py (users made) and mock_analytics.py (incident counts); the control routes in
mock_control.py; what the mock holds and how an incident moves in mock_state.py, the REST shapes
in mock_shapes.py.

Pages followed: developer.pagerduty.com docs/events-API-v2/{01-Overview,02-Trigger-Events,
03-Change-Events,05-Rate-Limits}, REST-API/{02-Authentication,04-Rate-Limits,14-Errors};
shared/specs/pagerduty/events-v2 and REST openapiv3.json; vendor-contracts.md § 3.

Dedup: the same routing key and dedup_key act on the open alert; a resolve resolves that alert, and
its incident once none of the incident's alerts (several, after a merge) is open; after resolve a
trigger opens a new incident; acknowledge or resolve with nothing open is accepted (202) and
dropped. A paused service accepts events (202) and opens nothing (`POST
/_opwire/pagerduty/services`). A trigger's `links` and `images` become its alert's contexts; a
change event is kept whole (payload, links, images, its service) for `GET /change_events`.

Alerts (each with its incident and log entries), log entries, change events and services keep
the newest entries and count what they drop (`/_opwire/health`).

The throttle scenarios answer the REST API with its documented 429 body and `ratelimit-*` headers,
and the Events API (`/v2/*`) with THROTTLED below, its own rate limiter's answer (the Events API
documents no headers and its 429 body is UNCONFIRMED).

Slack extensions (`/_opwire/pagerduty/extensions`, extensions.py): a new incident of a service
(not a trigger deduplicated into an open one) posts its message to each of the service's Slack
webhooks, over HTTP and fire-and-forget (mock/deliver.py); what each extension sent, and what
failed, is in its `delivery` counts. POST an extension or a list (one replaces the extension
with its id), DELETE `?id=` one or all.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.integrations.pagerduty import mock_analytics as analytics
from opwire.integrations.pagerduty import mock_changes as changes
from opwire.integrations.pagerduty import mock_directory as directory
from opwire.integrations.pagerduty import mock_rest as rest
from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty import mock_updates as updates
from opwire.integrations.pagerduty import mock_users as users
from opwire.integrations.pagerduty import mock_writes as writes
from opwire.integrations.pagerduty.extensions import slack_message
from opwire.integrations.pagerduty.mock_control import control_extensions, control_services
from opwire.integrations.pagerduty.mock_state import ROUTING_KEY, PagerDutyState, Service, vendor
from opwire.mock.app import Incoming, create_mock_app, json_body
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, run_id_in, unix
from opwire.mock.limits import TOO_LARGE
from opwire.mock.scenarios import Scenario, Throttle, faults
from opwire.mock.state import clock_of

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_BYTES = 512_000
# Error texts: only the routing-key one is recorded (alertmanager fixtures); the others follow
# its style and are UNCONFIRMED. One table so they are easy to correct.
TEXTS = {
    "key_length": "Length of 'routing_key' is incorrect (should be 32 characters)",
    "action": "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)",
    "dedup_missing": "'dedup_key' is missing or blank",
    "dedup_long": "'dedup_key' is too long (maximum 255 characters)",
    "payload": "'payload' is missing or not an object",
    "summary": "'payload.summary' is missing or blank",
    "summary_long": "'payload.summary' is too long (maximum 1024 characters)",
    "source": "'payload.source' is missing or blank",
    "severity": "'payload.severity' is invalid (must be one of: critical, error, warning, info)",
    "too_large": "Event object is too large (maximum 512 KB)",
    "ruleset": "Change events cannot be sent to a ruleset routing key",
}
# The Events API's own 429 (its rate limiter, per routing key): body UNCONFIRMED.
THROTTLED = {
    "status": "throttle event",
    "message": "Requests for this integration key are arriving too quickly. Please retry later.",
}


def _now(request: Request) -> str:
    """The mock clock's time as PagerDuty writes it (whole seconds, UTC)."""
    return shapes.stamp(clock_of(request).now())


def _invalid(*errors: str) -> Response:
    return JSONResponse(
        {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)},
        400,
    )


async def _event_body(request: Request) -> dict[str, Any] | Response:
    raw = await request.body()
    if len(raw) > MAX_BYTES:
        return _invalid(TEXTS["too_large"])
    body = json_body(raw)
    if not isinstance(body, dict):
        return JSONResponse(
            {
                "status": "Unrecognized object",
                "message": "Event object format is unrecognized",
                "errors": ["JSON parse error"],
            },
            400,
        )
    if not ROUTING_KEY.match(str(body.get("routing_key", ""))):
        return _invalid(TEXTS["key_length"])
    return body


def _alert_errors(body: dict[str, Any]) -> list[str]:
    action, dedup = body.get("event_action"), body.get("dedup_key")
    if action not in ACTIONS:
        return [TEXTS["action"]]
    errors = []
    if dedup is not None and len(str(dedup)) > 255:
        errors.append(TEXTS["dedup_long"])
    if action != "trigger":
        return errors + ([TEXTS["dedup_missing"]] if not dedup else [])
    payload = body.get("payload")
    if not isinstance(payload, dict):
        return [*errors, TEXTS["payload"]]
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append(TEXTS["summary"])
    elif len(summary) > 1024:
        errors.append(TEXTS["summary_long"])
    if not isinstance(payload.get("source"), str) or not payload["source"].strip():
        errors.append(TEXTS["source"])
    if payload.get("severity") not in SEVERITIES:
        errors.append(TEXTS["severity"])
    return errors


def _throttled(state: PagerDutyState, service: Service, now: float) -> bool:
    """True when the service's rate window, ending at `now` (monotonic seconds), is full."""
    limit, window = state.rate
    while service.sent and now - service.sent[0] > window:
        service.sent.popleft()
    if len(service.sent) >= limit:
        return True
    service.sent.append(now)
    return False


async def enqueue(request: Request) -> Response:
    """POST /v2/enqueue (events-v2 spec): 202 with the dedup key, the alert acted on."""
    body = await _event_body(request)
    if isinstance(body, Response):
        return body
    if errors := _alert_errors(body):
        return _invalid(*errors)
    state = vendor(request)
    service = state.service(body["routing_key"], _now(request))
    if _throttled(state, service, clock_of(request).monotonic()):
        return JSONResponse(THROTTLED, 429)
    dedup = str(body.get("dedup_key") or uuid.uuid4().hex)
    if not service.paused:
        opened = _apply(state, service, (body["routing_key"], dedup), body, _now(request))
        if opened is not None:
            _notify(request, body["routing_key"], service, opened)
    return JSONResponse(
        {"status": "success", "message": "Event processed", "dedup_key": dedup}, 202
    )


def _apply(
    state: PagerDutyState,
    service: Service,
    key: tuple[str, str],
    body: dict[str, Any],
    now: str,
) -> dict[str, Any] | None:
    """Act on the open alert of `key` (routing key, dedup key), at `now` (PagerDuty's format),
    as the service; the incident when the event opened one. An acknowledge or resolve with no
    open alert is dropped."""
    action, open_id = body["event_action"], state.open_alerts.get(key)
    if action == "trigger" and open_id is None:
        return state.open(key, service, body, now)
    if open_id is None:
        return None
    incident = state.incidents[state.alerts[open_id]["incident"]["id"]]
    if action == "trigger":  # deduplicated into the open alert
        incident["updated_at"] = now
    elif action == "resolve":
        state.resolve_alert(incident, state.alerts[open_id], service.ref, now)
    else:
        status = "acknowledged" if action == "acknowledge" else "resolved"
        state.move(incident, status, service.ref, now)
    return None


def _notify(request: Request, routing_key: str, service: Service, incident: dict[str, Any]) -> None:
    """A new incident: each Slack extension of its service posts the incident's message."""
    state = vendor(request)
    for extension in list(state.extensions.values()):
        if extension.serves(routing_key, service.id):
            state.outbox.send(
                extension.webhook_url,
                slack_message(incident),
                extension.delivery,
                clock_of(request),
                mask=extension.mask,
            )


def _change_errors(body: dict[str, Any]) -> list[str]:
    if str(body["routing_key"]).startswith("R"):
        return [TEXTS["ruleset"]]
    payload = body.get("payload")
    summary = payload.get("summary") if isinstance(payload, dict) else None
    if not isinstance(summary, str) or not summary.strip():
        return [TEXTS["summary"]]
    return [TEXTS["summary_long"]] if len(summary) > 1024 else []


async def change_enqueue(request: Request) -> Response:
    """POST /v2/change/enqueue (events-v2 spec; 03-Change-Events): 202, and the event kept
    whole for the REST API's change event routes."""
    body = await _event_body(request)
    if isinstance(body, Response):
        return body
    if errors := _change_errors(body):
        return _invalid(*errors)
    state = vendor(request)
    service = state.service(body["routing_key"], _now(request))
    integration = service.integration_of(body["routing_key"])
    event = shapes.change_event(body, service.ref, integration, _now(request))
    state.change_events.append(event, len(json.dumps(event)))
    return JSONResponse({"message": "Change event processed", "status": "success"}, 202)


def items(state: PagerDutyState, clock: MockClock) -> Iterator[Item]:
    """Each incident (its run id is its dedup key, PagerDuty's `incident_key`, or in its title,
    as an alert from Sentry carries it) and change event held, as the REST API answers them."""
    for incident in state.incidents.values():
        found = run_id_in(incident["incident_key"], incident["title"])
        yield Item("incident", unix(incident["created_at"]), found, incident)
    for event in state.change_events:
        found = run_id_in(event["summary"])
        yield Item("change_event", unix(event["timestamp"]), found, event)


def credential_of(incoming: Incoming) -> str | None:
    if token := rest.token_of(incoming.headers.get("authorization", "")):
        return token  # an API key or an OAuth token, either scheme
    match = re.search(rb'"routing_key"\s*:\s*"([^"]{1,64})"', incoming.body[:MAX_BYTES])
    return match.group(1).decode("latin-1") if match else None


def wrong_region(incoming: Incoming) -> Response:
    if incoming.path.startswith("/v2/"):
        # A key of the other service region: answer text as third-party mocks have it (UNCONFIRMED).
        return _invalid("Invalid routing key")
    return rest.rest_error(401, "Authentication failed", 2006)


def _pause_all(state: Any) -> None:
    state.vendor.pause_all = True
    for service in state.vendor.services.values():
        service.paused = True


# Every REST route's path family (the Events API, /v2/*, takes no token).
REST_PREFIXES = tuple(
    f"/{family}*"
    for family in (
        "incidents",
        "abilities",
        "change_events",
        "log_entries",
        "services",
        "users",
        "escalation_policies",
        "schedules",
        "oncalls",
        "priorities",
        "teams",
        "analytics",
    )
)


SCENARIOS = (
    Scenario(
        "pagerduty/paused_service",
        "events are accepted (202) but the service is paused: no incident opens",
        _pause_all,
        "PagerDuty probe returns 202 but no incident appears",
    ),
    Scenario(
        "pagerduty/invalid_key",
        "every routing key is refused (400)",
        faults(
            {
                "method": "POST",
                "path": "/v2/*",
                "status": 400,
                "content_type": "application/json",
                "body": json.dumps(
                    {
                        "status": "invalid event",
                        "message": "Event object is invalid",
                        "errors": [TEXTS["key_length"]],
                    }
                ),
            }
        ),
    ),
    Scenario(
        "pagerduty/token_invalid",
        "the REST API refuses the API token",
        faults(
            *(
                {
                    "method": "*",
                    "path": path,
                    "status": 401,
                    "content_type": "application/json",
                    "body": '{"error":{"message":"Authentication failed","code":2006}}',
                }
                for path in REST_PREFIXES
            )
        ),
    ),
)


# The REST API's routes (mock_rest.py and the modules it names); each is authenticated first.
REST_ROUTES = (
    ("/incidents", "GET", rest.list_incidents),
    ("/incidents/{id}", "GET", rest.get_incident),
    ("/incidents/{id}/alerts", "GET", rest.incident_alerts),
    ("/incidents/{id}/log_entries", "GET", rest.incident_log_entries),
    ("/log_entries", "GET", rest.log_entries),
    ("/log_entries/{id}", "GET", rest.get_log_entry),
    *changes.ROUTES,
    ("/abilities", "GET", rest.abilities),
    ("/abilities/{id}", "GET", rest.ability),
    *writes.ROUTES,
    *updates.ROUTES,
    *directory.ROUTES,
    *analytics.ROUTES,
    *users.ROUTES,
)


def create_app() -> ASGIApp:
    return create_mock_app(
        "pagerduty",
        [
            Route("/v2/enqueue", enqueue, methods=["POST"]),
            Route("/v2/change/enqueue", change_enqueue, methods=["POST"]),
            *(Route(path, rest.rest(h), methods=[m]) for path, m, h in REST_ROUTES),
        ],
        PagerDutyState,
        credential_of,
        [
            Route("/_opwire/pagerduty/services", control_services, methods=["GET", "POST"]),
            Route(
                "/_opwire/pagerduty/extensions",
                control_extensions,
                methods=["GET", "POST", "DELETE"],
            ),
        ],
        region="us",
        wrong_region=wrong_region,
        scenarios=SCENARIOS,
        throttled=(json.dumps(rest.THROTTLED), "application/json"),
        throttle_headers=rest.THROTTLE_HEADERS,
        # The Events API throttles in its own shape (its limiter's 429 below, no headers).
        throttles=(Throttle("/v2/*", json.dumps(THROTTLED), "application/json"),),
        not_found=rest.not_found,
        too_large=TOO_LARGE["pagerduty"],
        inventory=Inventory(("incident", "change_event"), items),
    )
