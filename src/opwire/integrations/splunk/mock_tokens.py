"""The Splunk mock's HEC tokens as splunkd manages them: data/inputs/http (list, create, get,
edit, enable/disable, delete) and the data/inputs feed of input kinds splunklib's `Inputs`
reads; a token made or changed here is the one HEC intake then checks.

Pages followed: help.splunk.com "HTTP Event Collector REST API endpoints" (data/inputs/http:
name, token, index, indexes, useACK, sourcetype, source, host, disabled; each token's entry
named http://<name> in the splunk_httpinput app), "REST API Reference: Input endpoints"
(data/inputs); splunklib client.py (`Inputs.kinds` follows entries with a `create` link,
`Inputs.list("http")` reads the kind's feed, an input's path its alternate link, unquoted).
A token configured through /_opwire/splunk/config is listed as http://opwire-<first 8>.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.splunk import mock_entities as rest
from opwire.integrations.splunk.mock_hec import GUID, Token
from opwire.integrations.splunk.mock_search import checked_caller
from opwire.mock.state import mock_state

PREFIX = "http://"
TRUE = ("1", "true", "t", "yes", "y", "on")


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in TRUE


def _named(name: str) -> str:
    return name if name.startswith(PREFIX) else PREFIX + name


def _stored(name: str, value: str, token: Token) -> rest.Stored:
    content: dict[str, Any] = {
        "description": "",
        "disabled": token.disabled,
        "host": "",
        "index": token.default_index,
        "indexes": list(token.indexes or []),
        "source": "",
        "sourcetype": "",
        "token": value,
        "useACK": token.ack,
    }
    return rest.Stored(name, content, app="splunk_httpinput", sharing="app")


def _make(name: str, given: dict[str, str], _owner: str, _app: str) -> rest.Stored | str:
    value = given.get("token") or str(uuid.uuid4())
    if not GUID.match(value):
        return "token must be a GUID"
    made = _stored(_named(name), value.lower(), Token())
    made.content |= {k: v for k, v in given.items() if k != "token"}
    return made


def _token_of(name: str, content: dict[str, Any]) -> Token:
    indexes = content.get("indexes") or []
    listed = indexes if isinstance(indexes, list) else [i for i in str(indexes).split(",") if i]
    return Token(
        disabled=_truthy(content.get("disabled", False)),
        ack=_truthy(content.get("useACK", False)),
        indexes=listed or None,
        default_index=str(content.get("index") or "main"),
        source=str(content.get("source") or f"http:{name.removeprefix(PREFIX)}"),
        sourcetype=str(content.get("sourcetype") or "httpevent"),
    )


def _sync(request: Request, name: str, _params: dict[str, str]) -> None:
    """The stored token's settings become the ones HEC intake checks."""
    stored = rest.rest_state(request).of(HTTP).get(name)
    if stored is not None:
        tokens = mock_state(request).vendor.tokens  # a value once deleted is valid again
        tokens[str(stored.content["token"])] = _token_of(stored.name, stored.content)


def _revoke(request: Request, value: str) -> None:
    """A token deleted or replaced: HEC answers it 403 code 4, as a token it never had."""
    mock_state(request).vendor.tokens[value] = Token(revoked=True)


def _removed(request: Request, stored: rest.Stored) -> None:
    _revoke(request, str(stored.content["token"]))


def _check(request: Request, stored: rest.Stored, changes: dict[str, Any]) -> str | None:
    """An edit's new `token` is a GUID, kept lowercase; the one it replaces stops working."""
    if "token" not in changes:
        return None
    value = str(changes["token"])
    if not GUID.match(value):
        return "token must be a GUID"
    changes["token"] = value.lower()
    if (old := str(stored.content["token"])) != changes["token"]:
        _revoke(request, old)
    return None


def _configured(request: Request) -> list[rest.Stored]:
    """Tokens set through the mock's control config, which no data/inputs/http call named."""
    made = {str(s.content["token"]) for s in rest.rest_state(request).of(HTTP).values()}
    tokens: dict[str, Token] = mock_state(request).vendor.tokens
    return [
        _stored(f"{PREFIX}opwire-{value[:8]}", value, token)
        for value, token in tokens.items()
        if value not in made and not token.revoked
    ]


HTTP = rest.Kind(
    "data/inputs/http",
    "http",
    ("disable",),
    _make,
    after=_sync,
    removed=_removed,
    check=_check,
    extra=_configured,
    normalize=_named,
)


async def kinds(request: Request) -> Response:
    """GET data/inputs: the input kinds, each entry with a `create` link (splunklib follows
    those); this mock serves the `http` kind."""
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    kind = rest.Kind("data/inputs", "inputs", ("create",), lambda *_: "read only")
    return rest.answer(request, kind, [rest.Stored("http", {})], checked[1])
