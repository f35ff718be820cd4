"""kill -9 between trigger and resolve, then `opwire cleanup`: nothing is left open in the mock.
Also: real mode without the optional read credentials ends UNCONFIRMED, exit 3."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from opwire.mock.server import MockServer

from conftest import OPWIRE, Mock, clean_env, opwire, serve

TOKEN = {"Authorization": "Token token=opwire-mock-api-token"}


def test_kill_9_mid_run_then_cleanup_closes_everything(tmp_path: Path) -> None:
    with MockServer("pagerduty") as pagerduty_server, MockServer("opsgenie") as opsgenie_server:
        pagerduty, opsgenie = Mock(pagerduty_server), Mock(opsgenie_server)
        # Hold both runs between "created" and "cleaned": the resolve and the close hang.
        pagerduty.fault(method="POST", path="/v2/enqueue", skip=1, hang=True)
        opsgenie.fault(method="POST", path="/v2/alerts/*/close", hang=True)
        env = clean_env(
            OPERATOR_WIRING_MOCK_PORT_PAGERDUTY=str(pagerduty.server.port),
            OPERATOR_WIRING_MOCK_PORT_OPSGENIE=str(opsgenie.server.port),
            OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"),
        )
        journal = tmp_path / "state" / "cleanup-journal.json"
        with subprocess.Popen(
            [str(OPWIRE), "verify", "pagerduty", "opsgenie"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as run:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not _both_created(pagerduty, opsgenie):
                time.sleep(0.05)
            run.send_signal(signal.SIGKILL)
        assert run.returncode == -signal.SIGKILL
        assert len(json.loads(journal.read_text())) == 2
        assert _incident_statuses(pagerduty) == ["triggered"]
        assert _alert_statuses(opsgenie) == ["open"]

        for mock in (pagerduty, opsgenie):
            mock.control("DELETE", "faults")
        done = opwire("cleanup", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _incident_statuses(pagerduty) == ["resolved"]
        assert _alert_statuses(opsgenie) == ["closed"]
        assert not journal.exists()
        again = opwire("cleanup", env=env, cwd=tmp_path)
        assert again.returncode == 0 and "nothing left open" in again.stdout


def _both_created(pagerduty: Mock, opsgenie: Mock) -> bool:
    """Both runs reached their cleanup request (now hanging): created, not yet cleaned."""
    hanging = [
        r
        for m in (pagerduty, opsgenie)
        for r in m.requests()
        if r["status"] is None and r.get("fault") is not None  # held by the hang, not a slow read
    ]
    return len(hanging) == 2


def _incident_statuses(mock: Mock) -> list[str]:
    incidents = httpx.get(
        f"{mock.url}/incidents", headers=TOKEN, params={"date_range": "all"}
    ).json()["incidents"]
    return [i["status"] for i in incidents]


def _alert_statuses(mock: Mock) -> list[str]:
    return [a["status"] for a in mock.control("GET", "opsgenie/config")["alerts"]]


def test_verify_warns_when_the_journal_is_not_empty(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "cleanup-journal.json").write_text(
        json.dumps(
            [
                {
                    "id": "x",
                    "slug": "pagerduty",
                    "run_id": "ow-old",
                    "real": False,
                    "mock_base": "http://127.0.0.1:9",
                    "artifact": {"dedup_key": "ow-old"},
                }
            ]
        )
    )
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(state))
    done = opwire("verify", "slack", env=env, cwd=tmp_path)
    assert "open test artifact(s) from an earlier run: run `opwire cleanup`" in done.stdout
    cleaned = opwire("cleanup", env=env, cwd=tmp_path)
    assert cleaned.returncode == 0 and "its mock is gone" in cleaned.stdout


REAL_WITHOUT_READ = {
    "datadog": (
        {"DD_API_KEY": "ab" * 16, "OPERATOR_WIRING_DATADOG_API_URL": "{url}"},
        "DD_APP_KEY",
    ),
    "sentry": (
        {"SENTRY_DSN": "{scheme}://" + "cd" * 16 + "@{hostport}/42"},
        "SENTRY_AUTH_TOKEN and SENTRY_ORG",
    ),
    "pagerduty": (
        {"PAGERDUTY_ROUTING_KEY": "ef" * 16, "OPERATOR_WIRING_PAGERDUTY_EVENTS_URL": "{url}"},
        "PAGERDUTY_API_TOKEN",
    ),
    "splunk": (
        {
            "SPLUNK_HEC_URL": "{url}/services/collector",
            "SPLUNK_HEC_TOKEN": "11111111-2222-3333-4444-555555555555",
        },
        "SPLUNK_SEARCH_URL and SPLUNK_SEARCH_TOKEN",
    ),
}


@pytest.mark.parametrize("slug", sorted(REAL_WITHOUT_READ))
def test_real_mode_without_read_credentials_is_unconfirmed(slug: str, tmp_path: Path) -> None:
    variables, named = REAL_WITHOUT_READ[slug]
    for mock in serve(slug):
        scheme, hostport = mock.url.split("://")
        env = clean_env(
            OPERATOR_WIRING_MODE=f"real_{slug}",
            **{
                k: v.format(url=mock.url, scheme=scheme, hostport=hostport)
                for k, v in variables.items()
            },
        )
        done = opwire("verify", slug, env=env, cwd=tmp_path)
        assert done.returncode == 3, done.stdout + done.stderr
        assert "UNCONFIRMED" in done.stdout and f"set {named}" in done.stdout
