"""Every bad input is exit 2 and one line naming the variable, file or flag: no traceback, no
secret, never `opwire.internal_error` (issue 9 item 6), through the installed command."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from opwire.config import ConfigError, Lookup, read_env_file, run_settings

from conftest import OPWIRE, clean_env, opwire

PLANTED = "xoxb-PLANTED-bad-input-0a1b2c3d"
WEBHOOK = "https://hooks.slack.com/services/T0BADINPUT/B0BADINPUT/BadInputBadInput00000000"

Setup = Callable[[Path], tuple[list[str], dict[str, str]]]


def env_file(content: bytes) -> Setup:
    def setup(folder: Path) -> tuple[list[str], dict[str, str]]:
        path = folder / "env"
        path.write_bytes(content)
        return ["verify", "slack", "--env-file", str(path)], {}

    return setup


def named(args: list[str], **env: str) -> Setup:
    return lambda folder: ([a.replace("{tmp}", str(folder)) for a in args], env)


def fifo(folder: Path) -> tuple[list[str], dict[str, str]]:
    os.mkfifo(folder / "pipe")
    return ["verify", "slack", "--env-file", str(folder / "pipe")], {}


def state_file(folder: Path) -> tuple[list[str], dict[str, str]]:
    (folder / "plain").write_text("x")
    return ["verify", "slack"], {"OPERATOR_WIRING_STATE_DIR": str(folder / "plain")}


def state_under_file(folder: Path) -> tuple[list[str], dict[str, str]]:
    (folder / "plain").write_text("x")
    return ["verify", "slack"], {"OPERATOR_WIRING_STATE_DIR": str(folder / "plain" / "sub")}


REAL_SLACK = {"OPERATOR_WIRING_MODE": "real_slack", "SLACK_WEBHOOK_URL": WEBHOOK}
REAL_DD = {"OPERATOR_WIRING_MODE": "real_datadog"}

CASES: dict[str, tuple[Setup, str]] = {
    "env file is a directory": (named(["verify", "slack", "--env-file", "{tmp}"]), "directory"),
    "env file is a FIFO": (fifo, "not a regular file"),
    "env file is /dev/zero": (
        named(["verify", "slack", "--env-file", "/dev/zero"]),
        "not a regular file",
    ),
    "env file is latin-1": (env_file(b"OPSGENIE_TEAM=caf\xe9\n"), "is not UTF-8"),
    "env file is UTF-16": (env_file("OPSGENIE_TEAM=x\n".encode("utf-16")), "UTF-16"),
    "env file is binary": (env_file(b"\x7fELF\x02\x01\x00\x00"), "NUL bytes"),
    "env file has a BOM": (env_file(b"\xef\xbb\xbfOPSGENIE_TEAM=x\n"), "byte-order mark"),
    "named env file missing": (
        named(["verify", "slack", "--env-file", "{tmp}/nope"]),
        "no such file",
    ),
    "env file named by variable missing": (
        named(["verify", "slack"], OPERATOR_WIRING_ENV_FILE="/nonexistent/.env.local"),
        "OPERATOR_WIRING_ENV_FILE",
    ),
    "unclosed quote in env file": (env_file(b'OPSGENIE_TEAM="x\n'), "must end with its quote"),
    "state folder is a file": (state_file, "OPERATOR_WIRING_STATE_DIR"),
    "state folder under a file": (state_under_file, "which is a file"),
    "state folder name too long": (
        named(["verify", "slack"], OPERATOR_WIRING_STATE_DIR="s" * 300),
        "too long",
    ),
    "log on a full device": (named(["verify", "slack", "--log", "/dev/full"]), "--log /dev/full"),
    "log under a file": (named(["verify", "slack", "--log", "/dev/null/x.log"]), "--log"),
    "mock host out of range": (
        named(["verify", "slack"], OPERATOR_WIRING_MOCK_HOST="256.256.256.256"),
        "OPERATOR_WIRING_MOCK_HOST",
    ),
    "mock host with a port": (
        named(["verify", "slack"], OPERATOR_WIRING_MOCK_HOST="localhost:99"),
        "OPERATOR_WIRING_MOCK_HOST",
    ),
    "mock host with a control character": (
        named(["verify", "slack"], OPERATOR_WIRING_MOCK_HOST="local\x01host"),
        "OPERATOR_WIRING_MOCK_HOST",
    ),
    "mock port out of range": (
        named(["verify", "slack"], OPERATOR_WIRING_MOCK_PORT_SLACK="70000"),
        "OPERATOR_WIRING_MOCK_PORT_SLACK",
    ),
    "mock port in other digits": (
        named(["verify", "slack"], OPERATOR_WIRING_MOCK_PORT_SLACK="٤١٠٥"),
        "OPERATOR_WIRING_MOCK_PORT_SLACK",
    ),
    "API URL port out of range": (
        named(
            ["verify", "slack"],
            **REAL_SLACK,
            OPERATOR_WIRING_SLACK_API_URL="https://127.0.0.1:99999/api",
        ),
        "OPERATOR_WIRING_SLACK_API_URL",
    ),
    "API URL without a scheme": (
        named(
            ["verify", "datadog"],
            **REAL_DD,
            DD_API_KEY="ab" * 16,
            **{"OPERATOR_WIRING_DATADOG_API_URL": "api.datadoghq.eu"},
        ),
        "OPERATOR_WIRING_DATADOG_API_URL",
    ),
    "boolean insecure": (
        named(
            ["verify", "splunk"],
            OPERATOR_WIRING_MODE="real_splunk",
            SPLUNK_HEC_URL="https://splunk.example:8088",
            SPLUNK_HEC_TOKEN="11111111-2222-3333-4444-555555555555",
            SPLUNK_HEC_INSECURE="yes",
        ),
        "SPLUNK_HEC_INSECURE",
    ),
    "boolean sweep": (
        named(["verify", "slack"], OPERATOR_WIRING_REGION_SWEEP="maybe"),
        "OPERATOR_WIRING_REGION_SWEEP",
    ),
    "Datadog API key shape": (
        named(["verify", "datadog"], **REAL_DD, DD_API_KEY="zz" * 16),
        "DD_API_KEY must be 32 hexadecimal",
    ),
    "Datadog APP key pasted as API key": (
        named(["verify", "datadog"], **REAL_DD, DD_API_KEY="ab" * 20),
        "swapped",
    ),
    "Datadog APP key shape": (
        named(["verify", "datadog"], **REAL_DD, DD_API_KEY="ab" * 16, DD_APP_KEY="xyz"),
        "DD_APP_KEY must be 40 hexadecimal",
    ),
    "credential with a non-ASCII character": (
        named(
            ["verify", "pagerduty"],
            OPERATOR_WIRING_MODE="real_pagerduty",
            PAGERDUTY_ROUTING_KEY="ab" * 15 + "é1",
        ),
        "PAGERDUTY_ROUTING_KEY has a character",
    ),
    "negative budget": (named(["verify", "slack", "--budget", "-5"]), "--budget must be"),
    "budget not a number": (named(["verify", "slack", "--budget", "abc"]), "--budget must be"),
    "budget variable not a number": (
        named(["verify", "slack"], OPERATOR_WIRING_BUDGET_S="soon"),
        "OPERATOR_WIRING_BUDGET_S must be",
    ),
    "mode flag": (named(["verify", "slack", "--mode", "real_slak"]), "--mode"),
    "self-signed without tls": (named(["mock", "up", "--self-signed"]), "--self-signed"),
    "empty mock host": (named(["mock", "up", "--host", ""]), "--host"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_clear_line(case: str, tmp_path: Path) -> None:
    setup, expected = CASES[case]
    args, extra = setup(tmp_path)
    env = clean_env(SLACK_BOT_TOKEN=PLANTED, **extra)
    done = opwire(*args, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("opwire: error: "), done.stderr
    assert expected in lines[0], lines[0]
    assert "Traceback" not in done.stderr and "internal_error" not in done.stdout
    assert PLANTED not in done.stdout + done.stderr


@pytest.mark.parametrize("what", ["env file", "state folder"])
def test_unreadable_env_file_and_unwritable_state_folder(what: str, tmp_path: Path) -> None:
    """Root reads and writes everything; in a user namespace of its own (no mapping) the
    process keeps no capability over these files, so their mode bits decide, as for a user."""
    private = tmp_path / "env"
    private.write_text("OPSGENIE_TEAM=x\n")
    private.chmod(0o000)
    (tmp_path / "state").mkdir(mode=0o555)
    args = ["verify", "slack"]
    if what == "env file":
        args += ["--env-file", str(private)]
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
    if what == "env file":
        env["OPERATOR_WIRING_STATE_DIR"] = str(tmp_path / "other")
    done = subprocess.run(
        ["unshare", "--user", str(OPWIRE), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    expected = "cannot be read" if what == "env file" else "cannot be written"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0], done.stderr


def test_ipv6_mock_host_in_brackets_works(tmp_path: Path) -> None:
    done = opwire("verify", "slack", env=clean_env(OPERATOR_WIRING_MOCK_HOST="[::1]"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[::1]" in done.stdout  # where it looked for a running stack


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ('OPSGENIE_TEAM="5" # comment', "5"),
        ("OPSGENIE_TEAM='a b' # c", "a b"),
        ("OPSGENIE_TEAM=plain # trailing", "plain"),
        ("OPSGENIE_TEAM=with#hash", "with#hash"),
    ],
)
def test_env_file_values(tmp_path: Path, line: str, value: str) -> None:
    path = tmp_path / "env"
    path.write_text(line + "\n")
    assert read_env_file(path)["OPSGENIE_TEAM"] == value


@pytest.mark.parametrize("separator", ["\f", "\u2028", "\x1c", "\x85"])
def test_a_line_separator_inside_a_value_cannot_start_a_variable(
    tmp_path: Path, separator: str
) -> None:
    path = tmp_path / "env"
    path.write_text(f"OPSGENIE_TEAM=ops{separator}OPERATOR_WIRING_MODE=real_all\n")
    values = read_env_file(path)
    assert "OPERATOR_WIRING_MODE" not in values


def test_a_state_folder_with_a_nul_is_named() -> None:
    with pytest.raises(ConfigError, match="OPERATOR_WIRING_STATE_DIR holds a NUL"):
        run_settings(Lookup({"OPERATOR_WIRING_STATE_DIR": "state\0x"}))
