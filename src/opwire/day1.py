"""`opwire day1`: the seed's 30 Day-1 steps (§ 1), each with its state derived from evidence only.

The evidence is what opwire and the operator recorded: the run history (`state/runs.jsonl`), the
Day-1 logs (`state/verify-day1-<YYYYMMDD>.log`), the credentials present (the rooms' lint), the
blockers, confirmations, deviations and rotations (`state/*.md`), the chain runs, and whether a
mock stack still answers. Only a PASS against the real vendor counts for a real step; a mock PASS
never does. A step no record can show (reading verify-all.sh once) is named as the operator's
own, and never holds the verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from opwire.integrations import SLUGS, room

SCHEMA = "opwire.day1/1"
DAY1_LOG = re.compile(r"^verify-day1-(\d{8})\.log$")
RECORD = "day1-completion.md"
# The seed's order of credential acquisition (steps 7–12) and of single verifies (13–18).
CHAIN = ("sentry", "pagerduty", "slack")  # step 28: each must have run against the vendor
CRED_ORDER = ("slack", "sentry", "pagerduty", "opsgenie", "datadog", "splunk")


class State(StrEnum):
    DONE = "done"
    HOLD = "HOLD"
    BLOCKED = "BLOCKED"
    MANUAL = "manual"  # the operator's own step: no record can show it
    PENDING = "pending"  # what `opwire day1 record` does


HOLDING = (State.HOLD, State.BLOCKED)


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    evidence: str  # what shows it, or why it holds and what to do


@dataclass(frozen=True, slots=True)
class DayLog:
    path: Path
    run_id: str
    modes: dict[str, str]
    overall: str  # GREEN, HOLD, or "" when the log has no summary line


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the steps are judged on, read once."""

    state_dir: Path
    env_file: Path
    env_file_ok: bool
    runs: list[dict[str, Any]]
    logs: list[DayLog]
    cred_errors: dict[str, list[str]]  # slug -> the send variables' errors
    blockers: dict[str, Any]  # slug -> its open Blocker
    confirmations: list[Any]
    deviations: list[Any]
    rotations: list[tuple[str, str]]  # (stamp, slug)
    mocks_up: list[str]
    recorded: Path | None = None

    def verifies(self) -> list[dict[str, Any]]:
        return [r for r in self.runs if r.get("command") == "verify"]

    def real_pass(self, slug: str, after: str = "") -> dict[str, Any] | None:
        """The newest verify run (started after `after`) where `slug` PASSed for real."""
        return _latest(
            self.verifies(),
            lambda run: (
                str(run.get("started_at", "")) > after
                and any(_is(i, slug, "real", "PASS") for i in run.get("integrations", []))
            ),
        )


def _is(item: Any, slug: str, mode: str, status: str) -> bool:
    return (
        isinstance(item, dict)
        and item.get("slug") == slug
        and item.get("mode") == mode
        and item.get("status") == status
    )


def _all_pass(run: Mapping[str, Any], mode: str) -> bool:
    found = {
        i.get("slug") for i in run.get("integrations", []) if _is(i, i.get("slug"), mode, "PASS")
    }
    return found >= set(SLUGS)


def _latest(
    runs: Iterable[dict[str, Any]], test: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    found: dict[str, Any] | None = next((r for r in reversed(list(runs)) if test(r)), None)
    return found


# --- the steps -------------------------------------------------------------------------------


def _clone(e: Evidence) -> Verdict:
    return Verdict(State.DONE, "this checkout (opwire runs from it)")


def _env_copied(e: Evidence) -> Verdict:
    if not e.env_file.is_file():
        return Verdict(State.HOLD, f"{e.env_file} not found: cp .env.example {e.env_file}")
    if not e.env_file_ok:
        return Verdict(State.HOLD, f"{e.env_file} has hygiene problems: run `opwire creds check`")
    return Verdict(State.DONE, f"{e.env_file} exists, owner-only and not committed")


def _prereqs(e: Evidence) -> Verdict:
    return Verdict(State.DONE, "opwire installed itself; its mocks run in-process without Docker")


def _mock_green(e: Evidence) -> Verdict:
    run = _latest(e.verifies(), lambda r: r.get("mode") == "mock" and _all_pass(r, "mock"))
    if run is None:
        return Verdict(
            State.HOLD, "no verify run with all six PASS against the mocks: run `opwire verify`"
        )
    return Verdict(State.DONE, f"run {run.get('run_id')}: all six PASS against the mocks")


def _creds(slug: str) -> Callable[[Evidence], Verdict]:
    def check(e: Evidence) -> Verdict:
        if slug in e.blockers:
            blocker = e.blockers[slug]
            return Verdict(State.BLOCKED, f"blocked since {blocker.since}: ticket {blocker.ticket}")
        errors = e.cred_errors.get(slug, [])
        if errors:
            return Verdict(State.HOLD, f"{errors[0]} (`opwire creds check {slug}`)")
        return Verdict(
            State.DONE, f"{room(slug).title}: the credentials to send are set and well-formed"
        )

    return check


def _single(slug: str) -> Callable[[Evidence], Verdict]:
    def check(e: Evidence) -> Verdict:
        if slug in e.blockers:
            return Verdict(State.BLOCKED, f"blocked: ticket {e.blockers[slug].ticket}")
        run = e.real_pass(slug)
        if run is None:
            return Verdict(
                State.HOLD,
                f"no PASS against the real {room(slug).title}: OPERATOR_WIRING_MODE=real_{slug} "
                f"./verify/{slug}.sh",
            )
        return Verdict(State.DONE, f"run {run.get('run_id')}: PASS against the real vendor")

    return check


def _real_all(e: Evidence) -> Verdict:
    run = _latest(e.verifies(), lambda r: _all_pass(r, "real"))
    if run is None:
        return Verdict(
            State.HOLD,
            "no run with all six PASS against the real vendors: "
            "OPERATOR_WIRING_MODE=real_all ./verify/verify-all.sh",
        )
    return Verdict(State.DONE, f"run {run.get('run_id')}: all six PASS against the real vendors")


def _day1_log(e: Evidence) -> Verdict:
    if not e.logs:
        return Verdict(State.HOLD, "no Day-1 log: `opwire verify --mode real_all --day1-log`")
    log = e.logs[-1]
    real = all(log.modes.get(slug) == "real" for slug in SLUGS)
    if log.overall != "GREEN" or not real:
        why = "is not GREEN" if log.overall != "GREEN" else "is not of a real_all run"
        return Verdict(State.HOLD, f"the latest Day-1 log {log.path.name} {why}: capture a new one")
    return Verdict(State.DONE, f"{log.path} (run {log.run_id}): GREEN, all real")


def _confirmed(e: Evidence) -> Verdict:
    runs = {r.get("run_id"): r for r in e.verifies()}
    missing = []
    for slug in SLUGS:
        ok = [
            c
            for c in e.confirmations
            if c.slug == slug
            and any(
                _is(i, slug, "real", "PASS") for i in runs.get(c.run_id, {}).get("integrations", [])
            )
        ]
        if not ok:
            missing.append(slug)
    if missing:
        return Verdict(
            State.HOLD,
            f"no person confirmed {', '.join(missing)}: `opwire confirm SLUG --by NAME` once "
            "you saw the notification (PagerDuty: --wait-ack)",
        )
    return Verdict(State.DONE, "a person confirmed each integration's notification")


def _record(e: Evidence) -> Verdict:
    if e.recorded is not None:
        return Verdict(State.DONE, f"{e.recorded}")
    return Verdict(State.PENDING, "`opwire day1 record` writes it once everything else is green")


def _mocks_down(e: Evidence) -> Verdict:
    if e.mocks_up:
        return Verdict(
            State.HOLD,
            f"a mock stack still answers ({', '.join(e.mocks_up)}): `docker compose down` in "
            "mock-endpoints/, or stop `opwire mock up`",
        )
    return Verdict(State.DONE, "no mock stack answers on the mock ports")


def _handoff(e: Evidence) -> Verdict:
    if e.recorded is not None:
        return Verdict(
            State.DONE, f"in {e.recorded}: where {e.env_file.name} lives, the log's path"
        )
    return Verdict(State.PENDING, "`opwire day1 record` writes the handoff facts")


def _network_down(e: Evidence) -> Verdict:
    run = _network_failure(e)
    if run is None:
        return Verdict(
            State.HOLD,
            "no real Datadog run failed at the network level: cut the network 30 s (or "
            "`unshare -rn`) and run OPERATOR_WIRING_MODE=real_datadog ./verify/datadog.sh",
        )
    item = next(i for i in run["integrations"] if i.get("slug") == "datadog")
    return Verdict(
        State.DONE,
        f"run {run.get('run_id')}: {item.get('code')} after {item.get('elapsed_s')} s "
        "(retry-then-fail, no hang)",
    )


def _network_failure(e: Evidence) -> dict[str, Any] | None:
    def failed(run: dict[str, Any]) -> bool:
        return any(
            _is(i, "datadog", "real", "FAIL") and str(i.get("code") or "").startswith("net.")
            for i in run.get("integrations", [])
        )

    return _latest(e.verifies(), failed)


def _network_back(e: Evidence) -> Verdict:
    down = _network_failure(e)
    if down is None:
        return Verdict(State.HOLD, "step 25 first: no network failure to recover from")
    run = e.real_pass("datadog", after=str(down.get("started_at", "")))
    if run is None:
        return Verdict(State.HOLD, "no real Datadog PASS after the network failure: re-run it")
    return Verdict(State.DONE, f"run {run.get('run_id')}: PASS after the network came back")


def _rotated(e: Evidence) -> Verdict:
    stamps = [stamp for stamp, slug in e.rotations if slug == "slack"]
    if not stamps:
        return Verdict(State.HOLD, "no Slack rotation recorded: `opwire rotate slack`")
    after = _iso(stamps[-1])
    run = e.real_pass("slack", after=after)
    if run is None:
        return Verdict(
            State.HOLD, f"rotated at {stamps[-1]}, but no real Slack PASS since: re-run it"
        )
    return Verdict(State.DONE, f"rotated at {stamps[-1]}; run {run.get('run_id')} PASSed with it")


def _chain(e: Evidence) -> Verdict:
    run = _latest(
        e.runs,
        lambda r: (
            r.get("command") == "chain"
            and r.get("overall") == "GREEN"
            and all(
                any(_is(i, slug, "real", "PASS") for i in r.get("integrations", []))
                for slug in CHAIN
            )
        ),
    )
    if run is None:
        return Verdict(
            State.HOLD, "no real chain passed: `OPERATOR_WIRING_MODE=real_all opwire chain`"
        )
    return Verdict(State.DONE, f"run {run.get('run_id')}: Sentry → PagerDuty → Slack")


def _read_script(e: Evidence) -> Verdict:
    return Verdict(State.MANUAL, "read verify/verify-all.sh once: no record can show it")


def _deviations(e: Evidence) -> Verdict:
    count = len(e.deviations)
    noted = f"{count} deviation(s) noted" if count else "none noted"
    return Verdict(State.DONE, f"{noted} (`opwire deviation add TEXT` for any other)")


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    title: str
    check: Callable[[Evidence], Verdict]
    real: bool = False  # only a PASS against the real vendor counts


STEPS: tuple[Step, ...] = (
    Step(1, "clone the repo", _clone),
    Step(2, "copy .env.example to .env.local", _env_copied),
    Step(3, "install the prerequisites", _prereqs),
    Step(4, "mock stack healthy", _mock_green),
    Step(5, "mock mode", _mock_green),
    Step(6, "verify-all against the mocks: all six PASS", _mock_green),
    *(
        Step(7 + n, f"{room(slug).title} credentials", _creds(slug))
        for n, slug in enumerate(CRED_ORDER)
    ),
    *(
        Step(13 + n, f"real {room(slug).title} verify", _single(slug), real=True)
        for n, slug in enumerate(CRED_ORDER)
    ),
    Step(19, "real_all verify-all: all six PASS", _real_all, real=True),
    Step(20, "capture the Day-1 log", _day1_log, real=True),
    Step(21, "a person saw each notification", _confirmed, real=True),
    Step(22, "file the Day-1 completion record", _record),
    Step(23, "stop the mock stack", _mocks_down),
    Step(24, "hand off .env.local's location and the log", _handoff),
    Step(25, "network down: clean retry-then-fail", _network_down, real=True),
    Step(26, "network back: PASS", _network_back, real=True),
    Step(27, "rotate the Slack webhook without a redeploy", _rotated, real=True),
    Step(28, "the chain Sentry → PagerDuty → Slack", _chain, real=True),
    Step(29, "read verify-all.sh once", _read_script),
    Step(30, "note any deviation", _deviations),
)


@dataclass(frozen=True, slots=True)
class Day1:
    verdicts: tuple[tuple[Step, Verdict], ...]
    evidence: Evidence = field(repr=False)

    @property
    def holding(self) -> list[tuple[Step, Verdict]]:
        return [(s, v) for s, v in self.verdicts if v.state in HOLDING]

    @property
    def green(self) -> bool:
        return not self.holding

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "overall": "GREEN" if self.green else "HOLD",
            "steps": [
                {
                    "step": s.number,
                    "title": s.title,
                    "real": s.real,
                    "state": v.state.value,
                    "evidence": v.evidence,
                }
                for s, v in self.verdicts
            ],
            "holding": [s.number for s, _ in self.holding],
        }


def judge(evidence: Evidence) -> Day1:
    return Day1(tuple((step, step.check(evidence)) for step in STEPS), evidence)


def render(day: Day1) -> list[str]:
    lines = [f"Day-1 (seed § 1), from the evidence in {day.evidence.state_dir}/"]
    for step, verdict in day.verdicts:
        lines.append(
            f"  {step.number:>2}  {verdict.state.value:<8} {step.title}: {verdict.evidence}"
        )
    if day.green:
        lines.append("overall: GREEN — every step is done; `opwire day1 record` files the record")
    else:
        numbers = ", ".join(str(s.number) for s, _ in day.holding)
        lines.append(f"overall: HOLD — {len(day.holding)} of {len(STEPS)} steps hold ({numbers})")
    return lines


def completion_notice(day: Day1, now: str) -> str:
    """The brief completion notice of step 22 with the handoff facts of step 24: paths and run
    ids, never a value."""
    e = day.evidence
    run = _latest(e.verifies(), lambda r: _all_pass(r, "real"))
    log = e.logs[-1] if e.logs else None
    people = sorted({c.by for c in e.confirmations})
    return "\n".join(
        [
            f"## Day-1 complete: {now}",
            "",
            f"- all six PASS against the real vendors (run {run.get('run_id') if run else '?'})",
            f"- Day-1 log: {log.path if log else '?'}",
            f"- credentials: {e.env_file.resolve()} (not committed; owner-only)",
            f"- confirmed by a person: {', '.join(people) or '?'}",
            f"- deviations noted: {len(e.deviations)} (state/operator-deviations.md)",
            "- next: verify-all on cron daily for 14 days, failures page the operator (seed § 7)",
        ]
    )


def _iso(stamp: str) -> str:
    """A record's `2026-12-02T01:00:00Z` in the run history's form (`+00:00`), to compare."""
    return stamp.replace("Z", "+00:00")


def read_log(path: Path) -> DayLog:
    run_id, modes, overall = "", {}, ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return DayLog(path, "", {}, "")
    for line in text.splitlines():
        if line.startswith("# run id:"):
            run_id = line.partition(":")[2].strip()
        elif line.startswith("# mode:"):
            pairs = (p.strip().partition("=") for p in line.partition(":")[2].split(","))
            modes = {k: v for k, _, v in pairs if k}
        elif line.startswith("overall: "):
            overall = line.split()[1]
    return DayLog(path, run_id, modes, overall)


def day1_logs(folder: Path) -> list[DayLog]:
    """The Day-1 logs, oldest first (by the date in the name)."""
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.iterdir() if DAY1_LOG.match(p.name) and p.is_file())
    return [read_log(p) for p in found]


ROTATION = re.compile(r"^## (\S+) (\w+): rotated ", re.MULTILINE)


def rotations(folder: Path) -> list[tuple[str, str]]:
    path = folder / "rotations.md"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [(m.group(1), m.group(2)) for m in ROTATION.finditer(text)]


def send_errors(reports: Sequence[Any]) -> dict[str, list[str]]:
    """Per integration, the errors of the variables needed to send (from `creds.check`)."""
    from opwire.room import SEND

    return {
        r.slug: [
            f.line().removeprefix("error: ")
            for v in r.variables
            if SEND in v.needed_for
            for f in v.findings
            if not f.warning
        ]
        for r in reports
    }
