"""`opwire rotate`: a new credential from stdin, proven by the probe against a running mock,
swapped into .env.local atomically (0600, comments and order kept, the old value kept for the
overlap); a failed probe changes nothing; the next run uses the new value with no restart."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opwire.mock.server import MockStack

from conftest import clean_env, opwire

OLD = "OLDoldOLDoldOLDoldOLD000"
NEW = "NEWnewNEWnewNEWnewNEW111"
BOT = "xoxb-1234567890-rotate-bot-token"


@pytest.fixture(scope="module")
def slack() -> Iterator[str]:
    with MockStack(["slack"]) as stack:
        yield stack.urls["slack"]


def _hook(base: str, secret: str, bot: str = "B0BBBBBB1") -> str:
    return f"{base}/services/T0AAAAAA1/{bot}/{secret}"


def _env(base: str, **extra: str) -> dict[str, str]:
    port = base.rsplit(":", 1)[1]
    return clean_env(OPERATOR_WIRING_MOCK_PORT_SLACK=port, **extra)


def _real(base: str) -> dict[str, str]:
    """real_slack aimed at the running mock (the 'vendor' is on loopback)."""
    return _env(base, OPERATOR_WIRING_MODE="real_slack", OPERATOR_WIRING_MAX_ATTEMPTS="1")


def _file(folder: Path, webhook: str) -> Path:
    path = folder / ".env.local"
    path.write_text(
        "# opwire settings, by hand\n"
        "OPSGENIE_TEAM=ops   # the on-call team\n"
        "\n"
        "# Slack: the #alerts webhook\n"
        f"export SLACK_WEBHOOK_URL={webhook}\n"
        f"SLACK_BOT_TOKEN={BOT}\n"
        "SLACK_CHANNEL_ID=C0OPWIRE01\n"
        f"OPERATOR_WIRING_SLACK_API_URL={webhook.split('/services/')[0]}/api\n"
        "# the end\n"
    )
    path.chmod(0o644)
    return path


def _credentials(base: str) -> list[str | None]:
    with urllib.request.urlopen(f"{base}/_opwire/requests") as answer:
        items = json.load(answer)["requests"]
    return [i["credential"] for i in items if i["path"].startswith("/services/")]


def _tag(secret: str) -> str:
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def _outputs(*runs: object) -> str:
    return " ".join(f"{r.stdout} {r.stderr}" for r in runs)  # type: ignore[attr-defined]


def _clean(folder: Path, *texts: str) -> None:
    """Neither credential appears in any output, nor in any file opwire wrote but .env.local."""
    written = [p for p in folder.rglob("*") if p.is_file() and p.name != ".env.local"]
    everything = " ".join(texts) + " ".join(p.read_text(errors="replace") for p in written)
    for secret in (OLD, NEW, BOT):
        assert secret not in everything


def test_a_rotation_in_mock_mode_swaps_after_a_passing_probe(slack: str, tmp_path: Path) -> None:
    path = _file(tmp_path, "https://hooks.slack.com/services/T0AAAAAA1/B0BBBBBB1/" + OLD)
    before = path.read_text().splitlines()
    new_hook = "https://hooks.slack.com/services/T0AAAAAA1/B0BBBBBB1/" + NEW
    seen = len(_credentials(slack))
    done = opwire("rotate", "slack", env=_env(slack), cwd=tmp_path, stdin=new_hook + "\n")
    assert done.returncode == 0, done.stdout + done.stderr
    # The mock saw the new webhook's secret: the probe ran with the new value.
    assert _credentials(slack)[seen:] == [_tag(NEW)]
    after = path.read_text().splitlines()
    assert after[4] == f"export SLACK_WEBHOOK_URL={new_hook}"
    assert after[5] == f"SLACK_WEBHOOK_URL_PREVIOUS={before[4].removeprefix('export ')[18:]}"
    assert after[6].startswith("SLACK_WEBHOOK_URL_ROTATED_AT=20")
    assert after[:4] + after[7:] == before[:4] + before[5:]  # comments, order, the rest kept
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = (tmp_path / "state" / "rotations.md").read_text()
    assert f"{_tag(OLD)} -> {_tag(NEW)}" in record and "PASS against the mock" in record
    _clean(tmp_path, done.stdout, done.stderr)


def test_a_rotation_whose_probe_fails_leaves_the_file_byte_identical(
    slack: str, tmp_path: Path
) -> None:
    path = _file(tmp_path, _hook(slack, OLD))
    revoked = json.dumps({"team": "T0AAAAAA1", "bot": "B0REVOKED", "state": "revoked"}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{slack}/_opwire/slack/hooks", revoked))
    original = path.read_bytes()
    done = opwire(
        "rotate",
        "slack",
        env=_real(slack),
        cwd=tmp_path,
        stdin=f"SLACK_WEBHOOK_URL={_hook(slack, NEW, 'B0REVOKED')}\n",
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "slack.webhook_revoked" in done.stdout and "is unchanged" in done.stdout
    assert path.read_bytes() == original and stat.S_IMODE(path.stat().st_mode) == 0o644
    assert not (tmp_path / "state" / "rotations.md").exists()
    _clean(tmp_path, done.stdout, done.stderr)


def test_the_next_run_uses_the_rotated_value_with_no_restart(slack: str, tmp_path: Path) -> None:
    """Seed step 27: rotate, re-run verify, no redeploy: each run reads .env.local afresh."""
    _file(tmp_path, _hook(slack, OLD))
    seen = len(_credentials(slack))
    first = opwire("verify", "slack", env=_real(slack), cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    rotated = opwire(
        "rotate", "slack", env=_real(slack), cwd=tmp_path, stdin=_hook(slack, NEW) + "\n"
    )
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    second = opwire("verify", "slack", env=_real(slack), cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _credentials(slack)[seen:] == [_tag(OLD), _tag(NEW), _tag(NEW)]
    _clean(tmp_path, _outputs(first, rotated, second))


def test_finish_waits_for_the_overlap_and_then_removes_the_previous_value(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".env.local"
    rotated_at = datetime.now(UTC) - timedelta(hours=2)
    stamp = rotated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    hook = "https://hooks.slack.com/services/T0AAAAAA1/B0BBBBBB1/"
    path.write_text(
        f"# a comment\nSLACK_WEBHOOK_URL={hook}{NEW}\nSLACK_WEBHOOK_URL_PREVIOUS={hook}{OLD}\n"
        f"SLACK_WEBHOOK_URL_ROTATED_AT={stamp}\nOPSGENIE_TEAM=ops\n"
    )
    original = path.read_bytes()
    early = opwire("rotate", "slack", "--finish", cwd=tmp_path)
    assert early.returncode == 1 and "overlap" in early.stderr and "--force" in early.stderr
    assert path.read_bytes() == original
    past = (rotated_at - timedelta(hours=23)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(original.decode().replace(stamp, past))
    done = opwire("rotate", "slack", "--finish", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_text() == f"# a comment\nSLACK_WEBHOOK_URL={hook}{NEW}\nOPSGENIE_TEAM=ops\n"
    assert "finished the rotation" in (tmp_path / "state" / "rotations.md").read_text()
    again = opwire("rotate", "slack", "--finish", cwd=tmp_path)
    assert again.returncode == 1 and "no previous value is kept" in again.stderr
    _clean(tmp_path, _outputs(early, done, again))


@pytest.mark.parametrize(
    ("args", "stdin", "env", "words"),
    [
        ((), "", {}, "no new value for SLACK_WEBHOOK_URL"),
        ((), "not-a-webhook\n", {}, "the new SLACK_WEBHOOK_URL"),
        ((), "a\nb\n", {}, "2 value line(s) for 1 variable"),
        (("--var", "DD_API_KEY"), "x\n", {}, "--var DD_API_KEY: not a credential of slack"),
        ((), NEW, {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"}, "set in the environment"),
        (("https://hooks.slack.com/services/T0AAAAAA1/B0BBBBBB1/" + NEW,), "", {}, "argument"),
    ],
)
def test_bad_rotation_input_is_exit_2_and_changes_nothing(
    tmp_path: Path, args: tuple[str, ...], stdin: str, env: dict[str, str], words: str
) -> None:
    path = _file(tmp_path, "https://hooks.slack.com/services/T0AAAAAA1/B0BBBBBB1/" + OLD)
    original = path.read_bytes()
    done = opwire("rotate", "slack", *args, env=clean_env(**env), cwd=tmp_path, stdin=stdin)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert path.read_bytes() == original
    assert "Traceback" not in done.stderr
    _clean(tmp_path, done.stdout, done.stderr)


def test_the_value_is_never_taken_from_argv() -> None:
    """No option of `rotate` takes a value but --var (a name) and --env-file (a path)."""
    done = opwire("rotate", "--help")
    options = {w.rstrip(",") for w in done.stdout.split() if w.startswith("--")}
    assert done.returncode == 0 and {"--var", "--finish", "--env-file"} <= options
    assert options <= {"--var", "--finish", "--force", "--env-file", "--help"}, options


def test_a_symlinked_env_file_is_rewritten_at_its_target_and_dev_null_is_refused(
    slack: str, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    target = _file(secrets, "https://hooks.slack.com/services/T0AAAAAA1/B0BBBBBB1/" + OLD)
    (tmp_path / ".env.local").symlink_to(target)
    new_hook = "https://hooks.slack.com/services/T0AAAAAA1/B0BBBBBB1/" + NEW
    done = opwire("rotate", "slack", env=_env(slack), cwd=tmp_path, stdin=new_hook + "\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / ".env.local").is_symlink() and NEW in target.read_text()
    devnull = _env(slack, OPERATOR_WIRING_ENV_FILE=os.devnull)
    refused = opwire("rotate", "slack", env=devnull, cwd=tmp_path, stdin=new_hook + "\n")
    assert refused.returncode == 2 and "not a regular file" in refused.stderr
    _clean(tmp_path / "state", done.stdout, done.stderr, refused.stdout, refused.stderr)


def test_a_bare_value_with_an_equals_sign_is_a_value_not_a_name(tmp_path: Path) -> None:
    _file(tmp_path, "https://hooks.slack.com/services/T0AAAAAA1/B0BBBBBB1/" + OLD)
    done = opwire("rotate", "slack", cwd=tmp_path, stdin="ABCDEFGHIJ=klmnop123\n")
    assert done.returncode == 2 and "ABCDEFGHIJ" not in done.stderr, done.stderr
