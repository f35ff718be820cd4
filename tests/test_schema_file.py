"""The README's documented JSON schema (schemas/opwire.verify-1.schema.json), not only the code's
own, validates the output; the README's example document validates against it too."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from opwire.results import JSON_SCHEMA

from conftest import ROOT, clean_env, opwire

SCHEMA_FILE = ROOT / "schemas" / "opwire.verify-1.schema.json"


def documented() -> dict[str, object]:
    return dict(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_the_readme_names_the_schema_file() -> None:
    assert "schemas/opwire.verify-1.schema.json" in (ROOT / "README.md").read_text()


def test_the_schema_file_is_the_codes_schema() -> None:
    """A change to the output's shape changes the documented file in the same commit."""
    assert documented() == JSON_SCHEMA


def test_real_output_validates_against_the_documented_schema(tmp_path: Path) -> None:
    done = opwire("verify", "slack", "datadog", "--json", env=clean_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    jsonschema.validate(json.loads(done.stdout), documented())


def test_the_readme_example_validates() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(\{.*?\})\n```", readme, flags=re.S)
    assert example is not None
    jsonschema.validate(json.loads(example.group(1)), documented())
