"""Cron monitors, for the Sentry mock: `check_in` envelope items as Relay and Sentry's monitor
consumer take them, and the web API that reads monitors and their check-ins back.

Followed: develop.sentry.dev/sdk/telemetry/check-ins/ (the item: `check_in_id`, `monitor_slug`,
`status` in_progress/ok/error, `duration` in seconds, `environment`, `monitor_config` with
`schedule` {type crontab|interval, value, unit}, `checkin_margin`, `max_runtime`, `timezone`,
`failure_issue_threshold`, `recovery_threshold`), docs.sentry.io/product/crons/getting-started/
(a check-in with a monitor config creates or updates its monitor; the same `check_in_id`
updates that check-in), getsentry/sentry monitors/consumers/monitor_consumer.py (a check-in for
a monitor that does not exist and carries no config is dropped; durations are kept in ms),
Relay relay-monitors (a check-in whose `environment` is not a valid environment name, Relay's
`is_valid_environment`: at most 64 characters, no CR, LF, form feed or `/`, not `.` or `..`,
is dropped; one that is not a string fails to parse and is dropped too),
docs.sentry.io/api/crons/ and shared/specs/sentry/openapi-derefed.json (the monitor and check-in
shapes). Where Sentry and the spec disagree, Sentry's serializers win: `environments` is a
list and `owner` is null when nobody owns the monitor.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.sentry.mock_events import iso
from opwire.integrations.sentry.mock_state import (
    Project,
    SentryState,
    api_auth,
    limit,
    not_there,
    paged,
    state_of,
)
from opwire.mock.app import json_body
from opwire.mock.state import clock_of, strict_json

STATUSES = ("in_progress", "ok", "error")
SLUG_LENGTH = 50  # sentry/constants.py MAX_SLUG_LENGTH
CRONTAB_LENGTH = 100  # far past any crontab; UNCONFIRMED what Sentry allows
CHECKINS_PER_MONITOR = 100
ENVIRONMENT_LENGTH = 64  # relay-monitors ENVIRONMENT_LENGTH, in characters
# The newest environments a monitor keeps (UNCONFIRMED: Sentry sets no documented cap; the
# mock's bound, as check-ins are capped per monitor); a new one past it evicts the oldest.
ENVIRONMENTS_PER_MONITOR = 100
INTERVAL_SECONDS = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "month": 2_592_000,  # 30 days, UNCONFIRMED how Sentry counts a month here
    "year": 31_536_000,
}
CONFIG_KEYS = ("checkin_margin", "max_runtime", "failure_issue_threshold", "recovery_threshold")


def _api_config(raw: Any) -> dict[str, Any] | None:
    """The SDK's monitor_config as the web API shows it (`schedule_type`, `schedule`)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("schedule"), dict):
        return None
    schedule = raw["schedule"]
    kind = schedule.get("type")
    value = schedule.get("value")
    if kind == "crontab" and isinstance(value, str) and len(value) <= CRONTAB_LENGTH:
        shown: Any = value
    elif (
        kind == "interval"
        and isinstance(value, int)
        and str(schedule.get("unit")) in INTERVAL_SECONDS
    ):
        shown = [value, schedule["unit"]]
    else:
        return None
    config = {k: raw.get(k) if isinstance(raw.get(k), int) else None for k in CONFIG_KEYS}
    timezone = raw.get("timezone")
    timezone = timezone if isinstance(timezone, str) and len(timezone) <= 64 else "UTC"
    return {**config, "schedule_type": kind, "schedule": shown, "timezone": timezone}


def keep_checkin(project: Project, payload: bytes, now: float) -> None:
    """Take one check-in item; one Relay or the consumer would drop is dropped quietly."""
    try:
        checkin = strict_json(payload)
    except (ValueError, UnicodeDecodeError):
        return
    if not isinstance(checkin, dict) or checkin.get("status") not in STATUSES:
        return
    slug = checkin.get("monitor_slug")
    if isinstance(slug, str):
        slug = slug[:SLUG_LENGTH]  # the consumer keeps MAX_SLUG_LENGTH characters
    if not isinstance(slug, str) or not slug or not _environment_ok(checkin.get("environment")):
        return
    config = _api_config(checkin.get("monitor_config"))
    monitor = project.monitors.get(slug)
    if monitor is None and config is None:
        return
    if monitor is None:
        monitor = _new_monitor(project, slug, slug, config or {}, now, upserted=True)
        project.add_monitor(monitor)
    elif config is not None:
        monitor["config"] = config
    _record(monitor, checkin, now)


def _environment_ok(name: Any) -> bool:
    """No environment (the default), or a name Relay's `is_valid_environment` takes (an empty
    one counts as none, as the mock always took it)."""
    if name is None or name == "":
        return True
    return (
        isinstance(name, str)
        and len(name) <= ENVIRONMENT_LENGTH
        and not any(c in name for c in "\r\n\x0c/")
        and name not in (".", "..")
    )


def _new_monitor(
    project: Project, slug: str, name: str, config: dict[str, Any], now: float, upserted: bool
) -> dict[str, Any]:
    return {
        "_project": project,
        "_environments": {},
        "_checkins": [],
        "id": str(uuid.uuid4()),
        "slug": slug,
        "name": name,
        "status": "active",
        "isMuted": False,
        "isUpserting": upserted,
        "config": config,
        "dateCreated": iso(now),
        "owner": None,
        "alertRule": None,
    }


def _record(monitor: dict[str, Any], checkin: dict[str, Any], now: float) -> None:
    """A new check-in, or the update of the one with this `check_in_id`."""
    checkin_id = checkin.get("check_in_id")
    checkin_id = str(uuid.UUID(checkin_id)) if _is_uuid(checkin_id) else str(uuid.uuid4())
    environment = checkin.get("environment")
    environment = environment if isinstance(environment, str) and environment else "production"
    duration = checkin.get("duration")
    duration_ms = None
    if isinstance(duration, int | float) and math.isfinite(duration) and duration >= 0:
        duration_ms = round(duration * 1000)
    kept: list[dict[str, Any]] = monitor["_checkins"]
    found = next((c for c in kept if c["id"] == checkin_id), None)
    if found is None:
        found = _new_checkin(checkin_id, environment, monitor["config"], now)
        kept.append(found)
        del kept[:-CHECKINS_PER_MONITOR]
    found |= {"status": checkin["status"], "dateUpdated": iso(now)}
    if duration_ms is not None or checkin["status"] != "in_progress":
        found["duration"] = duration_ms
    if checkin["status"] == "in_progress":
        found["dateInProgress"] = found["dateInProgress"] or iso(now)
    _environment(monitor, environment, checkin["status"], now)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _new_checkin(
    checkin_id: str, environment: str, config: dict[str, Any], now: float
) -> dict[str, Any]:
    return {
        "id": checkin_id,
        "environment": environment,
        "status": "in_progress",
        "duration": None,
        "dateCreated": iso(now),
        "dateAdded": iso(now),
        "dateUpdated": iso(now),
        "dateInProgress": None,
        "dateClock": iso(now - now % 60),
        "expectedTime": iso(now - now % 60),
        "monitorConfig": config,
        "groups": [],
    }


def _environment(monitor: dict[str, Any], name: str, status: str, now: float) -> None:
    """The monitor's environment: ok or error after a finished check-in; its next expected
    check-in for an interval schedule (a crontab's is not computed: null, UNCONFIRMED)."""
    envs: dict[str, dict[str, Any]] = monitor["_environments"]
    env = envs.get(name)
    if env is None:
        env = envs[name] = {"name": name, "status": "active", "dateCreated": iso(now)}
        for old in list(envs)[:-ENVIRONMENTS_PER_MONITOR]:
            del envs[old]
    if status != "in_progress":
        env["status"] = status
    schedule = monitor["config"].get("schedule")
    step = None
    if monitor["config"].get("schedule_type") == "interval" and isinstance(schedule, list):
        step = schedule[0] * INTERVAL_SECONDS.get(schedule[1], 86400)
    margin = (monitor["config"].get("checkin_margin") or 1) * 60
    env |= {
        "isMuted": False,
        "lastCheckIn": iso(now),
        "nextCheckIn": iso(now + step) if step else None,
        "nextCheckInLatest": iso(now + step + margin) if step else None,
        "activeIncident": None,
    }


def _public(monitor: dict[str, Any]) -> dict[str, Any]:
    project: Project = monitor["_project"]
    return {
        **{k: v for k, v in monitor.items() if not k.startswith("_")},
        "project": {"id": str(project.id), "slug": project.slug, "name": project.slug},
        "environments": list(monitor["_environments"].values()),
    }


def _owned(request: Request, state: SentryState) -> list[dict[str, Any]] | None:
    """The monitors the path's org (and project, when it names one) holds; None: no such."""
    p = request.path_params
    if p["org"] not in state.orgs():
        return None
    if "project" in p:
        project = state.find_project(p["org"], p["project"])
        if project is None:
            return None
        return list(project.monitors.values())
    return [m for m in state.monitors() if m["_project"].org == p["org"]]


def _one(request: Request, state: SentryState) -> dict[str, Any] | None:
    wanted = request.path_params["monitor"]
    owned = _owned(request, state) or []
    return next((m for m in owned if wanted in (m["slug"], m["id"])), None)


async def monitors(request: Request) -> Response:
    """GET organizations/{org}/monitors/ lists them (`project=` narrows); POST creates one."""
    if denied := api_auth(request):
        return denied
    state = state_of(request)
    owned = _owned(request, state)
    if owned is None:
        return not_there()
    if request.method == "POST":
        return _create(request, state, json_body(await request.body()))
    wanted = set(request.query_params.getlist("project")) - {"-1"}
    shown = [
        _public(m)
        for m in owned
        if not wanted or wanted & {m["_project"].slug, str(m["_project"].id)}
    ]
    return paged(request, shown, limit(request))


def _create(request: Request, state: SentryState, body: Any) -> Response:
    """POST: `project`, `name`, `slug`?, `config` {schedule_type, schedule, …}; 201."""
    if not isinstance(body, dict):
        return JSONResponse({"nonFieldErrors": ["Invalid data. Expected a dictionary."]}, 400)
    missing = [k for k in ("project", "name", "config") if not body.get(k)]
    if missing:
        return JSONResponse({k: ["This field is required."] for k in missing}, 400)
    if len(str(body["name"])) > 128:
        return JSONResponse({"name": ["Ensure this field has no more than 128 characters."]}, 400)
    project = state.find_project(request.path_params["org"], str(body["project"]))
    if project is None:
        return JSONResponse({"project": ["Invalid project"]}, 400)
    config = _config_of(body["config"])
    if config is None:
        return JSONResponse({"config": {"schedule": ["This field is required."]}}, 400)
    slug = str(body.get("slug") or body["name"]).lower().replace(" ", "-")[:SLUG_LENGTH]
    if slug in project.monitors:
        return JSONResponse({"slug": [f'The slug "{slug}" is already in use.']}, 400)
    now = clock_of(request).now()
    monitor = _new_monitor(project, slug, str(body["name"]), config, now, upserted=False)
    project.add_monitor(monitor)
    return JSONResponse(_public(monitor), 201)


def _config_of(raw: Any) -> dict[str, Any] | None:
    """The web API's config (`schedule_type`, `schedule`) checked and filled in."""
    if not isinstance(raw, dict) or raw.get("schedule_type") not in ("crontab", "interval"):
        return None
    schedule = raw.get("schedule")
    if raw["schedule_type"] == "crontab" and not (
        isinstance(schedule, str) and len(schedule) <= CRONTAB_LENGTH
    ):
        return None
    if raw["schedule_type"] == "interval" and not (
        isinstance(schedule, list)
        and len(schedule) == 2
        and isinstance(schedule[0], int)
        and str(schedule[1]) in INTERVAL_SECONDS
    ):
        return None
    config = {k: raw.get(k) if isinstance(raw.get(k), int) else None for k in CONFIG_KEYS}
    timezone = raw.get("timezone")
    timezone = timezone if isinstance(timezone, str) and len(timezone) <= 64 else "UTC"
    return {
        **config,
        "schedule_type": raw["schedule_type"],
        "schedule": schedule,
        "timezone": timezone,
        "alert_rule_id": None,
    }


async def monitor(request: Request) -> Response:
    """GET one monitor; PUT changes its name, config or isMuted; DELETE removes it (202)."""
    if denied := api_auth(request):
        return denied
    state = state_of(request)
    found = _one(request, state)
    if found is None:
        return not_there()
    if request.method == "DELETE":
        del found["_project"].monitors[found["slug"]]
        return Response(status_code=202)
    if request.method == "PUT":
        body = json_body(await request.body())
        if not isinstance(body, dict):
            return JSONResponse({"nonFieldErrors": ["Invalid data. Expected a dictionary."]}, 400)
        if "config" in body:
            config = _config_of(body["config"])
            if config is None:
                return JSONResponse({"config": {"schedule": ["Invalid schedule."]}}, 400)
            found["config"] = config
        if isinstance(body.get("name"), str) and body["name"]:
            found["name"] = body["name"]
        if isinstance(body.get("isMuted"), bool):
            found["isMuted"] = body["isMuted"]
    return JSONResponse(_public(found))


async def monitor_checkins(request: Request) -> Response:
    """GET …/monitors/{slug}/checkins/: newest first (`environment=` narrows)."""
    if denied := api_auth(request):
        return denied
    found = _one(request, state_of(request))
    if found is None:
        return not_there()
    wanted = set(request.query_params.getlist("environment"))
    shown = [c for c in reversed(found["_checkins"]) if not wanted or c["environment"] in wanted]
    return paged(request, shown, limit(request))


def routes(base: str) -> list[tuple[str, Any, list[str]]]:
    return [
        (f"{base}/monitors/{{monitor}}/", monitor, ["GET", "PUT", "DELETE"]),
        (f"{base}/monitors/{{monitor}}/checkins/", monitor_checkins, ["GET"]),
    ]
