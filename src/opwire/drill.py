"""`opwire drill`: the operator's rehearsal and our contract. Against in-process mocks, switch each
named scenario on, run the probe, and check the diagnosis is the one expected; print
symptom -> diagnosis -> fix. The expectations live here, on the client side: the mocks only say
which scenarios they can play (`GET /_opwire/scenarios`), never what the probe should conclude.
An interrupt (`Stop`) ends the drills at once: their mocks are in-process, nothing is left open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from opwire.config import Lookup, Redactor, run_settings
from opwire.integrations import SLUGS, load
from opwire.interrupt import Interrupted, Stop
from opwire.results import IntegrationResult, Status, list_document_schema
from opwire.verify import Event, plan, verify

# DNS cannot fail on a mock: this drill runs verify in an unshared network namespace, where
# every lookup fails at once and no packet leaves the machine.
DNS_DRILL = "net/dns_blocked"
# Scenario -> the diagnosis code it must produce ("PASS": it must pass, throttled, not broken).
# Each room's own drills live in its failures.py (DRILLS): scenario -> the code it must produce.
GENERIC: dict[str, str] = {
    "cold_throttle": "PASS",
    "hang": "net.timeout",
    "server_error": "http.server_error",
    "slow_drip": "net.timeout",
    "reset": "net.reset",
    "huge_body": "http.body_too_large",
    "redirect": "http.redirect",
    "malformed": "http.unexpected",
    "retry_after_storm": "{slug}.rate_limited",
}
# The drills of no room: DNS cannot fail on a mock.
OWN: dict[str, str] = {DNS_DRILL: "net.dns"}


def expected_table() -> dict[str, str]:
    """Every drill with a fixed expectation: the rooms' DRILLS, and the DNS drill."""
    return {name: code for slug in SLUGS for name, code in load(slug).drills().items()} | OWN


# Where the vendor's own table says it better than the generic row.
GENERIC_OVERRIDES = {
    "sentry/malformed": "sentry.unexpected_answer",
    "splunk/retry_after_storm": "http.rate_limited",
}
# The seed's § 4 rows and the scenario that rehearses each (or why none can).
SEED_ROWS: dict[str, str] = {
    "curl: (6) Could not resolve host for any SaaS endpoint": DNS_DRILL,
    "Datadog probe returns 403 with no body": "datadog/wrong_site",
    "Sentry probe returns 401 against a valid-looking DSN": "sentry/region_mismatch",
    "PagerDuty probe returns 202 but no incident appears": "pagerduty/paused_service",
    'Opsgenie probe returns 422 "team not found"': "opsgenie/team_not_found",
    "Slack webhook returns 404": "slack/revoked",
    'Splunk HEC returns 403 "token disabled"': "splunk/token_disabled",
    "First burst of events rate-limited": "*/cold_throttle",
    "Verify passes but no human sees the alert": (
        "not a machine failure: routing to a human is confirmed by a person (seed step 21)"
    ),
}
# Fast but honest settings: short timeouts, a budget that lets polling give up in seconds.
DRILL_ENV = {
    "OPERATOR_WIRING_BUDGET_S": "6",
    "OPERATOR_WIRING_CONNECT_TIMEOUT_S": "0.5",
    "OPERATOR_WIRING_READ_TIMEOUT_S": "0.5",
    "OPERATOR_WIRING_MAX_ATTEMPTS": "4",
}


def expected_for(scenario: str) -> str | None:
    slug, _, short = scenario.partition("/")
    table = expected_table()
    if scenario in table:
        return table[scenario]
    if scenario in GENERIC_OVERRIDES:
        return GENERIC_OVERRIDES[scenario]
    generic = GENERIC.get(short)
    return generic.format(slug=slug) if generic else None


@dataclass(frozen=True, slots=True)
class DrillResult:
    scenario: str
    expected: str | None
    got: str
    symptom: str
    cause: str
    fix: str

    @property
    def ok(self) -> bool:
        return self.expected == self.got


DRILL_SCHEMA_ID = "opwire.drill/1"
_S = {"type": "string"}
_NULLABLE = {"type": ["string", "null"]}
DRILL_SCHEMA = list_document_schema(
    DRILL_SCHEMA_ID,
    "drills",
    {
        "scenario": _S,
        "expected": _NULLABLE,
        "got": _S,
        "ok": {"type": "boolean"},
        "symptom": _S,
        "cause": _S,
        "fix": _S,
    },
)
LIST_SCHEMA_ID = "opwire.drill-list/1"
LIST_SCHEMA = list_document_schema(
    LIST_SCHEMA_ID, "scenarios", {"scenario": _S, "expected": _NULLABLE}
)


def drills_json(results: Sequence[DrillResult]) -> dict[str, object]:
    """The `opwire drill --json` document; its shape is DRILL_SCHEMA."""
    fields = ("scenario", "expected", "got", "ok", "symptom", "cause", "fix")
    return {
        "schema": DRILL_SCHEMA_ID,
        "drills": [{name: getattr(r, name) for name in fields} for r in results],
    }


def drill_record(results: Sequence[DrillResult], started_at: str) -> dict[str, object]:
    """The line `state/runs.jsonl` gets for one `opwire drill`."""
    return {
        "schema": "opwire.run/1",
        "command": "drill",
        "started_at": started_at,
        "drills": [
            {"scenario": r.scenario, "expected": r.expected, "got": r.got, "ok": r.ok}
            for r in results
        ],
    }


def listing_json(found: Sequence[tuple[str, str | None]]) -> dict[str, object]:
    """The `opwire drill --list --json` document; its shape is LIST_SCHEMA."""
    return {
        "schema": LIST_SCHEMA_ID,
        "scenarios": [{"scenario": name, "expected": code} for name, code in found],
    }


# A drill's "PASS" is a pass after a throttle (the cold-throttle row): a pass with no 429 retried
# proves nothing about throttling, so it is told apart and never counts as that PASS.
UNTHROTTLED_PASS = "PASS without a retried 429"


def _throttled(result: IntegrationResult) -> bool:
    """Evidence of a throttle survived: a request answered 429 and retried (its line schedules the
    retry), and the probe's note that it passed after the retries ("throttled or flaky")."""
    retried = any(r.outcome == "HTTP 429" and r.note.startswith("retry ") for r in result.requests)
    return retried and any("throttled or flaky, not broken" in n for n in result.notes)


def _outcome(result: IntegrationResult) -> DrillResult:
    diagnosis = result.diagnosis
    last = result.requests[-1] if result.requests else None
    symptom = (
        diagnosis.detail
        if diagnosis
        else ("; ".join(result.notes) or f"{len(result.requests)} requests, all answered")
    )
    if last is not None and not diagnosis:
        symptom = f"{symptom} (last: {last.method} {last.outcome})"
    got = diagnosis.code if diagnosis else result.status.value
    if result.status is Status.PASS and not _throttled(result):
        got = UNTHROTTLED_PASS
    return DrillResult(
        "",
        None,
        got,
        symptom,
        diagnosis.cause if diagnosis else "",
        diagnosis.fix if diagnosis else "",
    )


async def drill_one(scenario: str, base: str, sink: Callable[[Event], None]) -> DrillResult:
    """Reset the mock, switch the scenario on, run the probe, compare with the expectation."""
    slug = scenario.partition("/")[0]
    async with httpx.AsyncClient(timeout=5, trust_env=False) as control:
        (await control.post(f"{base}/_opwire/reset")).raise_for_status()
        (
            await control.post(f"{base}/_opwire/scenarios", json={"name": scenario})
        ).raise_for_status()
    lookup = Lookup(DRILL_ENV)
    run = run_settings(lookup)
    targets = plan([slug], lookup, run, {slug: base})
    redact = Redactor(s for t in targets for s in t.settings.secrets())
    result = await verify(targets, run, sink, redact)
    outcome = _outcome(result.integrations[0])
    return DrillResult(
        scenario,
        expected_for(scenario),
        outcome.got,
        redact(outcome.symptom),
        outcome.cause,
        outcome.fix,
    )


def scenarios_of(base: str) -> list[str]:
    reply = httpx.get(f"{base}/_opwire/scenarios", timeout=5, trust_env=False)
    reply.raise_for_status()
    return [s["name"] for s in reply.json()["scenarios"]]


def select(names: list[str], wanted: str | None) -> list[str]:
    if wanted is None:
        return names
    return [n for n in names if wanted in (n, n.partition("/")[2])]


async def drill_dns(opwire: Sequence[str]) -> DrillResult:
    """The DNS row of seed § 4, for real: verify Slack in a network namespace with no network.
    Only a kernel that refuses namespaces skips it; verify ending without a result is a failure
    of the drill (a crash is not a skip)."""
    import json

    refused = await asyncio.to_thread(_namespaces_refused)
    if refused:
        return DrillResult(DNS_DRILL, "net.dns", "skipped", refused, "", "")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "OPERATOR_WIRING_MODE": "real_slack",
        "OPERATOR_WIRING_ENV_FILE": "/dev/null",
        "OPERATOR_WIRING_BUDGET_S": "4",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0DRILL00/B0DRILL00/"
        "DrillDrillDrillDrill0000",
    }
    stdout, stderr = await _child(["unshare", "-rn", *opwire, "verify", "slack", "--json"], env)
    try:
        (slack,) = json.loads(stdout)["integrations"]
        diagnosis = slack["diagnosis"] or {}
    except (ValueError, KeyError, TypeError):
        reason = stderr.strip().splitlines()[-1:] or ["no output"]
        return _dns_crash(f"verify in the namespace ended without a result: {reason[0]}")
    return DrillResult(
        DNS_DRILL,
        "net.dns",
        diagnosis.get("code", slack["status"]),
        diagnosis.get("detail", ""),
        diagnosis.get("cause", ""),
        diagnosis.get("fix", ""),
    )


async def _child(command: list[str], env: dict[str, str], timeout_s: float = 60) -> tuple[str, str]:
    """Run a command to its end (stdout, stderr); cancelled or too slow, the child goes too."""
    child = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await child.communicate()
    except TimeoutError:
        return "", f"no answer within {timeout_s:g} s"
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    return out.decode(errors="replace"), err.decode(errors="replace")


def _namespaces_refused() -> str | None:
    """Why this machine cannot make a network namespace (`unshare -rn true` fails), or None."""
    import subprocess

    try:
        probe = subprocess.run(
            ["unshare", "-rn", "true"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"network namespaces are refused here: `unshare -rn true` could not run ({exc})"
    if probe.returncode == 0:
        return None
    why = probe.stderr.strip().splitlines()[-1:] or [f"exit {probe.returncode}"]
    return f"network namespaces are refused by this kernel: {why[0]}"


def _dns_crash(symptom: str) -> DrillResult:
    return DrillResult(
        DNS_DRILL,
        "net.dns",
        "opwire.crashed",
        symptom,
        "opwire verify ended without a result inside the network namespace: the drill could not "
        "see its diagnosis.",
        "Run `unshare -rn opwire verify slack --json` by hand and report what it prints.",
    )


async def drill_all(
    bases: dict[str, str],
    wanted: str | None,
    done: Callable[[DrillResult], None],
    dns_with: Sequence[str] | None = None,
    stop: Stop | None = None,
) -> list[DrillResult]:
    """Every selected scenario: vendors concurrently (each has its own mock), a vendor's
    scenarios one after another (they share its state). `done` sees each result as it lands.
    An interrupt (`stop`) ends them at once; the result is then the drills that landed."""
    batches: list[list[DrillResult]] = [[] for _ in range(len(bases) + 1)]

    def land(batch: list[DrillResult], result: DrillResult) -> None:
        batch.append(result)
        done(result)

    async def vendor(base: str, batch: list[DrillResult]) -> None:
        for name in select(await asyncio.to_thread(scenarios_of, base), wanted):
            land(batch, await drill_one(name, base, lambda event: None))

    async def dns(batch: list[DrillResult]) -> None:
        if dns_with is not None:
            land(batch, await drill_dns(dns_with))

    try:
        async with (stop or Stop()).scope():
            await asyncio.gather(
                *(vendor(b, batch) for b, batch in zip(bases.values(), batches, strict=False)),
                dns(batches[-1]),
            )
    except Interrupted:
        pass  # the drills that landed are the answer; the caller says it was interrupted
    return [r for batch in batches for r in batch]
