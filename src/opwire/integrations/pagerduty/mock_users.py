"""The users an operator script provisions through the PagerDuty mock's REST API v2: createUser
(as python-pagerduty's `persist("users", "email", …)` does after its `find`), updateUser,
deleteUser.

Pages followed: shared/specs/pagerduty/REST/openapiv3.json (createUser: `user` with `name`,
`email`, `type` "user" required, `role`, `time_zone`, `color`, `job_title`, `description`;
`From` required; 201 `{"user"}`; 402 PaymentRequired; updateUser 200 `{"user"}`; deleteUser
204); developer.pagerduty.com REST-API/14-Errors (2001 Invalid Input Provided, 2100 Not Found).

UNCONFIRMED, chosen here: an email already in use (any case) is 400 code 2001 "Email has
already been taken"; past MAX_USERS made users the answer is 402 code 2012 "Account has
reached its user limit" (the spec names the 402, not its body); a user's id is the one the
mock gives the same address in a `From` header, so what they did before they were made is
theirs; only users made through REST can be changed or deleted (the owner and the users only
seen acting are 400 and 404), and a deleted user is gone (404) though the log shows them act,
until made again; updateUser changes the fields given, not `email`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.pagerduty import mock_directory as directory
from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty.mock_rest import EMAIL, INVALID_INPUT, Refused, actor, answer
from opwire.integrations.pagerduty.mock_state import PagerDutyState, vendor
from opwire.mock.app import json_body

MAX_USERS = 1_000
ROLES = (
    "admin",
    "limited_user",
    "observer",
    "owner",
    "read_only_user",
    "restricted_access",
    "read_only_limited_user",
    "user",
)
TEXT_FIELDS = ("time_zone", "color", "job_title", "description")


def _invalid(problem: str) -> Refused:
    return Refused(400, *INVALID_INPUT, problem)


async def _entity(request: Request) -> dict[str, Any]:
    body = json_body(await request.body())
    entity = body.get("user") if isinstance(body, dict) else None
    if not isinstance(entity, dict):
        raise _invalid("user is required and must be an object")
    return entity


def _fields(entity: dict[str, Any], creating: bool) -> dict[str, Any]:
    """The user fields given, checked whole (name and email required to create)."""
    if entity.get("type", "user") != "user":
        raise _invalid("user.type must be user")
    name = entity.get("name")
    if (creating or "name" in entity) and (not isinstance(name, str) or not name.strip()):
        raise _invalid("user.name must be a non-empty string")
    email = entity.get("email")
    if creating and (not isinstance(email, str) or not EMAIL.match(email)):
        raise _invalid("user.email must be an email address")
    if entity.get("role", "user") not in ROLES:
        raise _invalid(f"user.role must be one of {', '.join(ROLES)}")
    for field in TEXT_FIELDS:
        if not isinstance(entity.get(field, ""), str):
            raise _invalid(f"user.{field} must be a string")
    wanted = ("name", "role", *TEXT_FIELDS, *(("email",) if creating else ()))
    return {k: entity[k] for k in wanted if k in entity}


def _taken(state: PagerDutyState, email: str) -> bool:
    known = directory.users_by_id(state).values()
    return any(u["email"].lower() == email.lower() for u in known)


async def create_user(request: Request) -> Response:
    """createUser: 201 `{"user"}`, made by the `From` user."""
    actor(request)
    fields = _fields(await _entity(request), creating=True)
    state = vendor(request)
    if _taken(state, fields["email"]):
        raise _invalid("Email has already been taken")
    if len(state.users) >= MAX_USERS:
        raise Refused(402, "Account has reached its user limit", 2012)
    user_id = shapes.user_ref(fields["email"])["id"]
    made = directory.user(
        user_id, fields["name"].strip(), fields["email"], fields.get("role", "user")
    )
    made.update({k: v for k, v in fields.items() if k in TEXT_FIELDS})
    state.users[user_id] = made
    state.deleted_users.pop(user_id, None)  # made again: no longer left out
    reply = answer(request, {"user": made})
    reply.status_code = 201
    return reply


def _made(request: Request) -> dict[str, Any]:
    state, wanted = vendor(request), request.path_params["id"]
    if wanted in state.users:
        return state.users[wanted]
    if wanted in directory.users_by_id(state):
        raise _invalid("only users made through the API can be changed here")
    raise Refused(404, "Not Found", 2100)


async def update_user(request: Request) -> Response:
    """updateUser: the fields given (persist's `update=True` sends the user whole)."""
    found = _made(request)
    fields = _fields(await _entity(request), creating=False)
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        found.update(summary=fields["name"])
    found.update(fields)
    return answer(request, {"user": found})


async def delete_user(request: Request) -> Response:
    """deleteUser: 204."""
    found = _made(request)
    vendor(request).delete_user(found["id"])
    return Response(status_code=204)


# The REST routes of the users made (authenticated by mock.py).
ROUTES = (
    ("/users", "POST", create_user),
    ("/users/{id}", "PUT", update_user),
    ("/users/{id}", "DELETE", delete_user),
)
