"""Results: step and integration statuses, the run's overall verdict, exit codes, JSON schema.

DESIGN § 3: PASS / UNCONFIRMED / FAIL / BLOCKED per integration; GREEN only when every selected
integration is PASS, anything else HOLD; exit 0 GREEN, 1 any FAIL, 2 usage, 3 HOLD without FAIL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from opwire.diagnosis import Diagnosis
from opwire.http import RequestLine

SCHEMA_ID = "opwire.verify/1"


class Status(StrEnum):
    PASS = "PASS"
    UNCONFIRMED = "UNCONFIRMED"
    FAIL = "FAIL"
    BLOCKED = "BLOCKED"


class Overall(StrEnum):
    GREEN = "GREEN"
    HOLD = "HOLD"


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


EXIT_GREEN, EXIT_FAIL, EXIT_USAGE, EXIT_HOLD = 0, 1, 2, 3
# An interrupted run exits 128 + the signal's number, as a shell reports a process it stopped.
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    outcome: Outcome
    detail: str = ""
    diagnosis: Diagnosis | None = None


@dataclass(frozen=True, slots=True)
class IntegrationResult:
    slug: str
    real: bool
    status: Status
    steps: tuple[Step, ...]
    requests: tuple[RequestLine, ...]
    elapsed_s: float
    notes: tuple[str, ...] = ()

    @property
    def diagnosis(self) -> Diagnosis | None:
        return next((s.diagnosis for s in self.steps if s.diagnosis is not None), None)


def status_of(steps: tuple[Step, ...]) -> Status:
    if any(s.outcome is Outcome.FAILED for s in steps):
        return Status.FAIL
    if any(s.outcome is Outcome.SKIPPED for s in steps) or not steps:
        return Status.UNCONFIRMED
    return Status.PASS


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: str
    mode: str
    started_at: str
    elapsed_s: float
    integrations: tuple[IntegrationResult, ...]
    notes: tuple[str, ...] = field(default=())
    # The exit code the interrupt that stopped the run asks for (EXIT_SIGINT, EXIT_SIGTERM, or
    # EXIT_FAIL for a closed stdout); 0 when the run ended by itself.
    interrupted: int = 0

    @property
    def overall(self) -> Overall:
        statuses = [i.status for i in self.integrations]
        ok = bool(statuses) and all(s is Status.PASS for s in statuses)
        return Overall.GREEN if ok else Overall.HOLD

    @property
    def real_slugs(self) -> list[str]:
        return [i.slug for i in self.integrations if i.real]

    @property
    def mock_slugs(self) -> list[str]:
        return [i.slug for i in self.integrations if not i.real]

    @property
    def confirmed_real(self) -> list[str]:
        """The integrations proven against the real vendor: a PASS against a mock never is."""
        return [i.slug for i in self.integrations if i.real and i.status is Status.PASS]

    @property
    def provenance(self) -> str:
        """`real: slack; mock: datadog, sentry` whenever any integration ran for real, so a
        verdict never passes off what a mock proved as the vendor's; empty in plain mock mode."""
        if not self.real_slugs:
            return ""
        mocked = f"; mock: {', '.join(self.mock_slugs)}" if self.mock_slugs else ""
        return f"real: {', '.join(self.real_slugs)}{mocked}"

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return self.interrupted
        if self.overall is Overall.GREEN:
            return EXIT_GREEN
        if any(i.status is Status.FAIL for i in self.integrations):
            return EXIT_FAIL
        return EXIT_HOLD


def to_json(run: RunResult) -> dict[str, Any]:
    """The `--json` document; its shape is `JSON_SCHEMA` and is documented in the README."""
    return {
        "schema": SCHEMA_ID,
        "run_id": run.run_id,
        "mode": run.mode,
        "started_at": run.started_at,
        "elapsed_s": round(run.elapsed_s, 3),
        "overall": run.overall.value,
        "exit_code": run.exit_code,
        "notes": list(run.notes),
        "confirmed_real": run.confirmed_real,
        "integrations": [_integration_json(i) for i in run.integrations],
    }


def list_document_schema(schema_id: str, key: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a document `{"schema": schema_id, key: [items]}` whose items have
    exactly `properties`, all required (cleanup's and drill's documents)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": schema_id,
        "type": "object",
        "required": ["schema", key],
        "additionalProperties": False,
        "properties": {
            "schema": {"const": schema_id},
            key: {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": list(properties),
                    "additionalProperties": False,
                    "properties": properties,
                },
            },
        },
    }


RUN_RECORD_ID = "opwire.run/1"


def run_record(run: RunResult, command: str = "verify") -> dict[str, Any]:
    """The line `state/runs.jsonl` gets for this run: what history and incidents read later."""
    return {
        "schema": RUN_RECORD_ID,
        "command": command,
        "run_id": run.run_id,
        "started_at": run.started_at,
        "elapsed_s": round(run.elapsed_s, 3),
        "mode": run.mode,
        "overall": run.overall.value,
        "exit_code": run.exit_code,
        "integrations": [
            {
                "slug": i.slug,
                "mode": "real" if i.real else "mock",
                "status": i.status.value,
                "code": i.diagnosis.code if i.diagnosis else None,
                "elapsed_s": round(i.elapsed_s, 3),
            }
            for i in run.integrations
        ],
    }


def _integration_json(result: IntegrationResult) -> dict[str, Any]:
    diagnosis = result.diagnosis
    return {
        "slug": result.slug,
        "mode": "real" if result.real else "mock",
        "status": result.status.value,
        "elapsed_s": round(result.elapsed_s, 3),
        "diagnosis": asdict(diagnosis) if diagnosis else None,
        "steps": [
            {"name": s.name, "outcome": s.outcome.value, "detail": s.detail} for s in result.steps
        ],
        "requests": [asdict(r) for r in result.requests],
        "notes": list(result.notes),
    }


_STR = {"type": "string"}
_DIAGNOSIS = {
    "type": ["object", "null"],
    "required": ["code", "cause", "fix", "runbook", "detail"],
    "properties": {k: _STR for k in ("code", "cause", "fix", "runbook", "detail")},
    "additionalProperties": False,
}
_REQUEST = {
    "type": "object",
    "required": ["integration", "method", "url", "outcome", "ms", "note"],
    "properties": {
        "integration": _STR,
        "method": _STR,
        "url": _STR,
        "outcome": _STR,
        "ms": {"type": "integer", "minimum": 0},
        "note": _STR,
    },
    "additionalProperties": False,
}
_STEP = {
    "type": "object",
    "required": ["name", "outcome", "detail"],
    "properties": {
        "name": _STR,
        "outcome": {"enum": [o.value for o in Outcome]},
        "detail": _STR,
    },
    "additionalProperties": False,
}
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": SCHEMA_ID,
    "type": "object",
    "required": [
        "schema",
        "run_id",
        "mode",
        "started_at",
        "elapsed_s",
        "overall",
        "exit_code",
        "notes",
        "confirmed_real",
        "integrations",
    ],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "run_id": {"type": "string", "pattern": "^ow-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$"},
        "mode": _STR,
        "started_at": _STR,
        "elapsed_s": {"type": "number", "minimum": 0},
        "overall": {"enum": [o.value for o in Overall]},
        "exit_code": {"enum": [EXIT_GREEN, EXIT_FAIL, EXIT_HOLD, EXIT_SIGINT, EXIT_SIGTERM]},
        "notes": {"type": "array", "items": _STR},
        "confirmed_real": {"type": "array", "items": _STR, "uniqueItems": True},
        "integrations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "slug",
                    "mode",
                    "status",
                    "elapsed_s",
                    "diagnosis",
                    "steps",
                    "requests",
                    "notes",
                ],
                "additionalProperties": False,
                "properties": {
                    "slug": _STR,
                    "mode": {"enum": ["mock", "real"]},
                    "status": {"enum": [s.value for s in Status]},
                    "elapsed_s": {"type": "number", "minimum": 0},
                    "diagnosis": _DIAGNOSIS,
                    "steps": {"type": "array", "items": _STEP},
                    "requests": {"type": "array", "items": _REQUEST},
                    "notes": {"type": "array", "items": _STR},
                },
            },
        },
    },
}
