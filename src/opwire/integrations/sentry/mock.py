"""Sentry mock: Relay's envelope and store endpoints, and the web API to read events back.

Pages followed: develop.sentry.dev/sdk/{overview,envelopes,store}/ (auth forms, envelope format,
`{"id": …}`), Relay relay-server/src/extractors/request_meta.rs (auth errors) and
endpoints/common.rs (`with_reason`), shared/specs/sentry/openapi-derefed.json (web API shapes);
vendor-contracts.md § 2. Events become visible to the web API after a processing delay
(`POST /_opwire/sentry/config {"processing_delay_s": 0.2}`) and group into issues. Events,
issues and projects keep the newest entries and count what they drop (`/_opwire/health`).

Issue alert rules (`/_opwire/sentry/rules`, alerts.py): when an event opens a new issue, each
rule sends Sentry's PagerDuty trigger to its `events_url` once the event is processed, plus the
rule's `delay_s`, over HTTP and fire-and-forget (mock/deliver.py); what each rule sent, and
what failed, is in its `delivery` counts. POST a rule or a list (a rule replaces the one with its
id), DELETE `?id=` one or all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from opwire.encoding import DecodeError, decode_body
from opwire.integrations.sentry.alerts import AlertRule, parse_rules, trigger
from opwire.integrations.sentry.envelope import EnvelopeError, parse
from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.deliver import Outbox
from opwire.mock.inventory import Inventory, Item, field_value, run_id_in, unix
from opwire.mock.limits import CONFIGURED, TOO_LARGE, CappedDict
from opwire.mock.scenarios import Scenario, credentials_abroad, faults, vendor_state
from opwire.mock.state import clock_of, strict_json
from opwire.mock.values import ControlError, number, whole_number

DEFAULT_ORG = "opwire-mock"
PUBLIC_KEY = re.compile(r"^[0-9a-f]{32}$")
# Web API tokens: org (sntrys_), user (sntryu_), or legacy 64 hex. Shapes UNCONFIRMED beyond docs.
AUTH_TOKEN = re.compile(r"^(sntry[su]_[A-Za-z0-9+/=_.-]{10,}|[0-9a-f]{64})$")
BODY_LIMIT = 200 << 20  # decompressed envelope (develop.sentry.dev envelopes "size limits")
EVENT_OVERHEAD = 512
ISSUE_STATUSES = ("resolved", "unresolved", "ignored", "resolvedInNextRelease")  # a tuple: see `in`


class AuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(slots=True)
class Project:
    id: int
    slug: str
    org: str = DEFAULT_ORG
    rejected_keys: set[str] = field(default_factory=set)


@dataclass(slots=True)
class SentryState:
    processing_delay_s: float = 0.2
    reject_all_keys: bool = False
    drop_events: bool = False  # answers 200 with the id, never stores (Relay's "Pending" case)
    group_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    dropped: Counter[str] = field(default_factory=Counter)
    # Any project id in a path makes a project, so they are capped like the rest.
    projects: CappedDict[int, Project] = field(init=False)
    events: CappedDict[str, dict[str, Any]] = field(init=False)
    groups: CappedDict[str, dict[str, Any]] = field(init=False)
    rules: CappedDict[str, AlertRule] = field(init=False)
    outbox: Outbox = field(default_factory=Outbox)

    def __post_init__(self) -> None:
        self.projects = CappedDict("projects", self.dropped, CONFIGURED)
        self.events = CappedDict("events", self.dropped)
        self.groups = CappedDict("issues", self.dropped)
        self.rules = CappedDict("alert_rules", self.dropped, CONFIGURED)

    def project(self, project_id: int) -> Project:
        if project_id not in self.projects:
            self.projects.put(project_id, Project(project_id, f"project-{project_id}"))
        return self.projects[project_id]


def _state(request: Request) -> SentryState:
    state: SentryState = mock_state(request).vendor
    return state


def _detail(
    status: int, detail: str, *causes: str, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"detail": detail}
    if causes:
        body["causes"] = list(causes)
    return JSONResponse(body, status, headers)


def _header_auth(value: str) -> dict[str, str]:
    if not value.lower().startswith("sentry "):
        raise AuthError(401, "bad x-sentry-auth header")
    pairs = {}
    for part in value[7:].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            raise AuthError(401, "bad x-sentry-auth header")
        pairs[key.strip()] = val.strip()
    return pairs


def _dsn_auth(dsn: Any) -> dict[str, str]:
    parts = urlsplit(dsn) if isinstance(dsn, str) else None
    if parts is None or not parts.username:
        raise AuthError(401, "bad envelope authentication header")
    return {"sentry_key": parts.username}


def authenticate(request: Request, envelope_dsn: Any) -> str:
    """The public key, by Relay's rules: one or more matching forms, a 32-hex key, version 7."""
    forms = []
    if header := request.headers.get("x-sentry-auth"):
        forms.append(_header_auth(header))
    if "sentry_key" in request.query_params:
        forms.append(dict(request.query_params))
    if envelope_dsn is not None:
        forms.append(_dsn_auth(envelope_dsn))
    if not forms:
        raise AuthError(401, "missing authorization information")
    keys = {f.get("sentry_key", "") for f in forms}
    if len(keys) > 1:
        raise AuthError(401, "multiple authorization payloads detected")
    version = next((f["sentry_version"] for f in forms if "sentry_version" in f), "7")
    if version != "7":
        raise AuthError(400, f"unsupported protocol version ({version})")
    key = keys.pop()
    if not PUBLIC_KEY.match(key):
        raise AuthError(400, "bad sentry DSN public key")
    return key


def _project_id(request: Request) -> int:
    raw = request.path_params["project_id"]
    if not raw.isdigit():
        raise AuthError(400, "bad project path parameter")
    return int(raw)


async def _body(request: Request) -> bytes | Response:
    raw = await request.body()
    if not raw:
        return _detail(400, "empty request body")
    try:
        return decode_body(raw, request.headers.get("content-encoding"), BODY_LIMIT)
    except DecodeError as exc:
        if exc.too_large:
            return TOO_LARGE["sentry"].response()
        return _detail(
            400,
            "failed to read request body",
            str(exc),
            headers={"X-Sentry-Error": "failed to read request body"},
        )


async def envelope_endpoint(request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    try:
        envelope = parse(body)
        project = _admit(request, envelope.headers.get("dsn"))
        item = envelope.event()
        event = _event_json(item.payload) if item else None
    except AuthError as exc:
        return _detail(exc.status, exc.detail)
    except EnvelopeError as exc:
        return _detail(400, exc.detail, *exc.causes)
    if event is None:
        return JSONResponse({})
    event_id = str(envelope.headers.get("event_id") or event.get("event_id") or uuid.uuid4().hex)
    received = clock_of(request).now()
    stored_id = event_id.replace("-", "")
    new = _store(_state(request), project, stored_id, event, len(body), received)
    _alert(request, stored_id, new)
    return JSONResponse({"id": event_id})


async def store_endpoint(request: Request) -> Response:
    body = await _body(request)
    if isinstance(body, Response):
        return body
    try:
        project = _admit(request, None)
        event = _event_json(body)
    except AuthError as exc:
        return _detail(exc.status, exc.detail)
    except EnvelopeError as exc:
        return _detail(400, exc.detail, *exc.causes)
    event_id = str(event.get("event_id") or uuid.uuid4().hex).replace("-", "")
    new = _store(_state(request), project, event_id, event, len(body), clock_of(request).now())
    _alert(request, event_id, new)
    return JSONResponse({"id": event_id})


def _admit(request: Request, dsn: Any) -> Project:
    key, project_id = authenticate(request, dsn), _project_id(request)
    project = _state(request).project(project_id)
    if key in project.rejected_keys or _state(request).reject_all_keys:
        raise AuthError(403, "event submission rejected with_reason: ProjectId")
    return project


def _event_json(payload: bytes) -> dict[str, Any]:
    try:
        event = strict_json(payload)
    except ValueError as exc:
        raise EnvelopeError(f"invalid JSON data: {exc}") from None
    if not isinstance(event, dict):
        raise EnvelopeError("invalid JSON data: expected an object")
    return event


def _fingerprint(event: dict[str, Any]) -> tuple[str, str]:
    """(group key, title): explicit fingerprint, else exception type/value, else the message."""
    values = (
        ((event.get("exception") or {}).get("values") or [{}])
        if isinstance(event.get("exception"), dict)
        else [{}]
    )
    exc = values[-1] if isinstance(values[-1], dict) else {}
    message = event.get("message") or event.get("logentry") or ""
    if isinstance(message, dict):
        message = message.get("formatted") or message.get("message") or ""
    title = f"{exc.get('type')}: {exc.get('value')}" if exc.get("type") else str(message)[:200]
    key = json.dumps(event.get("fingerprint")) if event.get("fingerprint") else title
    return key, title or "<unlabeled event>"


def _store(
    state: SentryState,
    project: Project,
    event_id: str,
    event: dict[str, Any],
    size: int,
    received: float,
) -> dict[str, Any] | None:
    """Keep the event (weighed by its body's `size`), `received` at that unix time, and count it
    into its issue; the issue when this event opened it (what issue alert rules fire on)."""
    if state.drop_events:
        return None
    key, title = _fingerprint(event)
    group_key = hashlib.sha256(f"{project.id}:{key}".encode()).hexdigest()
    now = _iso(received)
    group = next((g for g in state.groups.values() if g["_key"] == group_key), None)
    opened = group is None
    if group is None:
        # A counter, not the count: ids stay unique once old issues are dropped.
        group_id = str(next(state.group_ids))
        group = {
            "_key": group_key,
            "id": group_id,
            "title": title,
            "status": "unresolved",
            "project": {"id": str(project.id), "slug": project.slug},
            "count": "0",
            "firstSeen": now,
            "lastSeen": now,
            "shortId": f"MOCK-{group_id}",
            "level": str(event.get("level", "error")),
            "culprit": event.get("culprit", ""),
            "platform": str(event.get("platform", "other")),
        }
        state.groups[group_id] = group
    group["count"], group["lastSeen"] = str(int(group["count"]) + 1), now
    if group["status"] == "resolved":
        group["status"] = "unresolved"  # a regression reopens the issue, as Sentry does
    stored = {
        "received": received,
        "project": project,
        "group": group["id"],
        "payload": event,
        "title": title,
    }
    state.events.put(event_id, stored, size + EVENT_OVERHEAD)
    return group if opened else None


def _alert(request: Request, event_id: str, group: dict[str, Any] | None) -> None:
    """A new issue: each alert rule sends its trigger once the event is processed (its delay
    on the mock clock). Never raises: what cannot be built counts as that rule's failure."""
    state = _state(request)
    stored = state.events.get(event_id)
    if group is None or stored is None:
        return
    for rule in list(state.rules.values()):
        try:
            body = trigger(rule, event_id, stored, _public_group(group))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            rule.delivery.fired += 1
            rule.delivery.failed += 1
            rule.delivery.last_error = f"the trigger could not be built: {type(exc).__name__}"
            continue
        state.outbox.send(
            f"{rule.events_url}/v2/enqueue",
            body,
            rule.delivery,
            clock_of(request),
            delay_s=state.processing_delay_s + rule.delay_s,
            mask=rule.mask,
        )


def _iso(seconds: float) -> str:
    return (
        datetime.fromtimestamp(seconds, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _api_auth(request: Request) -> Response | None:
    header = request.headers.get("authorization", "")
    if not header:
        return _detail(401, "Authentication credentials were not provided.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not AUTH_TOKEN.match(token.strip()):
        return _detail(401, "Invalid token")
    return None


def _visible(state: SentryState, event_id: str, now: float) -> dict[str, Any] | None:
    """The event once it is processed: `processing_delay_s` after it was received, at `now`."""
    stored = state.events.get(event_id)
    if stored is None or now - stored["received"] < state.processing_delay_s:
        return None
    return stored


def _event_body(event_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    payload, project = stored["payload"], stored["project"]
    tags = payload.get("tags") or {}
    pairs = tags.items() if isinstance(tags, dict) else (t for t in tags if len(t) == 2)
    return {
        "id": event_id,
        "eventID": event_id,
        "groupID": stored["group"],
        "projectID": str(project.id),
        "title": stored["title"],
        "message": stored["title"],
        "platform": payload.get("platform", "other"),
        "type": "error",
        "dateCreated": _iso(stored["received"]),
        "dateReceived": _iso(stored["received"]),
        "tags": [{"key": str(k), "value": str(v)} for k, v in pairs],
        "entries": [],
        "contexts": payload.get("contexts") or {},
        "sdk": payload.get("sdk"),
        "culprit": payload.get("culprit", ""),
        "location": None,
        "user": payload.get("user"),
        "size": len(json.dumps(payload)),
        "metadata": {"title": stored["title"]},
        "context": payload.get("extra") or {},
        "packages": {},
        "errors": [],
        "crashFile": None,
        "fingerprints": [],
        "groupingConfig": {"id": "mock", "enhancements": ""},
        "_meta": {},
        "nextEventID": None,
        "previousEventID": None,
        "resolvedWith": [],
        "sdkUpdates": [],
        "userReport": None,
        "occurrence": None,
        "release": None,
        "dist": None,
    }


def _matches_project(project: Project, org: str, wanted: str) -> bool:
    org_ok = project.org == org or project.org == DEFAULT_ORG
    return org_ok and wanted in (project.slug, str(project.id))


async def project_event(request: Request) -> Response:
    if denied := _api_auth(request):
        return denied
    p = request.path_params
    stored = _visible(_state(request), p["event_id"], clock_of(request).now())
    if stored is None or not _matches_project(stored["project"], p["org"], p["project"]):
        return _detail(404, "Event not found")
    return JSONResponse(_event_body(p["event_id"], stored))


async def resolve_event_id(request: Request) -> Response:
    if denied := _api_auth(request):
        return denied
    p = request.path_params
    stored = _visible(_state(request), p["event_id"], clock_of(request).now())
    if stored is None or not _matches_project(stored["project"], p["org"], stored["project"].slug):
        return _detail(404, "An event with this ID could not be found.")
    return JSONResponse(
        {
            "organizationSlug": p["org"],
            "projectSlug": stored["project"].slug,
            "groupId": stored["group"],
            "eventId": p["event_id"],
            "event": _event_body(p["event_id"], stored),
        }
    )


def _public_group(group: dict[str, Any]) -> dict[str, Any]:
    """The issue as the web API's organizations/{org}/issues/{id}/ answers (spec fields)."""
    project = group["project"]
    return {
        **{k: v for k, v in group.items() if not k.startswith("_")},
        "project": {**project, "name": project["slug"], "platform": group["platform"]},
        "activity": [],
        "annotations": [],
        "assignedTo": None,
        "hasSeen": False,
        "isBookmarked": False,
        "isPublic": False,
        "isSubscribed": False,
        "issueCategory": "error",
        "issueType": "error",
        "logger": None,
        "metadata": {"title": group["title"]},
        "numComments": 0,
        "participants": [],
        "permalink": f"https://opwire-mock.sentry.io/issues/{group['id']}/",
        "priority": "high",
        "priorityLockedAt": None,
        "seenBy": [],
        "seerAutofixLastTriggered": None,
        "seerExplorerAutofixLastTriggered": None,
        "seerFixabilityScore": None,
        "shareId": None,
        "statusDetails": {},
        "subscriptionDetails": None,
        "substatus": None,
        "type": "error",
        "userReportCount": 0,
    }


async def issue(request: Request) -> Response:
    if denied := _api_auth(request):
        return denied
    group = _state(request).groups.get(request.path_params["issue_id"])
    if group is None:
        return _detail(404, "The requested resource does not exist")
    if request.method == "PUT":
        body = json_body(await request.body())
        status = body.get("status") if isinstance(body, dict) else None
        if status not in ISSUE_STATUSES:
            return _detail(400, f"status must be one of {sorted(ISSUE_STATUSES)}")
        group["status"] = status
    return JSONResponse(_public_group(group))


async def organization(request: Request) -> Response:
    if denied := _api_auth(request):
        return denied
    org = request.path_params["org"]
    region = mock_state(request).region
    return JSONResponse(
        {
            "id": "1",
            "slug": org,
            "name": org,
            "status": {"id": "active"},
            "links": {
                "organizationUrl": f"https://{org}.sentry.io",
                "regionUrl": f"https://{region}.sentry.io",
            },
        }
    )


def _project_problem(spec: Any) -> str | None:
    if not isinstance(spec, dict):
        return "project is an object: {id, slug?, org?, rejected_keys?}"
    try:
        whole_number(spec.get("id", 0), "project.id")
    except ControlError as exc:
        return str(exc)
    if not all(isinstance(spec.get(k, ""), str) for k in ("slug", "org")):
        return "project slug and org are strings"
    keys = spec.get("rejected_keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return "project.rejected_keys is a list of public keys"
    return None


def _config_problem(data: Any) -> str | None:
    """What is wrong with a config body, or None (checked whole before any of it applies)."""
    if not isinstance(data, dict):
        return "expected a JSON object: {processing_delay_s?, project?}"
    try:
        number(data.get("processing_delay_s", 0), "processing_delay_s")
    except ControlError as exc:
        return str(exc)
    return _project_problem(data["project"]) if "project" in data else None


async def control_config(request: Request) -> Response:
    state, raw = _state(request), await request.body()
    data = json_body(raw) if raw.strip() else {}
    if problem := _config_problem(data):
        return JSONResponse({"error": problem}, 400)
    if "processing_delay_s" in data:
        state.processing_delay_s = float(data["processing_delay_s"])
    if "project" in data:
        spec = data["project"]
        project = state.project(spec.get("id", 0))
        project.slug = spec.get("slug", project.slug)
        project.org = spec.get("org", project.org)
        project.rejected_keys |= set(spec.get("rejected_keys", []))
    return JSONResponse(
        {
            "processing_delay_s": state.processing_delay_s,
            "issues": [_public_group(g) for g in state.groups.values()],
        }
    )


async def control_rules(request: Request) -> Response:
    """Issue alert rules: GET lists them (routing keys as fingerprints) with what each sent;
    POST a rule or a list (each replaces the rule with its id, or is added); DELETE `?id=`
    removes that rule, without it every rule."""
    state = _state(request)
    if request.method == "POST":
        try:
            rules = parse_rules(json_body(await request.body()), len(state.rules))
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        for rule in rules:
            if rule.id in state.rules:
                del state.rules[rule.id]  # a replaced rule goes last, as a new one does
            state.rules.put(rule.id, rule)
    elif request.method == "DELETE":
        wanted = request.query_params.get("id")
        for rule_id in [r for r in state.rules if wanted in (None, r)]:
            del state.rules[rule_id]
    return JSONResponse({"rules": [rule.to_json() for rule in state.rules.values()]})


def items(state: SentryState, clock: MockClock) -> Iterator[Item]:
    """Each event held (processed or not yet) as the web API's event answers it, the run id
    read from its `run_id` tag; and each issue, as organizations/{org}/issues/{id}/ answers it."""
    for event_id, stored in state.events.items():
        body = _event_body(event_id, stored)
        tags = {t["key"]: t["value"] for t in body["tags"]}
        found = field_value(tags) or run_id_in(stored["title"])
        yield Item("event", stored["received"], found, body)
    for group in state.groups.values():
        yield Item(
            "issue", unix(group["firstSeen"]), run_id_in(group["title"]), _public_group(group)
        )


def credential_of(incoming: Incoming) -> str | None:
    auth = incoming.headers.get("x-sentry-auth", "")
    match = re.search(r"sentry_key=([^,\s]+)", auth)
    if match:
        return match.group(1)
    query_key = parse_qs(incoming.query).get("sentry_key")
    if query_key:
        return query_key[0]
    dsn = re.search(rb'"dsn"\s*:\s*"[a-z]+://([^:@"]+)[:@]', incoming.body[:4096])
    if dsn:
        return dsn.group(1).decode("latin-1")
    bearer = incoming.headers.get("authorization", "")
    return bearer.partition(" ")[2].strip() or None


def wrong_region(incoming: Incoming) -> Response:
    if incoming.path.startswith("/api/0/"):
        return _detail(401, "Invalid token")
    # The seed: a DSN of the other region fails with 401. Relay's exact text: UNCONFIRMED.
    return _detail(401, "invalid authentication: the public key is unknown in this region")


SCENARIOS = (
    Scenario(
        "sentry/region_mismatch",
        "the DSN and token belong to the other region's org",
        credentials_abroad("us", "de"),
        "Sentry probe returns 401 against a valid-looking DSN",
    ),
    Scenario(
        "sentry/project_rejected",
        "every key is rejected for its project",
        vendor_state(reject_all_keys=True),
    ),
    Scenario(
        "sentry/dropped",
        "events are acknowledged (200) and silently dropped",
        vendor_state(drop_events=True),
    ),
    Scenario(
        "sentry/token_invalid",
        "the web API refuses the auth token",
        faults(
            {
                "method": "*",
                "path": "/api/0/*",
                "status": 401,
                "body": '{"detail":"Invalid token"}',
                "content_type": "application/json",
            }
        ),
    ),
)


def create_app() -> ASGIApp:
    return create_mock_app(
        "sentry",
        [
            Route("/api/{project_id}/envelope/", envelope_endpoint, methods=["POST"]),
            Route("/api/{project_id}/store/", store_endpoint, methods=["POST"]),
            Route(
                "/api/0/projects/{org}/{project}/events/{event_id}/", project_event, methods=["GET"]
            ),
            Route(
                "/api/0/organizations/{org}/eventids/{event_id}/", resolve_event_id, methods=["GET"]
            ),
            Route("/api/0/organizations/{org}/issues/{issue_id}/", issue, methods=["GET", "PUT"]),
            Route("/api/0/issues/{issue_id}/", issue, methods=["GET", "PUT"]),
            Route("/api/0/organizations/{org}/", organization, methods=["GET"]),
        ],
        SentryState,
        credential_of,
        [
            Route("/_opwire/sentry/config", control_config, methods=["GET", "POST"]),
            Route("/_opwire/sentry/rules", control_rules, methods=["GET", "POST", "DELETE"]),
        ],
        region="us",
        wrong_region=wrong_region,
        scenarios=SCENARIOS,
        throttled=(
            '{"detail":"Sentry dropped data due to a quota or internal rate limit being reached."}',
            "application/json",
        ),
        too_large=TOO_LARGE["sentry"],
        inventory=Inventory(("event", "issue"), items),
    )
