"""The control routes every mock shares, under the reserved `/_opwire/` prefix (after DataDog's
fakeintake and LocalStack): health, the request log, fault rules, reset, region, credential
registrations, scenarios and the mock's clock. A room adds its own under `/_opwire/<slug>/`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from opwire import __version__
from opwire.mock.clock import ClockError
from opwire.mock.faults import MAX_RULES, FaultError, add_rules, parse_rule
from opwire.mock.state import CONTROL, fingerprint, json_body, mock_state


def control_routes() -> list[BaseRoute]:
    return [
        Route(f"{CONTROL}/health", _health, methods=["GET"]),
        Route(f"{CONTROL}/requests", _requests, methods=["GET", "DELETE"]),
        Route(f"{CONTROL}/faults", _faults, methods=["GET", "POST", "DELETE"]),
        Route(f"{CONTROL}/reset", _reset, methods=["POST"]),
        Route(f"{CONTROL}/region", _region, methods=["GET", "POST"]),
        Route(f"{CONTROL}/credentials", _credentials, methods=["GET", "POST"]),
        Route(f"{CONTROL}/scenarios", _scenarios, methods=["GET", "POST"]),
        Route(f"{CONTROL}/clock", _clock, methods=["GET", "POST"]),
    ]


async def _health(request: Request) -> Response:
    """Who answers (vendor, opwire version) and whether it is rehearsing: the scenarios switched
    on and the fault rules held, so `opwire verify` can say a failure is the rehearsal's."""
    state = mock_state(request)
    return JSONResponse(
        {
            "status": "ok",
            "vendor": state.slug,
            "opwire": __version__,
            "dropped": state.dropped_counts(),
            "scenarios": list(state.active),
            "faults": len(state.faults),
        }
    )


async def _requests(request: Request) -> Response:
    state = mock_state(request)
    if request.method == "DELETE":
        state.requests.clear()
        return JSONResponse({"requests": []})
    since = int(request.query_params.get("since", "0") or 0)
    return JSONResponse({"requests": [r for r in state.requests if r["seq"] > since]})


async def _faults(request: Request) -> Response:
    state = mock_state(request)
    if request.method == "DELETE":
        state.faults.clear()
    elif request.method == "POST":
        try:
            data = await request.json()
            rules = [parse_rule(d) for d in (data if isinstance(data, list) else [data])]
            add_rules(state.faults, rules)
        except (ValueError, TypeError, FaultError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"faults": [f.to_json() for f in state.faults]})


async def _reset(request: Request) -> Response:
    mock_state(request).reset()
    return JSONResponse({"status": "reset"})


async def _region(request: Request) -> Response:
    """This instance's region or site; `POST {"region": "eu"}` moves it."""
    state = mock_state(request)
    if request.method == "POST":
        data = json_body(await request.body())
        if not isinstance(data, dict) or not isinstance(data.get("region"), str):
            return JSONResponse({"error": 'expected {"region": "..."}'}, 400)
        state.region = data["region"]
    return JSONResponse({"region": state.region, "regional": state.wrong_region is not None})


async def _credentials(request: Request) -> Response:
    """Register credentials to a region: `{"credential": "...", "region": "eu"}` (or a list).
    A credential registered elsewhere gets the vendor's wrong-region answer here."""
    state = mock_state(request)
    if request.method == "POST":
        data = json_body(await request.body())
        items = data if isinstance(data, list) else [data]
        if not all(
            isinstance(i, dict)
            and isinstance(i.get("credential"), str)
            and isinstance(i.get("region"), str)
            for i in items
        ):
            return JSONResponse({"error": "expected {credential, region} objects"}, 400)
        for item in items:
            state.credential_regions[item["credential"]] = item["region"]
    return JSONResponse(
        {
            "credentials": [
                {"credential": "*" if c == "*" else fingerprint(c), "region": r}
                for c, r in state.credential_regions.items()
            ]
        }
    )


async def _scenarios(request: Request) -> Response:
    state = mock_state(request)
    if request.method == "POST":
        data = json_body(await request.body())
        name = data.get("name") if isinstance(data, dict) else None
        scenario = state.scenarios.get(str(name))
        if scenario is None:
            return JSONResponse(
                {"error": f"unknown scenario {name!r}", "scenarios": sorted(state.scenarios)}, 404
            )
        held = len(state.faults)
        scenario.apply(state)
        if len(state.faults) > MAX_RULES:
            del state.faults[held:]
            return JSONResponse(
                {"error": f"at most {MAX_RULES} fault rules at once: DELETE /_opwire/faults first"},
                400,
            )
        state.active.append(scenario.name)
    return JSONResponse(
        {
            "active": state.active,
            "scenarios": [
                {"name": s.name, "description": s.description, "seed_row": s.seed_row}
                for s in state.scenarios.values()
            ],
        }
    )


async def _clock(request: Request) -> Response:
    """The mock's time; `POST {"advance_s": 5}` moves it forward, so whatever waits on a delay
    (Opsgenie processing, Sentry processing, Splunk indexing, rate-limit windows) sees it pass."""
    clock = mock_state(request).clock
    if request.method == "POST":
        data = json_body(await request.body())
        if not isinstance(data, dict) or "advance_s" not in data:
            return JSONResponse({"error": 'expected {"advance_s": seconds}'}, 400)
        try:
            clock.advance(data["advance_s"])
        except ClockError as exc:
            return JSONResponse({"error": str(exc)}, 400)
    return JSONResponse({"now": clock.now(), "offset_s": clock.offset_s})
