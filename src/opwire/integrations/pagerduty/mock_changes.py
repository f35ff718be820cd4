"""The PagerDuty mock's change events as the REST API v2 reads them back: the account's, a
service's, those related to an incident, and one by id (the Events API v2 takes them in
mock.py).

Pages followed: shared/specs/pagerduty/REST/openapiv3.json (listChangeEvents: `since`/`until`
in UTC, `integration_ids[]`, `team_ids[]` (every service is on the account's one team, so its
id keeps them all and any other none); getChangeEvent; listServiceChangeEvents;
listIncidentRelatedChangeEvents with its `correlation_reason`; ChangeEvent).

UNCONFIRMED, chosen here: change events are listed oldest first (related ones newest first); a
non-UTC `since`/`until` is 400 code 2004; an event is related to an incident of its service
when sent in the RELATED_WINDOW before the incident opened.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty.mock_rest import (
    Refused,
    answer,
    incident_of,
    page,
    parse_time,
    window,
)
from opwire.integrations.pagerduty.mock_state import vendor

# How far back a change event is related to an incident of its service (UNCONFIRMED: the
# Change Correlation feature documents time, service and learned factors, no window).
RELATED_WINDOW = timedelta(hours=24)


def _change_events(request: Request, service_id: str | None) -> Response:
    since, until = window(request, None, utc_only=True)
    params = request.query_params
    integrations = set(params.getlist("integration_ids[]"))
    teams = params.getlist("team_ids[]")
    hits = [
        e
        for e in vendor(request).change_events
        if since <= e["timestamp"] <= until
        and service_id in (None, e["services"][0]["id"])
        and (not integrations or e["integration"]["id"] in integrations)
        and (not teams or shapes.TEAM[0] in teams)  # every service is the account's team's
    ]
    return page(request, "change_events", hits)


async def change_events(request: Request) -> Response:
    """listChangeEvents: whole, as they were sent, oldest first."""
    return _change_events(request, None)


async def service_change_events(request: Request) -> Response:
    """listServiceChangeEvents: 404 for a service the mock never saw."""
    service = vendor(request).service_by_id(request.path_params["id"])
    if service is None:
        raise Refused(404, "Not Found", 2100)
    return _change_events(request, service.id)


async def related_change_events(request: Request) -> Response:
    """listIncidentRelatedChangeEvents: the change events of the incident's service in the
    RELATED_WINDOW before it opened, newest first, each with its `correlation_reason`."""
    state = vendor(request)
    incident = incident_of(state, request.path_params["id"])
    opened = parse_time(incident["created_at"])
    earliest = (opened - RELATED_WINDOW).strftime(shapes.TIME)
    hits = [
        {**e, "correlation_reason": {"reason": "related_service"}}
        for e in reversed(state.change_events)
        if e["services"][0]["id"] == incident["service"]["id"]
        and earliest <= e["timestamp"] <= incident["created_at"]
    ]
    return page(request, "change_events", hits)


async def get_change_event(request: Request) -> Response:
    """getChangeEvent."""
    wanted = request.path_params["id"]
    event = next((e for e in vendor(request).change_events if e["id"] == wanted), None)
    if event is None:
        raise Refused(404, "Not Found", 2100)
    return answer(request, {"change_event": event})


ROUTES = (
    ("/change_events", "GET", change_events),
    ("/incidents/{id}/related_change_events", "GET", related_change_events),
    ("/change_events/{id}", "GET", get_change_event),
    ("/services/{id}/change_events", "GET", service_change_events),
)
