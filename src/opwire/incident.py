"""Incidents (seed § 6): the snapshot folder, whom to escalate to, the operations update.

`state/incidents/<YYYYMMDD-HHMM>/` (UTC; a second incident in the same minute gets `-2`, `-3`,
never overwriting) holds the failing verify output verbatim (`verify.log`), the last hour of run
history (`history.jsonl`), the effective configuration masked (`config.md`) and a post-mortem
skeleton (`post-mortem.md`) that `close` appends to. Every file goes through `atomic_write`,
which refuses a known secret. Credentials are evidence (§ 6 step 1): nothing here touches them.

Whom to page (§ 6 step 4): two or more integrations failing at the network level at once is a
substrate problem (`diagnosis.substrate_note`) for platform on-call; otherwise each failing
integration's owner, from the `Owner` section of `setup-runbooks/<slug>.md`. Never prints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from opwire.config import ConfigError, Redactor
from opwire.diagnosis import substrate_note
from opwire.history import parse_time
from opwire.state import atomic_write

SCHEMA_ID = "opwire.incident/1"
FOLDER = "incidents"
FILES = ("verify.log", "history.jsonl", "config.md", "post-mortem.md")
HISTORY_WINDOW = timedelta(hours=1)  # seed § 6 step 2: the last hour
PLATFORM = "platform on-call"
DEFAULT_ETA = "next update in 30 min"
NOBODY = "nobody yet (no integration named or failing)"
# The post-mortem's sections, in order (seed § 6 step 6 asks for the entry; these are the
# usual blameless headings, each opened with what to write there).
HEADINGS = (
    ("Timeline", "UTC times: detection, flag rollback, escalation, each update, recovery."),
    ("Impact", "What did not reach whom, and for how long (events, pages, messages)."),
    ("Root cause", "Only once the logs are read (seed § 6 step 5: do not speculate before)."),
    ("What went well", ""),
    ("What to improve", ""),
    (
        "Follow-ups",
        "- [ ] If the failure mode is novel, add it to § 4 of the Day-1 walkthrough "
        '(`opwire deviation add "…"`).',
    ),
)
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP)


# --- the folder -------------------------------------------------------------------------------


def incidents_dir(state_dir: Path) -> Path:
    return state_dir / FOLDER


def create_folder(state_dir: Path, now: datetime) -> Path:
    """A new, empty incident folder named for `now` (UTC minute); `-2`, `-3`, … when that
    minute has one already. mkdir is the claim, so two incidents at once never share one."""
    root = incidents_dir(state_dir)
    root.mkdir(parents=True, exist_ok=True)
    base = now.astimezone(UTC).strftime("%Y%m%d-%H%M")
    for n in range(1, 1000):
        path = root / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise ConfigError(f"{root}: a thousand incidents opened in the minute {base}")


def existing(state_dir: Path) -> list[str]:
    """The incident ids (folder names), oldest first."""
    root = incidents_dir(state_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def find(state_dir: Path, incident_id: str) -> Path:
    """The folder of `incident_id`; an unknown one is a usage error listing those there are."""
    known = existing(state_dir)
    if incident_id not in known:
        listed = ", ".join(known) if known else f"none (no incident under {state_dir}/{FOLDER})"
        raise ConfigError(f"no incident {incident_id!r}; the incidents are: {listed}")
    return incidents_dir(state_dir) / incident_id


# --- escalation -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One integration of the incident's verify run."""

    slug: str
    real: bool
    status: str
    code: str | None


@dataclass(frozen=True, slots=True)
class Page:
    """Whom to page for one integration (or for the substrate, slug "substrate")."""

    slug: str
    whom: str
    found: bool  # an Owner section was read (or the substrate's platform on-call)

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "whom": self.whom, "owner_found": self.found}


@dataclass(frozen=True, slots=True)
class Escalation:
    substrate: bool
    note: str  # why: the substrate note, or which integrations fail
    pages: tuple[Page, ...]

    @property
    def whom(self) -> str:
        if self.substrate:
            return PLATFORM
        return "; ".join(f"{p.slug}: {p.whom}" for p in self.pages) or NOBODY

    def to_json(self) -> dict[str, Any]:
        return {
            "substrate": self.substrate,
            "note": self.note,
            "whom": self.whom,
            "pages": [p.to_json() for p in self.pages],
        }


HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
# A fill-in field of the runbooks' Owner template: `- Team: <…>` (a short label, a colon, a value).
FIELD = re.compile(r"^[-*+][ \t]+(?:\*\*)?([A-Za-z][^:<>`*]{0,39}?)(?:\*\*)?[ \t]*:[ \t]*(.*)$")
# A placeholder: `<…>`, backticked or not, unless it is an autolink (<ana@example.com>, <https://…>).
PLACEHOLDER = re.compile(r"`?<(?![^<>]*(?:@|://))[^<>\n]*>`?")
VOID_WORDS = re.compile(r"\b(?:todo|tbd|fixme)\b", re.I)
COMMENT = re.compile(r"<!--.*?-->", re.S)


def runbook_owner(path: Path) -> str | None:
    """Whom the runbook's section named Owner names (any heading level; `§ 7 Owner`,
    `Owner / on-call` count), up to the next heading of the same or a higher level.

    A section of `- Label: value` fields (the runbooks' template) gives its filled-in fields,
    `Team: …; Escalation: …`; its prose (the instructions) is left out. Free prose is given
    whole. None when the runbook is missing, has no such section, or the section holds only
    placeholders (`<team>`, TODO, TBD): an unfilled template names nobody."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = _owner_lines(COMMENT.sub("", text).splitlines())
    fields = [match.groups() for line in lines if (match := FIELD.match(line))]
    if fields:
        filled = [f"{label.strip()}: {value.strip()}" for label, value in fields if _said(value)]
        return "; ".join(filled) or None
    prose = " ".join(part for part in lines if part)
    return prose if _said(prose) else None


def _owner_lines(lines: Sequence[str]) -> list[str]:
    """The Owner section's lines, stripped; a subheading inside it is kept as its words with a
    colon (`Backup:`)."""
    level, found = 0, []
    for line in lines:
        heading = HEADING.match(line)
        if heading and level and len(heading.group(1)) <= level:
            break
        if level:
            found.append(f"{heading.group(2)}:" if heading else line.strip())
        elif heading and re.match(r"^(?:§?\s*[\d.]*\s*)owners?\b", heading.group(2), re.I):
            level = len(heading.group(1))
    return found


def _said(value: str) -> bool:
    """Whether `value` says anything once its placeholders are taken out."""
    return re.search(r"\w", VOID_WORDS.sub("", PLACEHOLDER.sub("", value))) is not None


def escalation(outcomes: Sequence[Outcome], focus: Sequence[str], runbooks: Path) -> Escalation:
    """Seed § 6 step 4: platform on-call for a substrate failure, else each focus integration's
    runbook Owner (or that the runbook has none)."""
    codes = [o.code for o in outcomes if o.status == "FAIL" and o.code]
    note = substrate_note(codes)
    if note is not None:
        return Escalation(True, note, (Page("substrate", PLATFORM, True),))
    pages = []
    for slug in focus:
        path = runbooks / f"{slug}.md"
        owner = runbook_owner(path)
        whom = owner or (
            f"{path} names no owner (its Owner section is missing or not filled in): page the "
            f"{slug} owner per your on-call rotation, and fill in that section"
        )
        pages.append(Page(slug, whom, owner is not None))
    failing = [o.slug for o in outcomes if o.status != "PASS"]
    said = (
        f"{len(failing)} integration(s) not passing now ({', '.join(failing)}), no substrate "
        "failure: escalate per integration"
        if failing
        else "every integration passes verify now: escalate per the integration reported"
    )
    return Escalation(False, said, tuple(pages))


def focus_of(outcomes: Sequence[Outcome], named: str | None) -> list[str]:
    """The integrations the incident is about: the one named, else each that does not PASS."""
    if named is not None:
        return [named]
    return [o.slug for o in outcomes if o.status != "PASS"]


# --- the operations update ---------------------------------------------------------------------


def symptom(outcomes: Sequence[Outcome], slug: str) -> str:
    found = next((o for o in outcomes if o.slug == slug), None)
    if found is None:
        return "not verified in this run"
    where = "real" if found.real else "mock"
    code = f" {found.code}" if found.code else ""
    return f"verify {found.status}{code} ({where})"


def ops_update(
    incident_id: str,
    folder: Path,
    outcomes: Sequence[Outcome],
    focus: Sequence[str],
    esc: Escalation,
    *,
    action: str = "",
    eta: str = DEFAULT_ETA,
) -> str:
    """Seed § 6 step 5, one line: integration, observed symptom, action taken, ETA. Symptoms
    only (the verify verdicts): no root cause before the logs are read."""
    if esc.substrate:
        failing = [o for o in outcomes if o.status == "FAIL" and (o.code or "").startswith("net.")]
        subject = "substrate (" + ", ".join(o.slug for o in failing) + ")"
        seen = "network-level failures: " + ", ".join(sorted({str(o.code) for o in failing}))
    elif focus:
        subject = ", ".join(focus)
        seen = "; ".join(f"{s} {symptom(outcomes, s)}" for s in focus)
    else:
        subject, seen = "(none named)", "every integration passes verify now"
    whom = PLATFORM if esc.substrate else ", ".join(_short(p) for p in esc.pages) or NOBODY
    actions = [a for a in (action.strip(), f"logs preserved in {folder}/") if a]
    actions.append(f"escalated to {whom}")
    return (
        f"[incident {incident_id}] {subject} — observed: {seen} — action: "
        f"{'; '.join(actions)} — ETA: {eta.strip() or DEFAULT_ETA}"
    )


def _short(page: Page) -> str:
    return page.whom if page.found else f"the {page.slug} owner (runbook names none)"


# --- the files --------------------------------------------------------------------------------


def history_lines(records: Iterable[Mapping[str, Any]], now: datetime) -> str:
    """The run history of the last hour before `now`, as JSON lines (oldest first)."""
    start = now - HISTORY_WINDOW
    kept = []
    for record in records:
        moment = parse_time(record.get("started_at"))
        if moment is not None and moment >= start:
            kept.append(json.dumps(dict(record), separators=(",", ":")))
    return "".join(line + "\n" for line in kept)


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of config.md: the value already masked as `creds show` masks it."""

    name: str
    value: str | None
    source: str | None


def config_markdown(
    incident_id: str, groups: Mapping[str, Sequence[Setting]], env_file: str, mode: str
) -> str:
    lines = [
        f"# Effective configuration, incident {incident_id}",
        "",
        f"Mode `{mode}`; dotenv file `{env_file}`. Credentials are masked (`****ab12` at "
        "most); the source is where each value came from (flag, environment, the dotenv file, "
        "default).",
    ]
    for title, rows in groups.items():
        lines += ["", f"## {title}", "", "| variable | value | source |", "|---|---|---|"]
        for row in rows:
            value = f"`{row.value}`" if row.value is not None else "(not set)"
            lines.append(f"| {row.name} | {value} | {row.source or '—'} |")
    return "\n".join(lines) + "\n"


def post_mortem(
    incident_id: str,
    opened: datetime,
    run_id: str,
    overall: str,
    esc: Escalation,
    update: str,
    posted: str,
) -> str:
    lines = [
        f"# Post-mortem: incident {incident_id}",
        "",
        f"- opened: {stamp(opened)}",
        f"- verify run: {run_id} ({overall}); its output is verify.log beside this file",
        f"- substrate: {'yes' if esc.substrate else 'no'} — {esc.note}",
        f"- escalate to: {esc.whom}",
        f"- operations update: {update}",
        f"- update posted: {posted}",
        "",
        "Seed § 6: do not delete credentials (broken ones are evidence); roll back the flag "
        "(OPERATOR_WIRING_PROD_ENABLED=0) first, investigate after.",
    ]
    for heading, hint in HEADINGS:
        lines += ["", f"## {heading}", ""]
        if heading == "Timeline":
            lines.append(f"- {stamp(opened)} incident opened (`opwire incident open`)")
        if hint:
            lines.append(hint if hint.startswith("- ") else f"<!-- {hint} -->")
    return "\n".join(lines) + "\n"


def write_files(folder: Path, files: Mapping[str, str], redact: Redactor) -> list[Path]:
    """Each file whole or not at all; a known secret in any refuses that file."""
    written = []
    for name, text in files.items():
        path = folder / name
        atomic_write(path, text, redact)
        written.append(path)
    return written


def close(state_dir: Path, incident_id: str, now: datetime, note: str, redact: Redactor) -> Path:
    """Append the closing entry to the incident's post-mortem.md, every byte before it kept."""
    path = find(state_dir, incident_id) / "post-mortem.md"
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    entry = ["## Closed", "", f"- closed: {stamp(now)}"]
    if note.strip():
        entry.append(f"- note: {' '.join(note.split())}")
    joined = before.rstrip("\n") + ("\n\n" if before.strip() else "") + "\n".join(entry) + "\n"
    atomic_write(path, joined, redact)
    return path
