"""Network down (seed steps 25-26), for real: an unshared network namespace with no network.

The namespace has no interfaces up, so nothing leaves this machine: the resolver cannot even be
reached, which is exactly what an operator sees when the network or corporate DNS is down.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import OPWIRE, clean_env

pytestmark = pytest.mark.netns


def _netns_available() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else f"the kernel refuses namespaces: {probe.stderr}"


def test_verify_without_network_fails_cleanly_inside_its_budget(tmp_path: Path) -> None:
    reason = _netns_available()
    if reason:
        pytest.skip(reason)
    env = clean_env(
        OPWIRE_NETGUARD="off",  # inside a namespace with no network, nothing can leave
        OPERATOR_WIRING_MODE="real_slack",
        SLACK_WEBHOOK_URL="https://hooks.slack.com/services/T0NETDOWN/B0NETDOWN/"
        "NetDownNetDownNetDown123",
    )
    done = subprocess.run(
        ["unshare", "-rn", str(OPWIRE), "verify", "slack", "--json", "--budget", "6"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    (slack,) = json.loads(done.stdout)["integrations"]
    assert slack["status"] == "FAIL"
    assert slack["diagnosis"]["code"] == "net.dns"  # the resolver itself is unreachable
    assert len(slack["requests"]) == 4  # retried, then failed
    assert "4 attempts over" in slack["diagnosis"]["detail"]


def test_several_network_failures_are_called_a_substrate_problem(tmp_path: Path) -> None:
    reason = _netns_available()
    if reason:
        pytest.skip(reason)
    env = clean_env(
        OPWIRE_NETGUARD="off",  # inside a namespace with no network, nothing can leave
        OPERATOR_WIRING_MODE="real_slack,real_pagerduty",
        SLACK_WEBHOOK_URL="https://hooks.slack.com/services/T0NETDOWN/B0NETDOWN/"
        "NetDownNetDownNetDown123",
        PAGERDUTY_ROUTING_KEY="ab" * 16,
    )
    done = subprocess.run(
        ["unshare", "-rn", str(OPWIRE), "verify", "slack", "pagerduty", "--budget", "8"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.count("net.dns") >= 2
    assert "substrate problem" in done.stdout and "platform on-call" in done.stdout
