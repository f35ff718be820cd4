"""The setup runbooks agree with the code (issue 14, items 1 and 2): every runbook has the seed's
sections in one order and none is empty; every diagnosis link resolves to a heading (GitHub's
anchor of it) and every code a runbook names exists, both ways; the retry tables carry the
numbers the code uses; the Owner template names nobody until it is filled in."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from opwire import chain, diagnosis, incident
from opwire.config import Lookup, run_settings
from opwire.diagnosis import Rule
from opwire.http import MAX_BODY, RETRY_STATUSES, Http, RetryPolicy
from opwire.integrations import SLUGS, load, room
from opwire.probing import ProbeContext

from conftest import ROOT

BOOKS = ROOT / "setup-runbooks"
HEADINGS = (
    "Credentials",
    "Smoke test",
    "Post-setup wiring",
    "Rotation",
    "Retry table",
    "Owner",
    "Failure modes",
)
OWNER_FIELDS = ("Team", "Primary on-call / rotation", "Escalation", "Vendor support contact")
SHARED_HEADING = "codes shared by every integration"
# A diagnosis code in backticks; host names (`slack.com`) are not codes.
PREFIXES = "|".join((*SLUGS, "net", "http", "opwire"))
CODE = re.compile(rf"`((?:{PREFIXES})\.(?!(?:com|io|org|eu)`)[a-z_]+)`")


@dataclass(frozen=True, slots=True)
class Section:
    level: int
    title: str
    anchor: str
    body: str


def anchor(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces to
    dashes (github-slugger)."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def sections(text: str) -> list[Section]:
    """Every heading with the text up to the next heading (outside code fences)."""
    found: list[tuple[int, str, list[str]]] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"^(#{1,6}) (.+?)\s*$", line)
        if heading:
            found.append((len(heading.group(1)), heading.group(2), []))
        elif found:
            found[-1][2].append(line)
    return [Section(n, t, anchor(t), "\n".join(b).strip()) for n, t, b in found]


def book(slug: str) -> str:
    return (BOOKS / f"{slug}.md").read_text(encoding="utf-8")


def part(slug: str, title: str) -> str:
    """An H2 section's whole text, its subsections included."""
    text = book(slug)
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def shared_rules() -> list[Rule]:
    """Every rule diagnosis.py itself defines: the codes any integration can print."""
    rules: list[Rule] = []
    for value in vars(diagnosis).values():
        if isinstance(value, Rule):
            rules.append(value)
        elif isinstance(value, Mapping):
            rules += [v for v in value.values() if isinstance(v, Rule)]
        elif isinstance(value, Sequence) and not isinstance(value, str):
            rules += [v for v in value if isinstance(v, Rule)]
    return rules


SHARED = {r.code for r in shared_rules()}
CHAIN = {chain.NO_INCIDENT.code, chain.NO_MESSAGE.code}


def vendor_codes(slug: str) -> dict[str, list[Rule]]:
    codes: dict[str, list[Rule]] = {}
    for rule in load(slug).rules():
        codes.setdefault(rule.code, []).append(rule)
    return codes


# --- every runbook has every heading -----------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_every_runbook_has_the_seed_sections_in_order_none_empty(slug: str) -> None:
    found = sections(book(slug))
    assert [s.title for s in found if s.level == 2] == list(HEADINGS)
    assert [s.level for s in found][:1] == [1]
    for title in HEADINGS:
        text = part(slug, title)
        assert len(text.split()) > 20, (slug, title)
        assert not re.search(r"\b(?:TODO|TBD|FIXME)\b", text), (slug, title)
    anchors = [s.anchor for s in found]
    assert len(anchors) == len(set(anchors)), "a duplicate heading gets a -1 anchor on GitHub"


@pytest.mark.parametrize("slug", SLUGS)
def test_credentials_name_every_variable_the_room_declares(slug: str) -> None:
    text = part(slug, "Credentials")
    for var in room(slug).variables:
        assert f"`{var.name}`" in text, var.name


@pytest.mark.parametrize("slug", SLUGS)
def test_smoke_test_rotation_and_owner_say_what_the_seed_asks(slug: str) -> None:
    smoke = part(slug, "Smoke test")
    assert f"OPERATOR_WIRING_MODE=real_{slug} ./verify/{slug}.sh" in smoke
    assert "A PASS proves" in smoke and "A PASS cannot prove" in smoke
    rotation = part(slug, "Rotation")
    assert f"`opwire rotate {slug}`" in rotation and f"`opwire rotate {slug} --finish`" in rotation
    assert "24 h" in rotation
    owner = part(slug, "Owner")
    for field in OWNER_FIELDS:
        assert re.search(rf"^- {re.escape(field)}: `<[^>]+>`$", owner, re.M), field


@pytest.mark.parametrize("slug", SLUGS)
def test_the_unfilled_owner_template_is_not_taken_as_an_owner(slug: str, tmp_path: Path) -> None:
    assert incident.runbook_owner(BOOKS / f"{slug}.md") is None
    filled = book(slug).replace(
        "`<the team that owns the", "Platform team (was `<the team that owns the", 1
    )
    (tmp_path / f"{slug}.md").write_text(filled, encoding="utf-8")
    owner = incident.runbook_owner(tmp_path / f"{slug}.md")
    assert owner is not None and owner.startswith("Team: Platform team")


# --- runbook links resolve, both ways ----------------------------------------------------------


def every_rule() -> Iterator[tuple[str, Rule]]:
    for slug in SLUGS:
        for rule in load(slug).rules():
            yield slug, rule
    for rule in shared_rules():
        yield "", rule
    yield "", chain.NO_INCIDENT
    yield "", chain.NO_MESSAGE


@pytest.mark.parametrize(
    ("slug", "rule"), list(every_rule()), ids=lambda v: getattr(v, "code", v) or "shared"
)
def test_every_diagnosis_link_points_at_an_existing_heading(slug: str, rule: Rule) -> None:
    if not rule.runbook:
        assert not slug, f"{rule.code}: a vendor code without a runbook link"
        return
    path, _, target = rule.runbook.partition("#")
    assert path == f"setup-runbooks/{slug}.md", rule.runbook
    assert target in {s.anchor for s in sections(book(slug))}, rule.runbook


@pytest.mark.parametrize("slug", SLUGS)
def test_every_vendor_code_has_its_own_failure_mode_section(slug: str) -> None:
    failures = [s for s in sections(part(slug, "Failure modes")) if s.level == 3]
    by_anchor = {s.anchor: s for s in failures}
    for code, rules in vendor_codes(slug).items():
        links = {r.runbook for r in rules}
        assert len(links) == 1, (code, links)
        target = links.pop().partition("#")[2]
        assert target in by_anchor, f"{code}: no failure-mode heading #{target}"
        assert by_anchor[target].body.startswith(f"`{code}`"), code
        assert "Cause:" in by_anchor[target].body and "Fix:" in by_anchor[target].body


@pytest.mark.parametrize("slug", SLUGS)
def test_every_code_a_runbook_names_exists_in_the_code(slug: str) -> None:
    own = set(vendor_codes(slug))
    named = set(CODE.findall(book(slug)))
    assert named <= own | SHARED | CHAIN, named - (own | SHARED | CHAIN)
    for section in sections(part(slug, "Failure modes")):
        if section.level != 3 or section.title == SHARED_HEADING:
            continue
        head = f"{slug}.{section.title.replace(' ', '_')}"
        assert head in own, f"### {section.title}: {head} is not a code of the {slug} room"
        assert CODE.findall(section.body)[:1] == [head], section.title  # others only cited


@pytest.mark.parametrize("slug", SLUGS)
def test_the_shared_codes_are_all_listed(slug: str) -> None:
    shared = next(s for s in sections(part(slug, "Failure modes")) if s.title == SHARED_HEADING)
    rows = set(re.findall(r"^\| `([a-z_.]+)` \|", shared.body, re.M))
    assert rows == SHARED, rows ^ SHARED


@pytest.mark.parametrize("path", sorted(BOOKS.glob("*.md")), ids=lambda p: p.name)
def test_relative_links_between_runbooks_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+\.md)(?:#([^)]*))?\)", text):
        file, fragment = target
        linked = path.parent / file
        assert linked.exists(), file
        if fragment:
            assert fragment in {s.anchor for s in sections(linked.read_text())}, target


def test_opsgenie_names_its_end_and_its_successor() -> None:
    opsgenie = book("opsgenie")
    assert "2027-04-05" in opsgenie
    assert "[setup-runbooks/jsm-operations.md](jsm-operations.md)" in opsgenie
    jsm = (BOOKS / "jsm-operations.md").read_text(encoding="utf-8")
    assert "opwire does not verify Jira Service Management Operations yet" in jsm
    assert "https://api.atlassian.com/jsm/ops/api/{cloudId}/v1/" in jsm
    assert "2027-04-05" in jsm


# --- the retry tables carry the code's numbers -------------------------------------------------


def retry_rows(slug: str) -> dict[str, str]:
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \| [^|]+ \|$", part(slug, "Retry table"), re.M)
    return {what: value for what, value in rows if what not in ("what", "---")}


def numbers(cell: str) -> list[float]:
    return [float(n) for n in re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)(?!\w)", cell)]


def source_number(function: object, pattern: str) -> float:
    match = re.search(pattern, inspect.getsource(function))  # type: ignore[arg-type]
    assert match, pattern
    return float(match.group(1))


def windows(slug: str) -> list[float]:
    """The read-back windows each probe polls within, in the order its runbook names them."""
    probe = __import__(f"opwire.integrations.{slug}.probe", fromlist=["probe"])
    names = {
        "datadog": ["READ_BACK_WINDOW_S", "READ_BACK_WINDOW_S"],
        "sentry": ["READ_BACK_WINDOW_S", "CONFIRM_WINDOW_S"],
        "pagerduty": ["FIND_WINDOW_S", "CONFIRM_WINDOW_S"],
        "opsgenie": ["PROCESS_WINDOW_S"] * 3,
        "slack": ["READ_BACK_WINDOW_S"],
        "splunk": ["CONFIRM_WINDOW_S"],
    }[slug]
    return [float(getattr(probe, name)) for name in names]


@pytest.mark.parametrize("slug", SLUGS)
def test_the_retry_table_numbers_are_the_codes(slug: str) -> None:
    rows = retry_rows(slug)
    run = run_settings(Lookup({}))
    policy = RetryPolicy(max_attempts=run.max_attempts)
    assert numbers(rows["attempts per request"]) == [policy.max_attempts, policy.max_attempts - 1]
    assert numbers(rows["backoff between attempts"]) == [
        policy.base_s,
        policy.cap_s,
        policy.jitter * 100,
    ]
    delays = [policy.backoff(n, lambda: 0.5) for n in range(1, policy.max_attempts)]
    assert numbers(rows["the delays, without jitter"]) == pytest.approx(delays)
    assert numbers(rows["connect timeout / read timeout"]) == [
        run.connect_timeout_s,
        run.read_timeout_s,
    ]
    assert numbers(rows["time budget"]) == [run.integration_budget_s, run.budget_s]
    assert numbers(rows["retried"]) == sorted(RETRY_STATUSES)
    assert numbers(rows["read-back windows"]) == windows(slug)
    poll = ProbeContext.poll
    assert numbers(rows["read-back polling"]) == [
        source_number(poll, r"\bdelay = (\d+(?:\.\d+)?)"),
        source_number(poll, r"min\(delay \* 2, (\d+(?:\.\d+)?)\)"),
    ]
    probe = __import__(f"opwire.integrations.{slug}.probe", fromlist=["probe"])
    if hasattr(probe, "sweep"):
        sweep = source_number(ProbeContext.sweep, r"within_s=(\d+(?:\.\d+)?)")
        assert numbers(rows["region sweep"]) == [sweep]
    else:
        assert "region sweep" not in rows


@pytest.mark.parametrize("slug", SLUGS)
def test_the_retry_table_names_what_is_never_retried(slug: str) -> None:
    """The failure kinds Http never retries, read from its source, each named in the table."""
    never = retry_rows(slug)["never retried"]
    match = re.search(r"kind not in \(None, ([^)]*)\)", inspect.getsource(Http._next_delay))
    assert match
    kinds = re.findall(r'"(\w+)"', match.group(1))
    words = {"bad_url": "a bad URL", "tls": "a TLS failure", "too_large": f"{MAX_BODY >> 20} MiB"}
    assert set(kinds) == set(words), kinds
    for kind in kinds:
        assert words[kind] in never, kind
    assert "Retry-After" in retry_rows(slug)
