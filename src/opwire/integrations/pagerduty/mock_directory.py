"""The PagerDuty mock's account directory: the users, teams, escalation policy, schedule,
on-calls and priorities an operator script lists before it acts, as REST API v2 answers them.

Pages followed: shared/specs/pagerduty/REST/openapiv3.json (listUsers, getUser, getCurrentUser:
"can only be used with a user-level API key or a key generated through an OAuth flow";
listEscalationPolicies, getEscalationPolicy, listSchedules, getSchedule, listOnCalls,
listPriorities, listTeams, getUserContactMethods, getUserNotificationRules, and their schemas User,
EscalationPolicy, Schedule, Oncall, Priority, Team); PagerDuty/python-pagerduty tests
(test_api_key_access: the 400 answer of GET /users/me to an account-level token, its `error` a bare
string, "valid/current as of 2025-11-14").

The account is fixed: one owner, one team, one escalation policy whose only rule pages one
schedule of that owner, P1-P5. The other users listed are the people the mock has seen act
(a `From` address, a user-level token), read from the incidents' log, so nothing new is held.

UNCONFIRMED, chosen here: an account-level API key is told from a user-level one by its shape: 20
characters (as PagerDuty's keys are) without the `u+` prefix of personal keys; any other token is
taken as a user's, and an OAuth token always is; `query` matches a case-insensitive substring of
the name (and of a user's email); the on-call of the seeded schedule is shown from the start of the
asked window (now by default) for a week.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty.mock_rest import Refused, answer, page, parse_time, token_of
from opwire.integrations.pagerduty.mock_state import PagerDutyState, vendor
from opwire.mock.state import clock_of

OWNER = {"id": shapes.OWNER[0], "name": shapes.OWNER[1], "email": "owner@opwire-mock.example"}
TEAM, POLICY, SCHEDULE = shapes.TEAM, shapes.POLICY, shapes.SCHEDULE
LAYER_START = "2026-01-05T00:00:00Z"  # a Monday; one weekly layer of one user
PRIORITIES = (
    ("PMOCKP1", "P1", "Critical issue that warrants public notification"),
    ("PMOCKP2", "P2", "Critical system issue actively impacting many customers"),
    ("PMOCKP3", "P3", "Stability or minor customer-impacting issues"),
    ("PMOCKP4", "P4", "Minor issues requiring action"),
    ("PMOCKP5", "P5", "Cosmetic issues or bugs"),
)
ACCOUNT_TOKEN = (
    "Because this request was made using an account-level access token, we were unable to "
    "determine the user's identity. Please use a user-level token."
)
NOT_FOUND = (404, "Not Found", 2100)
# An account-level REST key: 20 characters, not a personal key's `u+` (UNCONFIRMED, see above).
ACCOUNT_KEY = re.compile(r"^(?!u\+)[A-Za-z0-9_+-]{20}$")


def _ref(kind: str, pair: tuple[str, str]) -> dict[str, Any]:
    return shapes.ref(kind, *pair)


owner_ref, policy_ref = shapes.owner_ref, shapes.policy_ref


def _full(reference: dict[str, Any], kind: str, **fields: Any) -> dict[str, Any]:
    """An object from its reference: the same id, self and html_url, its own type."""
    return {**reference, "type": kind, **fields}


def user(user_id: str, name: str, email: str, role: str = "user") -> dict[str, Any]:
    """The spec's User (required: name, email, type)."""
    reference = shapes.ref("user_reference", user_id, name)
    return _full(
        reference,
        "user",
        name=name,
        email=email,
        time_zone="Etc/UTC",
        color="green",
        role=role,
        avatar_url="https://pd-static-assets.pagerduty.com/users/blank-avatar.png",
        invitation_sent=False,
        teams=[_ref("team_reference", TEAM)],
        contact_methods=[_method_ref(user_id)],
        notification_rules=[_rule_ref(user_id)],
    )


def _method_ref(user_id: str) -> dict[str, Any]:
    """Each user's one contact method: the email address they sign in with."""
    path = f"users/{user_id}/contact_methods"
    return shapes.ref_at("email_contact_method_reference", f"PCM{user_id}", "Default", path)


def _rule_ref(user_id: str) -> dict[str, Any]:
    """Each user's one notification rule: email at once, for high urgency."""
    path = f"users/{user_id}/notification_rules"
    kind = "assignment_notification_rule_reference"
    return shapes.ref_at(kind, f"PNR{user_id}", "Default", path)


def owner() -> dict[str, Any]:
    return user(OWNER["id"], OWNER["name"], OWNER["email"], role="owner")


def token_user(token: str) -> dict[str, Any]:
    """The user a user-level token or an OAuth token acts as (a stable id per token)."""
    reference = shapes.token_user_ref(token)
    return user(reference["id"], reference["summary"], _email(reference["id"]))


def _email(user_id: str) -> str:
    return f"{user_id.lower()}@opwire-mock.example"


def _seen(state: PagerDutyState) -> dict[str, dict[str, Any]]:
    """The account's users by id: the owner, those made through REST, then the others the log
    shows acting (but those deleted)."""
    found = {OWNER["id"]: owner(), **state.users}
    for entry in state.log.values():
        agent = entry["agent"]
        gone = agent["id"] in found or agent["id"] in state.deleted_users
        if agent["type"] == "user_reference" and not gone:
            email = agent["summary"] if "@" in agent["summary"] else _email(agent["id"])
            found[agent["id"]] = user(agent["id"], agent["summary"], email)
    return found


def users_by_id(state: PagerDutyState) -> dict[str, dict[str, Any]]:
    """Every user the account knows, by id."""
    return _seen(state)


def _matching(items: list[dict[str, Any]], query: str | None, *names: str) -> list[dict[str, Any]]:
    if not query:
        return items
    wanted = query.lower()
    return [i for i in items if any(wanted in str(i.get(n, "")).lower() for n in names)]


async def list_users(request: Request) -> Response:
    """listUsers: `query` (name or email) and `team_ids[]`."""
    users = list(_seen(vendor(request)).values())
    if teams := set(request.query_params.getlist("team_ids[]")):
        users = [u for u in users if {t["id"] for t in u["teams"]} & teams]
    query = request.query_params.get("query")
    return page(request, "users", _matching(users, query, "name", "email"))


async def get_user(request: Request) -> Response:
    """getUser."""
    return answer(request, {"user": _known(request)})


def _known(request: Request) -> dict[str, Any]:
    found = _seen(vendor(request)).get(request.path_params["id"])
    if found is None:
        raise Refused(*NOT_FOUND)
    return found


async def contact_methods(request: Request) -> Response:
    """getUserContactMethods: not paginated."""
    found = _known(request)
    method = {**_method_ref(found["id"]), "type": "email_contact_method", "label": "Default"}
    method.update(address=found["email"], send_short_email=False)
    return answer(request, {"contact_methods": [method]})


async def notification_rules(request: Request) -> Response:
    """getUserNotificationRules: not paginated; `urgency` high (the default), low or any."""
    found = _known(request)
    urgency = request.query_params.get("urgency", "high")
    if urgency not in ("high", "low", "any"):
        raise Refused(400, "Invalid Input Provided", 2001, "urgency must be high, low or any")
    rule = {**_rule_ref(found["id"]), "type": "assignment_notification_rule"}
    rule.update(start_delay_in_minutes=0, contact_method=_method_ref(found["id"]), urgency="high")
    return answer(request, {"notification_rules": [rule] if urgency != "low" else []})


async def current_user(request: Request) -> Response:
    """getCurrentUser: the token's own user; an account-level key cannot name one."""
    if account_level(request):
        return JSONResponse({"error": ACCOUNT_TOKEN}, 400)
    return answer(request, {"user": token_user(token_of(request.headers["authorization"]))})


def account_level(request: Request) -> bool:
    """Whether the request's credential is an account-level API key (see the docstring)."""
    header = request.headers.get("authorization", "")
    return header.startswith("Token ") and bool(ACCOUNT_KEY.match(token_of(header)))


def service_json(state: PagerDutyState, service: Any) -> dict[str, Any]:
    """The spec's Service (required: type, escalation_policy) of a mock service."""
    found = _full(
        service.ref,
        "service",
        name=service.name,
        auto_resolve_timeout=14400,
        acknowledgement_timeout=1800,
        status="disabled" if service.paused else "active",
        alert_creation="create_alerts_and_incidents",
        escalation_policy=policy_ref(),
        teams=[_ref("team_reference", TEAM)],
        integrations=[integration_ref(service, i) for i in service.integrations],
        incident_urgency_rule={"type": "constant", "urgency": "severity_based"},
    )
    if service.created_at:
        found["created_at"] = service.created_at
    if service.description:
        found["description"] = service.description
    return found


def integration_ref(service: Any, integration: dict[str, str]) -> dict[str, Any]:
    path = f"services/{service.id}/integrations"
    kind = "events_api_v2_inbound_integration_reference"
    return shapes.ref_at(kind, integration["id"], integration["name"], path)


def unique(state: PagerDutyState) -> list[Any]:
    """Each service once (a service with several integrations is held under each key)."""
    return list({s.id: s for s in state.services.values()}.values())


def services(state: PagerDutyState) -> list[dict[str, Any]]:
    """Every service, by name (listServices' default `sort_by=name`)."""
    found = [service_json(state, s) for s in unique(state)]
    return sorted(found, key=lambda s: (s["name"].lower(), s["id"]))


def policy(state: PagerDutyState) -> dict[str, Any]:
    """The spec's EscalationPolicy: one rule, paging the schedule, on every service."""
    return _full(
        policy_ref(),
        "escalation_policy",
        name=POLICY[1],
        num_loops=0,
        on_call_handoff_notifications="if_has_services",
        escalation_rules=[
            {
                "id": "PMOCKR1",
                "escalation_delay_in_minutes": 30,
                "targets": [_ref("schedule_reference", SCHEDULE)],
            }
        ],
        services=[s.ref for s in unique(state)],
        teams=[_ref("team_reference", TEAM)],
    )


def schedule() -> dict[str, Any]:
    """The spec's Schedule: one weekly layer of the owner."""
    return _full(
        _ref("schedule_reference", SCHEDULE),
        "schedule",
        name=SCHEDULE[1],
        time_zone="Etc/UTC",
        description="The opwire mock account's on-call",
        escalation_policies=[policy_ref()],
        users=[owner_ref()],
        teams=[_ref("team_reference", TEAM)],
        schedule_layers=[
            {
                "id": "PMOCKL1",
                "name": "Layer 1",
                "start": LAYER_START,
                "rotation_virtual_start": LAYER_START,
                "rotation_turn_length_seconds": 7 * 86400,
                "users": [{"user": owner_ref()}],
                "restrictions": [],
            }
        ],
    )


async def list_services(request: Request) -> Response:
    """listServices: `query` on the name, `team_ids[]`."""
    found = services(vendor(request))
    teams = set(request.query_params.getlist("team_ids[]"))
    if teams and TEAM[0] not in teams:  # every service is the one team's
        found = []
    return page(request, "services", _matching(found, request.query_params.get("query"), "name"))


async def get_service(request: Request) -> Response:
    """getService."""
    state = vendor(request)
    found = state.service_by_id(request.path_params["id"])
    if found is None:
        raise Refused(*NOT_FOUND)
    return answer(request, {"service": service_json(state, found)})


async def list_policies(request: Request) -> Response:
    """listEscalationPolicies: `query` on the name."""
    found = _matching([policy(vendor(request))], request.query_params.get("query"), "name")
    if users := set(request.query_params.getlist("user_ids[]")):
        found = found if OWNER["id"] in users else []
    return page(request, "escalation_policies", found)


async def get_policy(request: Request) -> Response:
    """getEscalationPolicy."""
    if request.path_params["id"] != POLICY[0]:
        raise Refused(*NOT_FOUND)
    return answer(request, {"escalation_policy": policy(vendor(request))})


async def list_schedules(request: Request) -> Response:
    """listSchedules: `query` on the name (the list leaves the layers out)."""
    found = {k: v for k, v in schedule().items() if k != "schedule_layers"}
    hits = _matching([found], request.query_params.get("query"), "name")
    return page(request, "schedules", hits)


async def get_schedule(request: Request) -> Response:
    """getSchedule."""
    if request.path_params["id"] != SCHEDULE[0]:
        raise Refused(*NOT_FOUND)
    return answer(request, {"schedule": schedule()})


def _oncall_window(request: Request) -> tuple[str, str]:
    """`since` (UTC without an offset) or now, and a week later; past 9999 is a 400."""
    text = request.query_params.get("since")
    try:
        start = parse_time(text) if text else datetime.fromtimestamp(clock_of(request).now(), UTC)
        end = start + timedelta(days=7)
    except (ValueError, OverflowError):
        raise Refused(400, "Invalid Input Provided", 2001, "since must be ISO 8601") from None
    return start.strftime(shapes.TIME), end.strftime(shapes.TIME)


async def list_oncalls(request: Request) -> Response:
    """listOnCalls: the owner, on the schedule, at level 1; filtered by `user_ids[]`,
    `escalation_policy_ids[]`, `schedule_ids[]`."""
    params = request.query_params
    start, end = _oncall_window(request)
    oncall = {
        "user": owner_ref(),
        "schedule": _ref("schedule_reference", SCHEDULE),
        "escalation_policy": policy_ref(),
        "escalation_level": 1,
        "start": start,
        "end": end,
    }
    filters = (
        ("user_ids[]", OWNER["id"]),
        ("escalation_policy_ids[]", POLICY[0]),
        ("schedule_ids[]", SCHEDULE[0]),
    )
    keep = all(
        not params.getlist(name) or wanted in params.getlist(name) for name, wanted in filters
    )
    return page(request, "oncalls", [oncall] if keep else [])


async def list_priorities(request: Request) -> Response:
    """listPriorities: P1 to P5."""
    found = [
        {**shapes.ref("priority_reference", i, n), "type": "priority", "name": n, "description": d}
        for i, n, d in PRIORITIES
    ]
    for priority in found:
        priority.pop("html_url", None)
    return page(request, "priorities", found)


def priority_ref(priority_id: str) -> dict[str, Any] | None:
    for found_id, name, _ in PRIORITIES:
        if found_id == priority_id:
            return shapes.ref("priority_reference", found_id, name)
    return None


async def list_teams(request: Request) -> Response:
    """listTeams: `query` on the name."""
    team = _full(_ref("team_reference", TEAM), "team", name=TEAM[1])
    return page(request, "teams", _matching([team], request.query_params.get("query"), "name"))


# The directory's REST routes (authenticated by mock.py).
ROUTES = (
    ("/users", "GET", list_users),
    ("/users/me", "GET", current_user),
    ("/users/{id}", "GET", get_user),
    ("/users/{id}/contact_methods", "GET", contact_methods),
    ("/users/{id}/notification_rules", "GET", notification_rules),
    ("/services", "GET", list_services),
    ("/services/{id}", "GET", get_service),
    ("/escalation_policies", "GET", list_policies),
    ("/escalation_policies/{id}", "GET", get_policy),
    ("/schedules", "GET", list_schedules),
    ("/schedules/{id}", "GET", get_schedule),
    ("/oncalls", "GET", list_oncalls),
    ("/priorities", "GET", list_priorities),
    ("/teams", "GET", list_teams),
)
