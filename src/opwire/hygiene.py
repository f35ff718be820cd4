"""Secrets hygiene of the `.env.local` file (seed § 1: "Do NOT commit this file"): who may read
it, whether git ignores it, and whether a credential from it sits in a tracked file.

`creds check` reports these as problems; `verify` warns with the same lines. Git is asked with
a timeout and the credential is handed to it on stdin, never in argv (another user could read
argv from /proc); no git, or a folder outside any repository, checks nothing and says so.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

from opwire.creds import Finding

GIT_TIMEOUT_S = 5.0
SECRET_MIN = 8  # shorter values match too much to mean anything


def env_file_findings(path: Path, secrets: Sequence[tuple[str, str]]) -> list[Finding]:
    """The problems of the dotenv file at `path`; `secrets` are (variable, value) pairs."""
    if not path.is_file():
        return []
    found = _permissions(path)
    top = _git(["rev-parse", "--show-toplevel"], path.parent)
    if top is None or top[0] != 0:
        return found
    root = Path(top[1].strip())
    found.extend(_git_status(path, root))
    found.extend(_tracked_secrets(path, root, secrets))
    return found


def _permissions(path: Path) -> list[Finding]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return []
    return [
        Finding(
            str(path),
            f"is readable by group or others (mode {mode:04o})",
            f"chmod 600 {path}",
        )
    ]


def _git_status(path: Path, root: Path) -> list[Finding]:
    tracked = _git(["ls-files", "--error-unmatch", "--", str(path.resolve())], root)
    if tracked is not None and tracked[0] == 0:
        return [
            Finding(
                str(path),
                "is tracked by git: its credentials are in the repository's history",
                f"git rm --cached {path}, add it to .gitignore, and rotate every credential "
                "in it (`opwire rotate`)",
            )
        ]
    ignored = _git(["check-ignore", "-q", "--", str(path.resolve())], root)
    if ignored is not None and ignored[0] == 1:
        return [
            Finding(
                str(path),
                "is not ignored by git: one `git add .` commits every credential",
                f"add {path.name} to .gitignore",
            )
        ]
    return []


def _tracked_secrets(path: Path, root: Path, secrets: Sequence[tuple[str, str]]) -> list[Finding]:
    """A credential's value found in a tracked file (the env file itself excepted)."""
    found = []
    own = str(path.resolve().relative_to(root)) if path.resolve().is_relative_to(root) else ""
    for name, value in dict(secrets).items():
        if len(value) < SECRET_MIN:
            continue
        hits = _git(["grep", "-F", "-l", "-I", "-z", "-f", "-"], root, stdin=value + "\n")
        if hits is None or hits[0] != 0:
            continue
        files = [f for f in hits[1].split("\0") if f and f != own]
        if files:
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            found.append(
                Finding(
                    name,
                    f"has its value in a tracked file: {shown}",
                    "remove it from there and rotate it (`opwire rotate`): it is in the history",
                )
            )
    return found


def _git(args: list[str], cwd: Path, stdin: str | None = None) -> tuple[int, str] | None:
    """(exit code, stdout) of a git command, or None when git cannot be asked."""
    git = shutil.which("git")
    if git is None:
        return None
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            [git, *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            env=env,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.returncode, done.stdout
