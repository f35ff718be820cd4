"""The official splunk-sdk (splunklib) against the Splunk mock, on the lifecycle of what it
configures: job control arguments, built-in objects per server, users' passwords and deletion,
list arguments, HEC tokens deleted or replaced, and an object's settings kept bounded."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from splunklib import binding, client

from conftest import Mock, serve

PASSWORD = "sdk-Password-0123"


def login(mock: Mock, username: str = "admin", password: str = PASSWORD) -> client.Service:
    return client.connect(
        host="127.0.0.1",
        port=mock.server.port,
        scheme="http",
        username=username,
        password=password,
    )


def content(service: client.Service, path: str) -> dict[str, Any]:
    body = json.loads(service.get(path, output_mode="json").body.read())
    found: dict[str, Any] = body["entry"][0]["content"]
    return found


def hec(mock: Mock, token: str, **event: Any) -> dict[str, Any]:
    reply = httpx.post(
        mock.url + "/services/collector/event",
        headers={"Authorization": f"Splunk {token}"},
        json={"event": "x", **event},
    )
    found: dict[str, Any] = reply.json()
    return found


@contextmanager
def running() -> Iterator[Mock]:
    yield from serve("splunk")


@pytest.mark.parametrize("value", ["²", "٣", "9" * 5000, "-1", " 5"])
def test_job_ttl_and_priority_take_ascii_whole_numbers(splunk_mock: Mock, value: str) -> None:
    """Job.set_ttl / set_priority (splunklib client.py: POST …/control action=setttl ttl=…)
    with a value no whole number reads ("²" is str.isdigit() but no int(); 5000 digits pass
    int()'s limit) answer splunkd's 400 ERROR message, never a 500 (REST API Reference:
    search/jobs/{search_id}/control, ttl and priority are numbers)."""
    job = login(splunk_mock).jobs.create("search *")
    with pytest.raises(binding.HTTPError) as refused:
        job.set_ttl(value)
    assert refused.value.status == 400
    with pytest.raises(binding.HTTPError) as refused:
        job.set_priority(value)
    assert refused.value.status == 400
    job.set_ttl(120)
    assert job.refresh()["ttl"] == "120"


def test_built_in_objects_are_each_servers_own() -> None:
    """An edit of a built-in index, a disable and an edit of the built-in admin user on one
    server never show on a fresh one: a fresh splunkd has main at its defaults (Index.update,
    Entity.disable in splunklib client.py; the recorded main's maxTotalDataSizeMB 500000)."""
    with running() as first:
        service = login(first)
        service.indexes["main"].update(maxTotalDataSizeMB="1")
        service.indexes["_audit"].disable()
        service.users["admin"].update(realname="Changed")
        assert service.indexes["main"].refresh()["maxTotalDataSizeMB"] == "1"
    with running() as second:
        service = login(second)
        assert service.indexes["main"]["maxTotalDataSizeMB"] == "500000"
        assert service.indexes["_audit"]["disabled"] == "0"
        assert service.users["admin"]["realname"] == "Administrator"


def test_a_users_password_is_never_shown_or_logged(splunk_mock: Mock) -> None:
    """Users.create(name, password, roles) and User.update(password=…) (splunklib client.py)
    change a password splunkd never shows back: the user's entry (Access endpoints:
    authentication/users GET lists no password) nor the mock's request log holds it; the new
    password is the one the user logs in with."""
    splunk_mock.control("POST", "splunk/config", {"users": {"admin": PASSWORD}})
    created, edited = "Planted-Create-7f3e91", "Planted-Edit-2c84d0"
    service = login(splunk_mock)
    user = service.users.create("carol", created, roles=["user"])
    user.update(password=edited).refresh()
    answers = [
        service.get("authentication/users/carol", output_mode="json").body.read().decode(),
        service.get("authentication/users").body.read().decode(),
        json.dumps(user.content),
    ]
    log = json.dumps(splunk_mock.requests())
    for secret in (created, edited):
        assert all(secret not in text for text in answers), secret
        assert secret not in log, secret
    assert login(splunk_mock, "carol", edited).users["carol"]["roles"] == ["user"]


def test_list_arguments_are_kept_as_lists(splunk_mock: Mock) -> None:
    """splunklib sends a Python list as repeated keys (binding._encode): Inputs.create("t",
    "http", indexes=[…]) keeps both indexes (HTTP Event Collector REST API: `indexes`, the
    indexes the token may write to), so HEC takes an event for each of them; a user's and a
    role's edited roles / capabilities are lists in their entries, as splunkd shows them."""
    service = login(splunk_mock)
    made = service.inputs.create("multi", "http", indexes=["ops", "main"])
    assert content(service, "data/inputs/http/multi")["indexes"] == ["ops", "main"]
    assert hec(splunk_mock, made["token"], index="ops") == {"text": "Success", "code": 0}
    assert hec(splunk_mock, made["token"], index="main")["code"] == 0
    assert hec(splunk_mock, made["token"], index="other")["code"] == 7
    user = service.users.create("dave", "dave-Password-1", roles=["user"])
    user.update(roles=["power", "user"]).refresh()
    assert content(service, "authentication/users/dave")["roles"] == ["power", "user"]
    assert "schedule_search" in content(service, "authentication/users/dave")["capabilities"]
    role = service.roles.create("ops_role", capabilities=["search"])
    role.update(capabilities=["search", "schedule_search"]).refresh()
    found = content(service, "authorization/roles/ops_role")["capabilities"]
    assert found == ["search", "schedule_search"]


def test_a_deleted_user_cannot_log_in(splunk_mock: Mock) -> None:
    """Users.delete (splunklib client.py: DELETE authentication/users/{name}) removes the user:
    auth/login with its password then answers 401 "Login failed" (Access endpoints)."""
    splunk_mock.control("POST", "splunk/config", {"users": {"admin": PASSWORD}})
    service = login(splunk_mock)
    service.users.create("erin", "erin-Password-1", roles=["user"])
    assert login(splunk_mock, "erin", "erin-Password-1").username == "erin"
    service.users.delete("erin")
    with pytest.raises(binding.AuthenticationError):
        login(splunk_mock, "erin", "erin-Password-1")


def test_a_deleted_token_is_invalid(splunk_mock: Mock) -> None:
    """A token deleted through data/inputs/http (Input.delete) is one HEC no longer has: 403
    code 4 "Invalid token" (Troubleshoot HTTP Event Collector reply codes), though the mock
    takes any other GUID; making it again makes it valid again."""
    service = login(splunk_mock)
    made = service.inputs.create("gone", "http")
    token = made["token"]
    assert hec(splunk_mock, token) == {"text": "Success", "code": 0}
    made.delete()
    assert hec(splunk_mock, token) == {"text": "Invalid token", "code": 4}
    health = httpx.get(splunk_mock.url + "/services/collector/health", params={"token": token})
    assert (health.status_code, health.json()["code"]) == (400, 21)
    assert hec(splunk_mock, str(uuid.uuid4()))["code"] == 0
    service.inputs.create("back", "http", token=token)
    assert hec(splunk_mock, token)["code"] == 0


def test_a_tokens_new_value_replaces_the_old(splunk_mock: Mock) -> None:
    """Input.update(token=…) on data/inputs/http/{name} (HTTP Event Collector REST API: `token`
    is a GUID): the new value, lowercased as HEC keeps tokens, carries the token's settings and
    the old value is invalid (403 code 4); a value no GUID reads is splunkd's 400."""
    service = login(splunk_mock)
    made = service.inputs.create("rotated", "http", index="main")
    old, new = made["token"], str(uuid.uuid4())
    made.update(token=new.upper(), disabled="1")
    assert content(service, "data/inputs/http/rotated")["token"] == new
    assert hec(splunk_mock, old) == {"text": "Invalid token", "code": 4}
    assert hec(splunk_mock, new) == {"text": "Token disabled", "code": 1}
    with pytest.raises(binding.HTTPError) as refused:
        made.update(token="not-a-guid")
    assert refused.value.status == 400
    assert content(service, "data/inputs/http/rotated")["token"] == new


def test_an_objects_settings_stay_bounded(splunk_mock: Mock) -> None:
    """Edits that each add a new 1 MiB setting to main do not grow its entry without end: one
    past the mock's ENTRY_BUDGET is splunkd's 400 ERROR message and changes nothing
    (UNCONFIRMED bound, mock_entities.ENTRY_BUDGET); main still answers at its size."""
    service = login(splunk_mock)
    main = service.indexes["main"]
    for n in range(3):
        with pytest.raises(binding.HTTPError) as refused:
            main.update(**{f"k{n}": "x" * (1 << 20)})
        assert refused.value.status == 400
    main.update(maxTotalDataSizeMB="2000")
    body = service.get("data/indexes/main").body.read()
    assert len(body) < 64 << 10
    assert main.refresh()["maxTotalDataSizeMB"] == "2000"


def test_xml_results_stay_well_formed(splunk_mock: Mock) -> None:
    """An event holding a NUL or another control character XML 1.0 has no place for still gives
    results an XML parser reads (Jobs.oneshot in its default XML, splunklib client.py; the
    results XML of REST API Reference: search/jobs/{search_id}/results)."""
    token = str(uuid.uuid4())
    assert hec(splunk_mock, token, event={"a": "nul\u0000here\u001b"})["code"] == 0
    stream = login(splunk_mock).jobs.oneshot("search *")
    parsed = ET.fromstring(stream.read())
    texts = [t.text or "" for t in parsed.iter("text")]
    assert any("nulhere" in t for t in texts), texts


@pytest.mark.parametrize(
    ("query", "earliest"),
    [
        ("search *", "-" + "9" * 5000 + "d"),
        ("search *", "-" + "9" * 5000 + "d@d"),
        ("search * | head " + "9" * 5000, ""),
    ],
)
def test_a_number_too_long_in_a_search_is_400(splunk_mock: Mock, query: str, earliest: str) -> None:
    """Jobs.oneshot / Jobs.create (splunklib client.py) with a relative time or a `head` count
    of 5000 digits answer splunkd's 400 FATAL message (Search endpoints: search/jobs answers 400
    for a search it cannot parse), never a 500."""
    service = login(splunk_mock)
    for create in (service.jobs.oneshot, service.jobs.create):
        with pytest.raises(binding.HTTPError) as refused:
            create(query, earliest_time=earliest) if earliest else create(query)
        assert refused.value.status == 400


def test_a_token_with_a_trailing_newline_is_no_guid(splunk_mock: Mock) -> None:
    """Inputs.create("t", "http", token=…) with a GUID and a trailing newline (a `$` regex
    lets it through) answers splunkd's 400, as any value no GUID reads (HTTP Event Collector
    REST API: `token` is a GUID); nothing is listed for it."""
    service = login(splunk_mock)
    with pytest.raises(binding.HTTPError) as refused:
        service.inputs.create("newline", "http", token=str(uuid.uuid4()) + "\n")
    assert refused.value.status == 400
    assert "http://newline" not in [i.name for i in service.inputs.list("http")]


def test_a_refused_token_edit_keeps_the_old_token(splunk_mock: Mock) -> None:
    """An Input.update that is refused (here a new token with a description past the mock's
    ENTRY_BUDGET, UNCONFIRMED bound: splunkd's 400) changes nothing: the token's old value still
    sends (HTTP Event Collector REST API: data/inputs/http/{name} edit)."""
    service = login(splunk_mock)
    made = service.inputs.create("kept", "http")
    old = made["token"]
    with pytest.raises(binding.HTTPError) as refused:
        made.update(token=str(uuid.uuid4()), description="x" * (100 << 10))
    assert refused.value.status == 400
    assert hec(splunk_mock, old) == {"text": "Success", "code": 0}
    assert content(service, "data/inputs/http/kept")["token"] == old
