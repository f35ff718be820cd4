"""`opwire chain` (seed step 28: Sentry error -> PagerDuty incident -> Slack message) and the mock
behaviour that carries it: the Sentry mock's alert rules, the PagerDuty mock's Slack extension and
its REST updateIncident (`PUT /incidents/{id}`)."""

from __future__ import annotations

import gc
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pagerduty
import pytest
from test_specs import check, openapi

from opwire.mock.tls import TlsFiles

from conftest import Mock, serve

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


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, {"incident": {"type": "incident_reference", "status": "resolved"}}, 400, 2016),
        (
            {"From": "not-an-address"},
            {"incident": {"type": "incident_reference", "status": "resolved"}},
            400,
            1028,
        ),
        ({"From": SOMEONE}, {"incident": {"status": "resolved"}}, 400, 2001),
        ({"From": SOMEONE}, {"incident": {"type": "incident", "status": "gone"}}, 400, 2001),
        ({"From": SOMEONE}, [1], 400, 2001),
    ],
)
def test_update_incident_refusals(
    pagerduty_tls: Mock, headers: dict[str, str], body: Any, status: int, code: int
) -> None:
    """No From header, a malformed one, or a body the spec does not allow: 400 and PagerDuty's
    error shape; the incident is untouched."""
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
    reply = _put(pagerduty_tls, listed[0]["id"], body, **headers)
    assert (reply.status_code, reply.json()["error"]["code"]) == (status, code)
    missing = _put(pagerduty_tls, "QNOPE", {"incident": {"type": "incident"}}, From=SOMEONE)
    assert missing.json() == {"error": {"message": "Not Found", "code": 2100}}
    unauthenticated = httpx.put(f"{pagerduty_tls.url}/incidents/1", json={}, verify=verify)
    assert unauthenticated.status_code == 401
