"""The PagerDuty mock's own control routes (`/_opwire/pagerduty/…`): the services behind the
routing keys (paused, named, their rate window) and the Slack extensions a new incident posts to.

Pages followed: README "Mocks" (the room's control row); the Events API's per-key rate limit,
developer.pagerduty.com docs/events-API-v2/05-Rate-Limits (120 a minute per key, vendor-
contracts.md § 3.6), which `rate_limit` and `rate_window_s` replace in a rehearsal.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.pagerduty.extensions import parse_extensions
from opwire.integrations.pagerduty.mock_state import RATE, ROUTING_KEY, vendor
from opwire.mock.app import json_body
from opwire.mock.values import ControlError, positive, whole_number


def _service_problem(data: Any) -> str | None:
    """What is wrong with a service body, or None (checked whole before any of it applies)."""
    if not isinstance(data, dict) or not ROUTING_KEY.match(str(data.get("routing_key", ""))):
        return "expected {routing_key (32 chars), paused?, name?, rate_limit?, rate_window_s?}"
    if not isinstance(data.get("paused", False), bool) or not isinstance(data.get("name", ""), str):
        return "paused is true or false, name a string"
    try:
        whole_number(data.get("rate_limit", 0), "rate_limit")
        positive(data.get("rate_window_s", RATE[1]), "rate_window_s")
    except ControlError as exc:
        return str(exc)
    return None


async def control_services(request: Request) -> Response:
    state, data = vendor(request), json_body(await request.body())
    if request.method == "POST":
        if problem := _service_problem(data):
            return JSONResponse({"error": problem}, 400)
        service = state.service(data["routing_key"])
        service.paused = data.get("paused", service.paused)
        service.name = data.get("name", service.name)
        if "rate_limit" in data:
            state.rate = (data["rate_limit"], float(data.get("rate_window_s", RATE[1])))
    return JSONResponse(
        {
            "services": [
                {"id": s.id, "name": s.name, "paused": s.paused}
                for s in {s.id: s for s in state.services.values()}.values()
            ]
        }
    )


async def control_extensions(request: Request) -> Response:
    """Slack extensions: GET lists them (secrets masked) with what each sent; POST one or a
    list (each replaces the extension with its id, or is added); DELETE `?id=` one, or all."""
    state = vendor(request)
    if request.method == "POST":
        try:
            added = parse_extensions(json_body(await request.body()), len(state.extensions))
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        for extension in added:
            if extension.id in state.extensions:
                del state.extensions[extension.id]
            state.extensions.put(extension.id, extension)
    elif request.method == "DELETE":
        wanted = request.query_params.get("id")
        for ext_id in [e for e in state.extensions if wanted in (None, e)]:
            del state.extensions[ext_id]
    return JSONResponse({"extensions": [e.to_json() for e in state.extensions.values()]})
