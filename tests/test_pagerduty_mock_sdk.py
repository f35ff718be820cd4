"""An application written against the official `pagerduty` package (EventsApiV2Client,
RestApiV2Client) runs against the mock unchanged but for `base_url`, and reads back what it sent
in PagerDuty's shape; every REST answer is checked against the REST spec (openapi-core).

Spec: shared/specs/pagerduty/REST/openapiv3.json (operation ids named per test).
"""

from __future__ import annotations

import gc
import json
import ssl
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jsonschema
import pagerduty
import pytest
from test_specs import check, openapi

from opwire.mock.state import fingerprint
from opwire.mock.tls import TlsFiles

from conftest import Mock, serve, spec_path

# As in test_pagerduty_mock.py: the client (on httpx2) leaves a TLS socket to the collector.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

TOKEN = "u+TOKENtokenTOKEN123"
OAUTH = "pdus+_0XBPWQQ_oauthTokenValue00"
USER = "oncall@example.com"
API = "https://api.pagerduty.com"
REST_SPEC = "pagerduty/REST/openapiv3.json"
EVENTS_SPEC = "pagerduty/events-v2/openapiv3.json"
EVENTS_API = "https://events.pagerduty.com/v2"
OPEN: list[Any] = []
TRIGGER_BODY = {"payload": {"summary": "sent whole", "source": "app", "severity": "warning"}}


@pytest.fixture(scope="module")
def mock(tls_files: TlsFiles) -> Iterator[Mock]:
    """One mock for the module; each test uses routing keys of its own."""
    for running in serve("pagerduty", tls=tls_files):
        yield running
        gc.collect()  # any stray socket is collected while its server runs, under this filter


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Each test's clients are closed when it ends, so no connection outlives its test."""
    yield
    while OPEN:
        OPEN.pop().close()


def ca(mock: Mock) -> ssl.SSLContext:
    assert mock.server.tls is not None
    return ssl.create_default_context(cafile=mock.server.tls.ca_path)


def new_key() -> str:
    return uuid.uuid4().hex  # 32 characters, as an Events API v2 integration key


def events(mock: Mock, key: str) -> pagerduty.EventsApiV2Client:
    OPEN.append(pagerduty.EventsApiV2Client(key, base_url=mock.url, verify=ca(mock)))
    return OPEN[-1]


def rest(mock: Mock, **kw: Any) -> pagerduty.RestApiV2Client:
    token = kw.pop("token", TOKEN)
    OPEN.append(pagerduty.RestApiV2Client(token, base_url=mock.url, verify=ca(mock), **kw))
    return OPEN[-1]


def checked(reply: Any, body: Any = None) -> Any:
    """The REST answer, checked against the REST spec, as JSON."""
    check(openapi(REST_SPEC), API, reply, body)
    return reply.json()


def spec_can_take(body: dict[str, Any]) -> dict[str, Any]:
    """A log entries answer as the REST spec's schema can take it, which no real entry can:
    LogEntry.channel is a oneOf of channel kinds with nothing to tell them apart (the spec's
    own example `{"type": "api"}` fits five), and AcknowledgeLogEntry's type enum
    (acknowledgement_log_entry) contradicts LogEntry's (acknowledge_log_entry) in its own allOf.
    The channel is left out and an acknowledge entry checked as an annotate entry (the same
    schema); the rest is checked as sent."""
    entries = body.get("log_entries") or [body["log_entry"]]
    for entry in entries:
        entry.pop("channel", None)
        if entry["type"] == "acknowledge_log_entry":
            entry["type"] = "annotate_log_entry"
    return body


def only_incident(client: pagerduty.RestApiV2Client, dedup: str) -> dict[str, Any]:
    (incident,) = client.iter_all("incidents", params={"incident_key": dedup, "date_range": "all"})
    return dict(incident)


def test_trigger_links_and_images_are_the_alerts_contexts(mock: Mock) -> None:
    """02-Trigger-Events: `links` {href, text} and `images` {src, href, alt}; listIncidentAlerts'
    Alert.body.contexts (Context: type link|image) and the trigger log entry's contexts; the
    event's `client` and `client_url` (send_event) on the trigger entry's channel."""
    links = [{"href": "https://runbook.example/db", "text": "runbook"}]
    images = [
        {"src": "https://graphs.example/p99.png", "href": "https://graphs.example", "alt": "p99"}
    ]
    dedup = events(mock, new_key()).trigger(
        "db down", "db-1", dedup_key="ctx-1", links=links, images=images, custom_details={"a": 1}
    )
    monitor = {"client": "Prometheus", "client_url": "https://prom.example/alerts"}
    events(mock, new_key()).send_event("trigger", dedup_key="ctx-2", **TRIGGER_BODY, **monitor)
    client = rest(mock)
    incident = only_incident(client, dedup)
    alerts = checked(client.get(f"/incidents/{incident['id']}/alerts"))["alerts"]
    assert alerts[0]["body"]["contexts"] == [
        {"type": "link", **links[0]},
        {"type": "image", **images[0]},
    ]
    assert alerts[0]["body"]["details"] == {"a": 1}
    (trigger,) = client.iter_all(f"/incidents/{incident['id']}/log_entries")
    assert (
        trigger["type"] == "trigger_log_entry"
        and trigger["contexts"] == alerts[0]["body"]["contexts"]
    )
    assert incident["first_trigger_log_entry"]["id"] == trigger["id"]
    (first,) = client.iter_all(f"/incidents/{only_incident(client, 'ctx-2')['id']}/log_entries")
    assert {k: first["channel"][k] for k in monitor} == monitor


def test_events_acknowledge_and_resolve_move_acknowledgements_and_alert_counts(
    mock: Mock,
) -> None:
    """getIncident: `acknowledgements` while acknowledged (empty once resolved, the spec's
    words), `alert_counts` triggered/resolved/all, `resolved_at`."""
    client_events, client = events(mock, new_key()), rest(mock)
    client_events.trigger("disk full", "host-1", dedup_key="ack-1")
    client_events.acknowledge("ack-1")
    incident = checked(client.get(f"/incidents/{only_incident(client, 'ack-1')['id']}"))["incident"]
    assert incident["status"] == "acknowledged"
    ((acknowledgement,),) = [incident["acknowledgements"]]
    assert acknowledgement["acknowledger"] == incident["service"]  # through the Events API
    assert incident["alert_counts"] == {"all": 1, "triggered": 1, "resolved": 0}
    client_events.resolve("ack-1")
    resolved = client.rget(f"/incidents/{incident['id']}")
    assert resolved["acknowledgements"] == [] and resolved["resolved_at"]
    assert resolved["alert_counts"] == {"all": 1, "triggered": 0, "resolved": 1}
    entries = [e["type"] for e in client.iter_all(f"/incidents/{incident['id']}/log_entries")]
    assert entries == ["resolve_log_entry", "acknowledge_log_entry", "trigger_log_entry"]


def test_iter_all_filters_sorts_and_pages_incidents(mock: Mock) -> None:
    """listIncidents: service_ids[], statuses[], urgencies[], incident_key, date_range=all,
    sort_by, limit/offset/more/total (iter_all pages by the `more` flag; get_total asks total)."""
    key, other = new_key(), new_key()
    mine = events(mock, key)
    for n, severity in enumerate(("critical", "info", "info", "error")):
        mine.trigger(f"svc {n}", "src", dedup_key=f"flt-{n}", severity=severity)
    events(mock, other).trigger("elsewhere", "src", dedup_key="flt-x", severity="info")
    mine.resolve("flt-3")
    client = rest(mock)
    service = only_incident(client, "flt-0")["service"]["id"]
    scope = {"service_ids[]": [service], "date_range": "all"}
    everything = list(client.iter_all("incidents", params=scope, page_size=1))
    assert [i["title"] for i in everything] == ["svc 0", "svc 1", "svc 2", "svc 3"]
    low = {**scope, "urgencies[]": ["low"], "sort_by": "incident_number:desc"}
    assert [i["title"] for i in client.iter_all("incidents", params=low)] == ["svc 2", "svc 1"]
    open_ones = {**scope, "statuses[]": ["triggered", "acknowledged"]}
    assert client.get_total("incidents", params=open_ones) == 3
    page = checked(client.get("/incidents", params={**scope, "limit": 2, "total": "true"}))
    assert (len(page["incidents"]), page["more"], page["total"]) == (2, True, 4)
    assert (
        checked(client.get("/incidents", params={"statuses[]": "bogus"}))["error"]["code"] == 2001
    )


def test_rput_acknowledges_and_resolves_as_the_from_user(mock: Mock) -> None:
    """updateIncident with the required `From` header (from_header): acknowledgements name the
    user; resolution is the resolve log entry's note; listIncidentLogEntries, listLogEntries and
    getLogEntry read the trigger, acknowledge and resolve entries back."""
    events(mock, new_key()).trigger("cpu hot", "host-2", dedup_key="put-1")
    client = rest(mock, default_from=USER)
    incident = only_incident(client, "put-1")
    acked = client.rput(incident, json={"type": "incident_reference", "status": "acknowledged"})
    assert acked["acknowledgements"][0]["acknowledger"]["summary"] == USER
    change = {"type": "incident_reference", "status": "resolved", "resolution": "fan fixed"}
    reply = client.put(incident["self"].replace(API, ""), json={"incident": change})
    resolved = checked(reply)["incident"]
    assert resolved["status"] == "resolved" and resolved["last_status_change_by"]["summary"] == USER
    assert resolved["alert_counts"]["resolved"] == 1
    listed = client.get(f"/incidents/{incident['id']}/log_entries", params={"total": "true"})
    entries = listed.json()["log_entries"]
    assert [e["type"] for e in entries] == [
        "resolve_log_entry",
        "acknowledge_log_entry",
        "trigger_log_entry",
    ]
    assert entries[0]["note"] == "fan fixed" and entries[0]["agent"]["summary"] == USER
    check(openapi(REST_SPEC), API, listed, spec_can_take(listed.json()))
    everyone = [e["id"] for e in client.iter_all("log_entries")]
    assert {e["id"] for e in entries} <= set(everyone)
    everything = client.get("/log_entries")
    check(openapi(REST_SPEC), API, everything, spec_can_take(everything.json()))
    one = client.get(f"/log_entries/{entries[0]['id']}")
    check(openapi(REST_SPEC), API, one, spec_can_take(one.json()))
    assert one.json()["log_entry"] == entries[0]


def test_rput_without_from_is_refused_with_code_2016(mock: Mock) -> None:
    """updateIncident with an API key and no `From`: 400 (go-pagerduty#32, pdpyras#78)."""
    events(mock, new_key()).trigger("no from", "src", dedup_key="nofrom-1")
    client = rest(mock)
    incident = only_incident(client, "nofrom-1")
    with pytest.raises(pagerduty.HttpError) as refused:
        client.rput(incident, json={"type": "incident_reference", "status": "resolved"})
    assert refused.value.response.status_code == 400
    assert refused.value.response.json()["error"]["code"] == 2016


def test_bulk_rput_resolves_several_incidents(mock: Mock) -> None:
    """updateIncidents (PUT /incidents): the changed incidents, paginated as the spec has it."""
    sender = events(mock, new_key())
    for n in range(3):
        sender.trigger(f"bulk {n}", "src", dedup_key=f"bulk-{n}")
    client = rest(mock, default_from=USER)
    ids = [only_incident(client, f"bulk-{n}")["id"] for n in range(3)]
    changes = [{"id": i, "type": "incident_reference", "status": "resolved"} for i in ids]
    done = client.rput("/incidents", json=changes)
    assert [(i["id"], i["status"]) for i in done] == [(i, "resolved") for i in ids]
    reply = client.put("/incidents", json={"incidents": changes[:1]})
    assert checked(reply)["incidents"][0]["status"] == "resolved"
    sender.trigger("bulk 0 again", "src", dedup_key="bulk-0")  # the key was freed by resolve
    assert (
        client.get_total("incidents", params={"incident_key": "bulk-0", "date_range": "all"}) == 2
    )


def test_oauth_bearer_token_reads_and_acts(mock: Mock) -> None:
    """02-Authentication: `Authorization: Bearer <token>` (the client's auth_type="oauth2");
    the token is masked in the mock's request log."""
    events(mock, new_key()).trigger("bearer", "src", dedup_key="oauth-1")
    client = rest(mock, token=OAUTH, auth_type="oauth2")
    incident = only_incident(client, "oauth-1")
    acked = client.rput(incident, json={"type": "incident_reference", "status": "acknowledged"})
    assert acked["acknowledgements"][0]["acknowledger"]["type"] == "user_reference"
    seen = [r for r in mock.requests() if r["path"] == f"/incidents/{incident['id']}"]
    assert seen and all(r["credential"] == fingerprint(OAUTH) for r in seen)
    assert OAUTH not in json.dumps(mock.requests())
    with pytest.raises(pagerduty.HttpError):
        rest(mock, token="short", auth_type="oauth2").rget(f"/incidents/{incident['id']}")


def test_change_events_are_read_back_whole(mock: Mock) -> None:
    """03-Change-Events (payload summary/source/timestamp/custom_details, links, images);
    listChangeEvents, getChangeEvent and listServiceChangeEvents answer the ChangeEvent."""
    key = new_key()
    payload = {
        "summary": "deploy 43",
        "source": "ci",
        "timestamp": "2026-01-02T03:04:05.000+00:00",
        "custom_details": {"sha": "abc123"},
    }
    links = [{"href": "https://ci.example/43", "text": "build"}]
    images = [{"src": "https://ci.example/43.png", "alt": "graph"}]
    events(mock, key).send_change_event(payload=payload, links=links, images=images)
    client = rest(mock)
    listed = checked(client.get("/change_events", params={"total": "true"}))["change_events"]
    (event,) = [e for e in listed if e["summary"] == "deploy 43"]
    assert event["timestamp"] == "2026-01-02T03:04:05Z" and event["source"] == "ci"
    assert event["custom_details"] == {"sha": "abc123"}
    assert (event["links"], event["images"]) == (links, images)
    assert key not in json.dumps(event)  # the routing key is a secret: never read back
    assert checked(client.get(f"/change_events/{event['id']}"))["change_event"] == event
    service = event["services"][0]["id"]
    by_service = checked(client.get(f"/services/{service}/change_events"))["change_events"]
    assert by_service == [event]
    window = {"since": "2026-01-02T00:00:00Z", "until": "2026-01-03T00:00:00Z"}
    assert list(client.iter_all(f"/services/{service}/change_events", params=window)) == [event]
    missing = client.get("/services/PNOPE/change_events")
    assert checked(missing)["error"]["code"] == 2100


def test_unknown_routes_and_throttling_answer_in_pagerdutys_shape(mock: Mock) -> None:
    """14-Errors: Not Found is `{"error": {"message", "code": 2100}}`; 04-Rate-Limits: a 429 is
    `{"error": {"message": "Rate Limit Exceeded", "code": 2020}}` with ratelimit-* headers."""
    headers = {"Authorization": f"Token token={TOKEN}"}
    for method, path in (("GET", "/nope"), ("DELETE", "/incidents"), ("GET", "/incidents/")):
        reply = httpx.request(method, mock.url + path, headers=headers, verify=ca(mock))
        assert (reply.status_code, reply.json()) == (
            404,
            {"error": {"message": "Not Found", "code": 2100}},
        )
    mock.control("POST", "scenarios", {"name": "pagerduty/cold_throttle"})
    try:
        reply = httpx.get(mock.url + "/incidents", headers=headers, verify=ca(mock))
        assert reply.status_code == 429 and reply.json()["error"]["code"] == 2020
        assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(reply.headers)
        assert reply.headers["ratelimit-reset"] == reply.headers["retry-after"]
        check(openapi(REST_SPEC), API, reply)
    finally:
        mock.control("DELETE", "faults")


# --- the account an operator script reads, and what it makes through REST ----------------------

ACCOUNT_KEY = "y_NbAkKc66ryYTWUXYEu"  # an account-level key has no `u+` prefix


def test_users_me_with_a_user_token_and_the_account_key_refusal(mock: Mock) -> None:
    """getCurrentUser: a user-level key (or OAuth token) gets its user; an account-level key
    gets the 400 whose `error` is a bare string (python-pagerduty test_api_key_access), which
    RestApiV2Client.api_key_access reads as "account"."""
    me = checked(rest(mock).get("/users/me"))["user"]
    assert me["type"] == "user" and me["email"] and me["name"]
    assert rest(mock).api_key_access == "user"
    oauth = rest(mock, token=OAUTH, auth_type="oauth2")
    assert oauth.rget("/users/me")["id"] != me["id"]
    account = rest(mock, token=ACCOUNT_KEY)
    reply = account.get("/users/me")
    assert reply.status_code == 400 and "account-level access token" in reply.json()["error"]
    assert account.api_key_access == "account"


def test_the_directory_lists_with_find_dict_all_and_iter_all(mock: Mock) -> None:
    """listUsers, listEscalationPolicies, listSchedules, listOnCalls, listPriorities, listTeams,
    listServices (classic pagination, `query`), and the single reads; the SDK's `find`,
    `dict_all`, `list_all`, `subdomain`, `account_has_ability` (getAbility 204 / 404)."""
    events(mock, new_key()).trigger("dir", "src", dedup_key="dir-1")
    client = rest(mock)
    for path, key in (
        ("/users", "users"),
        ("/escalation_policies", "escalation_policies"),
        ("/schedules", "schedules"),
        ("/oncalls", "oncalls"),
        ("/priorities", "priorities"),
        ("/teams", "teams"),
        ("/services", "services"),
    ):
        assert checked(client.get(path, params={"total": "true"}))[key], path
    owner = client.find("users", "OWNER@opwire-mock.example", attribute="email")
    assert owner is not None and owner["role"] == "owner"
    assert checked(client.get(f"/users/{owner['id']}"))["user"] == owner
    policy = client.find("escalation_policies", "default")
    assert policy is not None
    assert checked(client.get(f"/escalation_policies/{policy['id']}"))["escalation_policy"]
    (target,) = policy["escalation_rules"][0]["targets"]
    schedule = checked(client.get(f"/schedules/{target['id']}"))["schedule"]
    assert schedule["users"][0]["id"] == owner["id"] and schedule["schedule_layers"]
    (oncall,) = client.list_all("oncalls", params={"escalation_policy_ids[]": [policy["id"]]})
    assert (oncall["user"]["id"], oncall["escalation_level"]) == (owner["id"], 1)
    assert client.list_all("oncalls", params={"user_ids": ["PNOBODY"]}) == []
    assert [p["name"] for p in client.iter_all("priorities")] == ["P1", "P2", "P3", "P4", "P5"]
    services = client.dict_all("services")
    service_id = only_incident(client, "dir-1")["service"]["id"]
    assert services[service_id]["escalation_policy"]["id"] == policy["id"]
    assert checked(client.get(f"/services/{service_id}"))["service"] == services[service_id]
    (team,) = client.list_all("teams")
    for teams, expected in (([team["id"], "POTHER"], True), (["POTHER"], False)):
        found = client.dict_all("services", params={"team_ids[]": teams})
        assert (service_id in found) is expected
    assert client.subdomain == "opwire-mock"
    assert client.account_has_ability("teams") is True
    with pytest.raises(pagerduty.HttpError):
        client.account_has_ability("no_such_ability")
    assert checked(client.get("/users/PNOBODY"))["error"]["code"] == 2100


def test_create_incident_through_rest_with_the_from_header(mock: Mock) -> None:
    """createIncident (POST /incidents, `From` required): 201 and the Incident, triggered by the
    user, assigned to the on-call, no alerts; a second open one with the same incident_key,
    an unknown service and a missing title are 400 code 2001."""
    events(mock, new_key()).trigger("svc", "src", dedup_key="mk-svc")
    client = rest(mock, default_from=USER)
    service = only_incident(client, "mk-svc")["service"]
    priority = client.find("priorities", "P2")
    assert priority is not None
    body = {
        "type": "incident",
        "title": "db failover by hand",
        "service": {"id": service["id"], "type": "service_reference"},
        "urgency": "low",
        "incident_key": "rest-1",
        "priority": {"id": priority["id"], "type": "priority_reference"},
        "body": {"type": "incident_body", "details": "failing over to replica"},
    }
    reply = client.post("/incidents", json={"incident": body})
    assert reply.status_code == 201
    incident = checked(reply)["incident"]
    assert (incident["status"], incident["urgency"], incident["title"]) == (
        "triggered",
        "low",
        "db failover by hand",
    )
    assert incident["priority"]["summary"] == "P2" and incident["alert_counts"]["all"] == 0
    assert incident["last_status_change_by"]["summary"] == USER
    assert incident["assignments"][0]["assignee"]["type"] == "user_reference"
    assert client.rget(incident)["id"] == incident["id"]
    (entry,) = client.iter_all(f"/incidents/{incident['id']}/log_entries")
    assert entry["type"] == "trigger_log_entry" and entry["agent"]["summary"] == USER
    with pytest.raises(pagerduty.HttpError) as twice:
        client.rpost("incidents", json=body)
    assert twice.value.response.json()["error"]["code"] == 2001
    for bad in ({**body, "service": {"id": "PNOPE", "type": "service_reference"}}, {"type": "x"}):
        refused = client.post("/incidents", json={"incident": bad})
        assert checked(refused)["error"]["code"] == 2001
    no_from = rest(mock).post("/incidents", json={"incident": {**body, "incident_key": "r2"}})
    assert no_from.status_code == 400 and no_from.json()["error"]["code"] == 2016
    resolved = client.rput(incident, json={"type": "incident_reference", "status": "resolved"})
    assert resolved["status"] == "resolved"
    again = client.rpost("incidents", json=body)  # the key is free once resolved
    assert again["id"] != incident["id"]


def test_notes_are_written_and_read_back_as_annotate_entries(mock: Mock) -> None:
    """createIncidentNote (200 `{"note"}`) and listIncidentNotes; iter_incident_notes reads the
    same notes as annotate_log_entry log entries."""
    events(mock, new_key()).trigger("noted", "src", dedup_key="note-1")
    client = rest(mock, default_from=USER)
    incident = only_incident(client, "note-1")
    path = f"/incidents/{incident['id']}/notes"
    reply = client.post(path, json={"note": {"content": "restarted the pool"}})
    note = checked(reply)["note"]
    assert note["content"] == "restarted the pool" and note["user"]["summary"] == USER
    assert client.rpost(path, json={"content": "watching"})["content"] == "watching"
    notes = checked(client.get(path))["notes"]
    assert [n["content"] for n in notes] == ["restarted the pool", "watching"]
    annotated = list(client.iter_incident_notes(incident_id=incident["id"]))
    assert len(annotated) == 2 and {n["id"] for n in notes} == {e["id"] for e in annotated}
    empty = client.post(path, json={"note": {"content": ""}})
    assert checked(empty)["error"]["code"] == 2001
    assert checked(client.get("/incidents/PNOPE/notes"))["error"]["code"] == 2100


def test_merge_moves_the_alerts_and_resolves_the_sources(mock: Mock) -> None:
    """mergeIncidents (PUT /incidents/{id}/merge, rput's `source_incidents` wrapper): the
    target holds the sources' alerts (alert_counts, listIncidentAlerts, getIncidentAlert), the
    sources are resolved; a later resolve of a source's dedup key resolves that alert in the
    target, which stays open while it holds another open alert."""
    sender = events(mock, new_key())
    for n in range(3):
        sender.trigger(f"merge {n}", "src", dedup_key=f"merge-{n}")
    client = rest(mock, default_from=USER)
    target, *sources = [only_incident(client, f"merge-{n}") for n in range(3)]
    refs = [{"id": s["id"], "type": "incident_reference"} for s in sources]
    reply = client.put(f"/incidents/{target['id']}/merge", json={"source_incidents": refs})
    merged = checked(reply)["incident"]
    assert (merged["id"], merged["type"]) == (target["id"], "incident_reference")
    assert client.rget(merged)["alert_counts"] == {"all": 3, "triggered": 3, "resolved": 0}
    alerts = checked(client.get(f"/incidents/{target['id']}/alerts"))["alerts"]
    assert sorted(a["alert_key"] for a in alerts) == ["merge-0", "merge-1", "merge-2"]
    one = checked(client.get(f"/incidents/{target['id']}/alerts/{alerts[1]['id']}"))["alert"]
    assert one == alerts[1]
    for source in sources:
        gone = client.rget(source)
        assert gone["status"] == "resolved" and gone["alert_counts"]["all"] == 0
    sender.resolve("merge-1")  # that alert, now the target's, resolves; the incident stays open
    after = client.rget(target)
    assert after["alert_counts"] == {"all": 3, "triggered": 2, "resolved": 1}
    assert after["status"] == "triggered"
    itself = client.put(
        f"/incidents/{target['id']}/merge",
        json={"source_incidents": [{"id": target["id"], "type": "incident_reference"}]},
    )
    assert checked(itself)["error"]["code"] == 2001


def test_persist_creates_a_service_once(mock: Mock) -> None:
    """createService (POST /services, 201 `{"service"}`) through the SDK's persist, which finds
    by `query` first; the second call finds the one made; a taken name is 400 code 2001."""
    client = rest(mock)
    policy = client.find("escalation_policies", "Default")
    assert policy is not None
    name = f"checkout-{uuid.uuid4().hex[:6]}"
    values = {
        "name": name,
        "type": "service",
        "description": "made by an operator script",
        "escalation_policy": {"id": policy["id"], "type": "escalation_policy_reference"},
    }
    made = client.persist("services", "name", values)
    assert made["name"] == name and made["status"] == "active"
    assert client.persist("services", "name", values)["id"] == made["id"]
    reply = client.post("/services", json={"service": values})
    assert checked(reply)["error"]["code"] == 2001
    assert checked(client.get(f"/services/{made['id']}"))["service"]["description"] == (
        "made by an operator script"
    )


def test_rput_reprioritizes_reassigns_and_snoozes(mock: Mock) -> None:
    """updateIncident's other fields (priority, urgency, assignments, escalation_level) and
    createIncidentSnooze (201, only while acknowledged; the Incident's pending_actions)."""
    events(mock, new_key()).trigger("slow api", "api-1", dedup_key="upd-1")
    client = rest(mock, default_from=USER)
    incident = only_incident(client, "upd-1")
    p1 = client.find("priorities", "P1")
    assert p1 is not None
    change = {
        "type": "incident_reference",
        "priority": {"id": p1["id"], "type": "priority_reference"},
        "urgency": "low",
    }
    reply = client.put(f"/incidents/{incident['id']}", json={"incident": change})
    updated = checked(reply)["incident"]
    assert (updated["priority"]["summary"], updated["urgency"]) == ("P1", "low")
    cleared = client.rput(incident, json={"type": "incident_reference", "priority": None})
    assert "priority" not in cleared
    owner = client.find("users", "Opwire Mock Owner")
    assert owner is not None
    assignee = {"assignee": {"id": owner["id"], "type": "user_reference"}}
    moved = client.rput(incident, json={"type": "incident_reference", "assignments": [assignee]})
    assert [a["assignee"]["id"] for a in moved["assignments"]] == [owner["id"]]
    types = [e["type"] for e in client.iter_all(f"/incidents/{incident['id']}/log_entries")]
    assert types[0] == "assign_log_entry"
    nobody = {"assignee": {"id": "PNOBODY", "type": "user_reference"}}
    for bad in ({"assignments": [nobody]}, {"escalation_level": 9}, {"urgency": "meh"}):
        refused = client.put(
            f"/incidents/{incident['id']}", json={"incident": {"type": "incident", **bad}}
        )
        # updateIncident's spec lists no 400; the API answers one (go-pagerduty#32, #336)
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, 2001), bad
    snooze = f"/incidents/{incident['id']}/snooze"
    assert checked(client.post(snooze, json={"duration": 600}))["error"]["code"] == 2001
    client.rput(incident, json={"type": "incident_reference", "status": "acknowledged"})
    reply = client.post(snooze, json={"duration": 600})
    assert reply.status_code == 201
    snoozed = checked(reply)["incident"]
    assert snoozed["status"] == "acknowledged"
    assert [a["type"] for a in snoozed["pending_actions"]] == ["unacknowledge"]


def test_related_change_events_of_an_incident(mock: Mock) -> None:
    """listIncidentRelatedChangeEvents: the service's change events before the incident, each
    with its correlation_reason; another service's are not related."""
    key = new_key()
    sender = events(mock, key)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    sender.send_change_event(payload={"summary": "deploy 7", "source": "ci", "timestamp": now})
    events(mock, new_key()).send_change_event(payload={"summary": "elsewhere", "timestamp": now})
    sender.trigger("errors up", "api", dedup_key="rel-1")
    client = rest(mock)
    incident = only_incident(client, "rel-1")
    reply = client.get(f"/incidents/{incident['id']}/related_change_events")
    related = checked(reply)["change_events"]
    assert [(c["summary"], c["correlation_reason"]["reason"]) for c in related] == [
        ("deploy 7", "related_service")
    ]
    assert client.rget(f"/incidents/{incident['id']}/related_change_events") == related


def test_iter_history_reads_incidents_log_entries_and_change_events(mock: Mock) -> None:
    """RestApiV2Client.iter_history: get_total over since/until written as the SDK's
    DATETIME_FMT (`+0000` offsets), then iter_all in the window."""
    sender = events(mock, new_key())
    sender.trigger("hist", "src", dedup_key="hist-1")
    client = rest(mock)
    now = datetime.now(UTC)
    since, until = now - timedelta(minutes=5), now + timedelta(minutes=5)
    keys = [i["incident_key"] for i in client.iter_history("/incidents", since, until)]
    assert "hist-1" in keys
    assert list(client.iter_history("/log_entries", since, until))
    old = list(client.iter_history("/incidents", since - timedelta(days=9), since))
    assert "hist-1" not in [i["incident_key"] for i in old]


def test_events_client_answers_and_refusals(mock: Mock) -> None:
    """Events API v2 through EventsApiV2Client, each answer checked against the events-v2
    spec: trigger without dedup_key (the key PagerDuty made), acknowledge with nothing open
    (202, dropped), an invalid event (400 `invalid event`, the SDK's HttpError), a change event
    (202 "Change event processed").

    EventsApiV2Client.submit in pagerduty 7.2.0 cannot make its own timestamp: its
    event_timestamp calls `datetime.now(tz=datetime.timezone.utc)` on the datetime class
    (AttributeError, an SDK bug, events_api_v2_client.py), so an application passes one."""
    sender = events(mock, new_key())
    made = sender.trigger("no key", "src")
    assert len(made) == 32
    assert sender.acknowledge("never-opened") == "never-opened"
    with pytest.raises(pagerduty.HttpError) as refused:
        sender.trigger("bad", "src", severity="fatal")
    reply = refused.value.response
    assert reply.status_code == 400 and reply.json()["status"] == "invalid event"
    # The spec's 400 names its schema only in prose ("#/components/responses/ArgumentError",
    # which it does not define); its one error schema is components.responses.Error.
    error = json.loads(spec_path(EVENTS_SPEC).read_text())["components"]["responses"]["Error"]
    jsonschema.validate(reply.json(), error["content"]["application/json"]["schema"])
    with pytest.raises(AttributeError):
        sender.submit("deploy 9", "ci")  # the SDK's own bug, before any request is made
    sender.submit("deploy 9", "ci", timestamp="2026-12-02T10:00:00Z")
    (answer,) = [r for r in mock.requests() if r["path"] == "/v2/change/enqueue"][-1:]
    assert answer["status"] == 202
    raw = httpx.post(
        mock.url + "/v2/change/enqueue",
        json={"routing_key": new_key(), "payload": {"summary": "deploy 10"}},
        verify=ca(mock),
    )
    check(openapi(EVENTS_SPEC), EVENTS_API, raw)
    assert raw.json() == {"message": "Change event processed", "status": "success"}


def test_a_service_made_through_rest_takes_events_through_its_new_integration(mock: Mock) -> None:
    """createService, then createServiceIntegration (events_api_v2_inbound_integration, 201,
    its `integration_key`, which go-pagerduty's Integration reads), then the Events API with that
    key opens an incident on the service; getServiceIntegration reads it back; the service lists
    the integration once; a change event names the integration."""
    client = rest(mock, default_from=USER)
    policy = client.find("escalation_policies", "Default")
    assert policy is not None
    service = client.rpost(
        "services",
        json={
            "name": f"payments-{uuid.uuid4().hex[:6]}",
            "type": "service",
            "escalation_policy": {"id": policy["id"], "type": "escalation_policy_reference"},
        },
    )
    assert service["integrations"] == []
    path = f"/services/{service['id']}/integrations"
    reply = client.post(
        path, json={"integration": {"type": "events_api_v2_inbound_integration", "name": "app"}}
    )
    assert reply.status_code == 201
    integration = checked(reply)["integration"]
    key = integration["integration_key"]
    assert len(key) == 32 and integration["service"]["id"] == service["id"]
    assert checked(client.get(f"{path}/{integration['id']}"))["integration"] == integration
    sender = events(mock, key)
    sender.trigger("card declines", "payments-api", dedup_key="int-1")
    assert only_incident(client, "int-1")["service"]["id"] == service["id"]
    sender.send_change_event(payload={"summary": "payments deploy"})
    (change,) = client.list_all(f"/services/{service['id']}/change_events")
    assert change["integration"]["id"] == integration["id"]
    (listed,) = [s for s in client.list_all("services") if s["id"] == service["id"]]
    assert [i["id"] for i in listed["integrations"]] == [integration["id"]]
    email = {"integration": {"type": "generic_email_inbound_integration"}}
    assert checked(client.post(path, json=email))["error"]["code"] == 2001


def test_incidents_belong_to_the_policys_team_and_on_call(mock: Mock) -> None:
    """An incident is assigned to its escalation policy's on-call and carries the policy's
    teams (Incident.assignments, escalation_policy, teams), so listIncidents' `team_ids[]` and
    `user_ids[]` and listLogEntries' `team_ids[]` find it; a resolved incident is assigned to
    no one, and reopening assigns the on-call again."""
    events(mock, new_key()).trigger("team", "src", dedup_key="team-1")
    client = rest(mock, default_from=USER)
    (team,) = client.list_all("teams")
    (oncall,) = client.list_all("oncalls")
    incident = only_incident(client, "team-1")
    assert incident["teams"][0]["id"] == team["id"]
    assert incident["escalation_policy"]["id"] == oncall["escalation_policy"]["id"]
    assert [a["assignee"]["id"] for a in incident["assignments"]] == [oncall["user"]["id"]]
    scope = {"date_range": "all", "incident_key": "team-1"}
    for name, value in (("team_ids[]", team["id"]), ("user_ids[]", oncall["user"]["id"])):
        assert [i["id"] for i in client.iter_all("incidents", params={**scope, name: [value]})] == [
            incident["id"]
        ]
    entries = client.list_all("log_entries", params={"team_ids[]": [team["id"]]})
    assert incident["id"] in {e["incident"]["id"] for e in entries}
    resolved = client.rput(incident, json={"type": "incident_reference", "status": "resolved"})
    assert resolved["assignments"] == []
    reopened = client.rput(incident, json={"type": "incident_reference", "status": "triggered"})
    assert [a["assignee"]["id"] for a in reopened["assignments"]] == [oncall["user"]["id"]]


def test_the_on_calls_contact_methods_and_notification_rules(mock: Mock) -> None:
    """getUserContactMethods and getUserNotificationRules (neither paginated): how the on-call
    is reached, as a paging check reads it (jget: the whole body)."""
    client = rest(mock)
    (oncall,) = client.list_all("oncalls")
    user = client.rget(oncall["user"])
    methods = checked(client.get(f"/users/{user['id']}/contact_methods"))["contact_methods"]
    assert [(m["type"], m["address"]) for m in methods] == [("email_contact_method", user["email"])]
    assert [m["id"] for m in methods] == [r["id"] for r in user["contact_methods"]]
    rules = client.jget(f"/users/{user['id']}/notification_rules")["notification_rules"]
    assert rules[0]["contact_method"]["id"] == methods[0]["id"]
    checked(client.get(f"/users/{user['id']}/notification_rules"))
    nobody = client.get("/users/PNOBODY/contact_methods")  # the spec lists no 404 here
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (404, 2100)


def test_rdelete_removes_a_service_and_paging_past_10000_is_refused(mock: Mock) -> None:
    """deleteService (204, then getService 404) through rdelete, as a script cleans up what it
    made; classic pagination refuses offset + limit past 10000 (the limit python-pagerduty's
    iter_all stops short of)."""
    client = rest(mock)
    policy = client.find("escalation_policies", "Default")
    assert policy is not None
    made = client.rpost(
        "services",
        json={
            "name": f"scratch-{uuid.uuid4().hex[:6]}",
            "escalation_policy": {"id": policy["id"], "type": "escalation_policy_reference"},
        },
    )
    assert client.rdelete(made).status_code == 204
    assert checked(client.get(f"/services/{made['id']}"))["error"]["code"] == 2100
    assert made["id"] not in client.dict_all("services")
    far = client.get("/incidents", params={"offset": 9950, "limit": 100})
    assert checked(far)["error"]["code"] == 2001


def test_analytics_counts_the_incidents_of_a_service(mock: Mock) -> None:
    """getAnalyticsMetricsIncidentsAll (jpost: the SDK leaves the body unwrapped), the count
    vendor-contracts § 3.7 names: created_at window, service_ids, urgency, aggregate_unit day;
    a user-level key must name services or teams (the operation's note)."""
    sender = events(mock, new_key())
    for n, severity in enumerate(("critical", "info", "critical")):
        sender.trigger(f"an {n}", "src", dedup_key=f"an-{n}", severity=severity)
    sender.acknowledge("an-0")
    sender.resolve("an-0")
    client = rest(mock)
    service = only_incident(client, "an-0")["service"]["id"]
    now = datetime.now(UTC)
    filters = {
        "created_at_start": (now - timedelta(hours=1)).isoformat(),
        "created_at_end": (now + timedelta(hours=1)).isoformat(),
        "service_ids": [service],
    }
    reply = client.post("/analytics/metrics/incidents/all", json={"filters": filters})
    (row,) = checked(reply)["data"]
    assert (row["total_incident_count"], row["total_incidents_acknowledged"]) == (3, 1)
    assert row["mean_seconds_to_resolve"] is not None
    high = client.jpost(
        "/analytics/metrics/incidents/all",
        json={"filters": {**filters, "urgency": "high"}, "aggregate_unit": "day"},
    )
    assert [r["total_incident_count"] for r in high["data"]] in ([2], [1, 1])  # past midnight
    assert high["aggregate_unit"] == "day" and high["filters"]["service_ids"] == [service]
    unscoped = client.post("/analytics/metrics/incidents/all", json={"filters": {}})
    assert checked(unscoped)["error"]["code"] == 2001
    account = rest(mock, token=ACCOUNT_KEY).jpost(
        "/analytics/metrics/incidents/all", json={"filters": {}}
    )
    assert sum(r["total_incident_count"] for r in account["data"]) >= 3


def test_the_token_invalid_scenario_refuses_every_rest_route(mock: Mock) -> None:
    """pagerduty/token_invalid: every REST route, read or write, answers 401 code 2006 (the
    SDK raises at once on a 401), while the Events API, which takes no token, still accepts."""
    sender = events(mock, new_key())
    mock.control("POST", "scenarios", {"name": "pagerduty/token_invalid"})
    try:
        client = rest(mock, default_from=USER)
        for call in (
            lambda: client.rget("/users/me"),
            lambda: client.list_all("services"),
            lambda: client.list_all("oncalls"),
            lambda: client.rpost("incidents", json={"type": "incident", "title": "t"}),
            lambda: client.jpost("/analytics/metrics/incidents/all", json={}),
        ):
            with pytest.raises(pagerduty.HttpError) as refused:
                call()
            assert refused.value.response.json()["error"]["code"] == 2006
        assert sender.trigger("still paged", "src") != ""
    finally:
        mock.control("DELETE", "faults")


def test_persist_provisions_a_user_once_and_updates_it(mock: Mock) -> None:
    """createUser (201 `{"user"}`, `From` required) through persist("users", "email", …), the
    python-pagerduty docs' own example: found by `query` the second time; update=True sends it
    whole to updateUser; a taken email is 400 code 2001; deleteUser 204 through rdelete."""
    client = rest(mock, default_from=USER)
    email = f"new.responder.{uuid.uuid4().hex[:6]}@example.com"
    values = {"name": "New Responder", "email": email, "type": "user", "role": "limited_user"}
    made = client.persist("users", "email", values)
    assert (made["email"], made["role"], made["type"]) == (email, "limited_user", "user")
    assert checked(client.get(f"/users/{made['id']}"))["user"] == made
    assert client.persist("users", "email", values)["id"] == made["id"]
    changed = client.persist("users", "email", {**values, "job_title": "SRE"}, update=True)
    assert (changed["id"], changed["job_title"]) == (made["id"], "SRE")
    taken = client.post("/users", json={"user": {**values, "email": email.upper()}})
    assert checked(taken)["error"]["code"] == 2001
    no_from = rest(mock).post("/users", json={"user": {**values, "email": "x" + email}})
    assert no_from.json()["error"]["code"] == 2016
    assert client.rdelete(made).status_code == 204
    assert client.find("users", email, attribute="email") is None


def test_oncalls_since_near_the_end_of_time_and_a_naive_since(mock: Mock) -> None:
    """listOnCalls `since` (openapiv3.json: "The start of the time range over which you want to
    search"): a week from a `since` past 9999-12-24 cannot be written, so it is PagerDuty's
    400 Invalid Input Provided (code 2001, 14-Errors), not a 500; a `since` without an offset
    is read as UTC, as every other REST window of the mock reads it."""
    client = rest(mock)
    far = client.get("/oncalls", params={"since": "9999-12-30T00:00:00Z"})
    assert (far.status_code, checked(far)["error"]["code"]) == (400, 2001)
    (oncall,) = checked(client.get("/oncalls", params={"since": "2026-03-02T10:00:00"}))["oncalls"]
    assert (oncall["start"], oncall["end"]) == ("2026-03-02T10:00:00Z", "2026-03-09T10:00:00Z")


def test_analytics_refuses_a_time_zone_that_names_no_zone(mock: Mock) -> None:
    """getAnalyticsMetricsIncidentsAll `time_zone` ("The time zone to use for the results
    grouping", an IANA name): a region alone ("America") or a name too long for any zone is
    400 Invalid Input Provided (code 2001, 14-Errors), never a 500."""
    client = rest(mock, token=ACCOUNT_KEY)
    for zone in ("America", "A" * 300, "Europe"):
        reply = client.post("/analytics/metrics/incidents/all", json={"time_zone": zone})
        assert (reply.status_code, checked(reply)["error"]["code"]) == (400, 2001)
    good = client.post("/analytics/metrics/incidents/all", json={"time_zone": "America/Chicago"})
    assert good.status_code == 200


def test_merge_refuses_a_resolved_target_and_a_source_without_alerts(mock: Mock) -> None:
    """mergeIncidents: "The target incident must be open" and "Only incidents that have alerts
    ... can be merged" (openapiv3.json), each a 400 Invalid Input Provided (code 2001,
    14-Errors): a source merged away already (its alerts moved) cannot be merged again, and a
    refused merge leaves every incident as it was."""
    sender = events(mock, new_key())
    for n in range(3):
        sender.trigger(f"remerge {n}", "src", dedup_key=f"remerge-{n}")
    client = rest(mock, default_from=USER)
    target, source, other = [only_incident(client, f"remerge-{n}") for n in range(3)]
    ref = [{"id": source["id"], "type": "incident_reference"}]
    client.rput(f"/incidents/{target['id']}/merge", json=ref)
    for _ in range(2):
        again = client.put(f"/incidents/{other['id']}/merge", json={"source_incidents": ref})
        assert (again.status_code, checked(again)["error"]["code"]) == (400, 2001)
    assert client.rget(other)["alert_counts"]["all"] == 1
    sender.resolve("remerge-2")
    closed = client.put(
        f"/incidents/{other['id']}/merge",
        json={"source_incidents": [{"id": target["id"], "type": "incident_reference"}]},
    )
    assert (closed.status_code, checked(closed)["error"]["code"]) == (400, 2001)
    assert client.rget(target)["alert_counts"] == {"all": 2, "triggered": 2, "resolved": 0}


def test_a_change_event_time_past_9999_in_utc_falls_back_to_its_arrival(mock: Mock) -> None:
    """03-Change-Events payload.timestamp ("The time at which the emitting tool detected or
    generated the event", ISO 8601): a time that is past 9999 once in UTC is unreadable as
    any other is, so the event is accepted (202) and timed when it arrived, not a 500."""
    key = new_key()
    before = datetime.now(UTC).replace(microsecond=0)
    payload = {"summary": "deploy at the end", "timestamp": "9999-12-31T23:59:59-05:00"}
    events(mock, key).send_change_event(payload=payload)
    listed = rest(mock).list_all("change_events")
    (event,) = [e for e in listed if e["summary"] == "deploy at the end"]
    arrived = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
    assert before <= arrived <= datetime.now(UTC)


def test_change_events_of_the_accounts_team(mock: Mock) -> None:
    """listChangeEvents `team_ids[]` ("An array of team IDs. Only results related to these
    teams will be returned"): every service is on the account's team (getService `teams`), so
    that team keeps its change events and a team the account lacks keeps none."""
    key = new_key()
    events(mock, key).send_change_event(payload={"summary": "team deploy", "source": "ci"})
    client = rest(mock)
    (event,) = [e for e in client.list_all("change_events") if e["summary"] == "team deploy"]
    (team,) = client.rget(f"/services/{event['services'][0]['id']}")["teams"]
    ours = client.list_all("change_events", params={"team_ids[]": [team["id"]]})
    assert event in ours
    assert client.list_all("change_events", params={"team_ids[]": ["PNOTEAM"]}) == []
    checked(client.get("/change_events", params={"team_ids[]": [team["id"]]}))


def test_a_deleted_user_stays_deleted_though_the_log_shows_them_act(mock: Mock) -> None:
    """deleteUser (204), then getUser and a second deleteUser are 404 Not Found (code 2100,
    14-Errors), and listUsers leaves the user out, even when the incidents' log shows the user
    acting (their `From` address on a note); createUser with the address makes them again."""
    email = f"leaver.{uuid.uuid4().hex[:6]}@example.com"
    admin = rest(mock, default_from=USER)
    values = {"name": "Leaver", "email": email, "type": "user"}
    made = admin.rpost("users", json=values)
    events(mock, new_key()).trigger("leaver acts", "src", dedup_key=f"leave-{email}")
    incident = only_incident(admin, f"leave-{email}")
    note = {"note": {"content": "on it"}}
    rest(mock, default_from=email).rpost(f"/incidents/{incident['id']}/notes", json=note)
    assert admin.rdelete(made).status_code == 204
    for reply in (admin.get(f"/users/{made['id']}"), admin.delete(f"/users/{made['id']}")):
        assert (reply.status_code, reply.json()["error"]["code"]) == (404, 2100)
    assert admin.find("users", email, attribute="email") is None
    again = admin.rpost("users", json=values)
    assert again["id"] == made["id"] and admin.rget(f"/users/{made['id']}")["email"] == email
