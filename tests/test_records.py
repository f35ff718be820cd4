"""The operator's records (issue 12 part 2): blockers, deviations and confirmations as Markdown a
person can edit, BLOCKED in verify, `confirm` only after a real PASS (PagerDuty: a person's
acknowledgement), and the Day-1 log. Real files, the installed command, loopback mocks."""

from __future__ import annotations

import json
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from opwire import __version__
from opwire.config import Redactor, Secret
from opwire.results import JSON_SCHEMA
from opwire.state import Blocker, Confirmation, Deviation, Journal, Records, SecretInRecord

from conftest import Mock, clean_env, opwire, serve

PLANTED = "xoxb-PLANTED-records-token-9876"
HOOK = "PlantedRecordsHook012345"  # the webhook's secret part: 24 characters
RUN_A = "ow-20261202T010000Z-aaaaaa"


def state_env(folder: Path, **extra: str) -> dict[str, str]:
    """A newcomer's shell with the state folder elsewhere and a secret that must show nowhere."""
    return clean_env(
        OPERATOR_WIRING_STATE_DIR=str(folder / "state"), SLACK_BOT_TOKEN=PLANTED, **extra
    )


def on_mock(folder: Path, mock: Mock, **extra: str) -> dict[str, str]:
    return state_env(folder, OPERATOR_WIRING_MOCK_PORT_SLACK=str(mock.server.port), **extra)


def real_slack(folder: Path, mock: Mock) -> dict[str, str]:
    """real_slack aimed at the loopback mock, with the read-back that makes a PASS."""
    env = state_env(
        folder,
        OPERATOR_WIRING_MODE="real_slack",
        SLACK_WEBHOOK_URL=f"{mock.url}/services/T0RECORDS/B0RECORDS/{HOOK}",
        SLACK_CHANNEL_ID="C0OPWIRE01",
        OPERATOR_WIRING_SLACK_API_URL=f"{mock.url}/api",
    )
    env["SLACK_BOT_TOKEN"] = PLANTED
    return env


def no_secret_anywhere(folder: Path, *outputs: subprocess.CompletedProcess[str]) -> None:
    for done in outputs:
        assert PLANTED not in done.stdout + done.stderr and HOOK not in done.stdout + done.stderr
    for path in (folder / "state").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert PLANTED not in text and HOOK not in text, path


# --- Markdown a person edits ----------------------------------------------------------------

HAND_BLOCKERS = (
    "\ufeff# Blockers we hit\r\n\r\nWritten by hand: InfoSec meets on Tuesdays.\r\n\r\n"
    "## Notes\r\n\r\nProse only; a ticket: in prose is no field.\r\n\r\n"
    "## pagerduty\r\n\r\n- ticket: PD-1\r\n- since: 2026-12-02T00:00:00Z\r\n- resolved: -\r\n"
    "\r\nStill waiting on the service owner.\r\n\r\n"
    "## Splunk HEC (by hand)\r\n\r\n* **Ticket:** `SEC-7`\r\n* Since: 2026-12-01 09:30\r\n"
    "* Note: InfoSec gates HEC;\r\n  the token needs a second approval\r\n\r\n"
    "## sentry: OPS-1\r\n- ticket: OPS-1\r\n- since: 2026-11-30T08:00:00+01:00\r\n"
    "- resolved: 2026-12-01T10:00:00Z\r\n\r\n"
    "## datadog: mangled by hand\r\n- since: yesterday\r\n- ticket: DD-9\r\n\r\n"
    "```\r\n## opsgenie: only an example in a code block\r\n- ticket: X\r\n"
    "- since: 2026-12-01\r\n```\r\n"
)


def test_hand_written_blockers_parse_in_any_order(tmp_path: Path) -> None:
    records = Records(tmp_path, Redactor())
    records.path("blockers").write_bytes(HAND_BLOCKERS.encode())
    assert records.blockers() == [
        Blocker("sentry", "OPS-1", "", "2026-11-30T07:00:00Z", "2026-12-01T10:00:00Z"),
        Blocker(
            "splunk",
            "SEC-7",
            "InfoSec gates HEC; the token needs a second approval",
            "2026-12-01T09:30:00Z",
            None,
        ),
        Blocker("pagerduty", "PD-1", "", "2026-12-02T00:00:00Z", None),
    ]
    assert set(records.open_blockers()) == {"splunk", "pagerduty"}
    (problem,) = records.problems("blockers")
    assert "datadog: mangled" in problem and "since" in problem and "line 29" in problem


def test_resolving_a_hand_written_blocker_keeps_every_other_byte(tmp_path: Path) -> None:
    records = Records(tmp_path, Redactor())
    path = records.path("blockers")
    path.write_bytes(HAND_BLOCKERS.encode())
    at = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    (done,) = records.resolve_blocker("pagerduty", "owner\nreplied", at)
    assert done.resolved == "2026-12-03T09:00:00Z" and "pagerduty" not in records.open_blockers()
    expected = HAND_BLOCKERS.replace(
        "- resolved: -\r\n",
        "- resolved: 2026-12-03T09:00:00Z\r\n- resolution: owner replied\r\n",
    )
    assert path.read_bytes().decode() == expected
    records.resolve_blocker("splunk", "", at)
    assert "* Since: 2026-12-01 09:30\r\n* Note: InfoSec gates HEC;\r\n  the token needs a " in (
        path.read_bytes().decode()
    )
    assert "second approval\r\n- resolved: 2026-12-03T09:00:00Z\r\n\r\n## sentry" in (
        path.read_bytes().decode()
    )
    assert records.open_blockers() == {}


def test_confirmations_and_deviations_written_by_hand_count(tmp_path: Path) -> None:
    records = Records(tmp_path, Redactor())
    records.path("confirmations").write_text(
        "# Who saw what\n\n## Slack: seen by Bo\n\n- By: Bo\n- At: 2026-12-02T02:00:00Z\n"
        f"- Run ID: {RUN_A}\n- evidence: a screenshot in the ticket\n\n"
        "## opsgenie: no run id\n\n- by: Cy\n- at: 2026-12-02T01:00:00Z\n"
    )
    records.add_confirmation(
        Confirmation("sentry", "Ana", "2026-12-02T01:30:00Z", RUN_A, "issue seen")
    )
    assert records.confirmations() == [
        Confirmation("sentry", "Ana", "2026-12-02T01:30:00Z", RUN_A, "issue seen"),
        Confirmation("slack", "Bo", "2026-12-02T02:00:00Z", RUN_A, ""),
    ]
    assert "no run id" in records.problems("confirmations")[0]
    records.path("deviations").write_text(
        "# Deviations\n\n## 2026-12-02T03:00:00Z\n\nVPN drops DNS\nat 9 a.m.\n\n"
        f"- run id: {RUN_A}\n\n## 2026-12-01 opwire\n\nSplunk needed a ticket.\n\n"
        "## Undated thoughts\n\nThe runbook is long.\n"
    )
    records.add_deviation("# not a heading\nbut text", None, datetime(2026, 12, 4, tzinfo=UTC))
    assert records.deviations() == [
        Deviation("2026-12-01T00:00:00Z", "opwire\n\nSplunk needed a ticket.", None),
        Deviation("2026-12-02T03:00:00Z", "VPN drops DNS at 9 a.m.", RUN_A),
        Deviation("2026-12-04T00:00:00Z", "# not a heading but text", None),
    ]
    assert "does not start with a date" in records.problems("deviations")[0]


def test_a_mangled_state_folder_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "cred-blockers.md").write_bytes(
        b"## splunk\n- ticket: \xff\xfe\x00SEC\n- since: 2026-12-01\n## \n## slack:\n- ticket:\n"
        + bytes(range(256))
    )
    (state / "confirmations.md").mkdir()  # not even a file
    (state / "operator-deviations.md").write_bytes(b"\x00\x01## 2026\n" * 50)
    records = Records(state, Redactor())
    (blocker,) = records.blockers()
    assert blocker.slug == "splunk" and blocker.since == "2026-12-01T00:00:00Z"
    assert (
        records.confirmations() == [] and "cannot be read" in records.problems("confirmations")[0]
    )
    assert records.deviations() == []
    listed = opwire("blocker", "list", "--json", env=state_env(tmp_path), cwd=tmp_path)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert json.loads(listed.stdout)["open"] == ["splunk"]
    assert "slack" in " ".join(json.loads(listed.stdout)["problems"])


# --- BLOCKED in verify ----------------------------------------------------------------------


def test_a_blocker_makes_real_verify_blocked_instead_of_a_config_error(
    slack_mock: Mock, tmp_path: Path
) -> None:
    real = on_mock(tmp_path, slack_mock, OPERATOR_WIRING_MODE="real_splunk")
    before = opwire("verify", "splunk", "slack", env=real, cwd=tmp_path)
    assert before.returncode == 2 and "SPLUNK_HEC" in before.stderr, before.stderr
    added = opwire(
        "blocker", "add", "splunk", "--ticket", "SEC-42", "--note", "InfoSec gates HEC",
        env=real, cwd=tmp_path,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    held = opwire("verify", "splunk", "slack", "--json", env=real, cwd=tmp_path)
    assert held.returncode == 3, held.stdout + held.stderr
    line = next(x for x in held.stderr.splitlines() if x.startswith("splunk      real"))
    assert "BLOCKED" in line and "SEC-42" in line, line
    assert any(x.startswith("slack       mock  PASS") for x in held.stderr.splitlines())
    assert "overall: HOLD" in held.stderr and "1 BLOCKED" in held.stderr
    document = json.loads(held.stdout)
    jsonschema.validate(document, JSON_SCHEMA)
    blocked = next(i for i in document["integrations"] if i["slug"] == "splunk")
    assert blocked["status"] == "BLOCKED" and blocked["requests"] == []
    assert blocked["diagnosis"]["detail"] == "ticket SEC-42" and document["exit_code"] == 3
    (run,) = Records(tmp_path / "state", Redactor()).runs()
    splunk = next(i for i in run["integrations"] if i["slug"] == "splunk")
    assert splunk == {**splunk, "mode": "real", "status": "BLOCKED", "code": "opwire.blocked"}
    mocked = opwire("verify", "splunk", env=on_mock(tmp_path, slack_mock), cwd=tmp_path)
    assert mocked.returncode == 0 and "open credential blocker (ticket SEC-42)" in mocked.stdout
    resolved = opwire(
        "blocker", "resolve", "splunk", "--note", "token issued", env=real, cwd=tmp_path
    )
    assert resolved.returncode == 0, resolved.stderr
    again = opwire("verify", "splunk", env=real, cwd=tmp_path)
    assert again.returncode == 2 and "SPLUNK_HEC" in again.stderr
    text = (tmp_path / "state" / "cred-blockers.md").read_text()
    assert "## splunk: SEC-42\n\n- ticket: SEC-42\n- since: " in text
    assert (
        "- note: InfoSec gates HEC\n- resolved: " in text and "- resolution: token issued" in text
    )
    no_secret_anywhere(tmp_path, before, added, held, mocked, resolved, again)


# --- confirm: a person saw it, after a real PASS ----------------------------------------------


def test_confirm_needs_a_real_pass_and_records_the_latest(slack_mock: Mock, tmp_path: Path) -> None:
    env = on_mock(tmp_path, slack_mock)
    nothing = opwire("confirm", "slack", "--by", "Ana Lopez", env=env, cwd=tmp_path)
    assert nothing.returncode == 1 and "no real PASS of slack" in nothing.stderr
    mock_pass = opwire("verify", "slack", env=env, cwd=tmp_path)
    assert mock_pass.returncode == 0
    still = opwire("confirm", "slack", "--by", "Ana Lopez", env=env, cwd=tmp_path)
    assert still.returncode == 1 and "a PASS against the mock never counts" in still.stderr
    real = opwire("verify", "slack", "--json", env=real_slack(tmp_path, slack_mock), cwd=tmp_path)
    assert real.returncode == 0, real.stdout + real.stderr
    run_id = json.loads(real.stdout)["run_id"]
    assert opwire("verify", "slack", env=env, cwd=tmp_path).returncode == 0  # a later mock PASS
    done = opwire(
        "confirm", "slack", "--by", "Ana Lopez", "--note", "seen in #ops", "--json",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (made,) = Records(tmp_path / "state", Redactor()).confirmations()
    assert made == Confirmation("slack", "Ana Lopez", made.at, run_id, "seen in #ops")
    assert json.loads(done.stdout)["confirmation"]["run_id"] == run_id
    assert (
        (tmp_path / "state" / "confirmations.md")
        .read_text()
        .endswith(
            f"## slack: seen by Ana Lopez\n\n- by: Ana Lopez\n- at: {made.at}\n- run id: {run_id}\n"
            "- note: seen in #ops\n"
        )
    )
    no_secret_anywhere(tmp_path, nothing, mock_pass, still, real, done)


BAD = [
    (["blocker", "add", "nosuch", "--ticket", "T"], "SLUG 'nosuch'"),
    (["blocker", "add", "splunk"], "--ticket"),
    (["blocker", "add", "splunk", "--ticket", "  \n "], "--ticket must not be empty"),
    (["blocker", "add", "splunk", "--ticket", "a\x1b[2Jb"], "--ticket has a control character"),
    (["blocker", "add", "splunk", "--ticket", "T", "--note", "x" * 600], "--note is longer"),
    (["blocker", "add", "splunk", "--ticket", f"T {PLANTED}"], "--ticket holds a credential"),
    (["blocker", "resolve", "Nope"], "SLUG 'Nope'"),
    (["deviation", "add", ""], "TEXT must not be empty"),
    (["deviation", "add", f"token {PLANTED} leaked"], "TEXT holds a credential"),
    (["deviation", "add", "x", "--run-id", "run-7"], "--run-id must be a run id"),
    (["confirm", "slack"], "--by"),
    (["confirm", "slack", "--by", " "], "--by must not be empty"),
    (["confirm", "slack", "--by", "a", "--note", PLANTED], "--note holds a credential"),
    (["confirm", "slack", "--by", "a", "--wait-ack"], "--wait-ack is for pagerduty"),
    (["confirm", "pagerduty", "--by", "a", "--timeout", "5"], "--timeout goes with --wait-ack"),
    (["confirm", "pagerduty", "--by", "a", "--wait-ack", "--timeout", "-1"], "--timeout must"),
    (["confirm", "pagerduty", "--by", "a", "--wait-ack"], "PAGERDUTY_ROUTING_KEY is not set"),
    (["verify", "--day1-log", "--log", "x.log"], "--day1-log or --log"),
    (["verify", "--overwrite"], "--overwrite goes with --day1-log"),
]


def test_every_bad_input_is_exit_2_naming_it_without_a_trace_or_a_secret(tmp_path: Path) -> None:
    env = state_env(tmp_path)

    def attempt(args: list[str]) -> subprocess.CompletedProcess[str]:
        return opwire(*args, env=env, cwd=tmp_path)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(attempt, [args for args, _ in BAD]))
    for (args, needle), done in zip(BAD, results, strict=True):
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert needle in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
        assert PLANTED not in done.stdout + done.stderr
    file_dir = tmp_path / "a-file"
    file_dir.write_text("")
    bad_dir = opwire(
        "blocker", "list", env={**env, "OPERATOR_WIRING_STATE_DIR": str(file_dir)}, cwd=tmp_path
    )
    assert bad_dir.returncode == 2 and "OPERATOR_WIRING_STATE_DIR" in bad_dir.stderr
    assert not (tmp_path / "state").exists() or not any((tmp_path / "state").glob("*.md"))


# --- the Day-1 log ------------------------------------------------------------------------------


def test_the_day1_log_has_its_header_then_the_output_and_is_never_overwritten_silently(
    slack_mock: Mock, tmp_path: Path
) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = on_mock(tmp_path, slack_mock)
    done = opwire("verify", "slack", "datadog", "--day1-log", env=env, cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    (log,) = (tmp_path / "state").glob("verify-day1-*.log")
    assert log.name == f"verify-day1-{datetime.now(UTC):%Y%m%d}.log"
    assert list(work.iterdir()) == []  # under the state folder, never the working directory
    header, _, body = log.read_text().partition("\n# host: ")
    run_id = json.loads((tmp_path / "state" / "runs.jsonl").read_text())["run_id"]
    assert header.splitlines() == [
        f"# opwire {__version__}",
        f"# run id: {run_id}",
        "# mode: datadog=mock, slack=mock",
    ]
    host, _, output = body.partition("\n")
    assert host and output == done.stdout and output.splitlines()[-1].startswith("overall: GREEN")
    sent = len(slack_mock.requests())
    again = opwire("verify", "slack", "--day1-log", env=env, cwd=work)
    assert (
        again.returncode == 2 and "already exists" in again.stderr and "--overwrite" in again.stderr
    )
    assert len(slack_mock.requests()) == sent and log.read_text().endswith(done.stdout)
    replaced = opwire("verify", "slack", "--day1-log", "--overwrite", env=env, cwd=work)
    assert replaced.returncode == 0
    assert log.read_text().endswith(replaced.stdout) and "# mode: slack=mock\n" in log.read_text()
    assert sorted(p.name for p in (tmp_path / "state").iterdir() if "day1" in p.name) == [log.name]
    no_secret_anywhere(tmp_path, done, again, replaced)


# --- PagerDuty: a person acknowledges the test incident ---------------------------------------

ROUTING_KEY = "PLANTEDrecordsKEY0123456789abcde"
API_TOKEN = "PLANTED-rest-token-records"


def real_pagerduty(folder: Path, mock: Mock, **extra: str) -> dict[str, str]:
    return state_env(
        folder,
        OPERATOR_WIRING_MODE="real_pagerduty",
        PAGERDUTY_ROUTING_KEY=ROUTING_KEY,
        PAGERDUTY_API_TOKEN=API_TOKEN,
        OPERATOR_WIRING_PAGERDUTY_EVENTS_URL=mock.url,
        OPERATOR_WIRING_PAGERDUTY_API_URL=mock.url,
        **extra,
    )


def open_incidents(mock: Mock) -> list[dict[str, Any]]:
    items = mock.control("GET", "state?kind=incident")["items"]
    return [i["vendor"] for i in items if i["vendor"]["status"] == "triggered"]


def acknowledge_as_a_person(mock: Mock, stop: threading.Event) -> None:
    """The human: waits for the test incident, then acknowledges it through the REST API."""
    while not stop.wait(0.1):
        for incident in open_incidents(mock):
            if incident["incident_key"].startswith("ow-"):
                httpx.put(
                    f"{mock.url}/incidents/{incident['id']}",
                    headers={
                        "Authorization": "Token token=a-person-s-own-token",
                        "From": "ana@example.com",
                    },
                    json={"incident": {"type": "incident_reference", "status": "acknowledged"}},
                    timeout=5,
                ).raise_for_status()
                return


def test_wait_ack_records_only_what_a_person_acknowledged(tmp_path: Path) -> None:
    for mock in serve("pagerduty"):
        env = real_pagerduty(tmp_path, mock)
        passed = opwire("verify", "pagerduty", env=env, cwd=tmp_path)
        assert passed.returncode == 0, passed.stdout + passed.stderr
        nobody = opwire(
            "confirm", "pagerduty", "--by", "Ana", "--wait-ack", "--timeout", "1",
            env=env, cwd=tmp_path,
        )  # fmt: skip
        assert nobody.returncode == 1, nobody.stdout + nobody.stderr
        assert "no one acknowledged incident" in nobody.stdout and "nothing was recorded" in (
            nobody.stdout
        )
        assert open_incidents(mock) == []  # the unacknowledged test incident was resolved
        stop = threading.Event()
        person = threading.Thread(target=acknowledge_as_a_person, args=(mock, stop))
        person.start()
        try:
            done = opwire(
                "confirm", "pagerduty", "--by", "Ana", "--wait-ack", "--timeout", "20",
                env=env, cwd=tmp_path, timeout=60,
            )  # fmt: skip
        finally:
            stop.set()
            person.join()
        assert done.returncode == 0, done.stdout + done.stderr  # the ack ended the wait
        assert "waiting up to 20 s for a person to acknowledge incident" in done.stdout
        (made,) = Records(tmp_path / "state", Redactor()).confirmations()
        first_run = json.loads((tmp_path / "state" / "runs.jsonl").read_text().splitlines()[0])
        assert made.slug == "pagerduty" and made.run_id == first_run["run_id"]
        text = (tmp_path / "state" / "confirmations.md").read_text()
        assert "acknowledged by ana@example.com" in text and "then resolved" in text
        assert open_incidents(mock) == []
        assert Journal(tmp_path / "state").read().entries == ()
        for shown in (passed.stdout, nobody.stdout, done.stdout, done.stderr, text):
            assert ROUTING_KEY not in shown and API_TOKEN not in shown
        no_secret_anywhere(tmp_path, passed, nobody, done)


def test_no_record_ever_holds_a_planted_secret(tmp_path: Path) -> None:
    """Through the library too: the redactor knows the secret, the write is refused."""
    records = Records(tmp_path, Redactor([Secret(PLANTED)]))
    for write in (
        lambda: records.add_blocker("slack", PLANTED, "", datetime.now(UTC)),
        lambda: records.add_deviation(f"saw {PLANTED}", None, datetime.now(UTC)),
        lambda: records.add_confirmation(Confirmation("slack", "a", "x", RUN_A, PLANTED)),
    ):
        with pytest.raises(SecretInRecord, match="nothing written") as refused:
            write()
        assert PLANTED not in str(refused.value)
    assert not any(p.suffix == ".md" for p in tmp_path.iterdir())


def test_a_record_file_that_is_not_utf8_is_one_line_and_is_left_alone(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    blockers = state / "cred-blockers.md"
    blockers.write_bytes(b"# Blockers\n\nM\xfcller's note\n")
    done = opwire("blocker", "add", "splunk", "--ticket", "SEC-1", cwd=tmp_path)
    assert done.returncode != 0 and "is not UTF-8" in done.stderr, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert blockers.read_bytes() == b"# Blockers\n\nM\xfcller's note\n"
