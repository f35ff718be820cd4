"""The official splunk-sdk (splunklib) and splunk_handler, unmodified but for the address,
against the Splunk mock: log in, server info, oneshot / export / job searches read back what HEC
received; the search API's refusals; HEC's reply codes checked against the reply-code table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import ssl
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from splunk_handler import SplunkHandler
from splunklib import binding, client, results

from opwire.mock.tls import make_tls_files

from conftest import Mock, serve, spec_path

TOKEN = "11111111-2222-3333-4444-555555555555"
HEC = {"Authorization": f"Splunk {TOKEN}"}
PASSWORD = "sdk-Password-0123"
SEARCH_TOKEN = "eyJraWQiOiJzcGx1bmsuc2VjcmV0In0.sdk-search-token"


def port(mock: Mock) -> int:
    return mock.server.port


def send(mock: Mock, *events: dict[str, Any], path: str = "/services/collector/event") -> None:
    body = "".join(json.dumps(e) for e in events)
    reply = httpx.post(mock.url + path, headers=HEC, content=body)
    assert reply.json() == {"text": "Success", "code": 0}, reply.text


def login(mock: Mock, **extra: Any) -> client.Service:
    return client.connect(
        host="127.0.0.1",
        port=port(mock),
        scheme="http",
        username="admin",
        password=PASSWORD,
        **extra,
    )


def rows(stream: Any) -> list[dict[str, Any]]:
    found = list(results.JSONResultsReader(stream))
    assert all(isinstance(r, dict) for r in found), found  # no Message: no error in the stream
    return found


def paths(mock: Mock) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in mock.requests()]


@pytest.fixture
def events(splunk_mock: Mock) -> Mock:
    """Three events in main (two INFO, one error) and one in another index."""
    send(
        splunk_mock,
        {"event": {"msg": "Disk full on db1", "level": "ERROR"}, "sourcetype": "app"},
        {"event": {"msg": "started", "level": "info"}, "sourcetype": "app"},
        {"event": "worker ready level=INFO", "sourcetype": "app:text", "host": "w1"},
        {"event": "elsewhere", "index": "ops"},
    )
    return splunk_mock


def test_login_then_server_info(events: Mock) -> None:
    """splunklib logs in (POST /services/auth/login, cookie=1) and reads server/info as Atom
    (REST API Reference "server/info"; its shape as the SDK tests' recordings show it)."""
    service = login(events)
    info = service.info
    assert (info["version"], info["serverName"], info["product_type"]) == (
        "9.3.2",
        "opwire-mock",
        "enterprise",
    )
    assert service.splunk_version == (9, 3, 2) and not service.disable_v2_api
    logged = events.requests()
    sign_in = next(r for r in logged if r["path"] == "/services/auth/login")
    assert PASSWORD not in json.dumps(logged) and "password=****" in sign_in["body"]
    key = service.token.removeprefix("Splunk ")
    assert key not in json.dumps(logged)  # the session key is masked wherever it is sent


def test_session_key_as_authorization_header(events: Mock) -> None:
    """A session key from auth/login works as `Authorization: Splunk <key>` (REST API User
    Manual "Authentication with a session key")."""
    reply = httpx.post(
        f"{events.url}/services/auth/login",
        data={"username": "admin", "password": PASSWORD, "output_mode": "json"},
    )
    key = reply.json()["sessionKey"]
    assert reply.json() == {"sessionKey": key, "message": "", "code": ""}
    service = client.Service(host="127.0.0.1", port=port(events), scheme="http", token=key)
    assert service.info["version"] == "9.3.2"
    wrong = client.Service(host="127.0.0.1", port=port(events), scheme="http", token="nope")
    events.control("POST", "splunk/config", {"search_tokens": [SEARCH_TOKEN]})
    with pytest.raises(binding.AuthenticationError) as refused:
        _ = wrong.info
    assert refused.value.status == 401
    assert b'<msg type="WARN">call not properly authenticated</msg>' in refused.value.body


@pytest.mark.parametrize("kind", ["token", "splunkToken"])
def test_auth_tokens(events: Mock, kind: str) -> None:
    """An authentication token as `Splunk <token>` (token=) or `Bearer <token>` (splunkToken=),
    "Use authentication tokens"; a wrong one is refused 401."""
    events.control("POST", "splunk/config", {"search_tokens": [SEARCH_TOKEN]})
    service = client.connect(
        host="127.0.0.1", port=port(events), scheme="http", **{kind: SEARCH_TOKEN}
    )
    found = rows(service.jobs.oneshot("search index=main | stats count", output_mode="json"))
    assert found == [{"count": "3"}]
    scheme = "Splunk" if kind == "token" else "Bearer"
    bad = httpx.get(
        f"{events.url}/services/server/info",
        params={"output_mode": "json"},
        headers={"Authorization": f"{scheme} wrong"},
    )
    assert (bad.status_code, bad.json()) == (
        401,
        {"messages": [{"type": "WARN", "text": "call not properly authenticated"}]},
    )


def test_no_credential_and_a_failed_login(splunk_mock: Mock) -> None:
    """No credential: 401 ERROR "Unauthorized" with splunkd's Basic realm; a wrong password:
    splunklib's AuthenticationError from a 401 "Login failed"."""
    bare = httpx.get(f"{splunk_mock.url}/services/server/info")
    assert bare.status_code == 401 and bare.headers["www-authenticate"] == 'Basic realm="/splunk"'
    assert ET.fromstring(bare.text).findtext("./messages/msg") == "Unauthorized"
    splunk_mock.control("POST", "splunk/config", {"users": {"admin": "right-one"}})
    with pytest.raises(binding.AuthenticationError):
        login(splunk_mock)


def test_basic_auth(events: Mock) -> None:
    """basic=True sends the user and password on every call (no login)."""
    events.control("POST", "splunk/config", {"users": {"admin": PASSWORD}})
    service = login(events, basic=True)
    assert service.info["serverName"] == "opwire-mock"
    assert "POST /services/auth/login" not in paths(events)


def test_oneshot_stats_count_by_field(events: Mock) -> None:
    """`| stats count by FIELD` (Search Reference "stats"): one row per value, sorted; values
    match case-insensitively (level=info finds INFO and info), JSON fields extracted."""
    service = login(events)
    query = "search index=main | stats count by level"
    by_level = rows(service.jobs.oneshot(query, output_mode="json"))
    assert by_level == [
        {"level": "ERROR", "count": "1"},
        {"level": "INFO", "count": "1"},
        {"level": "info", "count": "1"},
    ]
    found = rows(service.jobs.oneshot("search level=info", output_mode="json"))
    assert [r["_raw"] for r in found] == [
        "worker ready level=INFO",
        '{"msg": "started", "level": "info"}',
    ]
    assert (
        rows(service.jobs.oneshot("search DISK", output_mode="json"))[0]["msg"]
        == "Disk full on db1"
    )


def test_oneshot_default_xml(events: Mock) -> None:
    """Without output_mode, results are splunkd's XML (<results><result><field k=…>)."""
    service = login(events)
    body = service.jobs.oneshot("search sourcetype=app:text").read()
    document = ET.fromstring(body)
    assert document.tag == "results" and document.get("preview") == "0"
    raw = document.find("./result/field[@k='_raw']/v")
    assert raw is not None and raw.text == "worker ready level=INFO"


def test_default_index_and_index_term(events: Mock) -> None:
    """A search without index= searches the default index (main); index=ops and index=* reach
    the others."""
    service = login(events)

    def count(query: str) -> str:
        return str(rows(service.jobs.oneshot(query, output_mode="json"))[0]["count"])

    assert count("search elsewhere | stats count") == "0"
    assert count("search index=ops elsewhere | stats count") == "1"
    assert count("search index=* | stats count") == "4"
    assert count("search index=main NOT level=error | stats count") == "2"


def test_export_streams_json_lines_newest_first_with_head(events: Mock) -> None:
    """search/jobs/export streams one JSON document a line (`preview`, `offset`, `result`,
    `lastrow` on the last); events come newest first; `| head N` keeps the first N."""
    service = login(events)
    stream = service.jobs.export("search index=main | head 2", output_mode="json")
    lines = [json.loads(line) for line in stream.read().splitlines()]
    assert [line["offset"] for line in lines] == [0, 1] and lines[-1]["lastrow"] is True
    assert [line["result"]["_raw"] for line in lines] == [
        "worker ready level=INFO",
        '{"msg": "started", "level": "info"}',
    ]
    assert "POST /services/search/v2/jobs/export" in paths(events)


def test_job_create_poll_results(events: Mock) -> None:
    """jobs.create returns a sid (201 <response><sid>), the job's entry says DONE, and
    job.results read with JSONResultsReader (Search endpoints search/v2/jobs/{sid}/results)."""
    service = login(events)
    job = service.jobs.create("search sourcetype=app | stats count by level")
    assert job.is_done()
    assert (job["dispatchState"], job["resultCount"], job["eventCount"]) == ("DONE", "2", "2")
    assert rows(job.results(output_mode="json")) == [
        {"level": "ERROR", "count": "1"},
        {"level": "info", "count": "1"},
    ]
    assert job.sid in [j.sid for j in service.jobs.list()]
    assert service.job(job.sid)["isDone"] == "1"


def test_blocking_job_and_unknown_sid(events: Mock) -> None:
    """exec_mode=blocking answers once the job is done; an unknown sid is a 404."""
    service = login(events)
    job = service.jobs.create("search host=w1", exec_mode="blocking", output_mode="json")
    assert rows(job.results(output_mode="json", count=0))[0]["host"] == "w1"
    with pytest.raises(binding.HTTPError) as missing:
        service.job("123.456")
    assert missing.value.status == 404


def test_version_before_9_0_2_uses_v1_paths(events: Mock) -> None:
    """splunklib reads server/info's version and uses /services/search/jobs (GET results)
    before Splunk 9.0.2: both generations of the API answer."""
    events.control("POST", "splunk/config", {"version": "8.2.12"})
    service = login(events)
    job = service.jobs.create("search index=main | stats count")
    assert rows(job.results(output_mode="json")) == [{"count": "3"}]
    assert f"GET /services/search/jobs/{job.sid}/results" in paths(events)


def test_time_bounds_param_and_inline(splunk_mock: Mock) -> None:
    """earliest_time/latest_time as job parameters, earliest/latest inline (which win), and
    relative modifiers such as -15m and -1d@d ("Time modifiers")."""
    now = time.time()
    send(
        splunk_mock,
        {"event": "tick old", "time": now - 7200},
        {"event": "tick new", "time": now - 60},
    )
    service = login(splunk_mock)

    def raws(query: str, **params: str) -> list[str]:
        return [r["_raw"] for r in rows(service.jobs.oneshot(query, output_mode="json", **params))]

    assert raws("search tick", earliest_time="-15m") == ["tick new"]
    assert raws("search tick", earliest_time="-3h", latest_time="-1h") == ["tick old"]
    assert raws("search tick earliest=-3h", earliest_time="-15m") == ["tick new", "tick old"]
    assert raws("search tick earliest=-2d@d") == ["tick new", "tick old"]


def test_multivalue_indexed_fields(splunk_mock: Mock) -> None:
    """`fields` values may be arrays of strings ("Format events for HEC"): searched by any
    value, returned as a list, counted once per value by stats."""
    send(
        splunk_mock,
        {"event": "a", "fields": {"team": ["db", "web"], "run_id": "mv1"}},
        {"event": "b", "fields": {"team": "web", "run_id": "mv1"}},
    )
    service = login(splunk_mock)
    found = rows(service.jobs.oneshot("search run_id=mv1 team=DB", output_mode="json"))
    assert [r["team"] for r in found] == [["db", "web"]]
    counted = rows(
        service.jobs.oneshot("search run_id=mv1 | stats count by team", output_mode="json")
    )
    assert counted == [{"team": "db", "count": "1"}, {"team": "web", "count": "2"}]


def test_raw_endpoint_query_parameters(splunk_mock: Mock) -> None:
    """/services/collector/raw takes host, source, sourcetype, index, time and channel as
    query parameters (HEC REST API endpoints)."""
    channel = str(uuid.uuid4())
    when = time.time() - 30
    reply = httpx.post(
        f"{splunk_mock.url}/services/collector/raw",
        headers=HEC,
        params={
            "host": "h9",
            "source": "s9",
            "sourcetype": "st9",
            "index": "main",
            "time": str(when),
            "channel": channel,
        },
        content=b"raw line one\n",
    )
    assert reply.json() == {"text": "Success", "code": 0}
    (row,) = rows(login(splunk_mock).jobs.oneshot("search sourcetype=st9", output_mode="json"))
    assert (row["host"], row["source"], row["index"]) == ("h9", "s9", "main")
    assert abs(dt.datetime.fromisoformat(row["_time"]).timestamp() - when) < 0.01
    bad = httpx.post(
        f"{splunk_mock.url}/services/collector/raw",
        headers=HEC,
        params={"time": "soon"},
        content=b"x",
    )
    assert (bad.status_code, bad.json()["code"]) == (400, 6)


def test_splunk_handler_round_trip_through_splunklib(splunk_mock: Mock) -> None:
    """An application logging with splunk_handler reads its line back with splunklib."""
    handler = SplunkHandler(
        host="127.0.0.1",
        port=port(splunk_mock),
        token=TOKEN,
        index="main",
        protocol="http",
        verify=False,
        flush_interval=0,
        sourcetype="handler",
        hostname="app1",
    )
    logger = logging.getLogger("opwire.test.splunk.sdk")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.warning("payment failed order=o-77")
    finally:
        logger.removeHandler(handler)
        handler.close()
    (row,) = rows(login(splunk_mock).jobs.oneshot("search order=O-77", output_mode="json"))
    assert row["host"] == "app1" and "payment failed" in row["_raw"]


@pytest.fixture
def tls_splunk(tmp_path: Path) -> Iterator[Mock]:
    yield from serve("splunk", tls=make_tls_files(tmp_path))


def test_https_with_the_mock_ca(tls_splunk: Mock) -> None:
    """scheme='https' with verification on, trusting the mock's CA."""
    ca = tls_splunk.server.tls
    assert ca is not None
    context = ssl.create_default_context(cafile=str(ca.ca_path))
    service = client.connect(
        host="127.0.0.1",
        port=port(tls_splunk),
        scheme="https",
        username="admin",
        password=PASSWORD,
        verify=True,
        context=context,
    )
    assert service.info["version"] == "9.3.2"


def reply_codes() -> dict[int, tuple[int, str]]:
    """shared/specs/splunk/splunkadmins_hec_reply_code_lookup.csv: code -> (status, text)."""
    path = spec_path("splunk/splunkadmins_hec_reply_code_lookup.csv")
    with path.open(newline="") as table:
        return {
            int(row["status_code"]): (int(row["http_status_code_id"]), row["status_message"])
            for row in csv.DictReader(table)
        }


@pytest.mark.parametrize(
    ("body", "headers", "params", "code"),
    [
        ('{"event":"x"}', {}, {}, 2),
        ('{"event":"x"}', {"Authorization": "Bearer x"}, {}, 3),
        ('{"event":"x"}', {"Authorization": "Splunk nope"}, {}, 4),
        ("", HEC, {}, 5),
        ('{"event":"x","time":"soon"}', HEC, {}, 6),
        ('{"event":null}', HEC, {}, 6),
        ('{"event":"x","time":1e300}', HEC, {}, 6),
        ('{"event":"x","time":' + "9" * 400 + "}", HEC, {}, 6),
        ('{"event":"x"}', HEC, {"channel": "bad"}, 11),
        ('{"fields":{"a":"b"}}', HEC, {}, 12),
        ('{"event":"  "}', HEC, {}, 13),
        ('{"event":"x","fields":{"a":{"b":1}}}', HEC, {}, 15),
        ('{"event":"x"}', {}, {"token": TOKEN}, 16),
    ],
)
def test_hec_failures_are_rows_of_the_reply_code_table(
    splunk_mock: Mock, body: str, headers: dict[str, str], params: dict[str, str], code: int
) -> None:
    """Every HEC refusal is JSON {text, code} with the status and text of its table row."""
    reply = httpx.post(
        f"{splunk_mock.url}/services/collector/event", headers=headers, params=params, content=body
    )
    assert reply.headers["content-type"].startswith("application/json")
    assert (reply.status_code, reply.json()["text"]) == reply_codes()[code]
    assert reply.json()["code"] == code


def test_not_found_answers_are_splunks_own(splunk_mock: Mock) -> None:
    """HEC: 404 {"text":"The requested URL was not found on this server.","code":404}, also for
    a trailing slash and (405) a method /event does not take; splunkd: its XML messages."""
    body = {"text": "The requested URL was not found on this server.", "code": 404}
    for method, path, status in [
        ("POST", "/services/collector/nowhere", 404),
        ("POST", "/services/collector/event/", 404),
        ("GET", "/services/collector/event", 405),
    ]:
        reply = httpx.request(method, splunk_mock.url + path, headers=HEC)
        assert (reply.status_code, reply.json()) == (status, body)
    other = httpx.get(f"{splunk_mock.url}/services/nowhere")
    assert other.status_code == 404 and ET.fromstring(other.text).find("./messages/msg") is not None


def test_throttle_scenario_is_hec_busy_without_rate_limit_headers(splunk_mock: Mock) -> None:
    """Splunk sends no rate-limit headers (vendor-contracts § 6.4): the throttle carries HEC's
    code 9 body and Retry-After only."""
    splunk_mock.control("POST", "scenarios", {"name": "splunk/cold_throttle"})
    reply = httpx.post(f"{splunk_mock.url}/services/collector/event", headers=HEC, content="{}")
    assert reply.status_code == 429 and reply.json() == {"text": "Server is busy", "code": 9}
    assert not [h for h in reply.headers if h.lower().startswith("x-ratelimit")]
    assert reply.headers["retry-after"] == "1"


def test_indexes_list_get_create_and_submit(events: Mock) -> None:
    """service.indexes lists splunkd's data/indexes feed (event indexes unless datatype=all);
    create answers 201 with the new entry; Index.submit posts receivers/simple and the event is
    searchable in that index (REST API Reference "data/indexes", "receivers/simple"; splunklib
    Indexes, Index.submit)."""
    service = login(events)
    names = [index.name for index in service.indexes]
    assert {"main", "_internal", "_audit", "history", "ops"} <= set(names)
    assert "_metrics" not in names and names == sorted(names)
    assert service.indexes["main"]["totalEventCount"] == "3"
    assert service.indexes.get_default() == "main"
    created = service.indexes.create("opwire_ops")
    assert created.name == "opwire_ops" and created["datatype"] == "event"
    assert created.access.owner == "nobody" and created.access.sharing == "system"
    created.submit("payment failed order=o-9", sourcetype="ops:text", host="h2")
    assert created.refresh()["totalEventCount"] == "1"
    (row,) = rows(service.jobs.oneshot("search index=opwire_ops order=o-9", output_mode="json"))
    assert (row["host"], row["sourcetype"], row["source"]) == ("h2", "ops:text", "http-simple")
    assert "opwire_ops" in service.indexes and "nope" not in service.indexes
    service.indexes.delete("opwire_ops")
    assert "opwire_ops" not in [index.name for index in service.indexes]


def test_index_refusals_are_splunkd_messages(events: Mock) -> None:
    """An unknown index is 404 "In handler 'indexes': Could not find object id=…" (as a recorded
    splunkd answered, splunk-sdk-csharp-pcl CanCrudIndex); a name taken is 409, a bad name
    400, each a <response><messages><msg type="ERROR">."""
    service = login(events)
    with pytest.raises(binding.HTTPError) as missing:
        service.get("data/indexes/nope")
    assert missing.value.status == 404
    text = ET.fromstring(missing.value.body).findtext("./messages/msg")
    assert text == "In handler 'indexes': Could not find object id=nope"
    with pytest.raises(binding.HTTPError) as taken:
        service.indexes.create("main")
    assert taken.value.status == 409
    with pytest.raises(binding.HTTPError) as bad:
        service.indexes.create("Bad Name")
    assert bad.value.status == 400


def test_receivers_simple_answer(splunk_mock: Mock) -> None:
    """receivers/simple answers <response><results><result> with _index, bytes, host, source,
    sourcetype (the recorded splunkd answer, CanSendEvents): `default` when no index is named."""
    service = login(splunk_mock)
    reply = service.post("/services/receivers/simple", body="hello simple", source="s1")
    result = ET.fromstring(reply.body.read()).find("./results/result")
    assert result is not None
    fields = {f.get("k"): f.findtext("./value/text") for f in result.findall("field")}
    assert fields == {
        "_index": "default",
        "bytes": "12",
        "host": "127.0.0.1",
        "source": "s1",
        "sourcetype": "unknown-too_small",
    }
    (row,) = rows(service.jobs.oneshot("search hello simple", output_mode="json"))
    assert row["index"] == "main" and row["_raw"] == "hello simple"


def test_collections_in_output_mode_json(events: Mock) -> None:
    """output_mode=json: {origin, generator, entry: [{name, id, links, acl, content}], paging};
    eai:acl is the entry's `acl`, values typed ("Atom Feed format" / JSON output)."""
    headers = {"Authorization": "Bearer any-token"}
    reply = httpx.get(
        f"{events.url}/services/data/indexes",
        params={"output_mode": "json", "count": 2},
        headers=headers,
    )
    body = reply.json()
    assert reply.status_code == 200 and body["paging"]["perPage"] == 2
    assert len(body["entry"]) == 2 and body["paging"]["total"] >= 6
    apps = httpx.get(
        f"{events.url}/servicesNS/nobody/search/apps/local/search",
        params={"output_mode": "json"},
        headers=headers,
    ).json()
    (entry,) = apps["entry"]
    assert entry["name"] == "search" and entry["acl"]["sharing"] == "app"
    assert entry["content"]["label"] == "Search & Reporting" and "eai:acl" not in entry["content"]
    assert entry["content"]["disabled"] is False


def test_apps_list_and_get(events: Mock) -> None:
    """service.apps lists apps/local; an app is read by name (REST API Reference "apps/local")."""
    service = login(events)
    names = [app.name for app in service.apps]
    assert {"search", "launcher", "splunk_httpinput"} <= set(names)
    assert service.apps["search"]["visible"] == "1"
    made = service.apps.create("opwire_app", label="Opwire")
    assert made["label"] == "Opwire" and "opwire_app" in service.apps


def test_saved_search_create_dispatch_history_delete(events: Mock) -> None:
    """saved/searches: create (name, search), read, update, dispatch (201 <sid>), the job's
    results, history (the jobs it dispatched), delete (REST API Reference saved/searches;
    splunklib SavedSearches / SavedSearch)."""
    service = login(events)
    assert "Errors in the last 24 hours" in [s.name for s in service.saved_searches]
    saved = service.saved_searches.create("opwire errors", "index=main level=error")
    assert saved["search"] == "index=main level=error"
    assert saved["qualifiedSearch"] == "search index=main level=error"
    assert saved.access.owner == "admin" and saved.access.app == "search"
    saved.update(description="for the runbook").refresh()
    assert saved["description"] == "for the runbook"
    job = saved.dispatch()
    while not job.is_done():
        time.sleep(0.05)
    assert job["label"] == "opwire errors" and job["isSavedSearch"] == "1"
    assert [r["msg"] for r in rows(job.results(output_mode="json"))] == ["Disk full on db1"]
    assert [j.sid for j in saved.history()] == [job.sid]
    service.saved_searches.delete("opwire errors")
    assert "opwire errors" not in service.saved_searches


def test_namespaced_service(events: Mock) -> None:
    """A Service with owner and app calls /servicesNS/{owner}/{app}/… (splunklib binding
    `_abspath`); a saved search made there is owned by that user in that app."""
    service = login(events, owner="admin", app="search")
    saved = service.saved_searches.create("ns search", "index=ops")
    assert (saved.access.owner, saved.access.app, saved.access.sharing) == (
        "admin",
        "search",
        "user",
    )
    assert "POST /servicesNS/admin/search/saved/searches/" in paths(events)
    assert "main" in [index.name for index in service.indexes]
    job = service.jobs.create("search index=ops")
    assert job.is_done() and rows(job.results(output_mode="json"))[0]["_raw"] == "elsewhere"
    assert f"GET /servicesNS/admin/search/search/v2/jobs/{job.sid}" in paths(events)


def test_job_control_and_cancel(events: Mock) -> None:
    """A job's control actions (pause, setttl, setpriority, save) change its entry; cancel
    answers INFO "Search job cancelled." and the sid is then unknown (404), which Job.cancel
    swallows (recorded splunkd, CanCrudJob; splunklib Job.cancel)."""
    service = login(events)
    job = service.jobs.create("search index=main")
    job.pause().set_ttl(1200).set_priority(7)
    job.refresh()
    assert (job["isPaused"], job["ttl"], job["priority"]) == ("1", "1200", "7")
    assert job.touch() is job and job.finalize().refresh()["isFinalized"] == "1"
    reply = service.post(f"search/v2/jobs/{job.sid}/control", action="cancel")
    assert ET.fromstring(reply.body.read()).findtext("./messages/msg") == "Search job cancelled."
    with pytest.raises(KeyError):
        service.jobs[job.sid]
    job.cancel()  # a second cancel meets the 404 splunklib expects
    with pytest.raises(binding.HTTPError) as unknown:
        service.post(f"search/v2/jobs/{job.sid}/control", action="cancel")
    assert unknown.value.status == 404
    other = service.jobs.create("search index=main")
    with pytest.raises(binding.HTTPError) as bad:
        other.post("control", action="explode")
    assert bad.value.status == 400


def test_job_events_and_preview(events: Mock) -> None:
    """job.events (POST …/events on v2) returns the events of an event search; a transforming
    search keeps none (status_buckets=0); job.preview reads results_preview."""
    service = login(events)
    job = service.jobs.create("search sourcetype=app")
    assert len(rows(job.events(output_mode="json"))) == 2
    assert len(rows(job.preview(output_mode="json"))) == 2
    stats = service.jobs.create("search sourcetype=app | stats count")
    assert rows(stats.events(output_mode="json")) == []
    assert rows(stats.results(output_mode="json")) == [{"count": "2"}]


def test_splunk_handler_batches_concatenated_events(splunk_mock: Mock) -> None:
    """With flush_interval > 0 splunk_handler queues records and posts them as one body of
    concatenated JSON objects to /services/collector/event (splunk_handler _splunk_worker)."""
    handler = SplunkHandler(
        host="127.0.0.1",
        port=port(splunk_mock),
        token=TOKEN,
        index="main",
        protocol="http",
        verify=False,
        flush_interval=0.2,
        sourcetype="batched",
    )
    logger = logging.getLogger("opwire.test.splunk.batch")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for n in range(5):
            logger.info("batch line n=%d", n)
        handler.wait_until_empty()
    finally:
        logger.removeHandler(handler)
        handler.close()
    posts = [r for r in splunk_mock.requests() if r["path"] == "/services/collector/event"]
    assert len(posts) < 5 and posts[0]["status"] == 200
    query = "search sourcetype=batched | stats count"
    found = rows(login(splunk_mock).jobs.oneshot(query, output_mode="json"))
    assert found == [{"count": "5"}]


def test_users_roles_and_capabilities(events: Mock) -> None:
    """authentication/users (create with roles as repeated keys, read back lowercased, as
    splunklib Users.create expects), authorization/roles, the capabilities entry, and the new
    user's login (REST API Reference "Access endpoints")."""
    events.control("POST", "splunk/config", {"users": {"admin": PASSWORD}})
    service = login(events)
    assert [user.name for user in service.users] == ["admin"]
    made = service.users.create("Boris", "boris-Password-1", roles=["user", "power"])
    assert made.name == "boris" and made.roles == ["user", "power"]
    assert "boris" in service.users and "BORIS" in service.users
    assert {"admin", "power", "user"} <= {role.name for role in service.roles}
    assert "search" in service.roles["user"].capabilities
    assert "admin_all_objects" in service.capabilities
    boris = client.connect(
        host="127.0.0.1",
        port=port(events),
        scheme="http",
        username="boris",
        password="boris-Password-1",
    )
    assert (
        rows(boris.jobs.oneshot("search index=ops", output_mode="json"))[0]["_raw"] == "elsewhere"
    )
    with pytest.raises(binding.HTTPError) as bad:
        service.users.create("eve", "pw-eve-1", roles="no_such_role")
    assert bad.value.status == 400


def test_settings_messages_and_current_context(events: Mock) -> None:
    """server/settings (splunklib Settings), messages (create, list) and
    authentication/current-context (who the session is)."""
    service = login(events)
    assert service.settings["SPLUNK_HOME"] == "/opt/splunk"
    assert service.settings["mgmtHostPort"].endswith(f":{port(events)}")
    note = service.messages.create("opwire_note", value="rehearsal running")
    assert note.value == "rehearsal running"
    assert [m.name for m in service.messages] == ["opwire_note"]
    context = json.loads(
        service.get("authentication/current-context", output_mode="json").body.read()
    )
    assert context["entry"][0]["content"]["username"] == "admin"
    assert "admin" in context["entry"][0]["content"]["roles"]


def test_index_clean_empties_the_index(events: Mock) -> None:
    """splunklib Index.clean sets maxTotalDataSizeMB=1 and frozenTimePeriodInSecs=1, rolls the
    hot buckets and waits for totalEventCount 0, then restores both settings."""
    service = login(events)
    index = service.indexes["ops"]
    assert index["totalEventCount"] == "1"
    index.clean(timeout=5)
    assert index.refresh()["totalEventCount"] == "0"
    assert index["maxTotalDataSizeMB"] == "500000"
    assert rows(service.jobs.oneshot("search index=ops | stats count", output_mode="json")) == [
        {"count": "0"}
    ]


def test_job_entry_reports_what_operator_code_prints(events: Mock) -> None:
    """A job's entry carries the fields a runbook prints (REST API Reference
    search/jobs/{search_id}: runDuration, scanCount, resultCount, isDone …)."""
    service = login(events)
    job = service.jobs.create("search index=main level=error")
    job.refresh()
    assert float(job["runDuration"]) >= 0 and job["scanCount"] == "1"
    assert (job["resultCount"], job["isFailed"], job["isRealTimeSearch"]) == ("1", "0", "0")
    assert job["keywords"] == "index=main level=error"


def test_full_queues_refuse_intake_and_splunk_handler_retries(splunk_mock: Mock) -> None:
    """With HEC's queues full, /health is 503 code 18 and intake 503 code 9 "Server is busy"
    (vendor-contracts § 6.4 backpressure); splunk_handler retries 503 (its Retry
    status_forcelist), so a send that meets one busy answer still lands."""
    splunk_mock.control("POST", "splunk/config", {"health": "queues_full"})
    health = httpx.get(f"{splunk_mock.url}/services/collector/health")
    assert (health.status_code, health.json()["code"]) == (503, 18)
    busy = httpx.post(f"{splunk_mock.url}/services/collector/event", headers=HEC, content="{}")
    assert (busy.status_code, busy.json()) == (503, {"text": "Server is busy", "code": 9})
    splunk_mock.control("POST", "splunk/config", {"health": "healthy"})
    splunk_mock.control(
        "POST",
        "faults",
        {"method": "POST", "path": "/services/collector/event", "status": 503, "times": 1},
    )
    handler = SplunkHandler(
        host="127.0.0.1",
        port=port(splunk_mock),
        token=TOKEN,
        index="main",
        protocol="http",
        verify=False,
        flush_interval=0,
        retry_backoff=0.01,
        sourcetype="retried",
    )
    logger = logging.getLogger("opwire.test.splunk.retry")
    logger.addHandler(handler)
    try:
        logger.error("after a busy answer")
    finally:
        logger.removeHandler(handler)
        handler.close()
    statuses = [r["status"] for r in splunk_mock.requests() if r["path"].endswith("/event")]
    assert statuses[-2:] == [503, 200]
    found = rows(login(splunk_mock).jobs.oneshot("search sourcetype=retried", output_mode="json"))
    assert [r["_raw"] for r in found] == ["after a busy answer"]


def test_results_in_csv_json_rows_json_cols_and_raw(events: Mock) -> None:
    """A job's results, a oneshot and an export in the other documented output modes (Search
    endpoints, output_mode: csv, json_rows, json_cols, raw)."""
    service = login(events)
    job = service.jobs.create("search sourcetype=app | stats count by level")
    table = list(csv.DictReader(io.StringIO(job.results(output_mode="csv").read().decode())))
    assert table == [{"level": "ERROR", "count": "1"}, {"level": "info", "count": "1"}]
    as_rows = json.loads(service.jobs.oneshot(job["eventSearch"], output_mode="json_rows").read())
    assert {"fields", "rows", "init_offset"} <= set(as_rows) and len(as_rows["rows"]) == 2
    assert as_rows["rows"][0][as_rows["fields"].index("msg")] == "started"
    query = "search sourcetype=app | stats count by level"
    cols = json.loads(job.results(output_mode="json_cols").read())
    assert dict(zip(cols["fields"], cols["columns"], strict=True))["level"] == ["ERROR", "info"]
    exported = service.jobs.export("search sourcetype=app:text", output_mode="raw").read()
    assert exported.decode() == "worker ready level=INFO\n"
    assert service.jobs.export(query, output_mode="csv").read().decode().startswith("level,count")


def test_hec_tokens_managed_through_data_inputs_http(splunk_mock: Mock) -> None:
    """data/inputs/http as splunklib's Inputs reads it: the `http` kind, each token an entry
    named http://<name> with its GUID, index, indexes and useACK; a token made there is the one
    HEC checks (its allowed indexes, disable, useACK needing a channel), and deleting it ends
    its entry (HEC REST API endpoints, data/inputs/http); its events' default source is
    http:<name>."""
    splunk_mock.control("POST", "splunk/config", {"tokens": {TOKEN: {"ack": True}}})
    service = login(splunk_mock)
    assert service.inputs.kinds == ["http"]
    (configured,) = service.inputs.list("http")
    assert (configured["token"], configured["useACK"], configured.kind) == (TOKEN, "1", "http")
    made = service.inputs.create("opwire", "http", index="ops", indexes="ops,main")
    assert made.name == "http://opwire" and made["index"] == "ops"
    auth = {"Authorization": f"Splunk {made['token']}"}

    def post(body: str) -> tuple[int, int]:
        reply = httpx.post(
            f"{splunk_mock.url}/services/collector/event", headers=auth, content=body
        )
        return reply.status_code, reply.json()["code"]

    assert post('{"event": "x", "index": "security"}') == (400, 7)
    assert post('{"event": "via the new token"}') == (200, 0)
    made.disable()
    assert post('{"event": "x"}') == (403, 1)
    made.enable()
    made.update(useACK="1")
    assert post('{"event": "x"}') == (400, 10)
    assert ("opwire", "http") in service.inputs
    found = rows(service.jobs.oneshot("search index=ops", output_mode="json"))
    assert [r["_raw"] for r in found] == ["via the new token"]
    assert (found[0]["source"], found[0]["sourcetype"]) == ("http:opwire", "httpevent")
    made.delete()
    assert [i.name for i in service.inputs.list("http")] == [configured.name]
