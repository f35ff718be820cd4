"""The Splunk mock's saved searches: saved/searches list, get, create, edit, enable/disable,
delete, dispatch (a job that runs the saved search) and history (the jobs it dispatched).

Pages followed: help.splunk.com "REST API Reference: Search endpoints" (saved/searches,
saved/searches/{name}, …/dispatch with dispatch.* overrides answering 201 <response><sid>,
…/history); splunklib client.py (`SavedSearches.create(name, search, **kwargs)`,
`SavedSearch.dispatch` reading the sid, `history` reading each entry's title as a sid). Entry
fields as a recorded splunkd listed them (splunk-sdk-csharp-pcl Recordings,
CanGetSavedSearches); the search app's two built-in reports "Errors in the last 24 hours" and
"Errors in the last hour".
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.splunk import mock_atom as atom
from opwire.integrations.splunk import mock_entities as rest
from opwire.integrations.splunk.mock_jobs import job_entry, new_job, sid_answer
from opwire.integrations.splunk.mock_search import (
    BUILD,
    base_url,
    checked_caller,
    json_mode,
    search_state,
)

ERRORS = "error OR failed OR severe OR ( sourcetype=access_* ( 404 OR 500 OR 503 ) )"


def _saved(name: str, given: dict[str, str], owner: str, app: str) -> rest.Stored:
    content: dict[str, Any] = {
        "action.email": False,
        "actions": "",
        "alert_type": "always",
        "cron_schedule": "",
        "description": "",
        "disabled": False,
        "dispatch.earliest_time": "",
        "dispatch.latest_time": "",
        "is_scheduled": False,
        "is_visible": True,
        "next_scheduled_time": "",
        "search": "",
        **given,
    }
    sharing = "app" if owner == "nobody" else "user"
    return rest.Stored(name, content, owner=owner, app=app, sharing=sharing)


def _make(name: str, given: dict[str, str], owner: str, app: str) -> rest.Stored | str:
    if not given.get("search", "").strip():
        return 'Argument "search" is required'
    return _saved(name, given, owner, app)


def qualified(search: str) -> str:
    """A saved search's text as a job runs it: `search` prefixed unless it starts with a pipe."""
    text = search.strip()
    return text if text.startswith("|") or text.startswith("search ") else f"search {text}"


def _live(_request: Request, stored: rest.Stored) -> dict[str, Any]:
    return {**stored.content, "qualifiedSearch": qualified(str(stored.content["search"]))}


SAVED = rest.Kind(
    "saved/searches",
    "savedsearch",
    ("_reload", "acknowledge", "disable", "dispatch", "history", "move", "scheduled_times"),
    _make,
    live=_live,
)
rest.BUILTINS[SAVED.path] = tuple(
    rest.Stored(
        name,
        _saved(
            name, {"search": ERRORS, "dispatch.earliest_time": earliest}, "nobody", "search"
        ).content,
        owner="nobody",
        app="search",
        sharing="app",
        builtin=True,
    )
    for name, earliest in (
        ("Errors in the last 24 hours", "-1d"),
        ("Errors in the last hour", "-1h"),
    )
)


async def dispatch(request: Request) -> Response:
    """POST …/{name}/dispatch: a job of the saved search, `dispatch.*` overriding its own."""
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    user, params = checked
    name = rest.entity_name(request, action=True)
    if (stored := rest.lookup(request, SAVED, name)) is None:
        return rest.missing(SAVED, name, params)
    given = {**stored.content, **{k: v for k, v in params.items() if k.startswith("dispatch.")}}
    job_params = {
        "search": qualified(str(given["search"])),
        "earliest_time": str(given.get("dispatch.earliest_time", "")),
        "latest_time": str(given.get("dispatch.latest_time", "")),
    }
    if isinstance(job := new_job(request, user, job_params, label=stored.name), Response):
        return job
    return sid_answer(job, params)


async def history(request: Request) -> Response:
    """GET …/{name}/history: the jobs dispatched from it, each entry titled by its sid."""
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    _, params = checked
    name = rest.entity_name(request, action=True)
    if (stored := rest.lookup(request, SAVED, name)) is None:
        return rest.missing(SAVED, name, params)
    state, prefix = search_state(request), "/services/search/jobs"
    jobs = [j for j in reversed(state.jobs.values()) if j.label == stored.name]
    entries = [{**job_entry(j, prefix), "title": j.sid} for j in jobs]
    path = f"/services/{SAVED.path}/{stored.name}/history"
    version = (state.version, BUILD)
    xml, as_json = atom.feed("history", path, base_url(request), entries, version)
    return atom.reply(as_json if json_mode(params) else xml, json_mode=json_mode(params))
