"""The README works as written (issue 9 item 10): every command it shows runs from where the
quickstart leaves the operator, no link leaves the repository, and the first-use install works
where flock is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, ROOT, clean_env

README = (ROOT / "README.md").read_text(encoding="utf-8")
# `./opwire verify …`, `./opwire mock up …`: the command words, up to the first option/value.
COMMAND = re.compile(r"\./opwire((?: (?:mock|verify|cleanup|drill|up))+)")


def readme_commands() -> list[str]:
    return sorted({match.group(1).strip() for match in COMMAND.finditer(README)})


def test_the_readme_shows_commands_through_the_wrapper() -> None:
    assert {"verify", "cleanup", "drill", "mock up"} <= set(readme_commands())
    blocks = re.findall(r"```\n(.*?)```", README, flags=re.S)
    bare = [line for b in blocks for line in b.splitlines() if re.match(r"\s*opwire ", line)]
    assert not bare, f"commands a newcomer cannot run as written: {bare}"


@pytest.mark.parametrize("command", readme_commands())
def test_every_readme_command_runs_from_the_checkout(command: str) -> None:
    done = subprocess.run(
        [str(ROOT / "opwire"), *command.split(), "-h"],
        env=clean_env(OPERATOR_WIRING_VENV=str(BIN.parent)),  # the installed one: no install
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Usage: opwire {command}" in done.stdout


def test_no_link_points_outside_the_repository() -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", README):
        path = (ROOT / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), target
    assert "../shared" not in README  # a fresh clone has no ../shared


FAKE_PYTHON = """#!/bin/bash
# A stand-in interpreter: enough of `python -c`, `-m venv` and `-m pip install` for the wrapper.
case "$1" in
  -c) exit 0 ;;
  -m)
    if [[ "$2" == venv ]]; then
      mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && exit 0
    fi
    if [[ "$2" == pip ]]; then
      printf '#!/bin/bash\\necho "fake opwire $*"\\n' > "$(dirname "$0")/opwire"
      chmod +x "$(dirname "$0")/opwire"
      echo install >> "$(dirname "$0")/../installs"
      exit 0
    fi ;;
esac
exit 1
"""


def test_first_use_installs_without_flock(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "verify").mkdir(parents=True)
    for name in ("opwire", "pyproject.toml", "verify/_opwire.sh"):
        shutil.copy2(ROOT / name, repo / name)
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("bash", "dirname", "mkdir", "rmdir", "seq", "sleep", "touch", "cp", "chmod"):
        found = shutil.which(tool)
        assert found is not None, tool
        os.symlink(found, tools / tool)
    (tools / "python3").write_text(FAKE_PYTHON)
    (tools / "python3").chmod(0o755)
    env = {"PATH": str(tools), "HOME": str(tmp_path)}
    assert shutil.which("flock", path=str(tools)) is None
    for _ in range(2):
        done = subprocess.run(
            [str(tools / "bash"), str(repo / "opwire"), "hello"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "fake opwire hello"
    assert (repo / ".venv" / "installs").read_text().count("install") == 1  # once, then reused
    assert not (repo / ".venv" / ".install.lock.d").exists()  # the lock is released
