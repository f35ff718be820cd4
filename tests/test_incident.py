"""`opwire history` and `opwire incident open/close` (seed § 6), as the installed command, against
real loopback mocks: the trail, --since, the incident folder's four files, the verify output
verbatim, substrate vs per-integration escalation, the update posted to Slack only when Slack
passed, close, and a planted secret that reaches no file and no output."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from opwire import history, incident
from opwire.config import ConfigError

from conftest import ROOT, Mock, clean_env, closed_port, opwire

NOW = datetime.now(UTC)
# Planted in .env.local: neither may reach a file of the incident or any output.
BOT_TOKEN = "xoxb-1234567890-PlantedBotTokenSecret"
HOOK_SECRET = "PlantedHookSecretPlanted"  # 24 characters, as Slack issues them
HOOK_PATH = f"/services/T0PLANTED/B0PLANTED/{HOOK_SECRET}"
HEADINGS = ["Timeline", "Impact", "Root cause", "What went well", "What to improve", "Follow-ups"]


def record(ago: timedelta, statuses: dict[str, tuple[str, str, str | None]], **extra: Any) -> str:
    """One runs.jsonl line: slug -> (mode, status, code), started `ago` before now."""
    failed = any(s == "FAIL" for _, s, _ in statuses.values())
    line = {
        "schema": "opwire.run/1",
        "command": extra.get("command", "verify"),
        "run_id": extra.get("run_id", f"ow-{int(ago.total_seconds())}"),
        "started_at": (NOW - ago).isoformat(),
        "elapsed_s": 1.5,
        "mode": "mock",
        "overall": "HOLD" if failed else "GREEN",
        "exit_code": 1 if failed else 0,
        "integrations": [
            {"slug": slug, "mode": mode, "status": status, "code": code, "elapsed_s": 0.25}
            for slug, (mode, status, code) in statuses.items()
        ],
    }
    return json.dumps(line) + "\n"


def plant_history(state: Path) -> None:
    ok, revoked = ("mock", "PASS", None), ("mock", "FAIL", "slack.webhook_revoked")
    lines = [
        record(timedelta(days=10), {"slack": ok}, run_id="ow-old"),
        record(timedelta(hours=5), {"slack": ok, "datadog": ok}),
        record(timedelta(hours=4), {"slack": ok}),
        record(timedelta(hours=3), {"slack": ok, "datadog": ("real", "PASS", None)}),
        record(timedelta(hours=2), {"slack": revoked}, command="drill"),
        record(timedelta(minutes=30), {"slack": ok}, run_id="ow-recent"),
        "not json\n",
    ]
    state.mkdir(parents=True, exist_ok=True)
    (state / "runs.jsonl").write_text("".join(lines), encoding="utf-8")


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"), **extra)


# --- history ------------------------------------------------------------------------------------


def test_history_table_has_a_row_per_run_and_each_trail_newest_last(tmp_path: Path) -> None:
    plant_history(tmp_path / "state")
    done = opwire("history", env=env_for(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "6 runs" in out and "ow-old" in out and "drill" in out
    assert "1 FAIL; slack FAIL slack.webhook_revoked" in out
    slack = next(line for line in out.splitlines() if line.startswith("slack       mock"))
    assert "PPPPFP" in slack and "slack.webhook_revoked" in slack and "0.25 s" in slack
    real = [line for line in out.splitlines() if line.startswith("datadog     real")]
    mock = [line for line in out.splitlines() if line.startswith("datadog     mock")]
    assert real and " P " in f"{real[0]} " and mock  # real and mock runs told apart


def test_history_json_since_and_slug(tmp_path: Path) -> None:
    plant_history(tmp_path / "state")
    done = opwire("history", "slack", "--since", "24h", "--json", env=env_for(tmp_path))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "opwire.history/1" and document["since"] == "24h"
    assert [r["run_id"] for r in document["runs"]][-1] == "ow-recent"
    assert "ow-old" not in done.stdout
    (slack,) = document["integrations"]
    assert slack["trail"] == "PPPFP" and slack["fails"] == 1 and slack["mode"] == "mock"
    assert slack["codes"] == {"slack.webhook_revoked": 1}
    short = json.loads(opwire("history", "--since", "90m", "--json", env=env_for(tmp_path)).stdout)
    assert [r["run_id"] for r in short["runs"]] == ["ow-recent"]


@pytest.mark.parametrize("bad", ["3x", "0h", "-1d", "yesterday", ""])
def test_history_bad_since_is_exit_2_naming_the_flag(tmp_path: Path, bad: str) -> None:
    done = opwire("history", "--since", bad, env=env_for(tmp_path))
    assert done.returncode == 2
    assert "--since" in done.stderr and "24h" in done.stderr


@pytest.mark.parametrize(
    ("raw", "seconds"), [("90m", 5400), ("24h", 86400), ("7d", 604800), ("30s", 30), ("1w", 604800)]
)
def test_durations(raw: str, seconds: int) -> None:
    assert history.parse_duration(raw).total_seconds() == seconds


# --- incident: library pieces --------------------------------------------------------------------


def test_a_second_incident_in_the_same_minute_gets_a_suffix(tmp_path: Path) -> None:
    moment = datetime(2026, 12, 2, 1, 34, 59, tzinfo=UTC)
    first = incident.create_folder(tmp_path, moment)
    (first / "verify.log").write_text("kept", encoding="utf-8")
    second = incident.create_folder(tmp_path, moment)
    third = incident.create_folder(tmp_path, moment)
    assert [first.name, second.name, third.name] == [
        "20261202-0134",
        "20261202-0134-2",
        "20261202-0134-3",
    ]
    assert (first / "verify.log").read_text(encoding="utf-8") == "kept"


def test_runbook_owner_section(tmp_path: Path) -> None:
    book = tmp_path / "slack.md"
    book.write_text(
        "# Slack\n\n## Owner\n\nChat team; PagerDuty schedule `chat-oncall`.\n\n### Backup\n\n"
        "Ana\n\n## Smoke test\n\nsomething else\n",
        encoding="utf-8",
    )
    assert incident.runbook_owner(book) == (
        "Chat team; PagerDuty schedule `chat-oncall`. Backup: Ana"
    )
    book.write_text("# Slack\n\n## Smoke test\n", encoding="utf-8")
    assert incident.runbook_owner(book) is None
    assert incident.runbook_owner(tmp_path / "missing.md") is None


TEMPLATE = (
    "# Splunk HEC\n\n## Owner\n\nFill in each `<…>`: `opwire incident open` pages whoever is "
    "named here.\n\n- Team: `<team>`\n- Primary on-call / rotation: `<schedule>`\n"
    "- Escalation: `<who next, after how long>`\n- Vendor support contact: `<how to reach>`\n"
    "\n## Failure modes\n\nsomething else\n"
)


def test_an_unfilled_owner_template_names_nobody(tmp_path: Path) -> None:
    book = tmp_path / "splunk.md"
    book.write_text(TEMPLATE, encoding="utf-8")
    assert incident.runbook_owner(book) is None
    for only in ("<team>", "TODO", "TBD <later>", "`<fill in>` <!-- a note -->", ""):
        book.write_text(f"# Splunk\n\n## Owner\n\n{only}\n\n## Next\n", encoding="utf-8")
        assert incident.runbook_owner(book) is None, only


def test_a_filled_owner_template_gives_its_filled_fields_only(tmp_path: Path) -> None:
    book = tmp_path / "splunk.md"
    filled = TEMPLATE.replace("`<team>`", "Observability").replace(
        "`<schedule>`", "PagerDuty schedule `obs-primary`"
    )
    book.write_text(filled, encoding="utf-8")
    assert incident.runbook_owner(book) == (
        "Team: Observability; Primary on-call / rotation: PagerDuty schedule `obs-primary`"
    )


def test_an_autolink_is_an_owner_not_a_placeholder(tmp_path: Path) -> None:
    book = tmp_path / "slack.md"
    book.write_text("# Slack\n\n## Owner\n\n- Team: <chat@example.com>\n", encoding="utf-8")
    assert incident.runbook_owner(book) == "Team: <chat@example.com>"


def test_the_shipped_runbooks_name_no_owner_until_filled_in() -> None:
    for slug in ("datadog", "sentry", "pagerduty", "opsgenie", "slack", "splunk"):
        book = ROOT / "setup-runbooks" / f"{slug}.md"
        assert "## Owner" in book.read_text(encoding="utf-8"), slug
        assert incident.runbook_owner(book) is None, slug


# --- incident open -------------------------------------------------------------------------


def plant_secrets(folder: Path, base: str = "https://hooks.slack.com") -> bytes:
    text = f"SLACK_WEBHOOK_URL={base}{HOOK_PATH}\nSLACK_BOT_TOKEN={BOT_TOKEN}\n"
    (folder / ".env.local").write_text(text, encoding="utf-8")
    (folder / ".env.local").chmod(0o600)
    return text.encode()


def incident_folder(tmp_path: Path) -> Path:
    (folder,) = (tmp_path / "state" / "incidents").iterdir()
    return folder


def assert_no_secret(tmp_path: Path, *outputs: str) -> None:
    for text in outputs:
        assert HOOK_SECRET not in text and BOT_TOKEN not in text
    for path in (tmp_path / "state").rglob("*"):
        if path.is_file():
            data = path.read_text(encoding="utf-8", errors="replace")
            assert HOOK_SECRET not in data and BOT_TOKEN not in data, path


def slack_posts(mock: Mock) -> list[str]:
    return [
        str(r.get("body_excerpt", r.get("body", "")))
        for r in mock.requests()
        if r["method"] == "POST" and r["path"].startswith("/services/")
    ]


def test_incident_folder_holds_the_four_files_and_posts_when_slack_passed(
    tmp_path: Path, slack_mock: Mock
) -> None:
    dotenv = plant_secrets(tmp_path)
    plant_history(tmp_path / "state")
    env = env_for(tmp_path, OPERATOR_WIRING_MOCK_PORT_SLACK=str(slack_mock.server.port))
    done = opwire("incident", "open", "--integration", "slack", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = incident_folder(tmp_path)
    assert re.fullmatch(r"\d{8}-\d{4}", folder.name)  # YYYYMMDD-HHMM, UTC
    assert sorted(p.name for p in folder.iterdir()) == sorted(incident.FILES)
    log = (folder / "verify.log").read_text(encoding="utf-8")
    assert "overall: GREEN" in log and f"using the running slack mock at {slack_mock.url}" in log
    assert done.stdout.startswith(log)  # verbatim: the terminal saw exactly these lines first
    kept = [json.loads(line) for line in (folder / "history.jsonl").read_text().splitlines()]
    ids = [r["run_id"] for r in kept]
    assert "ow-recent" in ids and "ow-7200" not in ids and "ow-old" not in ids
    assert ids[-1].startswith("ow-") and ids[-1] in log  # this run's own record, last
    config = (folder / "config.md").read_text(encoding="utf-8")
    assert "| SLACK_BOT_TOKEN | `****cret` | .env.local |" in config
    assert "| OPERATOR_WIRING_STATE_DIR |" in config and "environment" in config
    post_mortem = (folder / "post-mortem.md").read_text(encoding="utf-8")
    assert [line[3:] for line in post_mortem.splitlines() if line.startswith("## ")] == HEADINGS
    # the operations update: printed, and posted to the Slack mock since Slack passed
    update = next(line for line in done.stdout.splitlines() if line.startswith("operations"))
    assert f"[incident {folder.name}] slack — observed: slack verify PASS (mock)" in update
    assert "action: logs preserved" in update and "ETA: next update in 30 min" in update
    posts = slack_posts(slack_mock)
    assert len(posts) == 2 and f"[incident {folder.name}]" in posts[1]
    assert "slack: posted to the Slack mock" in done.stdout
    assert (tmp_path / ".env.local").read_bytes() == dotenv  # credentials untouched
    assert_no_secret(tmp_path, done.stdout, done.stderr, *posts)


def test_per_integration_failure_escalates_to_the_runbook_owner(
    tmp_path: Path, splunk_mock: Mock
) -> None:
    splunk_mock.control("POST", "scenarios", {"name": "splunk/token_disabled"})
    books = tmp_path / "setup-runbooks"
    books.mkdir()
    (books / "splunk.md").write_text(
        "# Splunk HEC\n\n## Owner\n\nObservability team, rotation `obs-primary`.\n\n## Next\n",
        encoding="utf-8",
    )
    env = env_for(tmp_path, OPERATOR_WIRING_MOCK_PORT_SPLUNK=str(splunk_mock.server.port))
    done = opwire("incident", "open", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["focus"] == ["splunk"]
    escalation = document["escalation"]
    assert escalation["substrate"] is False
    assert escalation["pages"] == [
        {
            "slug": "splunk",
            "whom": "Observability team, rotation `obs-primary`.",
            "owner_found": True,
        }
    ]
    assert "splunk verify FAIL splunk.token_disabled (mock)" in document["update"]
    assert "escalated to Observability team" in document["update"]
    assert document["posted"]["posted"] is True  # Slack (its in-process mock) passed
    assert "overall: HOLD" in done.stderr  # the verify output went to stderr with --json
    log = (incident_folder(tmp_path) / "verify.log").read_text(encoding="utf-8")
    assert "splunk.token_disabled" in log and "overall: HOLD" in log


def test_substrate_failure_escalates_to_platform_and_posts_nothing(tmp_path: Path) -> None:
    port = closed_port()
    plant_secrets(tmp_path, f"http://127.0.0.1:{port}")
    with (tmp_path / ".env.local").open("a", encoding="utf-8") as out:
        out.write(f"SPLUNK_HEC_URL=http://127.0.0.1:{port}/services/collector\n")
        out.write("SPLUNK_HEC_TOKEN=11111111-2222-3333-4444-555555555555\n")
    dotenv = (tmp_path / ".env.local").read_bytes()
    env = env_for(
        tmp_path, OPERATOR_WIRING_MODE="real_slack,real_splunk", OPERATOR_WIRING_MAX_ATTEMPTS="1"
    )
    done = opwire("incident", "open", "--integration", "slack", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "escalate to: platform on-call" in out and "substrate problem" in out
    assert "substrate (slack, splunk) — observed: network-level failures: net.refused" in out
    assert "slack: not posted: Slack did not PASS in this run (FAIL)" in out
    folder = incident_folder(tmp_path)
    post_mortem = (folder / "post-mortem.md").read_text(encoding="utf-8")
    assert "- escalate to: platform on-call" in post_mortem and "- substrate: yes" in post_mortem
    assert "net.refused" in (folder / "verify.log").read_text(encoding="utf-8")
    assert (tmp_path / ".env.local").read_bytes() == dotenv
    assert_no_secret(tmp_path, done.stdout, done.stderr)


def test_slack_failing_gets_no_update_and_a_runbook_without_owner_is_said(
    tmp_path: Path, slack_mock: Mock
) -> None:
    slack_mock.control(
        "POST", "slack/hooks", {"team": "T0OPWIRE0", "bot": "B0OPWIRE0", "state": "revoked"}
    )
    books = tmp_path / "setup-runbooks"
    books.mkdir()
    (books / "slack.md").write_text("# Slack\n\n## Smoke test\n", encoding="utf-8")
    env = env_for(tmp_path, OPERATOR_WIRING_MOCK_PORT_SLACK=str(slack_mock.server.port))
    done = opwire("incident", "open", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "escalate to: slack: setup-runbooks/slack.md names no owner (its Owner section"
        in done.stdout
    )
    assert "slack verify FAIL slack.webhook_revoked (mock)" in done.stdout
    assert "slack: not posted: Slack did not PASS in this run (FAIL)" in done.stdout
    posts = slack_posts(slack_mock)
    assert len(posts) == 1 and "[incident" not in posts[0]  # only verify's own test message


def test_close_appends_and_an_unknown_id_lists_the_incidents(tmp_path: Path) -> None:
    state = tmp_path / "state"
    folder = incident.create_folder(state, NOW)
    before = "# Post-mortem\n\n## Timeline\n\n- written by hand\n"
    (folder / "post-mortem.md").write_text(before, encoding="utf-8")
    done = opwire("incident", "close", folder.name, "--note", "verify GREEN", env=env_for(tmp_path))
    assert done.returncode == 0, done.stderr
    text = (folder / "post-mortem.md").read_text(encoding="utf-8")
    assert text.startswith(before) and "\n## Closed\n\n- closed: 20" in text
    assert text.rstrip().endswith("- note: verify GREEN")
    unknown = opwire("incident", "close", "19990101-0000", env=env_for(tmp_path))
    assert unknown.returncode == 2 and folder.name in unknown.stderr


def test_library_refuses_an_unknown_incident_with_none_there(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no incident"):
        incident.find(tmp_path, "20260101-0000")


def test_incident_waits_for_a_running_verify_and_opens_nothing_when_it_gives_up(
    tmp_path: Path,
) -> None:
    from opwire.verify import RunLock

    with RunLock(tmp_path / "state", "ow-20261202T000000Z-cron00", 0):
        env = env_for(tmp_path, OPERATOR_WIRING_LOCK_WAIT_S="0")
        done = opwire("incident", "open", env=env, cwd=tmp_path)
    assert done.returncode == 2 and "ow-20261202T000000Z-cron00" in done.stderr
    assert not (tmp_path / "state" / "incidents").exists()
