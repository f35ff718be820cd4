"""Every --json document is built by its result type and validates against its schema (issue 10
item 5); an OpwireError ends a command with its own exit code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from opwire.cleanup import CLEANUP_SCHEMA
from opwire.drill import DRILL_SCHEMA, LIST_SCHEMA
from opwire.errors import ConfigError, OpwireError
from opwire.state import JournalError

from conftest import clean_env, opwire


def test_cleanup_json_validates(tmp_path: Path) -> None:
    env = clean_env(OPERATOR_WIRING_STATE_DIR=str(tmp_path / "state"))
    done = opwire("cleanup", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    jsonschema.validate(document, CLEANUP_SCHEMA)
    assert document == {"schema": "opwire.cleanup/1", "cleaned": []}


def test_drill_json_validates(tmp_path: Path) -> None:
    done = opwire("drill", "slack/revoked", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    jsonschema.validate(document, DRILL_SCHEMA)
    assert [d["scenario"] for d in document["drills"]] == ["slack/revoked"]


def test_drill_list_json_validates(tmp_path: Path) -> None:
    done = opwire("drill", "splunk", "--list", "--json", cwd=tmp_path)
    document = json.loads(done.stdout)
    jsonschema.validate(document, LIST_SCHEMA)
    assert all(s["scenario"].startswith("splunk/") for s in document["scenarios"])


def test_errors_carry_their_exit_codes() -> None:
    assert issubclass(ConfigError, OpwireError) and ConfigError.exit_code == 2
    assert issubclass(JournalError, ConfigError)
