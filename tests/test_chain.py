"""`opwire chain` (seed step 28: Sentry error -> PagerDuty incident -> Slack message) and the mock
behaviour that carries it: the Sentry mock's alert rules, the PagerDuty mock's Slack extension and
its REST updateIncident (`PUT /incidents/{id}`)."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pagerduty
import pytest
import sentry_sdk
from test_specs import check, openapi

from opwire import chain
from opwire.config import Lookup, Redactor, run_settings
from opwire.events import RequestLine
from opwire.mock.server import MockStack
from opwire.mock.tls import TlsFiles
from opwire.state import Journal

from conftest import OPWIRE, Mock, clean_env, closed_port, opwire, serve

KEY = "abcdefabcdefabcdefabcdefabcdef12"
TOKEN = "u+TOKENtokenTOKEN123"
SOMEONE = "oncall@example.com"


# --- PagerDuty REST updateIncident ---------------------------------------------------------------


@pytest.fixture
def pagerduty_tls(tls_files: TlsFiles) -> Iterator[Mock]:
    yield from serve("pagerduty", tls=tls_files)
    gc.collect()  # the client's TLS sockets go here, while the filter below applies


def _clients(mock: Mock) -> tuple[pagerduty.EventsApiV2Client, pagerduty.RestApiV2Client]:
    assert mock.server.tls is not None
    verify = ssl.create_default_context(cafile=mock.server.tls.ca_path)
    events = pagerduty.EventsApiV2Client(KEY, base_url=mock.url, verify=verify)
    rest = pagerduty.RestApiV2Client(TOKEN, default_from=SOMEONE, base_url=mock.url, verify=verify)
    return events, rest


def _put(mock: Mock, incident: str, body: Any, **headers: str) -> httpx.Response:
    assert mock.server.tls is not None
    return httpx.put(
        f"{mock.url}/incidents/{incident}",
        json=body,
        headers={"Authorization": f"Token token={TOKEN}", **headers},
        verify=ssl.create_default_context(cafile=mock.server.tls.ca_path),
    )


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_update_incident_acknowledges_and_resolves_as_the_from_user(pagerduty_tls: Mock) -> None:
    """The official client's rput moves an incident; resolving frees its dedup key."""
    events, rest = _clients(pagerduty_tls)
    try:
        events.trigger("disk full", "db1", dedup_key="upd-1", severity="error")
        (incident,) = rest.list_all("incidents", params={"incident_key": "upd-1"})
        acked = rest.rput(
            f"/incidents/{incident['id']}",
            json={"incident": {"type": "incident_reference", "status": "acknowledged"}},
        )
        assert isinstance(acked, dict) and acked["status"] == "acknowledged"
        assert acked["acknowledgements"][0]["acknowledger"]["summary"] == SOMEONE
        assert acked["last_status_change_by"]["type"] == "user_reference"
        by_number = rest.rget(f"/incidents/{incident['incident_number']}")
        assert isinstance(by_number, dict) and by_number["id"] == incident["id"]
        done = rest.rput(
            f"/incidents/{incident['incident_number']}",
            json={"incident": {"type": "incident_reference", "status": "resolved"}},
        )
        assert isinstance(done, dict) and done["status"] == "resolved" and done["resolved_at"]
        assert done["acknowledgements"] == []
        alerts = rest.rget(f"/incidents/{incident['id']}/alerts")
        assert [a["status"] for a in alerts] == ["resolved"]
        reopened = _put(
            pagerduty_tls,
            incident["id"],
            {"incident": {"type": "incident", "status": "triggered", "title": "disk full again"}},
            From=SOMEONE,
        )
        check(openapi("pagerduty/REST/openapiv3.json"), "https://api.pagerduty.com", reopened)
        assert reopened.json()["incident"]["summary"].endswith("disk full again")
        _put(pagerduty_tls, incident["id"], {"incident": done | {"type": "incident"}}, From=SOMEONE)
        events.trigger("disk full", "db1", dedup_key="upd-1", severity="error")
        again = rest.list_all("incidents", params={"incident_key": "upd-1"})
        assert sorted(i["status"] for i in again) == ["resolved", "triggered"]
    finally:
        events.close()
        rest.close()


REFUSED_UPDATES: list[tuple[dict[str, str], Any, int]] = [
    ({}, {"incident": {"type": "incident_reference", "status": "resolved"}}, 2016),
    ({"From": "not-an-address"}, {"incident": {"type": "incident", "status": "resolved"}}, 1028),
    ({"From": SOMEONE}, {"incident": {"status": "resolved"}}, 2001),
    ({"From": SOMEONE}, {"incident": {"type": "incident", "status": "gone"}}, 2001),
    ({"From": SOMEONE}, [1], 2001),
]


def test_update_incident_refusals(pagerduty_tls: Mock) -> None:
    """No From header, a malformed one, or a body the spec does not allow: 400 and PagerDuty's
    error shape, the incident untouched; an unknown incident is 404, no token 401."""
    trigger = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "upd-2",
        "payload": {"summary": "s", "source": "x", "severity": "info"},
    }
    assert pagerduty_tls.server.tls is not None
    verify = ssl.create_default_context(cafile=pagerduty_tls.server.tls.ca_path)
    httpx.post(f"{pagerduty_tls.url}/v2/enqueue", json=trigger, verify=verify)
    listed = httpx.get(
        f"{pagerduty_tls.url}/incidents",
        headers={"Authorization": f"Token token={TOKEN}"},
        verify=verify,
    ).json()["incidents"]
    for headers, body, code in REFUSED_UPDATES:
        reply = _put(pagerduty_tls, listed[0]["id"], body, **headers)
        assert (reply.status_code, reply.json()["error"]["code"]) == (400, code), headers
    again = _put(pagerduty_tls, listed[0]["id"], {"incident": {"type": "incident"}}, From=SOMEONE)
    assert again.json()["incident"]["status"] == "triggered"
    missing = _put(pagerduty_tls, "QNOPE", {"incident": {"type": "incident"}}, From=SOMEONE)
    assert missing.json() == {"error": {"message": "Not Found", "code": 2100}}
    unauthenticated = httpx.put(f"{pagerduty_tls.url}/incidents/1", json={}, verify=verify)
    assert unauthenticated.status_code == 401


# --- the mocks that carry the chain: Sentry's alert rules, PagerDuty's Slack extension ----------

PLANTED_KEY = "PLANTEDroutingKEY0000000000000zz"  # a routing key only the mocks' wiring holds
PLANTED_HOOK = "PLANTEDwebhookSecret0000"  # a Slack webhook secret only the wiring holds
DSN_KEY = "0123456789abcdef0123456789abcdef"
PD_TOKEN = {"Authorization": f"Token token={TOKEN}"}


@pytest.fixture
def stack() -> Iterator[dict[str, str]]:
    with MockStack(["sentry", "pagerduty", "slack"]) as running:
        yield running.urls


def _wire(urls: dict[str, str], key: str = PLANTED_KEY, **rule: Any) -> None:
    control(
        urls["sentry"],
        "POST",
        "sentry/rules",
        {
            "id": "page",
            "action": "pagerduty",
            "events_url": urls["pagerduty"],
            "routing_key": key,
            **rule,
        },
    )
    hook = f"{urls['slack']}/services/T0PLANT00/B0PLANT00/{PLANTED_HOOK}"
    control(
        urls["pagerduty"],
        "POST",
        "pagerduty/extensions",
        {
            "id": "chat",
            "routing_key": key,
            "webhook_url": hook,
        },
    )


def control(base: str, method: str, route: str, body: Any = None, **params: str) -> Any:
    reply = httpx.request(method, f"{base}/_opwire/{route}", json=body, params=params, timeout=5)
    assert reply.status_code == 200, reply.text
    return reply.json()


def eventually(check: Any, seconds: float = 5.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the wait"
        time.sleep(0.05)
    return found


def _messages(slack: str) -> list[dict[str, Any]]:
    return [m for found in control(slack, "GET", "slack/messages").values() for m in found]


def _logged(urls: dict[str, str]) -> str:
    """Every mock's whole request log, as text."""
    return json.dumps([control(u, "GET", "requests") for u in urls.values()])


def test_the_sdk_s_error_opens_an_incident_which_posts_to_slack(stack: dict[str, str]) -> None:
    """sentry-sdk's error opens a new issue; the Sentry mock's rule sends Sentry's PagerDuty
    trigger; the new incident's Slack extension posts its message. A second event of the same
    issue sends nothing; the secrets of the wiring show nowhere."""
    _wire(stack)
    host = stack["sentry"].removeprefix("http://")
    sentry_sdk.init(dsn=f"http://{DSN_KEY}@{host}/42", default_integrations=False)
    try:
        for _ in range(2):
            try:
                raise RuntimeError("disk full ow-20260101T000000Z-abc123")
            except RuntimeError:
                sentry_sdk.capture_exception()
        sentry_sdk.flush(timeout=5)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()
    (message,) = eventually(lambda: _messages(stack["slack"]))
    assert "#1 RuntimeError: disk full ow-20260101T000000Z-abc123" in message["text"]
    assert {f["title"] for f in message["attachments"][0]["fields"]} >= {"Status", "Urgency"}
    (issue,) = control(stack["sentry"], "GET", "sentry/config")["issues"]
    (incident,) = [i["vendor"] for i in control(stack["pagerduty"], "GET", "state")["items"]]
    assert incident["incident_key"] == issue["shortId"] and incident["urgency"] == "high"
    assert incident["title"] == "RuntimeError: disk full ow-20260101T000000Z-abc123"
    alerts = httpx.get(f"{stack['pagerduty']}/incidents/{incident['id']}/alerts", headers=PD_TOKEN)
    details = alerts.json()["alerts"][0]["body"]["details"]
    assert details["groupID"] == issue["id"] and details["title"] == incident["title"]
    assert {"eventID", "project", "message", "culprit", "tags", "platform", "datetime"} <= set(
        details
    )
    (sent,) = [
        json.loads(r["body"])
        for r in control(stack["pagerduty"], "GET", "requests")["requests"]
        if r["path"] == "/v2/enqueue"
    ]
    assert sent["client"] == "sentry" and sent["dedup_key"] == issue["shortId"]
    assert sent["links"] == [{"href": sent["client_url"], "text": "View Sentry Issue Details"}]
    assert sent["client_url"].startswith(issue["permalink"] + "?referrer=pagerduty_integration")
    assert sent["payload"]["component"] == "project-42" and sent["payload"]["severity"] == "error"
    (rule,) = control(stack["sentry"], "GET", "sentry/rules")["rules"]
    assert rule["delivery"] == {
        "fired": 1,
        "pending": 0,
        "delivered": 1,
        "failed": 0,
        "last_status": 202,
        "last_error": None,
    }
    (extension,) = control(stack["pagerduty"], "GET", "pagerduty/extensions")["extensions"]
    assert extension["delivery"]["delivered"] == 1 and extension["routing_key"].startswith(
        "sha256:"
    )
    shown = _logged(stack) + json.dumps([rule, extension])
    assert PLANTED_KEY not in shown and PLANTED_HOOK not in shown


def test_a_failed_delivery_is_counted_never_a_500(stack: dict[str, str]) -> None:
    """A rule or an extension whose target does not answer: the request that caused it is
    answered as ever, and the failure is in the hook's counts."""
    dead = f"http://127.0.0.1:{closed_port()}"
    control(stack["sentry"], "POST", "sentry/config", {"processing_delay_s": 0})
    control(
        stack["sentry"],
        "POST",
        "sentry/rules",
        [
            {"action": "pagerduty", "events_url": dead, "routing_key": PLANTED_KEY},
        ],
    )
    control(
        stack["pagerduty"],
        "POST",
        "pagerduty/extensions",
        {
            "service": "PSVC001",
            "webhook_url": f"{dead}/services/T0X0000/B0X0000/{PLANTED_HOOK}",
        },
    )
    envelope = b'{}\n{"type":"event"}\n{"message":"boom","level":"warning"}\n'
    stored = httpx.post(
        f"{stack['sentry']}/api/42/envelope/",
        content=envelope,
        headers={"X-Sentry-Auth": f"Sentry sentry_key={DSN_KEY}, sentry_version=7"},
    )
    assert stored.status_code == 200
    trigger = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "d1",
        "payload": {"summary": "s", "source": "x", "severity": "info"},
    }
    assert httpx.post(f"{stack['pagerduty']}/v2/enqueue", json=trigger).status_code == 202
    (rule,) = eventually(
        lambda: [
            r
            for r in control(stack["sentry"], "GET", "sentry/rules")["rules"]
            if r["delivery"]["failed"]
        ]
    )
    assert rule["id"] == "rule-1" and "ConnectError" in rule["delivery"]["last_error"]
    (extension,) = eventually(
        lambda: [
            e
            for e in control(stack["pagerduty"], "GET", "pagerduty/extensions")["extensions"]
            if e["delivery"]["failed"]
        ]
    )
    assert PLANTED_HOOK not in json.dumps(extension) and "/****" in extension["webhook_url"]
    assert control(stack["sentry"], "GET", "health")["status"] == "ok"


WRONG_HOOKS: list[tuple[str, str, Any]] = [
    ("sentry", "sentry/rules", {"action": "slack", "events_url": "http://x", "routing_key": KEY}),
    (
        "sentry",
        "sentry/rules",
        {"action": "pagerduty", "events_url": "ftp://x", "routing_key": KEY},
    ),
    (
        "sentry",
        "sentry/rules",
        {"action": "pagerduty", "events_url": "http://x", "routing_key": "k"},
    ),
    (
        "sentry",
        "sentry/rules",
        {"action": "pagerduty", "events_url": "http://x", "routing_key": KEY, "delay_s": -1},
    ),
    (
        "sentry",
        "sentry/rules",
        [{"action": "pagerduty", "events_url": "http://x", "routing_key": KEY, "colour": "red"}],
    ),
    ("pagerduty", "pagerduty/extensions", {"webhook_url": "http://x"}),
    (
        "pagerduty",
        "pagerduty/extensions",
        {"routing_key": KEY, "service": "P1", "webhook_url": "http://x"},
    ),
    ("pagerduty", "pagerduty/extensions", {"service": "P1", "webhook_url": 5}),
    ("pagerduty", "pagerduty/extensions", "[nonsense"),
]


def test_a_wrong_rule_or_extension_is_400_and_changes_nothing(stack: dict[str, str]) -> None:
    for slug, route, body in WRONG_HOOKS:
        before = control(stack[slug], "GET", route)
        reply = httpx.post(f"{stack[slug]}/_opwire/{route}", json=body)
        assert reply.status_code == 400 and reply.json()["error"], body
        assert control(stack[slug], "GET", route) == before


def test_rules_replace_by_id_and_delete(stack: dict[str, str]) -> None:
    rule = {"action": "pagerduty", "events_url": "http://127.0.0.1:9", "routing_key": KEY}
    control(stack["sentry"], "POST", "sentry/rules", [{"id": "a", **rule}, {"id": "b", **rule}])
    shown = control(stack["sentry"], "POST", "sentry/rules", {"id": "a", **rule, "delay_s": 2})
    assert [(r["id"], r["delay_s"]) for r in shown["rules"]] == [("b", 0.0), ("a", 2.0)]
    assert [
        r["id"] for r in control(stack["sentry"], "DELETE", "sentry/rules", id="a")["rules"]
    ] == ["b"]
    assert control(stack["sentry"], "DELETE", "sentry/rules") == {"rules": []}
    control(stack["sentry"], "POST", "sentry/rules", rule)
    assert control(stack["sentry"], "POST", "reset") and control(
        stack["sentry"], "GET", "sentry/rules"
    ) == {"rules": []}


# --- the chain, in-process ---------------------------------------------------------------------


def test_the_chain_through_in_process_mocks(stack: dict[str, str], tmp_path: Path) -> None:
    """The library against three mocks: three hops PASS with their latencies, the incident and
    the issue resolved and confirmed, the journal empty, the mocks unwired."""
    lookup = Lookup({"OPERATOR_WIRING_STATE_DIR": str(tmp_path)})
    run = run_settings(lookup)
    settings = chain.load(lookup, run, stack)
    events: list[Any] = []
    hops: list[chain.Hop] = []
    journal = Journal(tmp_path)
    result = asyncio.run(
        chain.run_chain(
            settings,
            run,
            events.append,
            Redactor(settings.secrets()),
            on_hop=hops.append,
            journal=journal,
        )
    )
    assert result.exit_code == 0 and result.run.overall.value == "GREEN"
    assert [(h.name, h.status) for h in hops] == [(name, "PASS") for name in chain.HOPS]
    assert all(h.latency_s is not None and h.latency_s >= 0 for h in hops)
    assert journal.entries() == [] and not (tmp_path / "cleanup-journal.json").exists()
    (incident,) = [i["vendor"] for i in control(stack["pagerduty"], "GET", "state")["items"]]
    assert incident["status"] == "resolved" and result.run.run_id in incident["title"]
    (issue,) = control(stack["sentry"], "GET", "sentry/config")["issues"]
    assert issue["status"] == "resolved"
    assert control(stack["sentry"], "GET", "sentry/rules") == {"rules": []}
    assert control(stack["pagerduty"], "GET", "pagerduty/extensions") == {"extensions": []}
    (message,) = _messages(stack["slack"])
    assert result.run.run_id in message["text"]
    record = chain.record(result)
    assert record["command"] == "chain" and record["mode"] == "mock"
    assert [h["status"] for h in record["hops"]] == ["PASS"] * 3
    assert sum(isinstance(e, RequestLine) for e in events) >= 8


# --- `opwire chain`, the command, against mocks served apart -----------------------------------

# The operator's own credentials, planted: in mock mode none of them may travel or show.
PLANTED_ENV = {
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/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",
    "PAGERDUTY_ROUTING_KEY": "PLANTEDenvRoutingKey000000000000",
    "PAGERDUTY_API_TOKEN": "PLANTEDenvApiToken00",
    "SENTRY_DSN": "https://feedfacefeedfacefeedfacefeedface@o1.ingest.us.sentry.io/42",
    "SENTRY_AUTH_TOKEN": "sntrys_PLANTEDenvAuthToken0000000",
    "SLACK_BOT_TOKEN": "xoxb-PLANTED-env-bot-token",
}
PLACEHOLDERS = ("opwireMockPlaceholder000", "0pwire0mock0placeholder0key00000")


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, str]]:
    """The three mocks as three `opwire mock up SLUG` processes, each on a port of its own."""
    processes = [
        subprocess.Popen(
            [str(OPWIRE), "mock", "up", slug, "--ephemeral", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=clean_env(),
        )
        for slug in chain.CHAIN
    ]
    try:
        urls: dict[str, str] = {}
        for process in processes:
            assert process.stdout is not None
            urls.update(json.loads(process.stdout.readline())["mocks"])
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture
def mocks(served: dict[str, str]) -> Iterator[dict[str, str]]:
    yield served
    for url in served.values():
        control(url, "POST", "reset")


def _env(urls: dict[str, str], tmp_path: Path, **more: str) -> dict[str, str]:
    ports = {
        f"OPERATOR_WIRING_MOCK_PORT_{slug.upper()}": url.rpartition(":")[2]
        for slug, url in urls.items()
    }
    return clean_env(**ports, OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"), **more)


def _runs(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "state" / "runs.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_command_passes_through_mocks_served_apart(
    mocks: dict[str, str], tmp_path: Path
) -> None:
    """Exit 0, one line per request and per hop, the JSON document, the run's record; no
    credential, planted or placeholder, in any output, record or mock request log."""
    done = opwire("chain", "--json", env=_env(mocks, tmp_path, **PLANTED_ENV), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "opwire.chain/1" and document["overall"] == "GREEN"
    assert [h["name"] for h in document["hops"]] == list(chain.HOPS)
    assert all(h["status"] == "PASS" and h["latency_s"] >= 0 for h in document["hops"])
    for name in chain.HOPS:
        assert re.search(rf"chain +hop +{name} +PASS +\d+\.\d\d s", done.stderr), name
    assert re.search(
        r"sentry +POST +http://127\.0\.0\.1:\d+/api/42/envelope/  HTTP 200", done.stderr
    )
    assert "using the running sentry mock" in done.stderr and "overall: GREEN" in done.stderr
    (record,) = _runs(tmp_path)
    assert (record["command"], record["mode"], record["overall"]) == ("chain", "mock", "GREEN")
    assert record["run_id"] == document["run_id"] and record["started_at"]
    assert [h["name"] for h in record["hops"]] == list(chain.HOPS)
    everything = done.stdout + done.stderr + json.dumps(record) + _logged(mocks)
    for secret in (*PLANTED_ENV.values(), "feedfacefeedfacefeedfacefeedface", *PLACEHOLDERS):
        assert secret not in everything, secret


def test_no_alert_rule_fails_the_sentry_hop(mocks: dict[str, str], tmp_path: Path) -> None:
    done = opwire(
        "chain", "--no-wiring", "--sentry-timeout", "1", env=_env(mocks, tmp_path), cwd=tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "sentry → pagerduty: no incident with the run id within 1 s" in done.stdout
    assert "the sentry mock has no alert rule" in done.stdout
    assert "(opwire.chain_no_incident)" in done.stdout and "--no-wiring" in done.stdout
    assert "pagerduty → slack" not in done.stdout  # not reached
    (record,) = _runs(tmp_path)
    assert record["overall"] == "HOLD" and record["exit_code"] == 1
    assert [(h["name"], h["status"]) for h in record["hops"]] == [
        ("opwire → sentry", "PASS"),
        ("sentry → pagerduty", "FAIL"),
    ]
    issues = control(mocks["sentry"], "GET", "sentry/config")["issues"]
    assert [i["status"] for i in issues] == ["resolved"]  # cleaned up all the same


def test_no_slack_extension_fails_the_slack_hop(mocks: dict[str, str], tmp_path: Path) -> None:
    """The rule is the operator's (a key opwire never sees); the incident it opened is resolved
    by the chain all the same, and that key shows nowhere."""
    control(
        mocks["sentry"],
        "POST",
        "sentry/rules",
        {
            "action": "pagerduty",
            "events_url": mocks["pagerduty"],
            "routing_key": PLANTED_KEY,
        },
    )
    done = opwire(
        "chain", "--no-wiring", "--slack-timeout", "1", env=_env(mocks, tmp_path), cwd=tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pagerduty → slack: no message with the run id within 1 s" in done.stdout
    assert "the pagerduty mock has no Slack extension" in done.stdout
    assert "Slack" in done.stdout and "SLACK_CHANNEL_ID" in done.stdout
    (incident,) = [i["vendor"] for i in control(mocks["pagerduty"], "GET", "state")["items"]]
    assert incident["status"] == "resolved"
    assert PLANTED_KEY not in done.stdout + done.stderr + _logged(mocks)


def test_a_hop_slower_than_its_timeout_says_so(mocks: dict[str, str], tmp_path: Path) -> None:
    _wire(mocks, delay_s=30)
    done = opwire(
        "chain", "--no-wiring", "--sentry-timeout", "1", env=_env(mocks, tmp_path), cwd=tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "sentry → pagerduty: no incident with the run id within 1 s" in done.stdout
    assert "delay 30 s: fired 1, delivered 0" in done.stdout
    assert "slower than the wait" in done.stdout
    assert PLANTED_KEY not in done.stdout and PLANTED_HOOK not in done.stdout


def test_a_mixed_mode_and_missing_real_credentials_are_usage_errors(tmp_path: Path) -> None:
    mixed = opwire("chain", "--mode", "real_slack", cwd=tmp_path)
    assert mixed.returncode == 2
    assert "makes slack real and sentry and pagerduty mock" in mixed.stderr
    some = {
        "SENTRY_DSN": PLANTED_ENV["SENTRY_DSN"],
        "SLACK_BOT_TOKEN": PLANTED_ENV["SLACK_BOT_TOKEN"],
    }
    real = opwire("chain", "--mode", "real_all", env=clean_env(**some), cwd=tmp_path)
    assert real.returncode == 2
    assert real.stderr.strip().endswith(
        "not set: SENTRY_AUTH_TOKEN, SENTRY_ORG, PAGERDUTY_API_TOKEN, SLACK_CHANNEL_ID"
    )
    assert all(value not in real.stdout + real.stderr for value in some.values())
    assert not (tmp_path / "state").exists()


def test_a_killed_chain_is_finished_by_opwire_cleanup(
    mocks: dict[str, str], tmp_path: Path
) -> None:
    """SIGKILL while the chain waits for Slack: the journal holds the issue and the incident,
    and `opwire cleanup` resolves both."""
    control(
        mocks["sentry"],
        "POST",
        "sentry/rules",
        {
            "action": "pagerduty",
            "events_url": mocks["pagerduty"],
            "routing_key": PLACEHOLDERS[1],  # the key opwire's mock mode cleans up with
        },
    )
    env = _env(mocks, tmp_path)
    journal = Journal(tmp_path / "state")
    with subprocess.Popen(
        [str(OPWIRE), "chain", "--no-wiring", "--slack-timeout", "60"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as process:
        try:
            eventually(lambda: {e.slug for e in journal.entries()} == {"sentry", "pagerduty"}, 15)
            eventually(lambda: control(mocks["pagerduty"], "GET", "state")["items"], 15)
        finally:
            process.kill()
    (incident,) = [i["vendor"] for i in control(mocks["pagerduty"], "GET", "state")["items"]]
    assert incident["status"] == "triggered"
    done = opwire("cleanup", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("confirmed gone") == 2
    (incident,) = [i["vendor"] for i in control(mocks["pagerduty"], "GET", "state")["items"]]
    assert incident["status"] == "resolved"
    assert [i["status"] for i in control(mocks["sentry"], "GET", "sentry/config")["issues"]] == [
        "resolved"
    ]
    assert journal.entries() == []


def test_an_interrupted_chain_cleans_up_and_exits_143(
    mocks: dict[str, str], tmp_path: Path
) -> None:
    _wire(mocks)
    control(mocks["pagerduty"], "DELETE", "pagerduty/extensions")
    env = _env(mocks, tmp_path)
    with subprocess.Popen(
        [str(OPWIRE), "chain", "--no-wiring", "--slack-timeout", "60"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        eventually(lambda: control(mocks["pagerduty"], "GET", "state")["items"], 15)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 143, out + err
    assert "pagerduty → slack" in out and "opwire.interrupted" in out
    (incident,) = [i["vendor"] for i in control(mocks["pagerduty"], "GET", "state")["items"]]
    assert incident["status"] == "resolved"
    assert Journal(tmp_path / "state").entries() == []


def _real_env(urls: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Real mode, with every vendor URL overridden to a mock on this machine."""
    host = urls["sentry"].removeprefix("http://")
    return _env(
        urls,
        tmp_path,
        OPERATOR_WIRING_MODE="real_all",
        SENTRY_DSN=f"http://{DSN_KEY}@{host}/42",
        SENTRY_AUTH_TOKEN="sntrys_PLANTEDrealAuthToken00000",
        SENTRY_ORG="opwire-mock",
        OPERATOR_WIRING_SENTRY_API_URL=urls["sentry"],
        PAGERDUTY_API_TOKEN="PLANTEDrealApiToken0",
        OPERATOR_WIRING_PAGERDUTY_API_URL=urls["pagerduty"],
        SLACK_BOT_TOKEN="xoxb-PLANTED-real-bot-token",
        SLACK_CHANNEL_ID="C0OPWIRE01",
        OPERATOR_WIRING_SLACK_API_URL=urls["slack"] + "/api",
    )


def test_real_mode_sends_no_key_and_resolves_as_the_from_user(
    mocks: dict[str, str], tmp_path: Path
) -> None:
    """Real mode against the mocks by URL: the vendors' own wiring carries the alert (opwire
    sets none), and the incident is resolved as --pagerduty-from; without a user to act as, the
    chain passes but says its cleanup is not done (exit 3)."""
    _wire(mocks)
    env = _real_env(mocks, tmp_path)
    done = opwire("chain", "--pagerduty-from", SOMEONE, "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["mode"] == "real_all"
    assert "_opwire/" not in done.stderr  # no wiring in real mode
    (put,) = [
        r
        for r in control(mocks["pagerduty"], "GET", "requests")["requests"]
        if r["method"] == "PUT"
    ]
    assert put["headers"]["from"] == SOMEONE and put["status"] == 200
    unresolved = opwire("chain", env=env, cwd=tmp_path)
    assert unresolved.returncode == 3, unresolved.stdout + unresolved.stderr
    assert "--pagerduty-from EMAIL" in unresolved.stdout
    assert "overall: HOLD (3 of 3 hops PASS" in unresolved.stdout
    statuses = sorted(
        i["vendor"]["status"] for i in control(mocks["pagerduty"], "GET", "state")["items"]
    )
    assert statuses == ["resolved", "triggered"]
    assert [r["command"] for r in _runs(tmp_path)] == ["chain", "chain"]
    shown = done.stdout + done.stderr + unresolved.stdout + unresolved.stderr
    assert all(
        env[v] not in shown for v in ("SENTRY_AUTH_TOKEN", "PAGERDUTY_API_TOKEN", "SLACK_BOT_TOKEN")
    )
