"""`opwire creds check` and `creds show`: the offline lint of every declared variable, named
swaps, the dotenv file's hygiene, and no secret in any output."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from opwire.config import Lookup
from opwire.creds import check
from opwire.integrations import SLUGS, room

from conftest import ROOT, clean_env, opwire

# Secret values planted in bad values: none may appear in any message.
DD_APP = "0123456789abcdef0123456789abcdef0a1b2c3d"
GUID = "5e3f1c2a-9b8d-4e7f-a6b5-c4d3e2f1a0b9"
HOOK = "https://hooks.slack.com/services/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"
BOT = "xoxb-1234567890-PLANTED-bot-token"

# (slug, variable, bad value, the words its message must have)
BAD = [
    ("datadog", "DD_API_KEY", DD_APP, "has the shape of DD_APP_KEY"),
    ("datadog", "DD_APP_KEY", DD_APP[:32], "has the shape of DD_API_KEY"),
    ("datadog", "DD_API_KEY", DD_APP[:32].upper(), "upper-case"),
    ("datadog", "DD_API_KEY", "0123456789abcdef", "must be 32 hexadecimal"),
    ("datadog", "DD_SITE", "app.datadoghq.eu", "set DD_SITE=datadoghq.eu"),
    ("datadog", "DD_SITE", "https://app.datadoghq.eu/", "is a URL, not a site"),
    ("datadog", "DD_SITE", "us5.datadoghq.com/", "set DD_SITE=us5.datadoghq.com"),
    ("datadog", "DD_SITE", "datadoghq.co", "did you mean DD_SITE=datadoghq.com"),
    ("datadog", "DD_SITE", DD_APP[:32], "has the shape of DD_API_KEY"),
    ("sentry", "SENTRY_DSN", "https://o1.ingest.us.sentry.io/42", "has no public key"),
    ("sentry", "SENTRY_DSN", "https://abc@o1.ingest.us.sentry.io/42", "not 32 hex"),
    ("sentry", "SENTRY_DSN", f"https://{DD_APP[:32]}@o1.ingest.us.sentry.io/x", "project id"),
    ("sentry", "SENTRY_DSN", f"ftp://{DD_APP[:32]}@o1.ingest.sentry.io/4", "https://"),
    ("sentry", "SENTRY_AUTH_TOKEN", f"https://{DD_APP[:32]}@o1.ingest.sentry.io/4", "SENTRY_DSN"),
    ("sentry", "SENTRY_AUTH_TOKEN", "https://sentry.example.com/x", "is a URL"),
    ("sentry", "SENTRY_AUTH_TOKEN", DD_APP[:32], "DSN's public key"),
    ("pagerduty", "PAGERDUTY_ROUTING_KEY", "y_NbAkKc66ryYTWUXYEu", "PAGERDUTY_API_TOKEN"),
    ("pagerduty", "PAGERDUTY_ROUTING_KEY", "short", "32-character"),
    ("opsgenie", "OPSGENIE_API_KEY", "not-a-uuid-0000", "a UUID"),
    ("opsgenie", "OPSGENIE_REGION", "api.eu.opsgenie.com", "set OPSGENIE_REGION=eu"),
    ("opsgenie", "OPSGENIE_REGION", "asia", "us (api.opsgenie.com) or eu"),
    ("slack", "SLACK_WEBHOOK_URL", BOT, "has the shape of SLACK_BOT_TOKEN"),
    ("slack", "SLACK_WEBHOOK_URL", "xoxa-2-PLANTED", "is a Slack token"),
    ("slack", "SLACK_WEBHOOK_URL", "https://hooks.slack.com/triggers/T0AAAAAA1/1/a", "Workflow"),
    ("slack", "SLACK_WEBHOOK_URL", HOOK[:-3], "cut short"),
    (
        "slack",
        "SLACK_WEBHOOK_URL",
        HOOK.replace("https://hooks", "https://hookz"),
        "on https://hooks",
    ),
    ("slack", "SLACK_BOT_TOKEN", HOOK, "has the shape of SLACK_WEBHOOK_URL"),
    ("slack", "SLACK_CHANNEL_ID", "#alerts", "channel name, not its ID"),
    ("splunk", "SPLUNK_HEC_TOKEN", "abc", "a GUID"),
    ("splunk", "SPLUNK_HEC_URL", GUID, "has the shape of SPLUNK_HEC_TOKEN"),
    ("splunk", "SPLUNK_HEC_URL", "splunk.example.com:8088", "https://"),
    (
        "splunk",
        "SPLUNK_HEC_URL",
        "https://s.example.com:8088/services/collector/services/collector",
        "SPLUNK_HEC_URL=https://s.example.com:8088/services/collector",
    ),
    ("splunk", "SPLUNK_HEC_INSECURE", "yes", "must be 0 or 1"),
    ("splunk", "SPLUNK_HEC_INSECURE", "true", "must be 0 or 1"),
]
# (slug, variable, value, the warning's words): accepted, but the operator hears of it.
WARNED = [
    ("datadog", "DD_SITE", "DATADOGHQ.EU", "set DD_SITE=datadoghq.eu"),
    ("sentry", "SENTRY_DSN", f"https://{DD_APP[:32]}:{DD_APP[8:]}@o1.ingest.sentry.io/4", "legacy"),
    ("sentry", "SENTRY_AUTH_TOKEN", "abc", "does not look like a Sentry auth token"),
    ("splunk", "SPLUNK_HEC_INSECURE", "1", "TLS certificate is not checked"),
    ("splunk", "SPLUNK_HEC_URL", "http://splunk.example.com:8088/services/collector", "plain http"),
    ("splunk", "SPLUNK_HEC_URL", "https://splunk.example.com:8088", "/services/collector"),
    (
        "slack",
        "SLACK_WEBHOOK_URL",
        HOOK.replace("https://hooks.slack.com", "http://[::1]"),
        "mocks",
    ),
]


def _messages(slug: str, values: dict[str, str]) -> list[tuple[str, str]]:
    [report] = check(Lookup(values), [slug])
    return [(f.level, f.line()) for f in report.findings]


@pytest.mark.parametrize(("slug", "name", "value", "words"), BAD)
def test_a_bad_value_gets_its_own_message_and_never_shows_a_secret(
    slug: str, name: str, value: str, words: str
) -> None:
    errors = [line for level, line in _messages(slug, {name: value}) if level == "error"]
    mine = [line for line in errors if f" {name} " in f" {line} "]
    assert mine and words in mine[0], errors
    if room(slug).var(name).secret or value in (DD_APP[:32], GUID):
        assert value not in " ".join(errors)


@pytest.mark.parametrize(("slug", "name", "value", "words"), WARNED)
def test_a_doubtful_value_is_a_warning_with_its_fix(
    slug: str, name: str, value: str, words: str
) -> None:
    found = [(lvl, line) for lvl, line in _messages(slug, {name: value}) if name in line]
    assert any(lvl == "warning" and words in line for lvl, line in found), found
    assert not any(lvl == "error" for lvl, _ in found), found


@pytest.mark.parametrize("slug", SLUGS)
def test_the_declared_examples_pass(slug: str) -> None:
    values = {v.name: v.example for v in room(slug).variables}
    errors = [line for level, line in _messages(slug, values) if level == "error"]
    assert errors == []


def test_the_gov_slack_webhook_form_is_accepted() -> None:
    gov = HOOK.replace("hooks.slack.com", "hooks.slack-gov.com")
    assert not [m for m in _messages("slack", {"SLACK_WEBHOOK_URL": gov}) if m[0] == "error"]


def test_the_dsn_region_is_read_from_its_host() -> None:
    key = DD_APP[:32]
    for host, region in (("o1.ingest.de.sentry.io", "de"), ("o1.ingest.us.sentry.io", "us")):
        [report] = check(Lookup({"SENTRY_DSN": f"https://{key}@{host}/42"}), ["sentry"])
        assert report.variables[0].about == f"region {region}"


def test_missing_variables_say_what_they_cost() -> None:
    [report] = check(Lookup({}), ["opsgenie"])
    lines = {f.variable: (f.level, f.line()) for f in report.findings}
    level, line = lines["OPSGENIE_API_KEY"]
    assert level == "error" and "needed to send" in line
    assert lines["OPSGENIE_TEAM"][0] == "warning" and "team-scoped" in lines["OPSGENIE_TEAM"][1]


def _copy_example(folder: Path, mode: int = 0o600) -> Path:
    env = folder / ".env.local"
    shutil.copy(ROOT / ".env.example", env)
    env.chmod(mode)
    return env


def test_the_copied_env_example_lists_what_is_missing_per_integration(tmp_path: Path) -> None:
    _copy_example(tmp_path)
    done = opwire("creds", "check", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    for slug in SLUGS:
        assert room(slug).title in done.stdout
    for name in ("DD_API_KEY", "SENTRY_DSN", "PAGERDUTY_ROUTING_KEY", "OPSGENIE_API_KEY"):
        assert f"error: {name} is not set (needed to send)" in done.stdout
    assert "SLACK_WEBHOOK_URL is not set" in done.stdout and "SPLUNK_HEC_TOKEN" in done.stdout


def _good_values() -> str:
    return "".join(
        f"{v.name}={v.example}\n"
        for slug in SLUGS
        for v in room(slug).variables
        if not v.name.startswith("OPERATOR_WIRING_")
    )


def test_good_values_exit_0_and_json_never_carries_a_secret(tmp_path: Path) -> None:
    (tmp_path / ".env.local").write_text(_good_values() + f"SLACK_BOT_TOKEN={BOT}\n")
    (tmp_path / ".env.local").chmod(0o600)
    done = opwire("creds", "check", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "opwire.creds-check/1" and document["ok"] is True
    assert [i["slug"] for i in document["integrations"]] == list(SLUGS)
    assert BOT not in done.stdout + done.stderr
    shown = opwire("creds", "show", "slack", cwd=tmp_path)
    assert shown.returncode == 0 and "SLACK_BOT_TOKEN" in shown.stdout
    assert BOT not in shown.stdout + shown.stderr and "****oken" in shown.stdout


def test_a_readable_tracked_or_unignored_env_file_and_a_committed_secret_are_named(
    tmp_path: Path,
) -> None:
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".env.local").write_text(f"SLACK_BOT_TOKEN={BOT}\n")
    (tmp_path / "notes.md").write_text(f"pasted here by mistake: {BOT}\n")
    subprocess.run([*git, "add", "notes.md"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=tmp_path, check=True)
    (tmp_path / ".env.local").chmod(0o644)
    done = opwire("creds", "check", "slack", cwd=tmp_path)
    assert done.returncode == 1
    assert "readable by group or others (mode 0644)" in done.stdout
    assert "is not ignored by git" in done.stdout
    assert "SLACK_BOT_TOKEN has its value in a tracked file: notes.md" in done.stdout
    assert BOT not in done.stdout + done.stderr
    verified = opwire("verify", "slack", cwd=tmp_path)
    assert "warning: .env.local is not ignored by git" in verified.stdout
    assert BOT not in verified.stdout + verified.stderr


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "is a directory"),
        (b"\xef\xbb\xbfA=1\n", "byte-order mark"),
        ("A=1\n".encode("utf-16"), "UTF-16"),
        (f"A=1\nSLACK_BOT_TOKEN {BOT}\n".encode(), ".env.local:2: expected NAME=value"),
    ],
)
def test_an_unreadable_env_file_is_exit_2_naming_file_and_line(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    env = tmp_path / ".env.local"
    if content is None:
        env.mkdir()
    else:
        env.write_bytes(content)
    done = opwire("creds", "check", cwd=tmp_path, env=clean_env())
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and BOT not in done.stderr


def test_show_online_checks_the_operators_own_credentials_against_the_mocks(
    tmp_path: Path,
) -> None:
    env = tmp_path / ".env.local"
    env.write_text(
        f"DD_API_KEY={DD_APP[:32]}\nDD_APP_KEY={DD_APP}\nSLACK_WEBHOOK_URL={HOOK}\n"
        f"SLACK_BOT_TOKEN={BOT}\n"
    )
    env.chmod(0o600)
    done = opwire("creds", "show", "--online", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "opwire.creds-show/1"
    online = {i["slug"]: i["status"] for i in document["online"]["integrations"]}
    assert online == {"datadog": "PASS", "slack": "PASS"}
    assert set(document["online"]["not_checked"]) == {"sentry", "pagerduty", "opsgenie", "splunk"}
    rows = {r["name"]: r for r in document["integrations"]["slack"]}
    assert rows["SLACK_BOT_TOKEN"]["source"] == str(Path(".env.local"))
    assert rows["SLACK_BOT_TOKEN"]["value"].startswith("****")
    for secret in (DD_APP, DD_APP[:32], BOT, HOOK.rsplit("/", 1)[1]):
        assert secret not in done.stdout + done.stderr


def test_a_credential_in_a_shown_variable_is_named_as_swapped_and_masked(tmp_path: Path) -> None:
    env = tmp_path / ".env.local"
    env.write_text(f"OPSGENIE_API_KEY=Platform On-Call\nOPSGENIE_TEAM={GUID}\n")
    env.chmod(0o600)
    checked = opwire("creds", "check", "opsgenie", cwd=tmp_path)
    assert checked.returncode == 1
    assert "OPSGENIE_TEAM has the shape of OPSGENIE_API_KEY" in checked.stdout
    shown = opwire("creds", "show", "opsgenie", cwd=tmp_path)
    assert shown.returncode == 0 and "OPSGENIE_TEAM" in shown.stdout
    assert GUID not in checked.stdout + checked.stderr + shown.stdout + shown.stderr
