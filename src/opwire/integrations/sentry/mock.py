"""Sentry mock: Relay's envelope and store endpoints (mock_ingest.py), and the web API to read
events back (issues: mock_issues.py; event lists and the events table: mock_discover.py,
mock_explore.py; crons: mock_crons.py; user feedback: mock_feedback.py; attachments:
mock_attachments.py).

Pages followed: develop.sentry.dev/sdk/{overview,envelopes,store}/ (envelope format, `{"id": …}`),
Relay relay-server/src/extractors/request_meta.rs (auth forms and errors, mock_auth.py),
endpoints/store.rs (legacy bodies: base64, base64 of zlib), endpoints/common.rs (`with_reason`,
the 429's `X-Sentry-Rate-Limits`), relay-event-normalization (ids, tags, type: mock_events.py),
shared/specs/sentry/openapi-derefed.json (web API shapes), docs.sentry.io/concepts/search/
(issue queries: mock_search.py); vendor-contracts.md § 2. Events become visible to the web API
after a processing delay (`POST /_opwire/sentry/config {"processing_delay_s": 0.2}`) and group
into issues; transactions are kept and readable but open no issue; attachment items are listed
on their event. Each project belongs to one org (`opwire-mock` unless
`POST /_opwire/sentry/config {"project": {"id": 42, "org": "acme"}}` says otherwise): an org
slug that does not own the project gets Sentry's 404. Events (with the list of their
attachments), issues, projects, logs, and each project's monitors, user reports and releases
keep the newest entries and count what they drop (`/_opwire/health`).

Issue alert rules (`/_opwire/sentry/rules`, alerts.py): when an event opens a new issue, each
rule sends Sentry's PagerDuty trigger to its `events_url` once the event is processed, plus the
rule's `delay_s`, over HTTP and fire-and-forget (mock/deliver.py); what each rule sent, and
what failed, is in its `delivery` counts. POST a rule or a list (a rule replaces the one with its
id), DELETE `?id=` one or all.

Vendor facts chosen where the sources are silent (UNCONFIRMED):

| fact | chosen |
|---|---|
| 404 for a path no route serves | Sentry's CatchallEndpoint: "Route not found, did you forget a |
| | trailing slash?" (text) for a path without its slash, else an empty 404 |
| 405 | web API: DRF's `{"detail": "Method \\"X\\" not allowed."}`; ingest (axum): empty |
| `X-Sentry-Rate-Limits` on the throttle scenarios | `60::organization:rate_limited`, one |
| | fixed value whatever the scenario's Retry-After |
| an issue's `substatus` | `ongoing` while unresolved |
| entry order of an event | message, exception, spans, breadcrumbs, request |
| issue list fields Sentry sends only on `expand=` | present and empty (the spec requires |
| | them) |
| org details for a slug no project names | answered (the region sweep asks an org no |
| | project names) |
| an issue's `recommended` event | its latest (Sentry prefers the one with most context) |
| `substatus` of an ignored issue | `archived_until_escalating`; a regression: `regressed` |
| deleting an issue | its events go at once (Sentry deletes them in a task) |
| a `user_report` item or POST for an event of another project | kept, linked to no event |
| logs table `severity` | the level text the SDK sends (`warn`), not renamed |
| a cell holding a list or object | its JSON text (Sentry's columns are scalars) |
| environments per monitor | the newest 100 (Sentry documents no cap) |
| tag keys per issue | the first 200 client keys, and every key Sentry derives |
| a download name Latin-1 cannot carry | RFC 6266 `filename*=UTF-8''…` beside an ASCII |
| | `filename` (Django would MIME-encode the header) |
| events table without `field=` | 400 "No columns selected"; logs/spans/metrics datasets: |
| | an empty table (the mock keeps no such rows) |
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from opwire.integrations.sentry.alerts import parse_rules
from opwire.integrations.sentry.mock_attachments import event_attachment, event_attachments
from opwire.integrations.sentry.mock_auth import (
    credential,
)
from opwire.integrations.sentry.mock_crons import monitors
from opwire.integrations.sentry.mock_crons import routes as crons
from opwire.integrations.sentry.mock_discover import (
    organization_event,
    organization_events,
    project_events,
)
from opwire.integrations.sentry.mock_feedback import user_feedback
from opwire.integrations.sentry.mock_ingest import envelope_endpoint, store_endpoint
from opwire.integrations.sentry.mock_issues import (
    issue,
    issue_event,
    issue_events,
    issue_tag,
    issue_tag_values,
    organization_issues,
    project_issues,
    short_id,
)
from opwire.integrations.sentry.mock_releases import release, releases
from opwire.integrations.sentry.mock_shapes import (
    event_body,
    public_group,
)
from opwire.integrations.sentry.mock_state import (
    SentryState,
    api_auth,
    detail,
    not_there,
    state_of,
    visible,
)
from opwire.mock.app import Incoming, create_mock_app, json_body, mock_state
from opwire.mock.clock import MockClock
from opwire.mock.inventory import Inventory, Item, field_value, run_id_in, unix
from opwire.mock.limits import TOO_LARGE
from opwire.mock.scenarios import Scenario, credentials_abroad, faults, vendor_state
from opwire.mock.state import clock_of
from opwire.mock.values import ControlError, number, whole_number

# Relay's 429 (common.rs RateLimited; vendor-contracts § 2.4).
THROTTLED_BODY = json.dumps(
    {
        "detail": "Sentry dropped data due to a quota or internal rate limit being reached. "
        "This will not affect your application. See https://docs.sentry.io/product/accounts/"
        "quotas/ for more information."
    }
)
# Relay's header: `<seconds>:<categories>:<scope>:<reason>`; the seconds follow the scenario's
# wait, as Retry-After does (sentry-python trusts this header over Retry-After).
RATE_LIMITS = {"X-Sentry-Rate-Limits": "{wait}::organization:rate_limited"}


async def project_event(request: Request) -> Response:
    if denied := api_auth(request):
        return denied
    p, state = request.path_params, state_of(request)
    project = state.find_project(p["org"], p["project"])
    if project is None:
        return not_there()
    stored = visible(state, p["event_id"], clock_of(request).now())
    if stored is None or stored["project"] is not project:
        return detail(404, "Event not found")
    return JSONResponse(event_body(p["event_id"], stored))


async def resolve_event_id(request: Request) -> Response:
    if denied := api_auth(request):
        return denied
    p, state = request.path_params, state_of(request)
    if p["org"] not in state.orgs():
        return not_there()
    stored = visible(state, p["event_id"], clock_of(request).now())
    if stored is None or stored["project"].org != p["org"]:
        return detail(404, "An event with this ID could not be found.")
    return JSONResponse(
        {
            "organizationSlug": p["org"],
            "projectSlug": stored["project"].slug,
            "groupId": stored["group"],
            "eventId": p["event_id"],
            "event": event_body(p["event_id"], stored),
        }
    )


async def organization(request: Request) -> Response:
    """The org's details. Any slug is answered: the region sweep's tests ask an org no project
    names (UNCONFIRMED that a wrong slug would be a 404 here rather than a 403)."""
    if denied := api_auth(request):
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
    state, raw = state_of(request), await request.body()
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
            "issues": [public_group(g) for g in state.groups.values()],
        }
    )


async def control_rules(request: Request) -> Response:
    """Issue alert rules: GET lists them (routing keys as fingerprints) with what each sent;
    POST a rule or a list (each replaces the rule with its id, or is added); DELETE `?id=`
    removes that rule, without it every rule."""
    state = state_of(request)
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
    for stored_id, stored in state.events.items():
        body = event_body(stored_id, stored)
        tags = {t["key"]: t["value"] for t in body["tags"]}
        found = field_value(tags) or run_id_in(stored["title"])
        yield Item("event", stored["received"], found, body)
    for group in state.groups.values():
        yield Item(
            "issue", unix(group["firstSeen"]), run_id_in(group["title"]), public_group(group)
        )


def credential_of(incoming: Incoming) -> str | None:
    """The DSN key, in any form Relay reads it, else the web API's bearer token."""
    key = credential(incoming.headers, incoming.query, incoming.body)
    if key:
        return key
    token = incoming.headers.get("authorization", "").partition(" ")[2]
    return token.strip() or None


def not_found(request: Request, status: int) -> Response:
    """Sentry's answer to a path no route serves, or a method it does not take (UNCONFIRMED
    table above): the catch-all's trailing-slash hint, DRF's 405 detail, Relay's empty 405."""
    path = request.url.path
    if status == 405:
        if path.startswith("/api/0/"):
            return detail(405, f'Method "{request.method}" not allowed.')
        return Response(status_code=405)
    if not path.endswith("/"):
        hint = f"Route not found, did you forget a trailing slash?\n\ntry: {path}/\n"
        return PlainTextResponse(hint, 404)
    return Response(status_code=404)


def wrong_region(incoming: Incoming) -> Response:
    if incoming.path.startswith("/api/0/"):
        return detail(401, "Invalid token")
    # The seed: a DSN of the other region fails with 401. Relay's exact text: UNCONFIRMED.
    return detail(401, "invalid authentication: the public key is unknown in this region")


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


BULK = ["GET", "PUT", "DELETE"]


def issue_routes(base: str) -> list[Route]:
    """An issue, its events and one of them, under organizations/{org}/issues/ or issues/."""
    return [
        Route(f"{base}/", issue, methods=BULK),
        Route(f"{base}/events/", issue_events, methods=["GET"]),
        Route(f"{base}/events/{{event_id}}/", issue_event, methods=["GET"]),
        Route(f"{base}/tags/{{key}}/", issue_tag, methods=["GET"]),
        Route(f"{base}/tags/{{key}}/values/", issue_tag_values, methods=["GET"]),
    ]


PROJECT = "/api/0/projects/{org}/{project}"
EVENT = f"{PROJECT}/events/{{event_id}}"
ORG = "/api/0/organizations/{org}"


class _Untraced:
    """The mock, unseen by a sentry-sdk running in the same process (a test that serves the
    mock in-process and calls sentry_sdk.init with tracing): its ASGI/Starlette integration
    would trace each envelope the mock takes and send that as a transaction, which the mock
    takes, without end (seen: 1,100 transactions in 2 s). A real Sentry runs elsewhere, so
    the mock sets the SDK's own recursion guard (`_asgi_middleware_applied` in
    sentry_sdk/integrations/asgi.py) while it serves; read from sys.modules, so the mock
    never imports the SDK. Every other attribute is the wrapped app's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asgi = sys.modules.get("sentry_sdk.integrations.asgi")
        guard = getattr(asgi, "_asgi_middleware_applied", None)
        if not isinstance(guard, ContextVar):
            await self.app(scope, receive, send)
            return
        token = guard.set(True)
        try:
            await self.app(scope, receive, send)
        finally:
            guard.reset(token)


def create_app() -> ASGIApp:
    return _Untraced(_create_app())


def _create_app() -> ASGIApp:
    return create_mock_app(
        "sentry",
        [
            Route("/api/{project_id}/envelope/", envelope_endpoint, methods=["POST"]),
            Route("/api/{project_id}/store/", store_endpoint, methods=["POST"]),
            Route(f"{PROJECT}/events/", project_events, methods=["GET"]),
            Route(f"{PROJECT}/events/{{event_id}}/", project_event, methods=["GET"]),
            Route(f"{ORG}/events/", organization_events, methods=["GET"]),
            Route(f"{ORG}/events/{{ref}}/", organization_event, methods=["GET"]),
            Route(f"{EVENT}/attachments/", event_attachments, methods=["GET"]),
            Route(f"{EVENT}/attachments/{{attachment_id}}/", event_attachment, methods=["GET"]),
            Route(f"{PROJECT}/issues/", project_issues, methods=BULK),
            Route(f"{PROJECT}/user-feedback/", user_feedback, methods=["GET", "POST"]),
            Route(f"{ORG}/eventids/{{event_id}}/", resolve_event_id, methods=["GET"]),
            Route(f"{ORG}/shortids/{{short_id}}/", short_id, methods=["GET"]),
            Route(f"{ORG}/issues/", organization_issues, methods=BULK),
            *issue_routes(f"{ORG}/issues/{{issue_id}}"),
            *issue_routes("/api/0/issues/{issue_id}"),
            Route(f"{ORG}/monitors/", monitors, methods=["GET", "POST"]),
            Route(f"{ORG}/releases/", releases, methods=["GET"]),
            Route(f"{ORG}/releases/{{version}}/", release, methods=["GET"]),
            *(Route(p, h, methods=m) for p, h, m in [*crons(ORG), *crons(PROJECT)]),
            Route(f"{ORG}/", organization, methods=["GET"]),
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
        throttled=(THROTTLED_BODY, "application/json"),
        throttle_headers=RATE_LIMITS,
        not_found=not_found,
        too_large=TOO_LARGE["sentry"],
        inventory=Inventory(("event", "issue"), items),
    )
