"""Opsgenie saved searches, for the mock: create, list, get, update, delete, and the query a
List Alerts or Count Alerts with `searchIdentifier` applies.

Pages followed: docs.opsgenie.com/docs/alert-api-continued (Saved Search: create `201`, list,
get/update/delete by `identifierType` id or name), shared/specs/opsgenie/swagger.json
(CreateSavedSearchPayload and UpdateSavedSearchPayload: `name` <= 100, `query` <= 1000 and
`owner` required, `description` <= 15000, `teams` <= 20; SavedSearch: id, name, createdAt,
updatedAt, owner {id}, teams [{id}], description, query; CreateSavedSearchResponse's data is
SavedSearchMeta {id, name}; List Alerts' `searchIdentifier` and `searchIdentifierType`).
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.opsgenie.mock_alerts import resolved
from opwire.integrations.opsgenie.mock_http import TEXTS as HTTP_TEXTS
from opwire.integrations.opsgenie.mock_http import answer, auth, body_of, iso, unprocessable
from opwire.integrations.opsgenie.mock_query import QueryError, compile_query
from opwire.mock.app import mock_state
from opwire.mock.state import clock_of

NAME_LIMIT, QUERY_LIMIT, DESCRIPTION_LIMIT, TEAMS_LIMIT = 100, 1000, 15000, 20
IDENTIFIER_TYPES = ("id", "name")
OVERHEAD = 512
# Wording no page we could read records: UNCONFIRMED.
TEXTS = {
    "missing": "Saved search does not exist",
    "exists": "Saved search with name [{name}] already exists",
    "bad_identifier_type": "Invalid identifierType: use id or name",
}


def find(state: Any, identifier: str, kind: str) -> dict[str, Any] | None:
    """A saved search by id, or by name (`kind`), else None."""
    if kind == "id":
        found: dict[str, Any] | None = state.searches.get(identifier)
        return found
    return next((s for s in state.searches.values() if s["name"] == identifier), None)


def saved_query(request: Request, state: Any) -> str | None:
    """The query of the saved search List/Count Alerts names (`searchIdentifier`), "" when it
    names none, None when it names one the mock does not hold."""
    identifier = request.query_params.get("searchIdentifier")
    if not identifier:
        return ""
    kind = request.query_params.get("searchIdentifierType", "id")
    found = find(state, identifier, kind) if kind in IDENTIFIER_TYPES else None
    return None if found is None else str(found["query"])


def _errors(body: dict[str, Any]) -> dict[str, str]:
    errors = {}
    name, query = body.get("name"), body.get("query")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_LIMIT:
        errors["name"] = f"Name should be a non-empty string of at most {NAME_LIMIT} characters."
    if not isinstance(query, str) or not query.strip() or len(query) > QUERY_LIMIT:
        errors["query"] = f"Query should be a non-empty string of at most {QUERY_LIMIT}."
    else:
        try:
            compile_query(query)
        except QueryError as exc:
            errors["query"] = f"Invalid query: {exc}"
    owner = body.get("owner")
    if not isinstance(owner, dict) or not (owner.get("id") or owner.get("username")):
        errors["owner"] = "Owner should have an id or a username."
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > DESCRIPTION_LIMIT:
        errors["description"] = f"Description can be at most {DESCRIPTION_LIMIT} characters."
    teams = body.get("teams", [])
    if not isinstance(teams, list) or len(teams) > TEAMS_LIMIT:
        errors["teams"] = f"Teams should be a list of at most {TEAMS_LIMIT} teams."
    elif not all(isinstance(t, dict) and (t.get("id") or t.get("name")) for t in teams):
        errors["teams"] = "Each team should have an id or a name."
    return errors


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """What a create or update stores: owner and teams as the `{id}` entities Get answers."""
    teams = [{"id": resolved({**t, "type": "team"})["id"]} for t in body.get("teams", [])]
    owner = {"id": resolved({**body["owner"], "type": "user"})["id"]}
    return {
        "name": body["name"],
        "query": body["query"],
        "description": body.get("description", ""),
        "owner": owner,
        "teams": teams,
    }


async def _valid_body(request: Request) -> dict[str, Any] | Response:
    if denied := auth(request, write=False):
        return denied
    body, _ = await body_of(request)
    if body is None:
        return answer(400, {"message": HTTP_TEXTS["bad_json"]})
    if errors := _errors(body):
        return unprocessable(errors)
    return body


async def create_search(request: Request) -> Response:
    body = await _valid_body(request)
    if isinstance(body, Response):
        return body
    state, now = mock_state(request).vendor, iso(clock_of(request).now())
    if find(state, body["name"], "name") is not None:
        return answer(409, {"message": TEXTS["exists"].format(name=body["name"])})
    search = {"id": str(uuid.uuid4()), **_fields(body), "createdAt": now, "updatedAt": now}
    state.searches.put(search["id"], search, len(str(search)) + OVERHEAD)
    meta = {"id": search["id"], "name": search["name"]}
    return answer(201, {"result": "Created", "data": meta})


async def list_searches(request: Request) -> Response:
    if denied := auth(request, write=False):
        return denied
    state = mock_state(request).vendor
    shown = [{"id": s["id"], "name": s["name"]} for s in state.searches.values()]
    return answer(200, {"data": shown})


def _named(request: Request) -> dict[str, Any] | Response:
    if denied := auth(request, write=False):
        return denied
    kind = request.query_params.get("identifierType", "id")
    if kind not in IDENTIFIER_TYPES:
        return answer(422, {"message": TEXTS["bad_identifier_type"]})
    found = find(mock_state(request).vendor, request.path_params["identifier"], kind)
    return answer(404, {"message": TEXTS["missing"]}) if found is None else found


async def get_search(request: Request) -> Response:
    found = _named(request)
    return found if isinstance(found, Response) else answer(200, {"data": found})


async def update_search(request: Request) -> Response:
    """PATCH: the spec's UpdateSavedSearchPayload (name, query, owner required)."""
    found = _named(request)
    if isinstance(found, Response):
        return found
    body = await _valid_body(request)
    if isinstance(body, Response):
        return body
    other = find(mock_state(request).vendor, body["name"], "name")
    if other is not None and other["id"] != found["id"]:
        return answer(409, {"message": TEXTS["exists"].format(name=body["name"])})
    found |= {**_fields(body), "updatedAt": iso(clock_of(request).now())}
    # re-weighed: an update that enlarges the search counts against the store's bound
    mock_state(request).vendor.searches.put(found["id"], found, len(str(found)) + OVERHEAD)
    return answer(200, {"result": "Updated", "data": found})


async def delete_search(request: Request) -> Response:
    found = _named(request)
    if isinstance(found, Response):
        return found
    del mock_state(request).vendor.searches[found["id"]]
    return answer(200, {"result": "Deleted"})
