"""Settings: precedence, modes, dotenv parsing, the Secret type and redaction."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from opwire.config import (
    SLUGS,
    ConfigError,
    Lookup,
    Redactor,
    Secret,
    parse_mode,
    read_env_file,
    run_settings,
)

PLANTED = "s3cr3t-VALUE-0123456789abcdef"


def test_secret_never_renders_its_value() -> None:
    secret = Secret(PLANTED)
    rendered = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        "%s" % secret,  # noqa: UP031 (the old formatting path must mask too)
        format(secret, ">40"),
        repr([secret]),
        repr({"k": secret}),
    ]
    assert all(PLANTED not in text for text in rendered)
    assert str(secret) == "****cdef"
    assert secret.reveal() == PLANTED


def test_short_secret_shows_no_characters() -> None:
    assert str(Secret("abc123")) == "****"


def test_secret_refuses_json_and_pickle() -> None:
    with pytest.raises(TypeError):
        json.dumps({"k": Secret(PLANTED)})
    with pytest.raises(TypeError):
        pickle.dumps(Secret(PLANTED))


def test_redactor_masks_plain_and_url_encoded_forms() -> None:
    secret = Secret("https://hooks.example/services/T1/B2/abc/def+ghi")
    redact = Redactor([secret])
    text = (
        f"a {secret.reveal()} b https%3A%2F%2Fhooks.example%2Fservices%2FT1%2FB2%2Fabc%2Fdef%2Bghi"
    )
    out = redact(text)
    assert "abc/def" not in out and "abc%2Fdef" not in out
    assert out.count("****+ghi") == 2


@pytest.mark.parametrize(
    ("raw", "real"),
    [
        (None, set()),
        ("", set()),
        ("mock", set()),
        ("real_slack", {"slack"}),
        ("real_slack,real_sentry", {"slack", "sentry"}),
        (" real_slack , real_datadog ", {"slack", "datadog"}),
        ("real_all", set(SLUGS)),
    ],
)
def test_modes(raw: str | None, real: set[str]) -> None:
    assert parse_mode(raw) == frozenset(real)


@pytest.mark.parametrize(
    "raw",
    ["real", "real_", "real_nope", "REAL_SLACK", "mock,real_slack", "real_all,real_slack", "slack"],
)
def test_invalid_mode_names_valid_values(raw: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_mode(raw)
    message = str(error.value)
    assert "OPERATOR_WIRING_MODE" in message
    assert all(f"real_{slug}" in message for slug in SLUGS)
    assert "real_all" in message and "mock" in message


def test_precedence_flag_then_environment_then_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env.local"
    env_file.write_text(
        "OPERATOR_WIRING_BUDGET_S=30\nOPERATOR_WIRING_READ_TIMEOUT_S=7\n"
        "OPERATOR_WIRING_CONNECT_TIMEOUT_S=2\n"
    )
    environ = {"OPERATOR_WIRING_BUDGET_S": "20", "OPERATOR_WIRING_READ_TIMEOUT_S": "5"}
    flags = {"OPERATOR_WIRING_BUDGET_S": "10"}
    run = run_settings(Lookup(flags, environ, read_env_file(env_file)))
    assert (run.budget_s, run.read_timeout_s, run.connect_timeout_s) == (10.0, 5.0, 2.0)
    assert run.max_attempts == 4  # the default


def test_blank_value_counts_as_unset() -> None:
    lookup = Lookup({"SLACK_BOT_TOKEN": "  "}, {"SLACK_BOT_TOKEN": "xoxb-from-env"})
    assert lookup.get("SLACK_BOT_TOKEN") == "xoxb-from-env"


def test_dotenv_parsing(tmp_path: Path) -> None:
    path = tmp_path / ".env.local"
    path.write_text("# comment\n\nexport A=1\nB=\"two words\"\nC='q'\nD=plain # trailing\nE=\n")
    assert read_env_file(path) == {"A": "1", "B": "two words", "C": "q", "D": "plain", "E": ""}
    assert read_env_file(tmp_path / "missing") == {}


def test_dotenv_bad_line_names_the_line_not_the_value(tmp_path: Path) -> None:
    path = tmp_path / ".env.local"
    path.write_text(f"A=1\n{PLANTED}\n")
    with pytest.raises(ConfigError) as error:
        read_env_file(path)
    assert ":2:" in str(error.value) and PLANTED not in str(error.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OPERATOR_WIRING_BUDGET_S", "soon"),
        ("OPERATOR_WIRING_BUDGET_S", "-1"),
        ("OPERATOR_WIRING_BUDGET_S", "nan"),
        ("OPERATOR_WIRING_READ_TIMEOUT_S", "0"),
        ("OPERATOR_WIRING_MAX_ATTEMPTS", "2.5"),
        ("OPERATOR_WIRING_MOCK_PORT_SLACK", "70000"),
        ("OPERATOR_WIRING_MOCK_PORT_SLACK", "x"),
    ],
)
def test_bad_numbers_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        run_settings(Lookup({name: value}))
    assert name in str(error.value)
