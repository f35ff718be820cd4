"""The Splunk mock's configuration collections as splunkd serves them (list, get, create, edit,
enable/disable, delete), under /services or a /servicesNS/{owner}/{app} namespace: each kind
(data/indexes and apps/local in mock_indexes.py, users, tokens, saved searches) is a `Kind`.
Each server keeps its own copy of the built-in objects; list arguments are kept as lists, a
password never (nor echoed), and an object's settings are weighed (ENTRY_BUDGET).

Pages followed: help.splunk.com "REST API Reference: Input endpoints" (data/indexes,
data/indexes/{name}), "Application endpoints" (apps/local), "REST API User
Manual: Namespaces" and "Atom Feed format" (a collection is a <feed>, each item an <entry> whose
alternate link names its namespace, its eai:acl owner, app and sharing); splunklib client.py
(`Collection`, `Indexes`, `Entity._proper_namespace`). Shapes as recorded from
a real splunkd (splunk-sdk-csharp-pcl Recordings: CanSendEvents, CanCrudIndex,
CanGetApplications): the index and app entries' fields, create's 201 feed, "In handler
'indexes': Could not find object id=…" (404).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote_plus

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.splunk import mock_atom as atom
from opwire.integrations.splunk.mock_search import (
    BUILD,
    LIST_ARGUMENTS,
    base_url,
    checked_caller,
    search_state,
)
from opwire.mock.limits import CONFIGURED, CappedDict
from opwire.mock.state import clock_of, mock_state

# Facts no page settled are in mock_search.UNCONFIRMED.
# Parameters that steer an answer, never a setting (`search` filters a list but is a saved
# search's own setting when posted).
CONTROL = frozenset(("output_mode", "name", "count", "offset", "sort_key", "sort_dir"))
# Arguments a create or an edit acts on but splunkd never shows back: a user's password.
SECRETS = frozenset(("password", "oldpassword"))
# One object's settings, in characters of names and values: an edit past it is refused
# (UNCONFIRMED: no page names splunkd's own bound; a .conf stanza this large is no setting).
ENTRY_BUDGET = 64 << 10


@dataclass(slots=True)
class Stored:
    """One configuration object: its name, namespace (owner, app, sharing) and settings."""

    name: str
    content: dict[str, Any]
    owner: str = "nobody"
    app: str = "system"
    sharing: str = "system"
    builtin: bool = False


@dataclass(frozen=True, slots=True)
class Kind:
    path: str  # relative to the namespace: data/indexes
    handler: str  # the feed's title and splunkd's "In handler '…'"
    links: tuple[str, ...]  # an entry's links besides alternate and list
    make: Callable[[str, dict[str, str], str, str], Stored | str]  # name, params, owner, app
    live: Callable[[Request, Stored], dict[str, Any]] = lambda _r, s: s.content
    # what a create or an edit does besides storing the object (a new user's password)
    after: Callable[[Request, str, dict[str, str]], None] = lambda *_: None
    removed: Callable[[Request, Stored], None] = lambda *_: None
    # an edit's changes checked (and normalized in place) before they apply: the problem or None
    check: Callable[[Request, Stored, dict[str, Any]], str | None] = lambda *_: None
    # objects splunkd shows though nobody created them here (an index HEC wrote to)
    extra: Callable[[Request], list[Stored]] = lambda _r: []
    # the stored name a path's name stands for (an HEC token's foo is http://foo)
    normalize: Callable[[str], str] = lambda name: name


# Objects every fresh splunkd has, per kind path; each module adds its own (mock_indexes …).
BUILTINS: dict[str, tuple[Stored, ...]] = {}


@dataclass(slots=True)
class RestState:
    dropped: Counter[str]
    stores: dict[str, CappedDict[str, Stored]] = field(default_factory=dict)

    def of(self, kind: Kind) -> CappedDict[str, Stored]:
        if kind.path not in self.stores:
            store: CappedDict[str, Stored] = CappedDict(kind.handler, self.dropped, CONFIGURED)
            for stored in BUILTINS.get(kind.path, ()):
                # each server's own copy: an edit of main on one never shows on the next
                store[stored.name] = copy.deepcopy(stored)
            self.stores[kind.path] = store
        return self.stores[kind.path]


def rest_state(request: Request) -> RestState:
    state: RestState = mock_state(request).vendor.rest
    return state


def _acl(stored: Stored) -> dict[str, Any]:
    return {
        "app": stored.app,
        "can_list": True,
        "can_write": True,
        "modifiable": not stored.builtin,
        "owner": stored.owner,
        "perms": {"read": ["*"], "write": ["admin", "power"]},
        "removable": not stored.builtin,
        "sharing": stored.sharing,
    }


def entry(request: Request, kind: Kind, stored: Stored) -> dict[str, Any]:
    path = f"/servicesNS/{stored.owner}/{stored.app}/{kind.path}/{quote(stored.name, safe='')}"
    links = {"alternate": path, "list": path, **{rel: f"{path}/{rel}" for rel in kind.links}}
    links.update(edit=path, remove=path)
    when = atom.stamp(clock_of(request).now())
    return {
        "title": stored.name,
        "path": path,
        "updated": when,
        "published": when,
        "links": links,
        "author": stored.owner,
        "content": {**kind.live(request, stored), "eai:acl": _acl(stored)},
    }


def answer(
    request: Request, kind: Kind, found: Iterable[Stored], params: dict[str, str], status: int = 200
) -> Response:
    """A feed of `found` (paged by count / offset), Atom XML or output_mode=json."""
    entries = [entry(request, kind, s) for s in found]
    shown, paging = atom.page(entries, params)
    version = (search_state(request).version, BUILD)
    xml, as_json = atom.feed(
        kind.handler, f"/services/{kind.path}", base_url(request), shown, version, paging
    )
    as_json_mode = params.get("output_mode", "").lower() == "json"
    return atom.reply(as_json if as_json_mode else xml, status, as_json_mode)


def _problem(text: str, status: int, params: dict[str, str]) -> Response:
    return atom.messages("ERROR", text, status, params.get("output_mode", "").lower() == "json")


def missing(kind: Kind, name: str, params: dict[str, str]) -> Response:
    return _problem(f"In handler '{kind.handler}': Could not find object id={name}", 404, params)


def settings(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in CONTROL}


def _shown(content: dict[str, Any]) -> dict[str, Any]:
    """The settings an object keeps: list arguments as lists, no secret."""
    return {k: v for k, v in listed_values(content).items() if k not in SECRETS}


def listed_values(content: dict[str, Any]) -> dict[str, Any]:
    """A list argument (roles, capabilities, indexes …) kept as the list splunkd shows, however it
    was posted: repeated keys (splunklib's way for a Python list, joined by params_of) or one
    comma-separated value."""
    return {
        k: [i.strip() for i in v.split(",") if i.strip()]
        if k in LIST_ARGUMENTS and isinstance(v, str)
        else v
        for k, v in content.items()
    }


def _weight(content: dict[str, Any]) -> int:
    return sum(len(str(k)) + len(str(v)) for k, v in content.items())


def _too_large(name: str, content: dict[str, Any]) -> str | None:
    if (weight := _weight(content)) > ENTRY_BUDGET:
        return f"The settings of {name} are too large ({weight} > {ENTRY_BUDGET})"
    return None


def keep(request: Request, kind: Kind, stored: Stored) -> str | None:
    """Store an object weighed by its settings; the problem if it is past ENTRY_BUDGET."""
    if problem := _too_large(stored.name, stored.content):
        return problem
    rest_state(request).of(kind).put(stored.name, stored, _weight(stored.content))
    return None


def namespace(request: Request, user: str) -> tuple[str, str]:
    """The (owner, app) a request's path names; a wildcard or /services is the caller's."""
    owner, app = request.path_params.get("owner", "-"), request.path_params.get("app", "-")
    return (user if owner == "-" else owner), ("search" if app == "-" else app)


def visible(request: Request, stored: Stored) -> bool:
    """Whether an object shows in the path's namespace: /services and wildcards see all, and
    the system app's objects show in every app."""
    owner, app = request.path_params.get("owner", "-"), request.path_params.get("app", "-")
    if stored.sharing in ("global", "system") or stored.app == "system":
        return True
    app_ok = app == "-" or stored.app == app
    return app_ok and (owner == "-" or stored.sharing != "user" or stored.owner == owner)


def listed(request: Request, kind: Kind) -> list[Stored]:
    found = [s for s in rest_state(request).of(kind).values() if visible(request, s)]
    known = {s.name for s in found}
    found += [s for s in kind.extra(request) if s.name not in known]
    return sorted(found, key=lambda s: s.name.lower())


def lookup(request: Request, kind: Kind, name: str) -> Stored | None:
    name = kind.normalize(name)
    stored = rest_state(request).of(kind).get(name)
    if stored is None:
        return next((s for s in kind.extra(request) if s.name == name), None)
    return stored if visible(request, stored) else None


def entity_name(request: Request, action: bool = False) -> str:
    """The object's name as splunkd reads its path segment: splunklib quotes it with `+` for a
    space (UrlEncoded), so the raw segment is decoded as a form value."""
    if "/" in (whole := str(request.path_params.get("name", "")).rstrip("/")):
        return whole  # a {name:path} route: a name such as http://opwire
    raw = request.scope.get("raw_path") or request.url.path.encode()
    segments = raw.decode("latin-1").rstrip("/").split("/")
    return unquote_plus(segments[-2 if action else -1], encoding="utf-8", errors="replace")


def collection(kind: Kind) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        if isinstance(checked := await checked_caller(request), Response):
            return checked
        user, params = checked
        if request.method == "GET":
            found = listed(request, kind)
            return answer(request, kind, _filtered(kind, found, params), params)
        return _create(request, kind, user, params)

    return handle


def _filtered(kind: Kind, found: list[Stored], params: dict[str, str]) -> list[Stored]:
    """`search` keeps names holding the term; indexes list one datatype (event unless `all`)."""
    if term := params.get("search", "").strip("*").lower():
        found = [s for s in found if term in s.name.lower()]
    datatype = params.get("datatype", "event")
    if kind.path == "data/indexes" and datatype != "all":
        found = [s for s in found if s.content.get("datatype", "event") == datatype]
    return found


def _create(request: Request, kind: Kind, user: str, params: dict[str, str]) -> Response:
    name = params.get("name", "")
    if not name:
        return _problem(f"In handler '{kind.handler}': Missing argument: name", 400, params)
    if lookup(request, kind, name) is not None:
        text = f"In handler '{kind.handler}': An object with name={name} already exists"
        return _problem(text, 409, params)
    made = kind.make(name, settings(params), *namespace(request, user))
    if isinstance(made, str):
        return _problem(f"In handler '{kind.handler}': {made}", 400, params)
    made.content = _shown(made.content)
    if problem := keep(request, kind, made):
        return _problem(f"In handler '{kind.handler}': {problem}", 400, params)
    kind.after(request, made.name, params)
    return answer(request, kind, [made], params, 201)


def item(kind: Kind) -> Callable[[Request], Any]:
    async def handle(request: Request) -> Response:
        if isinstance(checked := await checked_caller(request), Response):
            return checked
        _, params = checked
        name = entity_name(request)
        stored = lookup(request, kind, name)
        if stored is None:
            return missing(kind, name, params)
        if request.method == "DELETE":
            return _delete(request, kind, stored, params)
        if request.method == "POST" and (problem := _edit(request, kind, stored, params)):
            return _problem(f"In handler '{kind.handler}': {problem}", 400, params)
        return answer(request, kind, [stored], params)

    return handle


def _edit(request: Request, kind: Kind, stored: Stored, params: dict[str, str]) -> str | None:
    """POST to an object: its settings changed, checked and weighed before any applies."""
    changes = _shown(settings(params))
    # weighed first: the check may act (a replaced token stops working), so nothing may fail after
    if problem := _too_large(stored.name, {**stored.content, **changes}):
        return problem
    if problem := kind.check(request, stored, changes):
        return problem
    stored.content = {**stored.content, **changes}
    keep(request, kind, stored)  # the check keeps the weight: a token's value is lowercased
    kind.after(request, stored.name, params)
    return None


def _delete(request: Request, kind: Kind, stored: Stored, params: dict[str, str]) -> Response:
    if stored.builtin:
        return _problem(f"In handler '{kind.handler}': Cannot remove {stored.name}", 400, params)
    rest_state(request).of(kind).pop(stored.name, stored)
    kind.removed(request, stored)
    return answer(request, kind, listed(request, kind), params)


def toggle(kind: Kind, disabled: bool) -> Callable[[Request], Any]:
    """POST …/{name}/enable or /disable."""

    async def handle(request: Request) -> Response:
        if isinstance(checked := await checked_caller(request), Response):
            return checked
        _, params = checked
        name = entity_name(request, action=True)
        stored = lookup(request, kind, name)
        if stored is None:
            return missing(kind, name, params)
        stored.content["disabled"] = disabled
        keep(request, kind, stored)
        kind.after(request, stored.name, {})
        return answer(request, kind, [stored], params)

    return handle
