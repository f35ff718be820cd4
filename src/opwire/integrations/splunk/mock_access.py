"""The Splunk mock's access and system endpoints: authentication/users, authorization/roles,
authorization/capabilities, authentication/current-context, server/settings and messages.

Pages followed: help.splunk.com "REST API Reference: Access endpoints"
(authentication/users, authentication/current-context, authorization/roles,
authorization/capabilities), "System endpoints" (server/settings, messages); splunklib
client.py (`Users.create` posts name, password and roles then reads the user back; the
`capabilities` property reads the one entry's `capabilities`; `Settings` reads
/services/server/settings). A new user can log in with the password it was given.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from opwire.integrations.splunk import mock_entities as rest
from opwire.integrations.splunk.mock_rows import SERVER_NAME
from opwire.integrations.splunk.mock_search import checked_caller, search_state

# The capabilities a fresh Splunk Enterprise grants its roles, the few operator code checks.
POWER = ("rest_properties_get", "schedule_search", "search", "list_inputs", "edit_own_objects")
ADMIN = (*POWER, "admin_all_objects", "edit_user", "edit_roles", "edit_indexes", "edit_token_http")
CAPABILITIES = tuple(sorted({*ADMIN, "delete_by_keyword", "list_settings", "restart_splunkd"}))
ROLES = {
    "admin": (ADMIN, ("power", "user")),
    "can_delete": (("delete_by_keyword",), ()),
    "power": (POWER, ("user",)),
    "user": (("search", "edit_own_objects"), ()),
}


def _capabilities(roles: Any) -> list[str]:
    return sorted({c for r in roles if isinstance(r, str) for c in ROLES.get(r, ((), ()))[0]})


def _user(name: str, roles: list[str]) -> rest.Stored:
    content: dict[str, Any] = {
        "capabilities": _capabilities(roles),
        "defaultApp": "launcher",
        "email": "",
        "locked-out": False,
        "realname": "Administrator" if name == "admin" else "",
        "roles": roles,
        "type": "Splunk",
        "tz": "",
    }
    return rest.Stored(name, content)


def _make_user(name: str, given: dict[str, str], _owner: str, _app: str) -> rest.Stored | str:
    if not given.get("password"):
        return "Missing argument: password"
    roles = [r for r in given.get("roles", "user").split(",") if r]
    if unknown := [r for r in roles if r not in ROLES]:
        return f"Role={unknown[0]} is not grantable"
    extra = {k: v for k, v in given.items() if k in ("email", "realname", "defaultApp", "tz")}
    made = _user(name.lower(), roles)
    made.content |= extra
    return made


def _role(name: str, capabilities: tuple[str, ...], imported: tuple[str, ...]) -> rest.Stored:
    content: dict[str, Any] = {
        "capabilities": list(capabilities),
        "defaultApp": "",
        "imported_roles": list(imported),
        "srchIndexesAllowed": ["*", "_*"] if name == "admin" else ["*"],
        "srchIndexesDefault": ["main"],
        "srchJobsQuota": 50 if name == "admin" else 10,
    }
    return rest.Stored(name, content)


def _make_role(name: str, given: dict[str, str], _owner: str, _app: str) -> rest.Stored | str:
    capabilities = tuple(c for c in given.get("capabilities", "").split(",") if c)
    if unknown := [c for c in capabilities if c not in CAPABILITIES]:
        return f"Capability={unknown[0]} does not exist"
    return _role(name, capabilities, ())


def _make_message(name: str, given: dict[str, str], _owner: str, _app: str) -> rest.Stored | str:
    """A message's entry holds its text under its own name (splunklib Message.value)."""
    if not given.get("value"):
        return "Missing argument: value"
    severity = given.get("severity", "info")
    return rest.Stored(name, {name: given["value"], "help": "", "severity": severity})


def password_for(request: Request, name: str, params: dict[str, str]) -> None:
    """A user created while the mock checks passwords can log in with the one it was given."""
    users = search_state(request).users
    if users is not None and params.get("password"):
        users[name] = params["password"]


def _user_removed(request: Request, stored: rest.Stored) -> None:
    """A deleted user logs in no more (auth/login's 401) when the mock checks passwords."""
    users = search_state(request).users
    if users is not None:
        users.pop(stored.name, None)


def _user_live(_request: Request, stored: rest.Stored) -> dict[str, Any]:
    """A user's capabilities are its roles' (an edit of its roles changes them)."""
    return {**stored.content, "capabilities": _capabilities(stored.content.get("roles", []))}


USERS = rest.Kind(
    "authentication/users",
    "users",
    (),
    _make_user,
    live=_user_live,
    after=password_for,
    removed=_user_removed,
)
ROLES_KIND = rest.Kind("authorization/roles", "roles", (), _make_role)
MESSAGES = rest.Kind("messages", "messages", (), _make_message)
rest.BUILTINS[USERS.path] = (_user("admin", ["admin"]),)
rest.BUILTINS[ROLES_KIND.path] = tuple(_role(n, c, i) for n, (c, i) in ROLES.items())
KINDS = (USERS, ROLES_KIND, MESSAGES)


def _single(title: str, content: dict[str, Any]) -> rest.Kind:
    return rest.Kind(title, title, (), lambda *_: "read only", live=lambda _r, _s: content)


async def _one(request: Request, kind: rest.Kind, stored: rest.Stored) -> Response:
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    return rest.answer(request, kind, [stored], checked[1])


async def capabilities(request: Request) -> Response:
    kind = _single("capabilities", {"capabilities": list(CAPABILITIES)})
    return await _one(request, kind, rest.Stored("capabilities", {}))


async def current_context(request: Request) -> Response:
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    user = checked[0]
    stored = rest.lookup(request, USERS, user) or _user(user, ["admin"])
    content = {"username": user, **stored.content}
    kind = _single("current-context", content)
    return rest.answer(request, kind, [rest.Stored("context", {})], checked[1])


async def settings(request: Request) -> Response:
    port = request.url.port or (request.scope.get("server") or ("", 8089))[1]
    content = {
        "SPLUNK_DB": "/opt/splunk/var/lib/splunk",
        "SPLUNK_HOME": "/opt/splunk",
        "enableSplunkWebSSL": False,
        "host": SERVER_NAME,
        "httpport": 8000,
        "mgmtHostPort": f"127.0.0.1:{port}",
        "serverName": SERVER_NAME,
        "sessionTimeout": "1h",
        "startwebserver": True,
        "trustedIP": "",
    }
    return await _one(request, _single("settings", content), rest.Stored("settings", {}))


def routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(f"{prefix}/authorization/capabilities", capabilities, methods=["GET"]),
        Route(f"{prefix}/authorization/capabilities/", capabilities, methods=["GET"]),
        Route(f"{prefix}/authentication/current-context", current_context, methods=["GET"]),
        Route(f"{prefix}/authentication/current-context/", current_context, methods=["GET"]),
        Route(f"{prefix}/server/settings", settings, methods=["GET"]),
        Route(f"{prefix}/server/settings/settings", settings, methods=["GET", "POST"]),
    ]
