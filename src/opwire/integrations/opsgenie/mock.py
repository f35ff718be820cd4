"""Opsgenie mock: alerts and their actions, asynchronous request status, logs, notes,
recipients, attachments, search, count, saved searches; heartbeats; the account; incidents.

Pages followed: docs.opsgenie.com/docs/alert-api and /docs/alert-api-continued (create, actions,
updates, delete, get, list, count, logs, notes, recipients, attachments (mock_attachments.py),
saved searches (mock_searches.py), request status), docs.opsgenie.com/docs/response
(statuses, `X-Request-ID`), docs.opsgenie.com/docs/pagination, docs.opsgenie.com/docs/
alerts-search-query-help (mock_query.py), docs.opsgenie.com/docs/heartbeat-api
(mock_heartbeats.py), docs.opsgenie.com/docs/account-api (mock_account.py), docs.opsgenie.com/
docs/incident-api (mock_incidents.py), docs.opsgenie.com/docs/api-rate-limiting,
opsgenie-go-sdk-v2 client.go (404 + `X-Opsgenie-Errortype: RequestNotProcessed` while pending),
shared/specs/opsgenie/swagger.json; vendor-contracts.md § 4.

Every write is accepted (202) and processed after a delay (mock_store.py, which also holds the
state); what fails fails at processing (`isSuccess: false`), not at the 202. A body that misses
what the action needs is refused at once (422, a field -> reason map). Teams are mock state:
`POST /_opwire/opsgenie/config {"teams": [...], "request_delay_s": 0.2, "keys": {KEY: KIND},
"strict_heartbeats": false}`; until `teams` is set, any team name exists (the mock holds no
account: `opwire` and whatever a client names), after it only those. A ping to a heartbeat
nobody created makes it unless `strict_heartbeats`, when it gets Opsgenie's 404, as Get
Heartbeat always does.
Alerts, requests, heartbeats and keys keep the newest entries and count what they drop
(`/_opwire/health`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from opwire.integrations.opsgenie import mock_account as account
from opwire.integrations.opsgenie import mock_alerts as actions
from opwire.integrations.opsgenie import mock_attachments as files
from opwire.integrations.opsgenie import mock_heartbeats as beats
from opwire.integrations.opsgenie import mock_incidents as incidents
from opwire.integrations.opsgenie import mock_listing as listing
from opwire.integrations.opsgenie import mock_searches as searches
from opwire.integrations.opsgenie.mock_http import KEY_KINDS, Route, not_found
from opwire.integrations.opsgenie.mock_http import TEXTS as HTTP_TEXTS
from opwire.integrations.opsgenie.mock_http import answer as _answer
from opwire.integrations.opsgenie.mock_http import auth as _auth
from opwire.integrations.opsgenie.mock_http import body_of as _body
from opwire.integrations.opsgenie.mock_http import iso as _iso
from opwire.integrations.opsgenie.mock_http import unprocessable as _unprocessable
from opwire.integrations.opsgenie.mock_store import (
    ALIAS_LIMIT,
    OVERHEAD,
    PRIORITIES,
    TAGS_LIMIT,
    TEXTS,
    OpsgenieState,
    Pending,
    alert_of,
    identifier_type,
    new_pending,
    settled,
    state_of,
)
from opwire.mock.app import Incoming, create_mock_app, json_body
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, field_value, run_id_in, unix
from opwire.mock.limits import TOO_LARGE
from opwire.mock.scenarios import Scenario, credentials_abroad, vendor_state
from opwire.mock.state import clock_of
from opwire.mock.values import ControlError, number

# The throttle answer and headers (spec responses.Accepted names the headers; their
# values and the body's text are UNCONFIRMED).
THROTTLED = '{"message":"Rate limit exceeded","took":0.0,"requestId":"throttled"}'
# How each responder type names itself (Create Alert's `responders`: id, name, username).
RESPONDER_KEYS = {
    "team": ("id", "name"),
    "user": ("id", "username"),
    "escalation": ("id", "name"),
    "schedule": ("id", "name"),
}
THROTTLE_HEADERS = {
    "X-RateLimit-State": "THROTTLED",
    "X-RateLimit-Reason": "Alert",
    "X-RateLimit-Period-In-Sec": "60",
}


def _create_errors(body: dict[str, Any]) -> dict[str, str]:
    errors = {}
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        errors["message"] = "Message can not be empty."
    if len(str(body.get("alias", ""))) > ALIAS_LIMIT:
        errors["alias"] = f"Alias can not be longer than {ALIAS_LIMIT} characters."
    tags = body.get("tags", [])
    if not isinstance(tags, list) or len(tags) > TAGS_LIMIT:
        errors["tags"] = f"Tags should be a list of at most {TAGS_LIMIT} items."
    if body.get("priority", "P3") not in PRIORITIES:
        errors["priority"] = f"Priority should be one of {list(PRIORITIES)}"
    errors.update(_responder_errors(body.get("responders") or []))
    if not isinstance(body.get("details") or {}, dict):
        errors["details"] = "Details should be a map of strings."
    listed = body.get("actions") or []
    if not isinstance(listed, list) or not all(isinstance(a, str) for a in listed):
        errors["actions"] = "Actions should be a list of strings."
    return errors


def _responder_errors(responders: Any) -> dict[str, str]:
    """A responder has a known type and names itself by strings (a team by its id or name);
    the wording is UNCONFIRMED."""
    errors = {}
    for responder in responders if isinstance(responders, list) else [None]:
        given = responder if isinstance(responder, dict) else {}
        kind = given.get("type")
        if not isinstance(kind, str) or kind not in actions.RESPONDER_TYPES:
            errors["recipients#type"] = f"Invalid recipient type '{kind}'"
        elif not actions.named_by(given, RESPONDER_KEYS[kind]):
            errors["recipients"] = (
                f"A {kind} responder needs one of: {', '.join(RESPONDER_KEYS[kind])}."
            )
    return errors


def _accept(request: Request, pending: Pending, weight: int) -> Response:
    state, clock = state_of(request), clock_of(request)
    pending.ready_at = clock.monotonic() + state.request_delay_s
    state.keep_request(pending, weight + OVERHEAD)
    state.process_due(clock)
    return JSONResponse(
        {"result": "Request will be processed", "took": 0.302, "requestId": pending.id},
        202,
        {"X-Request-ID": pending.id, "X-Response-Time": "0.302"},
    )


async def create_alert(request: Request) -> Response:
    if denied := _auth(request, write=True):
        return denied
    body, size = await _body(request)
    if body is None:
        return _answer(400, {"message": HTTP_TEXTS["bad_json"]})
    if errors := _create_errors(body):
        return _unprocessable(errors)
    return _accept(request, new_pending("Create", body), size)


async def request_status(request: Request) -> Response:
    if denied := _auth(request, write=False):
        return denied
    pending = (await settled(request)).requests.get(request.path_params["request_id"])
    if pending is None:
        return _answer(404, {"message": TEXTS["no_request"]})
    if pending.result is None:
        return _answer(
            404, {"message": TEXTS["pending"]}, {"X-Opsgenie-Errortype": "RequestNotProcessed"}
        )
    return _answer(200, {"data": pending.result})


async def get_alert(request: Request) -> Response:
    alert = await alert_of(request)
    return alert if isinstance(alert, Response) else _answer(200, {"data": alert})


async def alert_action(request: Request) -> Response:
    """POST (or DELETE) /v2/alerts/{identifier}/{action}: taken, to be processed."""
    action = actions.ACTIONS.get((request.path_params["action"], request.method))
    if action is None:
        return not_found(request, 404)
    return await _take(request, action.name, action)


async def custom_action(request: Request) -> Response:
    """POST /v2/alerts/{identifier}/actions/{action_name}: one of the alert's own `actions`."""
    action = actions.custom(request.path_params["action_name"])
    return await _take(request, action.name, action)


async def delete_alert(request: Request) -> Response:
    return await _take(request, actions.DELETE.name, actions.DELETE)


async def _take(request: Request, name: str, action: actions.Action) -> Response:
    if denied := _auth(request, write=True):
        return denied
    kind = identifier_type(request)
    if kind is None:
        return _answer(422, {"message": TEXTS["bad_identifier_type"]})
    body, size = await _body(request)
    if body is None:
        return _answer(400, {"message": HTTP_TEXTS["bad_json"]})
    query = dict(request.query_params)
    if errors := actions.check(action, body, query):
        return _unprocessable(errors)
    where = {"identifier": request.path_params["identifier"], "identifier_type": kind}
    return _accept(request, new_pending(name, body, query=query, kind=action, **where), size)


# --- control ------------------------------------------------------------------------------


def _config_problem(data: Any) -> str | None:
    """What is wrong with a config body, or None (checked whole before any of it applies)."""
    if not isinstance(data, dict):
        return "expected a JSON object: {teams?, request_delay_s?, keys?, strict_heartbeats?}"
    teams, keys = data.get("teams", []), data.get("keys", {})
    if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
        return "teams is a list of team names"
    if not isinstance(keys, dict) or not all(kind in KEY_KINDS for kind in keys.values()):
        return f"keys maps API keys to a kind: {', '.join(KEY_KINDS)}"
    if not isinstance(data.get("strict_heartbeats", False), bool):
        return "strict_heartbeats is true or false"
    try:
        number(data.get("request_delay_s", 0), "request_delay_s")
    except ControlError as exc:
        return str(exc)
    return None


async def control_config(request: Request) -> Response:
    state, raw = state_of(request), await request.body()
    data = json_body(raw) if raw.strip() else {}
    if problem := _config_problem(data):
        return JSONResponse({"error": problem}, 400)
    if "teams" in data:
        state.teams, state.any_team = set(data["teams"]), False
    if "request_delay_s" in data:
        state.request_delay_s = float(data["request_delay_s"])
    state.strict_heartbeats = data.get("strict_heartbeats", state.strict_heartbeats)
    for key, kind in data.get("keys", {}).items():
        state.keys[key.lower()] = kind  # one key, whichever case it is written in
    pinged = {n: b.pinged for n, b in state.heartbeats.items() if b.pinged is not None}
    return JSONResponse(
        {
            "teams": sorted(state.teams),
            "request_delay_s": state.request_delay_s,
            "alerts": list(state.alerts.values()),
            "heartbeats": pinged,
        }
    )


def items(state: OpsgenieState, clock: MockClock) -> Iterator[Item]:
    """Each alert held, as Get Alert answers it (an alert exists once its create request is
    processed; the run id is its `details.run_id`, else in its alias), and each heartbeat's last
    ping (`name`, `lastPingTime`, as the Heartbeat API names them)."""
    state.process_due(clock)
    for alert in state.alerts.values():
        found = field_value(alert["details"]) or run_id_in(alert["alias"], alert["message"])
        yield Item("alert", unix(alert["createdAt"]), found, alert)
    for name, beat in state.heartbeats.items():
        if beat.pinged is not None:
            heartbeat = {"name": name, "lastPingTime": _iso(beat.pinged)}
            yield Item("heartbeat", beat.pinged, run_id_in(name), heartbeat)


def credential_of(incoming: Incoming) -> str | None:
    scheme, _, key = incoming.headers.get("authorization", "").partition(" ")
    return key.strip() or None if scheme == "GenieKey" else None


def wrong_region(incoming: Incoming) -> Response:
    return JSONResponse(
        {"message": "Could not authenticate", "took": 0.002, "requestId": str(uuid.uuid4())}, 401
    )


SCENARIOS = (
    Scenario(
        "opsgenie/team_not_found",
        "no team exists: alerts fail at processing",
        vendor_state(teams=set(), any_team=False),
        'Opsgenie probe returns 422 "team not found"',
    ),
    Scenario(
        "opsgenie/key_not_integration",
        "every key is an account key, not an API integration's (403 40301)",
        vendor_state(default_key_kind="global"),
    ),
    Scenario(
        "opsgenie/wrong_region",
        "every key belongs to the other region (401)",
        credentials_abroad("us", "eu"),
    ),
    Scenario(
        "opsgenie/never_processed",
        "requests are accepted and never processed",
        vendor_state(request_delay_s=1e9),
    ),
)


# The vendor routes, in match order (the saved searches before /v2/alerts/{identifier}).
ROUTES = [
    Route("/v2/alerts", create_alert, methods=["POST"]),
    Route("/v2/alerts", listing.list_alerts, methods=["GET"]),
    Route("/v2/alerts/count", listing.count_alerts, methods=["GET"]),
    Route("/v2/alerts/requests/{request_id}", request_status, methods=["GET"]),
    Route("/v2/alerts/saved-searches", searches.list_searches, methods=["GET"]),
    Route("/v2/alerts/saved-searches", searches.create_search, methods=["POST"]),
    Route("/v2/alerts/saved-searches/{identifier}", searches.get_search, methods=["GET"]),
    Route(
        "/v2/alerts/saved-searches/{identifier}",
        searches.update_search,
        methods=["PATCH"],
    ),
    Route(
        "/v2/alerts/saved-searches/{identifier}",
        searches.delete_search,
        methods=["DELETE"],
    ),
    Route("/v2/alerts/{identifier}", get_alert, methods=["GET"]),
    Route("/v2/alerts/{identifier}", delete_alert, methods=["DELETE"]),
    Route("/v2/alerts/{identifier}/logs", listing.alert_journal, methods=["GET"]),
    Route("/v2/alerts/{identifier}/notes", listing.alert_journal, methods=["GET"]),
    Route("/v2/alerts/{identifier}/recipients", listing.alert_recipients, methods=["GET"]),
    Route("/v2/alerts/{identifier}/attachments", files.list_attachments, methods=["GET"]),
    Route("/v2/alerts/{identifier}/attachments", files.add_attachment, methods=["POST"]),
    Route(
        "/v2/alerts/{identifier}/attachments/{attachment_id}",
        files.get_attachment,
        methods=["GET"],
    ),
    Route(
        "/v2/alerts/{identifier}/attachments/{attachment_id}",
        files.remove_attachment,
        methods=["DELETE"],
    ),
    Route("/v2/alerts/{identifier}/actions/{action_name}", custom_action, methods=["POST"]),
    Route("/v2/alerts/{identifier}/{action}", alert_action, methods=["POST", "PUT", "DELETE"]),
    Route("/v2/account", account.get_info, methods=["GET"]),
    Route("/v1/incidents/create", incidents.create_incident, methods=["POST"]),
    # the SDK asks /v1/incidents/, the Incident API page documents /v1/incidents
    Route("/v1/incidents", incidents.list_incidents, methods=["GET"]),
    Route("/v1/incidents/", incidents.list_incidents, methods=["GET"]),
    Route("/v1/incidents/requests/{request_id}", incidents.request_status, methods=["GET"]),
    Route("/v1/incidents/{identifier}", incidents.get_incident, methods=["GET"]),
    Route("/v1/incidents/{identifier}", incidents.delete_incident, methods=["DELETE"]),
    Route("/v1/incidents/{identifier}/close", incidents.close_incident, methods=["POST"]),
    Route("/v2/heartbeats", beats.create_heartbeat, methods=["POST"]),
    Route("/v2/heartbeats", beats.list_heartbeats, methods=["GET"]),
    Route("/v2/heartbeats/{name}", beats.get_heartbeat, methods=["GET"]),
    Route("/v2/heartbeats/{name}", beats.update_heartbeat, methods=["PATCH"]),
    Route("/v2/heartbeats/{name}", beats.delete_heartbeat, methods=["DELETE"]),
    Route("/v2/heartbeats/{name}/enable", beats.switch_heartbeat, methods=["POST"]),
    Route("/v2/heartbeats/{name}/disable", beats.switch_heartbeat, methods=["POST"]),
    # The spec's ping is GET; that POST and PUT also ping is UNCONFIRMED (kept as before)
    Route("/v2/heartbeats/{name}/ping", beats.heartbeat_ping, methods=["GET", "POST", "PUT"]),
]


def create_app() -> ASGIApp:
    return create_mock_app(
        "opsgenie",
        ROUTES,
        OpsgenieState,
        credential_of,
        [Route("/_opwire/opsgenie/config", control_config, methods=["GET", "POST"])],
        region="us",
        wrong_region=wrong_region,
        scenarios=SCENARIOS,
        throttled=(THROTTLED, "application/json"),
        throttle_headers=THROTTLE_HEADERS,
        not_found=not_found,
        too_large=TOO_LARGE["opsgenie"],
        inventory=Inventory(("alert", "heartbeat"), items),
    )
