"""The Splunk mock's search jobs: create (normal, blocking, oneshot), list, a job's entry, its
results, results_preview and events, its control actions (cancel, pause, finalize, touch, setttl,
setpriority, save, enablepreview …) and DELETE.

Pages followed: help.splunk.com "REST API Reference: Search endpoints" (search/jobs,
search/jobs/{search_id}, .../control, .../events, .../results; search/v2/jobs, which splunklib
uses on Splunk 9.0.2 and later); splunklib client.py `Job` (cancel posts action=cancel to
control and treats a 404 as already cancelled; is_ready reads dispatchState). The cancel answer
and the 404 after it are as a recorded splunkd answered them (splunk-sdk-csharp-pcl
Recordings, CanCrudJob): `<msg type="INFO">Search job cancelled.</msg>`, then "Unknown sid.".
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.splunk import mock_atom as atom
from opwire.integrations.splunk.mock_search import (
    BUILD,
    Job,
    base_url,
    checked_caller,
    json_mode,
    results_answer,
    run_search,
    search_state,
)
from opwire.mock.state import clock_of

# Control actions and the INFO text each answers ("Search job cancelled." recorded; the others
# follow its pattern: mock_search.UNCONFIRMED).
ACTIONS = {
    "cancel": "Search job cancelled.",
    "pause": "Search job paused.",
    "unpause": "Search job unpaused.",
    "finalize": "Search job finalized.",
    "touch": "Search job touched.",
    "setttl": "Search job ttl set.",
    "setpriority": "Search job priority set.",
    "enablepreview": "Search job preview enabled.",
    "disablepreview": "Search job preview disabled.",
    "save": "Search job saved.",
    "unsave": "Search job unsaved.",
}
# A ttl or priority: ASCII digits, few enough for a sane number (splunkd's 400 otherwise).
WHOLE = re.compile(r"[0-9]{1,9}")
SAVED_TTL = 604800  # a saved job's ttl: 7 days (limits.conf default_save_ttl)


def new_job(request: Request, user: str, params: dict[str, str], label: str = "") -> Job | Response:
    """Run the search in `params` as a job held under a new sid, or splunkd's 400."""
    if isinstance(done := run_search(request, params), Response):
        return done
    search, rows, scanned = done
    state, now = search_state(request), clock_of(request).now()
    state.next_sid += 1
    sid = f"{int(now)}.{state.next_sid}"
    if label:
        sid = f"{user}__{user}__search__{_safe(label)}_at_{int(now)}_{state.next_sid}"
    job = Job(sid, params["search"], user, now, search, rows, scanned, label=label)
    state.jobs[sid] = job
    return job


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)[:40] or "search"


def sid_answer(job: Job, params: dict[str, str]) -> Response:
    """201 `<response><sid>…</sid></response>` (or {"sid": …}), as a new job answers."""
    answer = atom.response({"sid": job.sid}, 201, json_mode(params))
    answer.headers["Location"] = f"/services/search/jobs/{job.sid}"
    return answer


async def jobs_create(request: Request) -> Response:
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    user, params = checked
    mode = params.get("exec_mode", "normal").lower()
    if mode not in ("normal", "blocking", "oneshot"):
        text = f"Invalid exec_mode '{params['exec_mode']}': normal, blocking or oneshot"
        return atom.messages("ERROR", text, 400, json_mode(params))
    if mode == "oneshot":
        if isinstance(done := run_search(request, params), Response):
            return done
        return results_answer(done[1], params)
    if isinstance(job := new_job(request, user, params), Response):
        return job
    return sid_answer(job, params)


def _content(job: Job) -> dict[str, Any]:
    return {
        "sid": job.sid,
        "dispatchState": "DONE",
        "doneProgress": 1,
        "isDone": True,
        "isFailed": False,
        "isFinalized": job.finalized,
        "isPaused": job.paused,
        "isPreviewEnabled": job.preview,
        "isSaved": job.saved,
        "isSavedSearch": bool(job.label),
        "isZombie": False,
        "eventCount": job.events,
        "eventAvailableCount": job.events if not job.search.transforming else 0,
        "resultCount": len(job.rows),
        "reportSearch": job.text.partition("|")[2].strip() if job.search.transforming else "",
        "eventSearch": job.text.partition("|")[0].strip(),
        "earliestTime": atom.stamp(max(job.search.earliest, 0)),
        "latestTime": atom.stamp(min(job.search.latest, job.created)),
        "searchEarliestTime": max(job.search.earliest, 0),
        "searchLatestTime": min(job.search.latest, job.created),
        "cursorTime": atom.stamp(max(job.search.earliest, 0)),
        "defaultSaveTTL": str(SAVED_TTL),
        "defaultTTL": "600",
        "delegate": "",
        "diskUsage": 0,
        "dropCount": 0,
        "isRealTimeSearch": False,
        "isRemoteTimeline": False,
        "keywords": job.text.partition("|")[0].removeprefix("search").strip(),
        "numPreviews": 0,
        "provenance": "",
        "resultPreviewCount": len(job.rows),
        "runDuration": 0.001,
        "scanCount": job.events,
        "statusBuckets": 0,
        "priority": job.priority,
        "ttl": job.ttl,
        "label": job.label,
        "messages": {},
        "request": {"search": job.text},
        "eai:acl": {
            "perms": {"read": [job.owner], "write": [job.owner]},
            "owner": job.owner,
            "modifiable": True,
            "sharing": "global",
            "app": "search",
            "can_write": True,
            "ttl": str(job.ttl),
        },
    }


def job_entry(job: Job, prefix: str) -> dict[str, Any]:
    path = f"{prefix}/{job.sid}"
    names = ("events", "results", "results_preview", "control", "summary", "timeline")
    links = {"alternate": path, **{k: f"{path}/{k}" for k in names}}
    stamp = atom.stamp(job.created)
    return {
        "title": job.text,
        "path": path,
        "updated": stamp,
        "published": stamp,
        "links": links,
        "author": job.owner,
        "content": _content(job),
    }


def _job(request: Request, params: dict[str, str]) -> Job | Response:
    job = search_state(request).jobs.get(request.path_params.get("sid", ""))
    if job is None:
        return atom.messages("FATAL", "Unknown sid.", 404, json_mode(params))
    return job


async def _found(request: Request) -> tuple[Job, dict[str, str]] | Response:
    """The job the path names and the parameters, or the 401 / 400 / 404 splunkd answers."""
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    _, params = checked
    if isinstance(job := _job(request, params), Response):
        return job
    return job, params


def _jobs_prefix(request: Request) -> str:
    return "/services/search/v2/jobs" if "/v2/" in request.url.path else "/services/search/jobs"


async def job_status(request: Request) -> Response:
    if isinstance(found := await _found(request), Response):
        return found
    job, params = found
    entry = job_entry(job, _jobs_prefix(request))
    if json_mode(params):
        version = (search_state(request).version, BUILD)
        _, as_json = atom.feed("jobs", _jobs_prefix(request), base_url(request), [entry], version)
        return atom.reply(as_json, json_mode=True)
    return atom.reply(atom.HEAD + atom.entry_xml(entry, base_url(request), root=True))


async def jobs_list(request: Request) -> Response:
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    _, params = checked
    prefix, state = _jobs_prefix(request), search_state(request)
    entries = [job_entry(job, prefix) for job in reversed(state.jobs.values())]
    shown, paging = atom.page(entries, params)
    version = (state.version, BUILD)
    xml, as_json = atom.feed("jobs", prefix, base_url(request), shown, version, paging)
    return atom.reply(as_json if json_mode(params) else xml, json_mode=json_mode(params))


async def job_results(request: Request) -> Response:
    if isinstance(found := await _found(request), Response):
        return found
    job, params = found
    return results_answer(job.rows, params)


async def job_events(request: Request) -> Response:
    """A job's events: a transforming search keeps none (status_buckets=0, the default)."""
    if isinstance(found := await _found(request), Response):
        return found
    job, params = found
    return results_answer([] if job.search.transforming else job.rows, params)


async def job_control(request: Request) -> Response:
    if isinstance(found := await _found(request), Response):
        return found
    job, params = found
    action = params.get("action", "").lower()
    if action not in ACTIONS:
        text = f"Unknown action '{params.get('action', '')}'; expected one of {', '.join(ACTIONS)}"
        return atom.messages("ERROR", text, 400, json_mode(params))
    if problem := _apply(request, job, action, params):
        return atom.messages("ERROR", problem, 400, json_mode(params))
    return atom.messages("INFO", ACTIONS[action], 200, json_mode(params))


def _apply(request: Request, job: Job, action: str, params: dict[str, str]) -> str | None:
    """Carry out a control action; the problem with its arguments, or None."""
    if action == "cancel":
        search_state(request).jobs.pop(job.sid)
    elif action in ("pause", "unpause"):
        job.paused = action == "pause"
    elif action == "finalize":
        job.finalized = True
    elif action in ("save", "unsave"):
        job.saved = action == "save"
        job.ttl = SAVED_TTL if job.saved else 600
    elif action in ("enablepreview", "disablepreview"):
        job.preview = action == "enablepreview"
    elif action in ("setttl", "setpriority"):
        key = "ttl" if action == "setttl" else "priority"
        value = params.get(key, "")
        if not WHOLE.fullmatch(value):  # not isdigit(): "²" is a digit int() refuses
            return f"Argument '{key}' must be a whole number"
        setattr(job, key, int(value))
    return None


async def job_delete(request: Request) -> Response:
    """DELETE a job: cancelled and gone, as action=cancel."""
    if isinstance(found := await _found(request), Response):
        return found
    job, params = found
    search_state(request).jobs.pop(job.sid)
    return atom.messages("INFO", ACTIONS["cancel"], 200, json_mode(params))
