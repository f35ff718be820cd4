"""The Splunk mock's control config, POST /_opwire/splunk/config: HEC tokens and their
settings, the indexing delay, HEC health, query-string auth, the search API's tokens and users,
and the version server/info reports (the shape is in mock.py's docstring). A body is checked
whole before any of it applies; a wrong one is a 400 naming the field.

Pages followed: help.splunk.com "Troubleshoot HTTP Event Collector" (the health states),
"Set up and use HTTP Event Collector" (a token's disabled, indexes, default index, useACK).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.splunk import mock_search
from opwire.integrations.splunk.mock_hec import HEALTH, Token
from opwire.integrations.splunk.mock_search import SearchState
from opwire.mock.app import json_body, mock_state
from opwire.mock.values import ControlError, number

VERSION_DEFAULT = mock_search.VERSION


def _token_problem(spec: Any) -> str | None:
    if not isinstance(spec, dict):
        return "each token is an object: {disabled?, ack?, indexes?, default_index?}"
    indexes = spec.get("indexes")
    flags_ok = all(isinstance(spec.get(k, False), bool) for k in ("disabled", "ack"))
    indexes_ok = indexes is None or (
        isinstance(indexes, list) and all(isinstance(i, str) for i in indexes)
    )
    if not (flags_ok and indexes_ok and isinstance(spec.get("default_index", ""), str)):
        return "token disabled and ack are booleans, indexes a list of names, default_index a name"
    return None


def _config_problem(data: Any, health: str) -> str | None:
    """What is wrong with a config body, or None (checked whole before any of it applies)."""
    wanted = data.get("health", health) if isinstance(data, dict) else None
    if not isinstance(wanted, str) or wanted not in HEALTH:  # a list is unhashable: not `in`
        return f"health is one of {', '.join(HEALTH)}"
    tokens = data.get("tokens", {})
    if not isinstance(tokens, dict):
        return "tokens maps each HEC token to its settings"
    if problem := next(filter(None, map(_token_problem, tokens.values())), None):
        return problem
    if not isinstance(data.get("query_auth", False), bool):
        return "query_auth is true or false"
    if problem := _search_problem(data):
        return problem
    try:
        number(data.get("indexing_delay_s", 0), "indexing_delay_s")
    except ControlError as exc:
        return str(exc)
    return None


def _search_problem(data: dict[str, Any]) -> str | None:
    tokens, users = data.get("search_tokens"), data.get("users")
    if tokens is not None and not (
        isinstance(tokens, list) and all(isinstance(t, str) and t for t in tokens)
    ):
        return "search_tokens is null or a list of tokens"
    if users is not None and not (
        isinstance(users, dict) and all(isinstance(p, str) and p for p in users.values())
    ):
        return "users is null or maps each user name to a password"
    if not re.fullmatch(r"\d+(\.\d+){0,3}", str(data.get("version", VERSION_DEFAULT))):
        return "version is a Splunk version such as 9.3.2"
    return None


def _apply_search(state: SearchState, data: dict[str, Any]) -> None:
    if "search_tokens" in data:
        state.tokens = data["search_tokens"]
    if "users" in data:
        state.users = data["users"]
    state.version = str(data.get("version", state.version))


async def control_config(request: Request) -> Response:
    state: Any = mock_state(request).vendor
    raw = await request.body()
    data = json_body(raw) if raw.strip() else {}
    if problem := _config_problem(data, state.health):
        return JSONResponse({"error": problem}, 400)
    for value, spec in data.get("tokens", {}).items():
        state.tokens[value.lower()] = Token(
            **{k: spec[k] for k in spec if k in ("disabled", "ack", "indexes", "default_index")}
        )
    state.health = data.get("health", state.health)
    state.indexing_delay_s = float(data.get("indexing_delay_s", state.indexing_delay_s))
    state.query_auth = data.get("query_auth", state.query_auth)
    _apply_search(state.search, data)
    return JSONResponse(
        {
            "health": state.health,
            "events": len(state.events),
            "indexing_delay_s": state.indexing_delay_s,
            "version": state.search.version,
            "jobs": len(state.search.jobs),
        }
    )
