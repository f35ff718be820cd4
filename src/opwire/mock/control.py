"""The control routes every mock shares, under the reserved `/_opwire/` prefix (after DataDog's
fakeintake and LocalStack): health, the request log, fault rules, reset, region, credential
registrations, scenarios and the mock's clock; and control API v1's `state` and `counts`, what
the mock holds in one shape for every vendor (mock/inventory.py). A room adds its own routes
under `/_opwire/<slug>/`.

Control API v1 is a stable JSON API (README "Mocks"; mock/control_schema.py holds the JSON Schema
of every answer): a web inbox and a count reconciliation read it. A wrongly typed parameter or
body gets 400 and `{"error": "..."}` saying what was expected, never a 500.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from opwire import __version__
from opwire.mock.faults import MAX_RULES, FaultError, add_rules, parse_rule
from opwire.mock.inventory import counts, selected, window
from opwire.mock.state import CONTROL, LOG_ENTRIES, MockState, fingerprint, json_body, mock_state
from opwire.mock.values import ControlError, query_whole

# A v1 request-log item shows this much of the body (the legacy answer shows what the log keeps).
EXCERPT = 2048


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
        Route(f"{CONTROL}/state", _state, methods=["GET"]),
        Route(f"{CONTROL}/counts", _counts, methods=["GET"]),
    ]


def _error(message: str, status: int = 400, **more: Any) -> Response:
    return JSONResponse({"error": message, **more}, status)


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
    """v1 with `?after=N` (`{next, dropped, items}`); without it the older `{"requests": [...]}`
    answer, `?since=N` the same filter, kept for the callers written before v1."""
    state, params = mock_state(request), request.query_params
    if request.method == "DELETE":
        state.requests.clear()
        return JSONResponse({"requests": []})
    try:
        if "after" in params:
            limit = query_whole(params, "limit", LOG_ENTRIES, minimum=1)
            return JSONResponse(_log_page(state, query_whole(params, "after", 0), limit))
        since = query_whole(params, "since", 0, minimum=None)
    except ControlError as exc:
        return _error(str(exc))
    return JSONResponse({"requests": [r for r in state.requests if r["seq"] > since]})


def _log_page(state: MockState, after: int, limit: int) -> dict[str, Any]:
    """Up to `limit` requests after sequence number `after`; `next` is the `after` of the next
    call, and `dropped` counts the requests after `after` that the log no longer holds (dropped
    for room, or cleared) so a reader knows what it missed. A cursor past the newest request
    is from an earlier run of this mock (numbers restart with the process): read from the start."""
    if after > state.seq:
        after = 0
    held = [r for r in state.requests if r["seq"] > after]
    first = held[0]["seq"] if held else state.seq + 1
    page = held[:limit]
    return {
        "next": page[-1]["seq"] if page else state.seq,
        "dropped": first - after - 1,
        "items": [_log_item(r) for r in page],
    }


def _log_item(entry: dict[str, Any]) -> dict[str, Any]:
    """A request-log entry in v1's fixed shape: every field present, null when unknown."""
    keys = ("seq", "time", "method", "path", "query", "headers", "status", "duration_ms")
    return {
        **{k: entry[k] for k in keys},
        "credential": entry["credential"],
        "run_id": entry["run_id"],
        "body_excerpt": entry["body"][:EXCERPT],
        "body_bytes": entry["body_bytes"],
        "fault": entry.get("fault"),
        "too_large": bool(entry.get("too_large")),
        "wrong_region": entry.get("region") == "wrong",
    }


async def _state(request: Request) -> Response:
    """What the mock holds, `{"vendor", "items", "total"}`, oldest first; `since`, `until`,
    `run_id` and `kind` select, `limit` keeps the newest that many (`total` counts them all)."""
    state, params = mock_state(request), request.query_params
    try:
        items = selected(state.inventory, state.vendor, state.clock, window(params))
        limit = query_whole(params, "limit", len(items))
    except ControlError as exc:
        return _error(str(exc))
    shown = items[len(items) - limit :] if limit else []
    return JSONResponse(
        {"vendor": state.slug, "items": [i.to_json() for i in shown], "total": len(items)}
    )


async def _counts(request: Request) -> Response:
    """How many items arrived, by kind (every kind the mock holds, 0 included), in the window
    `since <= time < until` and of `run_id` when given."""
    state, params = mock_state(request), request.query_params
    try:
        within = window(params)
    except ControlError as exc:
        return _error(str(exc))
    items = selected(state.inventory, state.vendor, state.clock, within)
    return JSONResponse(
        {
            "vendor": state.slug,
            "counts": counts(state.inventory, items),
            "since": within.since,
            "until": within.until,
            "run_id": within.run_id,
        }
    )


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
        if not isinstance(name, str):
            return _error(
                'expected {"name": "<slug>/<scenario>"}', scenarios=sorted(state.scenarios)
            )
        scenario = state.scenarios.get(name)
        if scenario is None:
            return _error(f"unknown scenario {name!r}", 404, scenarios=sorted(state.scenarios))
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
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, 400)
    return JSONResponse({"now": clock.now(), "offset_s": clock.offset_s})
