"""Files around the code agree with it: compose stack, .env.example, runbook anchors, scripts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from opwire.integrations import IMPLEMENTED, MOCKED, default_ports, load

from conftest import ROOT, clean_env

DESIGN_VARIABLES = [
    "DD_API_KEY",
    "DD_APP_KEY",
    "DD_SITE",
    "SENTRY_DSN",
    "PAGERDUTY_ROUTING_KEY",
    "OPSGENIE_API_KEY",
    "OPSGENIE_REGION",
    "OPSGENIE_TEAM",
    "SLACK_WEBHOOK_URL",
    "SPLUNK_HEC_TOKEN",
    "SPLUNK_HEC_URL",
    "SPLUNK_HEC_INSECURE",
    "SENTRY_AUTH_TOKEN",
    "SENTRY_ORG",
    "SENTRY_PROJECT",
    "PAGERDUTY_API_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_CHANNEL_ID",
    "SPLUNK_SEARCH_URL",
    "SPLUNK_SEARCH_TOKEN",
    "OPERATOR_WIRING_MODE",
]


def test_compose_serves_each_built_mock_on_its_design_port() -> None:
    compose = yaml.safe_load((ROOT / "mock-endpoints" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == set(MOCKED)
    for slug, service in services.items():
        port = default_ports()[slug]
        assert service["ports"] == [f"127.0.0.1:{port}:{port}"]
        assert service["command"][:4] == ["opwire", "mock", "up", slug]
        assert f"{port}/_opwire/health" in " ".join(service["healthcheck"]["test"])
        assert service["build"]["dockerfile"] == "mock-endpoints/Dockerfile"
    assert (ROOT / "mock-endpoints" / "Dockerfile").exists()


def _variables_in_source() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        names |= set(re.findall(r"\b(OPERATOR_WIRING_[A-Z_]+[A-Z])\b", path.read_text()))
    return {n for n in names if not n.endswith("_PORT_")}


def test_env_example_lists_every_variable_with_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    assigned = {
        line.split("=", 1)[0]: i for i, line in enumerate(lines) if re.match(r"^[A-Z_]+=", line)
    }
    wanted = set(DESIGN_VARIABLES) | _variables_in_source()
    wanted |= {f"OPERATOR_WIRING_MOCK_PORT_{slug.upper()}" for slug in default_ports()}
    wanted.discard("OPERATOR_WIRING_MOCK_PORT")
    assert wanted <= set(assigned), wanted - set(assigned)
    for name, index in assigned.items():
        previous = lines[index - 1]
        assert previous.startswith("#") or re.match(r"^OPERATOR_WIRING_MOCK_PORT_", name), name


def test_gitignore_keeps_local_secrets_and_venv_out() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env.local" in ignored and ".venv/" in ignored


@pytest.mark.parametrize("slug", IMPLEMENTED)
def test_every_rule_points_at_a_runbook_section_that_exists(slug: str) -> None:
    runbook = (ROOT / "setup-runbooks" / f"{slug}.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", runbook, re.M)
    }
    for rule in load(slug).rules():
        assert rule.code.startswith(f"{slug}.")
        if rule.runbook:
            path, _, anchor = rule.runbook.partition("#")
            assert path == f"setup-runbooks/{slug}.md" and anchor in anchors, rule.runbook


@pytest.mark.parametrize("script", ["verify-all.sh", *(f"{s}.sh" for s in IMPLEMENTED)])
def test_seed_entry_points_run_green_against_the_mocks(script: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "verify" / script)],
        env=clean_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "overall: GREEN" in done.stdout
