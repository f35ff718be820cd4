"""Files around the code agree with it: compose stack and image, .env.example, runbook anchors,
scripts."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from opwire.integrations import IMPLEMENTED, MOCKED, default_ports, load

from conftest import BIN, ROOT, clean_env

HEALTH = "/_opwire/health"

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


COMPOSE = ROOT / "mock-endpoints" / "docker-compose.yml"
DOCKERFILE = ROOT / "mock-endpoints" / "Dockerfile"


def compose_file() -> dict[str, Any]:
    """The compose file as Compose reads it: PyYAML's safe loader resolves the `<<` merge keys."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def compose_schema() -> jsonschema.Draft7Validator:
    schema = json.loads((ROOT / "tests" / "data" / "compose-spec.json").read_text())
    return jsonschema.Draft7Validator(schema)


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    validator = compose_schema()
    document = compose_file()
    assert [e.message for e in validator.iter_errors(document)] == []
    # The schema is strict enough to catch a slip (so this test can fail).
    slipped = {**document, "services": {"slack": {"image": "x", "healthchek": {}}}}
    assert not validator.is_valid(slipped)


def test_compose_runs_each_mock_on_its_design_port_with_a_health_check() -> None:
    services = compose_file()["services"]
    assert set(services) == set(MOCKED)
    for slug, service in services.items():
        port = default_ports()[slug]
        assert service["command"] == ["opwire", "mock", "up", slug, "--host", "0.0.0.0"]
        assert service["ports"] == [f"127.0.0.1:{port}:{port}"]  # published on loopback only
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD" and f"127.0.0.1:{port}{HEALTH}" in test[-1]
        assert service["build"] == {"context": "..", "dockerfile": "mock-endpoints/Dockerfile"}
        assert service["networks"] == ["mocks"]  # one network: services reach each other by name


def test_compose_commands_and_health_checks_work_as_written(tmp_path: Path) -> None:
    """Each service's command, run as the container would (its port moved to a free one), serves
    that vendor's mock, and its healthcheck command, run as written, passes against it; the same
    healthcheck fails while nothing listens."""
    services = compose_file()["services"]
    ports = {slug: _free_port() for slug in services}
    env = clean_env(
        OPERATOR_WIRING_STATE_DIR=str(tmp_path),
        **{f"OPERATOR_WIRING_MOCK_PORT_{s.upper()}": str(p) for s, p in ports.items()},
    )
    checks = {
        slug: _moved(service["healthcheck"]["test"], default_ports()[slug], ports[slug])
        for slug, service in services.items()
    }
    assert all(_health_check(check, env) != 0 for check in checks.values())
    served = [
        subprocess.Popen(
            [str(BIN / service["command"][0]), *service["command"][1:]],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for service in services.values()
    ]
    try:
        for slug, check in checks.items():
            assert _eventually(lambda check=check: _health_check(check, env) == 0), slug
            reply = httpx.get(f"http://127.0.0.1:{ports[slug]}{HEALTH}", trust_env=False)
            assert reply.json()["vendor"] == slug
    finally:
        for process in served:
            process.terminate()
            process.wait(timeout=30)


def test_the_image_installs_opwire_at_build_and_fetches_nothing_when_it_runs() -> None:
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    installs = [line for line in lines if line.startswith("RUN") and "pip install" in line]
    assert len(installs) == 1 and "pip install --no-cache-dir ." in installs[0]
    assert any(line.startswith("COPY src ") for line in lines)
    (command,) = [line for line in lines if line.startswith(("CMD", "ENTRYPOINT"))]
    assert json.loads(command.split(None, 1)[1])[:3] == ["opwire", "mock", "up"]
    assert lines[-1].startswith("CMD") and lines[-2] == "USER nobody"
    # The build context is the checkout: secrets and local state never enter the image.
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".env.local", ".env", ".env.*", "*.pem", "*.key", "state", ".venv", ".git"} <= set(
        ignored
    )


def _moved(test: list[str], port: int, to: int) -> list[str]:
    return [part.replace(f"127.0.0.1:{port}/", f"127.0.0.1:{to}/") for part in test[1:]]


def _health_check(argv: list[str], env: dict[str, str]) -> int:
    # The image's `python` is the interpreter opwire is installed in: here, the venv's.
    command = [str(BIN / "python"), *argv[1:]] if argv[0] == "python" else argv
    return subprocess.run(command, env=env, capture_output=True, timeout=30).returncode


def _eventually(condition: Callable[[], bool], within_s: float = 60) -> bool:
    """True once `condition` holds; False if it never did within `within_s` (a loaded machine
    starts six interpreters slowly: the wait is generous, never asserted on)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _free_port() -> int:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port: int = free.getsockname()[1]
        return port


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
