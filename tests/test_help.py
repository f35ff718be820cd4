"""Help that fits the conventions, and drill by the names it prints (issue 9 items 7 and 8)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from opwire.config import SLUGS

from conftest import clean_env, opwire

COMMANDS = [["verify"], ["cleanup"], ["drill"], ["mock", "up"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_has_no_type_tags_and_an_example(command: list[str], flag: str) -> None:
    done = opwire(*command, flag)
    assert done.returncode == 0, done.stderr
    assert not re.search(r"<(bool|float|int|str|path|list\[str\])>", done.stdout), done.stdout
    assert "Examples:" in done.stdout
    assert "╭" not in done.stdout  # plain help, no boxes: it reads in any terminal or pager


def test_verify_help_names_the_slugs_and_exit_codes() -> None:
    text = opwire("verify", "--help").stdout
    assert all(slug in text for slug in SLUGS)
    for code in ("0 GREEN", "1 at least one FAIL", "2 usage", "3 HOLD"):
        assert code in text


def test_shell_completion_is_offered() -> None:
    done = opwire("--help")
    assert "--install-completion" in done.stdout and "--show-completion" in done.stdout
    # What the installed completion script asks the command for, as bash would.
    env = clean_env(_OPWIRE_COMPLETE="complete_bash", COMP_WORDS="opwire dr", COMP_CWORD="1")
    shown = opwire(env=env)
    assert shown.returncode == 0 and shown.stdout.split() == ["drill"], shown


def test_drill_takes_the_name_it_prints(tmp_path: Path) -> None:
    done = opwire("drill", "slack/revoked", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "drill slack/revoked: ok" in done.stdout
    assert "drills: 1 of 1 diagnosed as expected" in done.stdout


def test_drill_list_names_every_scenario_and_its_expectation() -> None:
    done = opwire("drill", "--list", "--json")
    assert done.returncode == 0, done.stderr
    listed = {s["scenario"]: s["expected"] for s in json.loads(done.stdout)["scenarios"]}
    assert listed["slack/revoked"] == "slack.webhook_revoked"
    assert listed["net/dns_blocked"] == "net.dns"
    assert {name.split("/")[0] for name in listed} == {*SLUGS, "net"}
    human = opwire("drill", "slack", "--list").stdout
    assert "slack/revoked" in human and "datadog/" not in human
