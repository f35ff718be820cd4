"""Each probe against its mock over loopback: PASS, the artifact visible in the mock's state, and
after cleanup resolved or closed; the cleanup journal empty again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from opwire.results import Status
from opwire.state import Journal

from conftest import Mock, run_verify, serve

FAST = {"OPERATOR_WIRING_BUDGET_S": "20"}


def verify_one(mock: Mock, slug: str, tmp_path: Path, **env: str) -> Any:
    run = run_verify(
        {**FAST, "OPERATOR_WIRING_STATE_DIR": str(tmp_path), **env},
        {slug: mock.url},
        (slug,),
        journal=Journal(tmp_path),
    )
    (result,) = run.result.integrations
    return run.result.run_id, result


def test_datadog_metric_and_event_land_tagged(datadog_mock: Mock, tmp_path: Path) -> None:
    run_id, result = verify_one(datadog_mock, "datadog", tmp_path)
    assert result.status is Status.PASS, result.diagnosis
    assert [s.name for s in result.steps] == [
        "validate",
        "submit metric",
        "post event",
        "read event",
        "read metric",
    ]
    keys = {"DD-API-KEY": "0" * 32, "DD-APPLICATION-KEY": "0" * 40}
    now = int(time.time())
    events = httpx.get(
        f"{datadog_mock.url}/api/v1/events",
        headers=keys,
        params={"start": now - 60, "end": now + 5, "tags": f"run_id:{run_id}"},
    )
    (event,) = events.json()["events"]
    assert "verify:true" in event["tags"]


def test_sentry_event_stored_and_issue_resolved(sentry_mock: Mock, tmp_path: Path) -> None:
    sentry_mock.control("POST", "sentry/config", {"processing_delay_s": 0.3})
    run_id, result = verify_one(sentry_mock, "sentry", tmp_path)
    assert result.status is Status.PASS, result.diagnosis
    (issue,) = sentry_mock.control("GET", "sentry/config")["issues"]
    assert issue["status"] == "resolved" and run_id in issue["title"]
    assert Journal(tmp_path).entries() == []


def test_pagerduty_incident_opened_then_resolved(tmp_path: Path) -> None:
    for mock in serve("pagerduty"):
        run_id, result = verify_one(mock, "pagerduty", tmp_path)
        assert result.status is Status.PASS, result.diagnosis
        token = {"Authorization": "Token token=opwire-mock-api-token"}
        (incident,) = httpx.get(
            f"{mock.url}/incidents",
            headers=token,
            params={"incident_key": run_id, "date_range": "all"},
        ).json()["incidents"]
        assert incident["status"] == "resolved"
        assert Journal(tmp_path).entries() == []


def test_opsgenie_alert_created_then_closed(opsgenie_mock: Mock, tmp_path: Path) -> None:
    run_id, result = verify_one(opsgenie_mock, "opsgenie", tmp_path)
    assert result.status is Status.PASS, result.diagnosis
    (alert,) = opsgenie_mock.control("GET", "opsgenie/config")["alerts"]
    assert (alert["alias"], alert["status"]) == (run_id, "closed")
    assert alert["responders"][0]["type"] == "team"
    assert Journal(tmp_path).entries() == []


def test_splunk_event_found_by_search(splunk_mock: Mock, tmp_path: Path) -> None:
    run_id, result = verify_one(splunk_mock, "splunk", tmp_path)
    assert result.status is Status.PASS, result.diagnosis
    assert [s.name for s in result.steps] == ["health", "send", "confirm by search"]
    found = httpx.post(
        f"{splunk_mock.url}/services/search/jobs/export",
        headers={"Authorization": "Bearer t"},
        data={"search": f"search run_id={run_id} verify=true"},
    ).text
    assert run_id in found and "opwire:verify" in found


def test_splunk_event_in_a_non_default_index_is_found(splunk_mock: Mock, tmp_path: Path) -> None:
    """A token that writes to its own index: a search naming no index searches only `main`
    (the role's default indexes), so the probe searches `index=*`."""
    token = "0b7a6c1e-0000-4000-8000-0000000051c0"
    splunk_mock.control(
        "POST",
        "splunk/config",
        {"tokens": {token: {"indexes": ["ops"], "default_index": "ops"}}},
    )
    run_id, result = verify_one(splunk_mock, "splunk", tmp_path)
    assert result.status is Status.PASS, result.diagnosis
    unnamed = httpx.post(
        f"{splunk_mock.url}/services/search/jobs/export",
        headers={"Authorization": "Bearer t"},
        data={"search": f"search run_id={run_id}"},
    ).text
    assert run_id not in unnamed  # the mock searches as Splunk does: main unless told


def test_splunk_event_confirmed_by_indexer_ack(splunk_mock: Mock, tmp_path: Path) -> None:
    splunk_mock.control(
        "POST",
        "splunk/config",
        {
            "indexing_delay_s": 0.3,
            "tokens": {"0b7a6c1e-0000-4000-8000-0000000051c0": {"ack": True}},
        },
    )
    _, result = verify_one(splunk_mock, "splunk", tmp_path)
    assert result.status is Status.PASS, result.diagnosis
    assert [s.name for s in result.steps] == ["health", "send", "confirm by ack"]


@pytest.mark.parametrize("slug", ["pagerduty", "opsgenie", "sentry"])
def test_cleanup_runs_even_when_the_read_back_failed(slug: str, tmp_path: Path) -> None:
    read_back = {
        "pagerduty": ("GET", "/incidents"),
        "opsgenie": ("GET", "/v2/alerts/ow-*"),
        "sentry": ("GET", "/api/0/projects/*"),
    }[slug]
    for mock in serve(slug):
        mock.fault(method=read_back[0], path=read_back[1], status=500, body="boom", times=2)
        if slug == "sentry":
            mock.control("POST", "sentry/config", {"processing_delay_s": 0})
        _, result = verify_one(mock, slug, tmp_path, OPERATOR_WIRING_MAX_ATTEMPTS="2")
        assert result.status is Status.FAIL
        cleaned = [s.name for s in result.steps if s.outcome.value == "ok"]
        if slug == "sentry":  # the issue is found only through the failed read-back
            assert Journal(tmp_path).entries() != []
        else:
            assert {"resolve", "close"} & set(cleaned)


def test_a_wrong_sentry_org_is_named_at_once_not_waited_on(
    sentry_mock: Mock, tmp_path: Path
) -> None:
    """The event arrives, but SENTRY_ORG is not the org that owns the project: Sentry's web API
    answers 404 "The requested resource does not exist" (the org lookup), not "Event not found"
    (not processed yet), so the read-back asks once and says sentry.org_not_found."""
    sentry_mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    host = sentry_mock.url.removeprefix("http://")
    env = {
        "OPERATOR_WIRING_MODE": "real_sentry",
        "SENTRY_DSN": f"http://{'cd' * 16}@{host}/42",
        "SENTRY_AUTH_TOKEN": "sntrys_wrongOrgProbeToken",
        "SENTRY_ORG": "not-the-owner",
        "OPERATOR_WIRING_SENTRY_API_URL": sentry_mock.url,
        "OPERATOR_WIRING_REGION_SWEEP": "0",
    }
    _, result = verify_one(sentry_mock, "sentry", tmp_path, **env)
    assert result.diagnosis is not None and result.diagnosis.code == "sentry.org_not_found"
    reads = [r for r in sentry_mock.requests() if "/events/" in r["path"]]
    assert len(reads) == 1, [r["path"] for r in reads]
