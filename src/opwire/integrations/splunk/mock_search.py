"""The Splunk mock's management REST API (port 8089 on a real Splunk, the HEC port here):
auth/login, server/info, search jobs (normal, blocking, oneshot), a job, its results, export.

Pages followed: help.splunk.com "REST API Reference: Search endpoints" (search/jobs,
search/jobs/{search_id}, .../results, search/jobs/export; search/v2/jobs, which splunklib uses
on Splunk 9.0.2 and later), "Access endpoint descriptions" (auth/login), "Introspection
endpoints" (server/info), "Use authentication tokens" (Bearer / Splunk tokens), "Troubleshoot
token authentication" ("call not properly authenticated"); splunklib binding.py (login with
cookie=1, then `Authorization: Splunk <key>` or the splunkd_<port> cookie) and client.py.
Facts no page settled are in UNCONFIRMED below.
"""

from __future__ import annotations

import base64
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.splunk import mock_atom as atom
from opwire.integrations.splunk import mock_formats as formats
from opwire.integrations.splunk.mock_rows import SERVER_NAME, row_of
from opwire.integrations.splunk.search import Row, Search, SearchError, parse, run
from opwire.mock.limits import CONFIGURED, CappedDict
from opwire.mock.state import clock_of, mock_state

VERSION, BUILD = "9.3.2", "d8bb32809498"  # a current Splunk Enterprise release and its build
SESSION_TTL_S = 3600
RESULTS_COUNT = 100  # the results endpoints' default `count`; 0 means all
JOBS = 1_000
# Arguments that hold a list (repeated keys or comma-separated); an HEC token's `indexes` too.
LIST_ARGUMENTS = frozenset(
    (
        "roles",
        "capabilities",
        "imported_roles",
        "srchIndexesAllowed",
        "srchIndexesDefault",
        "indexes",
    )
)
# splunkd answers no page settled; each is the most likely reading, kept here in one place.
UNCONFIRMED = {
    "no credential": "401 ERROR 'Unauthorized' + WWW-Authenticate (2014 recording, 9.2.1 note)",
    "bad credential": "401 WARN 'call not properly authenticated' (token troubleshooting page)",
    "login failed": "401 WARN 'Login failed', code incorrect_username_or_password",
    "unknown sid": "404 FATAL 'Unknown sid.'",
    "unknown path": "404 ERROR 'Not Found'; a method the path lacks 405 'Method Not Allowed'",
    "login json": "output_mode=json answers {sessionKey, message: '', code: ''}",
    "cookie": "login with cookie=1 sets splunkd_<port> to the session key",
    "token user": "an auth token acts as the user `admin`",
    # the collections (mock_entities.py, mock_saved.py, mock_access.py)
    "duplicate": "409 ERROR \"In handler 'H': An object with name=N already exists\"",
    "index name": "400 unless lowercase letters, digits, _ and -, not starting with _ or -",
    "hec index": "an index HEC or receivers/simple wrote to is listed as if created",
    "builtin delete": "deleting a built-in index or app is 400",
    "index clean": "roll-hot-buckets with a 1 MB cap or 1 s retention removes the events",
    "saved sid": "a dispatched saved search's sid is {user}__{user}__search__{name}_at_{t}_{n}",
    "entry budget": "an edit taking an object's settings past 64 KiB is a 400 (no page's bound)",
    "deleted token": "a deleted or replaced HEC token is code 4 (health: 21), not any-GUID",
    "control texts": "'Search job cancelled.' is recorded; the other actions' INFO follow it",
    # receivers/simple (mock_receivers.py)
    "receivers lines": "one event per non-blank line of the body (no line merging)",
    "output modes": "json_rows/json_cols `fields` are names; csv joins a multivalue by lines",
    "receivers json": "output_mode=json: one flat object {index, bytes, host, source, sourcetype}",
}


@dataclass(slots=True)
class Job:
    sid: str
    text: str
    owner: str
    created: float
    search: Search
    rows: list[Row]
    events: int
    label: str = ""
    ttl: int = 600
    priority: int = 5
    paused: bool = False
    finalized: bool = False
    saved: bool = False
    preview: bool = False


@dataclass(slots=True)
class SearchState:
    """Who may call the search API and the jobs it ran. `tokens` None accepts any auth token,
    `users` None any user name and password (as HEC accepts any GUID); a session key is only
    one this mock issued."""

    dropped: Counter[str]
    version: str = VERSION
    tokens: list[str] | None = None
    users: dict[str, str] | None = None
    sessions: CappedDict[str, str] = field(init=False)
    jobs: CappedDict[str, Job] = field(init=False)
    next_sid: int = 0

    def __post_init__(self) -> None:
        self.sessions = CappedDict("sessions", self.dropped, CONFIGURED)
        self.jobs = CappedDict("jobs", self.dropped, JOBS)

    def token_user(self, value: str) -> str | None:
        return "admin" if value and (self.tokens is None or value in self.tokens) else None

    def password_ok(self, user: str, password: str) -> bool:
        if not user or not password:
            return False
        return self.users is None or self.users.get(user) == password


def search_state(request: Request) -> SearchState:
    state: SearchState = mock_state(request).vendor.search
    return state


async def params_of(request: Request) -> dict[str, str]:
    """Query and form body together, as splunkd reads them (the body wins); a list argument
    sent as repeated keys (roles=user&roles=power) is kept comma-joined."""
    body = (await request.body()).decode("utf-8", "replace")
    params: dict[str, str] = {}
    for source in (list(request.query_params.multi_items()), parse_qsl(body, True)):
        given: dict[str, str] = {}
        for key, value in source:
            joined = key in LIST_ARGUMENTS and key in given
            given[key] = f"{given[key]},{value}" if joined else value
        params.update(given)
    return params


def json_mode(params: dict[str, str]) -> bool:
    return params.get("output_mode", "xml").lower() == "json"


def _session_cookie(request: Request) -> str | None:
    found = [v for k, v in request.cookies.items() if k.startswith("splunkd_")]
    return found[0] if found else None


def _user(request: Request, state: SearchState, header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    value, scheme = value.strip(), scheme.lower()
    if scheme == "splunk":
        return state.sessions.get(value) or state.token_user(value)
    if scheme == "bearer":
        return state.token_user(value)
    if scheme == "basic":
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if state.password_ok(user, password) else None
    return None


def _caller(request: Request, params: dict[str, str]) -> str | Response:
    """The calling user, or splunkd's 401."""
    state, header = search_state(request), request.headers.get("authorization")
    cookie = _session_cookie(request)
    if header is None and cookie is None:
        realm = {"WWW-Authenticate": 'Basic realm="/splunk"'}
        return atom.messages("ERROR", "Unauthorized", 401, json_mode(params), **realm)
    user = _user(request, state, header) if header else state.sessions.get(cookie or "")
    if user is None:
        text = "call not properly authenticated"
        return atom.messages("WARN", text, 401, json_mode(params))
    return user


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def login(request: Request) -> Response:
    state, params = search_state(request), await params_of(request)
    user, password = params.get("username", ""), params.get("password", "")
    as_json = json_mode(params)
    if not state.password_ok(user, password):
        code = "incorrect_username_or_password"
        return atom.messages("WARN", "Login failed", 401, as_json, code)
    key = secrets.token_urlsafe(32)
    state.sessions[key] = user
    # In JSON splunkd adds an empty message and code beside the key (UNCONFIRMED).
    shown = {"sessionKey": key, "message": "", "code": ""} if as_json else {"sessionKey": key}
    answer = atom.response(shown, 200, as_json)
    if params.get("cookie") == "1":
        secure = request.url.scheme == "https"
        port = request.url.port or 8089
        answer.set_cookie(f"splunkd_{port}", key, SESSION_TTL_S, httponly=True, secure=secure)
    return answer


def _server_content(state: SearchState, started: float) -> dict[str, Any]:
    return {
        "activeLicenseGroup": "Enterprise",
        "build": BUILD,
        "cpu_arch": "x86_64",
        "guid": "0F5D1A7C-0000-4000-8000-0000000005F1",
        "isFree": False,
        "isTrial": False,
        "licenseState": "OK",
        "mode": "normal",
        "os_name": "Linux",
        "product_type": "enterprise",
        "serverName": SERVER_NAME,
        "server_roles": ["indexer", "search_head"],
        "startup_time": int(started),
        "version": state.version,
    }


async def server_info(request: Request) -> Response:
    params = await params_of(request)
    if isinstance(user := _caller(request, params), Response):
        return user
    state, now = search_state(request), clock_of(request).now()
    path = "/services/server/info/server-info"
    entry = {
        "title": "server-info",
        "path": path,
        "updated": atom.stamp(now),
        "published": atom.stamp(now),
        "links": {"alternate": path, "list": path},
        "author": "system",
        "content": _server_content(state, now),
    }
    xml, as_json = atom.feed(
        "server-info", "/services/server/info", base_url(request), [entry], (state.version, BUILD)
    )
    return atom.reply(as_json if json_mode(params) else xml, json_mode=json_mode(params))


def _events(request: Request, search: Search) -> list[tuple[float, Row]]:
    """The indexed events in the search's window, as (time, result row)."""
    vendor, now = mock_state(request).vendor, clock_of(request).now()
    return [
        (e["time"], row_of(e))
        for e in vendor.events
        if e["ready"] <= now and search.in_window(e["time"])
    ]


Ran = tuple[Search, list[Row], int]


def run_search(request: Request, params: dict[str, str]) -> Ran | Response:
    """The search in `params`, run: (search, rows, events matched), or splunkd's 400."""
    now = clock_of(request).now()
    try:
        search = parse(
            params.get("search", ""), now, params.get("earliest_time"), params.get("latest_time")
        )
    except SearchError as exc:
        return atom.messages("FATAL", str(exc), 400, json_mode(params))
    except (ValueError, OverflowError):  # a number past int()'s 4300 digits (`head`, `-9…9d`)
        text = "Error in 'search' command: Unable to parse the search: a number is too large"
        return atom.messages("FATAL", text, 400, json_mode(params))
    rows, matched = run(search, _events(request, search))
    return search, rows, matched


def _format_problem(params: dict[str, str]) -> Response | None:
    mode = params.get("output_mode", "xml").lower()
    if mode not in atom.OUTPUT_MODES:
        modes = ", ".join(atom.OUTPUT_MODES)
        text = f"Invalid value '{params['output_mode']}' for output_mode: one of {modes}"
        return atom.messages("ERROR", text, 400, False)
    return None


def _page(params: dict[str, str]) -> tuple[int, int] | None:
    try:
        count = int(params.get("count", RESULTS_COUNT))
        offset = int(params.get("offset", 0))
    except ValueError:
        return None
    return (count, offset) if count >= 0 and offset >= 0 else None


def results_answer(rows: list[Row], params: dict[str, str]) -> Response:
    page = _page(params)
    if page is None:
        return atom.messages("ERROR", "count and offset are whole numbers", 400, json_mode(params))
    count, offset = page
    shown = rows[offset : offset + count] if count else rows[offset:]
    if (mode := params.get("output_mode", "").lower()) in formats.MODES:
        return formats.results_in(mode, shown, offset)
    if json_mode(params):
        return atom.reply(atom.results_json(shown, offset), json_mode=True)
    return atom.reply(atom.results_xml(shown, offset))


async def checked_caller(request: Request) -> tuple[str, dict[str, str]] | Response:
    """The caller and the parameters, or the 401 / 400 splunkd answers first."""
    params = await params_of(request)
    if isinstance(user := _caller(request, params), Response):
        return user
    if problem := _format_problem(params):
        return problem
    return user, params


async def export(request: Request) -> Response:
    """search/jobs/export: the results streamed, JSON lines for output_mode=json, else XML."""
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    _, params = checked
    if isinstance(done := run_search(request, params), Response):
        return done
    rows = done[1]
    if (mode := params.get("output_mode", "").lower()) in formats.MODES:
        return formats.results_in(mode, rows)
    if json_mode(params):
        return atom.reply(atom.export_json(rows), json_mode=True)
    return atom.reply(atom.results_xml(rows))


def credential_of_login(path: str, body: bytes, query: str = "") -> str | None:
    """The password auth/login carries, exactly as it is logged (form-encoded), read from the
    body, else the query: that request's credential. A user's new password (authentication/
    users) is not the request's credential (its session key is); the log masks every
    `password=` field anyway (SECRET_PARAM in opwire.mock.app)."""
    if not path.rstrip("/").endswith("/auth/login"):
        return None
    for text in (body.decode("latin-1"), query):
        for part in text.split("&"):
            key, _, value = part.partition("=")
            if key == "password" and value:
                return value
    return None
