"""`opwire chain`: the seed's step 28, one alert path end to end (Sentry error -> PagerDuty
incident -> Slack message). Never prints.

Verify proves each link; the chain proves they are wired to each other. It sends one Sentry error
carrying a new run id (a new issue every run: the run id is its fingerprint, and Sentry's alert
rules fire on new issues), waits for the PagerDuty incident that Sentry's PagerDuty integration
opens (REST list of incidents, by the run id in the title, or Sentry's dedup key, the issue's
short id), waits for the message PagerDuty's Slack integration posts (conversations.history, by
the run id), then resolves the incident (REST updateIncident) and the issue, and confirms both.
A hop's latency is what opwire saw: from the send to the issue read back, from the issue to
the incident seen, from the incident to the message seen; polling makes each an upper bound.

Real mode is all three real: the alert travels through the vendors' own integrations, so the
chain sends no routing key and no webhook, and needs only the Sentry DSN and the three read-back
credentials. Mock mode is all three mocks, which opwire wires through their control routes (the
Sentry mock's alert rule to the PagerDuty mock, the PagerDuty mock's Slack extension to the Slack
mock's webhook) and unwires afterwards; `wiring=False` uses the mocks as they are (a rehearsal of
a missing rule or extension).

Crash-safe as verify is: the Sentry event is journaled before it is sent, the PagerDuty incident
(Sentry's dedup key) as soon as the issue is known, so `opwire cleanup` finishes a killed chain.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from opwire import integrations
from opwire.config import ConfigError, Lookup, Redactor, RunSettings, check_url
from opwire.diagnosis import INTERNAL_ERROR, INTERRUPTED, MALFORMED, Diagnosis, Rule
from opwire.events import Event, NoteLine, RequestLine
from opwire.http import Budget, Http, Outbound, Reply, RetryPolicy, Timeouts, make_client
from opwire.integrations.pagerduty import client as pagerduty_client
from opwire.integrations.sentry import client as sentry_client
from opwire.integrations.slack import client as slack_client
from opwire.interrupt import Interrupted, Stop
from opwire.probing import ProbeContext, Rung
from opwire.results import IntegrationResult, Outcome, RunResult, run_record, status_of, to_json
from opwire.state import Journal
from opwire.verify import new_run_id

CHAIN = ("sentry", "pagerduty", "slack")
SEND, INCIDENT, MESSAGE = "opwire → sentry", "sentry → pagerduty", "pagerduty → slack"
HOPS = (SEND, INCIDENT, MESSAGE)
SCHEMA_ID = "opwire.chain/1"
SENTRY_TIMEOUT_S, SLACK_TIMEOUT_S = 300.0, 120.0
READ_BACK_S, CONFIRM_S = 60.0, 30.0
PROGRESS_S = 15.0  # a waiting hop says so this often
CLOCK_SLACK_S = 300.0  # how far back the channel's history is read: clocks differ
REAL_NEEDS = (
    "SENTRY_DSN",
    "SENTRY_AUTH_TOKEN",
    "SENTRY_ORG",
    "PAGERDUTY_API_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_CHANNEL_ID",
)
# What the rooms' settings want for sending, which the chain never sends in real mode (Sentry
# and PagerDuty carry the alert with their own keys): placeholders that only fill the settings.
NEVER_SENT = {
    "PAGERDUTY_ROUTING_KEY": "0pwire0chain0never0sent000000000",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/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",
}
WIRING_ID = "opwire-chain"  # the id of the rule and the extension opwire sets on the mocks
MOCK_REQUESTER = "opwire-chain@example.com"  # the `From` user of updateIncident in mock mode

NO_INCIDENT = Rule(
    "opwire.chain_no_incident",
    "Sentry took the error, but no PagerDuty incident carrying the run id opened in time: the "
    "Sentry project has no issue alert rule that sends new issues to PagerDuty, the rule sends "
    "them to a service PAGERDUTY_API_TOKEN cannot see, or it is slower than the wait.",
    "In Sentry: Alerts → Create Alert → Issues, when 'A new issue is created', 'Send a "
    "notification to PagerDuty' with the account and service (Settings → Integrations → "
    "PagerDuty lists the services); then run the chain again. Sentry's rules can take minutes: "
    "--sentry-timeout SECONDS waits longer.",
)
NO_MESSAGE = Rule(
    "opwire.chain_no_message",
    "The PagerDuty incident opened, but no Slack message carrying the run id reached "
    "SLACK_CHANNEL_ID in time: the incident's service has no Slack extension for that channel, "
    "it posts to another channel or only for some urgencies, or it is slower than the wait.",
    "In PagerDuty: the service → Integrations → Slack: connect the channel SLACK_CHANNEL_ID "
    "and notify on triggered incidents of every urgency; --slack-timeout SECONDS waits longer.",
)


@dataclass(frozen=True, slots=True)
class ChainSettings:
    """What one chain runs with: the three rooms' settings, the waits, and in mock mode the
    mocks and how each reaches the next (`peers`, for mocks that see each other by another
    name, as compose services do)."""

    real: bool
    sentry: Any
    pagerduty: Any
    slack: Any
    sentry_timeout_s: float = SENTRY_TIMEOUT_S
    slack_timeout_s: float = SLACK_TIMEOUT_S
    requester: str | None = None  # the PagerDuty user the incident is resolved as (`From`)
    wiring: bool = True
    mock_bases: Mapping[str, str] = field(default_factory=dict)
    peers: Mapping[str, str] = field(default_factory=dict)

    def secrets(self) -> list[Any]:
        return [*self.sentry.secrets(), *self.pagerduty.secrets(), *self.slack.secrets()]

    def peer(self, slug: str) -> str:
        return self.peers.get(slug) or self.mock_bases[slug]


@dataclass(frozen=True, slots=True)
class Hop:
    """One link of the chain as walked: passed or not, and how long it took to be seen."""

    name: str
    passed: bool
    latency_s: float | None = None
    detail: str = ""
    diagnosis: Diagnosis | None = None

    @property
    def status(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def record(self) -> dict[str, Any]:
        latency = None if self.latency_s is None else round(self.latency_s, 3)
        return {"name": self.name, "status": self.status, "latency_s": latency}


@dataclass(frozen=True, slots=True)
class ChainResult:
    run: RunResult
    hops: tuple[Hop, ...]
    incident_url: str = ""

    @property
    def exit_code(self) -> int:
        return self.run.exit_code


def is_real(run: RunSettings) -> bool:
    """The chain's mode: real when all three are real, mock when none is; ConfigError else."""
    real = [slug for slug in CHAIN if slug in run.real]
    if len(real) in (0, len(CHAIN)):
        return bool(real)
    mocked = [slug for slug in CHAIN if slug not in run.real]
    raise ConfigError(
        f"opwire chain runs sentry, pagerduty and slack all real or all mock, but mode "
        f"{run.mode} makes {' and '.join(real)} real and {' and '.join(mocked)} mock: an alert "
        "cannot travel between a mock and a vendor. Use --mode real_sentry,real_pagerduty,"
        "real_slack (or real_all), or --mode mock"
    )


def load(
    lookup: Lookup,
    run: RunSettings,
    mock_bases: Mapping[str, str],
    *,
    sentry_timeout_s: float = SENTRY_TIMEOUT_S,
    slack_timeout_s: float = SLACK_TIMEOUT_S,
    requester: str | None = None,
    wiring: bool = True,
    peers: Mapping[str, str] | None = None,
) -> ChainSettings:
    """The chain's settings; ConfigError names every missing variable (never a value)."""
    real = is_real(run)
    _positive("--sentry-timeout", sentry_timeout_s)
    _positive("--slack-timeout", slack_timeout_s)
    if real:
        if missing := [name for name in REAL_NEEDS if lookup.get(name) is None]:
            raise ConfigError(
                f"opwire chain in real mode needs {', '.join(REAL_NEEDS)}; not set: "
                f"{', '.join(missing)}"
            )
        filled = lookup.over(NEVER_SENT, "opwire chain")
        rooms = {s: integrations.load(s).load_settings(filled, True, "") for s in CHAIN}
    else:
        rooms = {s: integrations.load(s).load_settings(lookup, False, mock_bases[s]) for s in CHAIN}
    for slug, url in (peers or {}).items():
        if slug not in ("pagerduty", "slack"):
            raise ConfigError(
                f"--mock-peer {slug}=…: only pagerduty and slack are reached by peers"
            )
        check_url(f"--mock-peer {slug}", url)
    return ChainSettings(
        real,
        rooms["sentry"],
        rooms["pagerduty"],
        rooms["slack"],
        sentry_timeout_s,
        slack_timeout_s,
        requester,
        wiring,
        {} if real else dict(mock_bases),
        {k: v.rstrip("/") for k, v in (peers or {}).items()},
    )


def _positive(flag: str, seconds: float) -> None:
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(f"{flag} must be a positive number of seconds, got {seconds!r}")


def chain_event(event_id: str, run_id: str) -> dict[str, Any]:
    """The error the chain sends: its fingerprint is the run id, so it opens a new issue."""
    return {
        "event_id": event_id,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "logger": "opwire",
        "environment": "opwire-chain",
        "message": {
            "formatted": f"opwire chain {run_id}: test alert, Sentry → PagerDuty → Slack "
            "(chain=true); opwire resolves it"
        },
        "fingerprint": ["opwire-chain", run_id],
        "tags": {"run_id": run_id, "chain": "true"},
    }


# --- the PagerDuty REST requests the chain needs beyond the room's ------------------------------


def _rest(settings: Any) -> dict[str, str]:
    return {
        "Authorization": f"Token token={settings.api_token.reveal()}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }


def recent_incidents(settings: Any, now: datetime) -> Outbound:
    """The incidents opened lately, newest first (the REST spec's listIncidents)."""
    return Outbound(
        "GET",
        f"{settings.api_url}/incidents",
        _rest(settings),
        params={
            "since": (now - timedelta(minutes=10)).isoformat(timespec="seconds"),
            "until": (now + timedelta(days=1)).isoformat(timespec="seconds"),
            "sort_by": "created_at:desc",
            "limit": "100",
        },
    )


def update_incident(settings: Any, incident_id: str, status: str, requester: str) -> Outbound:
    """updateIncident: `status` set by the user `requester` (the `From` header)."""
    return Outbound(
        "PUT",
        f"{settings.api_url}/incidents/{incident_id}",
        {**_rest(settings), "From": requester},
        json={"incident": {"type": "incident_reference", "status": status}},
    )


def get_incident(settings: Any, incident_id: str) -> Outbound:
    return Outbound("GET", f"{settings.api_url}/incidents/{incident_id}", _rest(settings))


def current_user(settings: Any) -> Outbound:
    """The token's own user (a user token; an account token has none)."""
    return Outbound("GET", f"{settings.api_url}/users/me", _rest(settings))


def ours(reply: Reply, run_id: str, dedup_key: str) -> dict[str, Any] | None:
    """The incident of this run: the run id in its title, or Sentry's dedup key as its key."""
    for incident in pagerduty_client.incidents(reply):
        title, key = str(incident.get("title", "")), incident.get("incident_key")
        if run_id in title or (dedup_key and key == dedup_key):
            return incident
    return None


def _incident_status(reply: Reply) -> str | None:
    found = (reply.json() or {}).get("incident")
    return found.get("status") if isinstance(found, dict) else None


def _email(reply: Reply | None) -> str | None:
    user = (reply.json() or {}).get("user") if reply is not None and reply.status == 200 else None
    email = user.get("email") if isinstance(user, dict) else None
    return email if isinstance(email, str) and "@" in email else None


# --- the walk ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Walk:
    settings: ChainSettings
    contexts: dict[str, ProbeContext]
    on_hop: Callable[[Hop], None]
    run_id: str
    hops: list[Hop] = field(default_factory=list)
    current: str = "sentry"  # the room whose rung is under way: what an interrupt cut short
    hop: str = SEND
    event_id: str = ""
    sentry_entry: str | None = None
    short_id: str = ""
    pagerduty_entry: str | None = None
    incident: dict[str, Any] | None = None
    sent_at: float = 0.0  # monotonic: the latencies
    seen: float = 0.0  # monotonic: when the last hop's artifact was seen
    sent_wall: float = 0.0  # unix: the windows the vendors are asked about
    wired: list[tuple[str, str]] = field(default_factory=list)  # (slug, control URL)

    def ctx(self, slug: str) -> ProbeContext:
        self.current = slug
        return self.contexts[slug]

    def passed(self, name: str) -> None:
        now = time.monotonic()
        self._done(Hop(name, True, now - (self.seen or self.sent_at)))
        self.seen = now

    def failed(self, name: str, rung: Rung, detail: str = "") -> None:
        diagnosis = rung.diagnosis
        self._done(
            Hop(name, False, None, detail or (diagnosis.detail if diagnosis else ""), diagnosis)
        )

    def _done(self, hop: Hop) -> None:
        self.hops.append(hop)
        self.on_hop(hop)


async def run_chain(
    settings: ChainSettings,
    run: RunSettings,
    sink: Callable[[Event], None],
    redact: Redactor,
    *,
    on_hop: Callable[[Hop], None] = lambda hop: None,
    run_id: str | None = None,
    journal: Journal | None = None,
    stop: Stop | None = None,
    started: float | None = None,
) -> ChainResult:
    """Walk the chain, then clean up what it made; `on_hop` hears each hop as it ends."""
    stop = stop or Stop()
    run_id = run_id or new_run_id()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.monotonic() if started is None else started
    lines: dict[str, list[RequestLine]] = {slug: [] for slug in CHAIN}

    def on_request(line: RequestLine) -> None:
        lines[line.integration].append(line)
        sink(line)

    total = Budget(settings.sentry_timeout_s + settings.slack_timeout_s + run.budget_s)
    async with make_client(proxies=settings.real) as client:
        http = Http(
            client,
            on_request,
            redact,
            Timeouts(run.connect_timeout_s, run.read_timeout_s),
            RetryPolicy(max_attempts=run.max_attempts),
        )
        contexts = {
            slug: ProbeContext(
                slug,
                settings.real,
                run_id,
                http,
                total,
                integrations.load(slug).rules(),
                sink,
                journal,
                settings.mock_bases.get(slug, ""),
                stop=stop,
            )
            for slug in CHAIN
        }
        walk = _Walk(settings, contexts, on_hop, run_id)
        await _guarded(walk, stop)
    elapsed = time.monotonic() - t0
    results = tuple(
        IntegrationResult(
            c.slug,
            c.real,
            status_of(tuple(c.steps)),
            tuple(c.steps),
            tuple(lines[c.slug]),
            elapsed,
            tuple(c.notes),
        )
        for c in contexts.values()
    )
    notes = _left_open(walk)
    result = RunResult(run_id, run.mode, started_at, elapsed, results, notes, stop.exit_code(0))
    url = str((walk.incident or {}).get("html_url", ""))
    return ChainResult(result, tuple(walk.hops), url)


async def _guarded(walk: _Walk, stop: Stop) -> None:
    """The walk, stopped by an interrupt; the cleanup, given the grace after one."""
    try:
        async with stop.scope():
            await _walk(walk)
    except Interrupted:
        ctx = walk.contexts[walk.current]
        during = f"during {ctx.rung!r}" if ctx.rung else "before its first step"
        _cut_short(walk, INTERRUPTED.diagnosis(f"{stop.cause} arrived {during}"))
    except Exception as exc:  # a bug is this chain's FAIL, and its cleanup still runs
        detail = walk.contexts["sentry"].http.redact(f"{type(exc).__name__}: {exc}")
        _cut_short(walk, INTERNAL_ERROR.diagnosis(detail))
    try:
        async with stop.scope(stop.grace_s):
            await _cleanup(walk)
    except Interrupted:
        walk.contexts["sentry"].note("the cleanup was cut short by the interrupt")


def _cut_short(walk: _Walk, diagnosis: Diagnosis) -> None:
    """The rung under way ends with `diagnosis`, and so does its hop."""
    ctx = walk.contexts[walk.current]
    ctx.failed(diagnosis.code.removeprefix("opwire."), diagnosis)
    ctx.unsent = None  # a creating request cut off in flight may have arrived: keep its entry
    if walk.hop not in {h.name for h in walk.hops}:
        walk.failed(walk.hop, Rung(None, diagnosis=diagnosis))


def _left_open(walk: _Walk) -> tuple[str, ...]:
    left = [
        f"{slug} " + ", ".join(f"{k}={v}" for k, v in artifact.items())
        for slug, ctx in walk.contexts.items()
        for artifact in ctx.open.values()
    ]
    if not left:
        return ()
    return (f"still open: {'; '.join(left)}: run `opwire cleanup`",)


async def _walk(walk: _Walk) -> None:
    if not walk.settings.real and walk.settings.wiring and not await _wire(walk):
        return
    if await _send(walk) and await _incident(walk):
        await _message(walk)


async def _wire(walk: _Walk) -> bool:
    """Mock mode: the Sentry mock's alert rule to the PagerDuty mock, the PagerDuty mock's Slack
    extension to the Slack mock's webhook, each replacing opwire's own from an earlier run."""
    settings = walk.settings
    key = settings.pagerduty.routing_key.reveal()
    hook = urlsplit(settings.slack.webhook_url.reveal()).path
    wiring = (
        (
            "sentry",
            "/_opwire/sentry/rules",
            {"action": "pagerduty", "events_url": settings.peer("pagerduty"), "routing_key": key},
        ),
        (
            "pagerduty",
            "/_opwire/pagerduty/extensions",
            {"routing_key": key, "webhook_url": settings.peer("slack") + hook},
        ),
    )
    for slug, route, body in wiring:
        url = settings.mock_bases[slug] + route
        step = "wire alert rule" if slug == "sentry" else "wire Slack extension"
        done = await walk.ctx(slug).call(
            step, Outbound("POST", url, json={"id": WIRING_ID, **body}), ok=_control_ok
        )
        if not done.ok:
            walk.contexts[slug].note(
                f"the {slug} mock at {settings.mock_bases[slug]} did not take the chain's wiring "
                f"({route}): an older opwire's mock? restart it from this opwire (`opwire mock up`)"
            )
            walk.failed(SEND, done, f"could not wire the {slug} mock")
            return False
        walk.wired.append((slug, url))
    return True


def _control_ok(reply: Reply) -> bool:
    return reply.status == 200 and isinstance(reply.json(), dict)


async def _send(walk: _Walk) -> bool:
    """Hop 1: the error reaches Sentry and becomes a new issue (its short id is the key
    Sentry's PagerDuty integration dedups the incident by)."""
    settings, ctx = walk.settings.sentry, walk.ctx("sentry")
    walk.event_id, walk.hop = uuid.uuid4().hex, SEND
    walk.sentry_entry = ctx.remember({"event_id": walk.event_id})
    walk.sent_at, walk.sent_wall = time.monotonic(), time.time()
    event = chain_event(walk.event_id, walk.run_id)
    sent = await ctx.call(
        "send",
        sentry_client.envelope(settings, event),
        ok=lambda reply: sentry_client.stored(reply, walk.event_id),
    )
    if sent.refused:
        ctx.forget(walk.sentry_entry)  # Sentry took nothing: no issue, nothing to resolve
        walk.sentry_entry = None
    if not sent.ok:
        walk.failed(SEND, sent)
        return False
    stored = await ctx.poll(
        "read back",
        sentry_client.get_event(settings, walk.event_id),
        ok=sentry_client.ok,
        found=lambda reply: sentry_client.tagged(reply, walk.run_id),
        pending=lambda reply: reply.status == 404,
        within_s=READ_BACK_S,
        missing="sentry.event_not_found",
    )
    if not stored.ok:
        walk.failed(SEND, stored)
        return False
    group = sentry_client.group_id(stored.answer)
    if group is None:
        diagnosis = MALFORMED.diagnosis("the event read back names no issue (groupID)")
        ctx.failed("issue", diagnosis)
        walk.failed(SEND, Rung(stored.reply, diagnosis=diagnosis))
        return False
    issue = await ctx.call("issue", sentry_client.get_issue(settings, group), ok=sentry_client.ok)
    if not issue.ok:
        walk.failed(SEND, issue)
        return False
    walk.short_id = str((issue.answer.json() or {}).get("shortId") or "")
    if walk.short_id:
        walk.pagerduty_entry = walk.contexts["pagerduty"].remember({"dedup_key": walk.short_id})
        walk.contexts["pagerduty"].unsent = None  # Sentry creates the incident, not a request
    walk.passed(SEND)
    return True


async def _incident(walk: _Walk) -> bool:
    """Hop 2: Sentry's alert rule opens the PagerDuty incident."""
    settings, ctx = walk.settings, walk.ctx("pagerduty")
    walk.hop = INCIDENT
    timeout = settings.sentry_timeout_s
    within = max(0.5, timeout - (time.monotonic() - walk.sent_at))
    async with _progress(ctx, INCIDENT, "the PagerDuty incident", timeout, walk.sent_at):
        found = await ctx.poll(
            "find incident",
            recent_incidents(settings.pagerduty, datetime.now(UTC)),
            ok=pagerduty_client.rest_ok,
            found=lambda reply: ours(reply, walk.run_id, walk.short_id) is not None,
            within_s=within,
            missing="pagerduty.no_incident",
        )
    if found.ok:
        walk.incident = ours(found.answer, walk.run_id, walk.short_id)
        incident = walk.incident or {}
        ctx.note(f"incident #{incident.get('incident_number')}: {incident.get('html_url')}")
        walk.passed(INCIDENT)
        return True
    detail = f"no incident with the run id within {timeout:g} s"
    await _missing(walk, ctx, found, NO_INCIDENT, detail, "sentry", "/_opwire/sentry/rules")
    return False


async def _message(walk: _Walk) -> bool:
    """Hop 3: PagerDuty's Slack extension posts the incident to the channel."""
    settings, ctx = walk.settings, walk.ctx("slack")
    walk.hop, seen = MESSAGE, time.monotonic()
    timeout = settings.slack_timeout_s
    async with _progress(ctx, MESSAGE, "the Slack message", timeout, seen):
        found = await ctx.poll(
            "find message",
            slack_client.channel_history(settings.slack, walk.sent_wall - CLOCK_SLACK_S),
            ok=slack_client.api_ok,
            found=lambda reply: slack_client.has_message(reply, walk.run_id),
            within_s=timeout,
            missing="slack.message_not_in_channel",
        )
    if found.ok:
        walk.passed(MESSAGE)
        return True
    detail = f"no message with the run id within {timeout:g} s"
    route = "/_opwire/pagerduty/extensions"
    await _missing(walk, ctx, found, NO_MESSAGE, detail, "pagerduty", route)
    return False


async def _missing(
    walk: _Walk, ctx: ProbeContext, rung: Rung, rule: Rule, detail: str, sender: str, route: str
) -> None:
    """A hop whose artifact never came: the chain's own diagnosis (the room's says something
    else), sharpened in mock mode by what the sending mock says it sent."""
    if rung.code not in ("pagerduty.no_incident", "slack.message_not_in_channel"):
        walk.failed(walk.hop, rung)  # the vendor refused the read: its own diagnosis says why
        return
    diagnosis = rule.diagnosis(detail)
    if not walk.settings.real:
        diagnosis = await _mock_sharpened(walk, diagnosis, sender, route)
    ctx.steps[-1] = replace(ctx.steps[-1], detail=diagnosis.detail, diagnosis=diagnosis)
    walk.failed(walk.hop, Rung(rung.reply, diagnosis=diagnosis), detail)


async def _mock_sharpened(walk: _Walk, diagnosis: Diagnosis, sender: str, route: str) -> Diagnosis:
    """What the sending mock's rules or extensions say they sent, and the mock's fix."""
    base = walk.settings.mock_bases[sender]
    reply = await walk.contexts[sender].peek(Outbound("GET", base + route), within_s=5)
    listed = (reply.json() or {}) if reply is not None and reply.status == 200 else {}
    hooks = [h for h in listed.get("rules", listed.get("extensions", [])) if isinstance(h, dict)]
    what = "alert rule" if sender == "sentry" else "Slack extension"
    if not hooks:
        said = f"the {sender} mock has no {what}"
        fix = (
            f"Run the chain without --no-wiring, or POST one to {base}{route} (README, "
            "Chain); `opwire chain` sets and removes its own."
        )
        return replace(diagnosis, detail=f"{diagnosis.detail}; {said}", fix=fix)
    sent = "; ".join(_hook_said(h) for h in hooks)
    said = f"the {sender} mock's {what}s: {sent}"
    fix = diagnosis.fix
    if any((h.get("delivery") or {}).get("failed") for h in hooks):
        fix = (
            f"The {sender} mock could not deliver (above): check that a mock answers at its "
            "target; mocks in separate containers (docker compose) reach each other by service "
            "name, not 127.0.0.1: opwire chain --mock-peer pagerduty=http://pagerduty:4103 "
            "--mock-peer slack=http://slack:4105"
        )
    elif any(float(h.get("delay_s") or 0) > 0 for h in hooks):
        fix = f"A rule is slower than the wait: wait longer (--sentry-timeout), or {fix}"
    return replace(diagnosis, detail=f"{diagnosis.detail}; {said}", fix=fix)


def _hook_said(hook: dict[str, Any]) -> str:
    delivery = hook.get("delivery") or {}
    target = hook.get("events_url") or hook.get("webhook_url") or "?"
    delay = f", delay {hook['delay_s']:g} s" if hook.get("delay_s") else ""
    error = f", last error: {delivery['last_error']}" if delivery.get("last_error") else ""
    return (
        f"{hook.get('id')} → {target}{delay}: fired {delivery.get('fired', 0)}, "
        f"delivered {delivery.get('delivered', 0)}, failed {delivery.get('failed', 0)}{error}"
    )


@asynccontextmanager
async def _progress(
    ctx: ProbeContext, hop: str, what: str, timeout: float, since: float
) -> AsyncIterator[None]:
    """Say what a long wait waits for, at its start and every PROGRESS_S while it lasts."""
    ctx.say(NoteLine(ctx.slug, f"{hop}: waiting up to {timeout:g} s for {what} with the run id"))

    async def tell() -> None:
        while True:
            await asyncio.sleep(PROGRESS_S)
            waited = time.monotonic() - since
            ctx.say(NoteLine(ctx.slug, f"{hop}: still waiting ({waited:.0f} s of {timeout:g} s)"))

    task = asyncio.create_task(tell())
    try:
        yield
    finally:
        task.cancel()


# --- cleanup -------------------------------------------------------------------------------------


async def _cleanup(walk: _Walk) -> None:
    """Resolve the incident, then the issue (what pages a person first), then unwire."""
    await _resolve_incident(walk)
    if walk.sentry_entry is not None:
        vendor = integrations.load("sentry")
        ctx = walk.ctx("sentry")
        if await vendor.run_cleanup(ctx, walk.settings.sentry, {"event_id": walk.event_id}):
            ctx.forget(walk.sentry_entry)
    for slug, url in walk.wired:
        reply = await walk.contexts[slug].peek(Outbound("DELETE", url, params={"id": WIRING_ID}))
        if reply is None or reply.status != 200:
            walk.contexts[slug].note(
                f"could not remove the chain's wiring at {url}: reset the mock"
            )


async def _resolve_incident(walk: _Walk) -> None:
    if walk.pagerduty_entry is None:
        return
    ctx, settings = walk.ctx("pagerduty"), walk.settings.pagerduty
    incident = walk.incident or await _late_incident(walk)
    if incident is None:
        ctx.forget(walk.pagerduty_entry)
        ctx.note(
            f"no incident opened for Sentry's key {walk.short_id}, so none is resolved; one that "
            "opens later (a slow rule) has to be resolved by hand"
        )
        return
    requester = await _requester(walk)
    if requester is None:
        ctx.skipped(
            "resolve",
            f"opwire cannot resolve incident #{incident.get('incident_number')} "
            f"({incident.get('html_url')}): PAGERDUTY_API_TOKEN is an account token, which "
            "needs the email of a PagerDuty user: pass --pagerduty-from EMAIL, or resolve it "
            "by hand",
        )
        return
    incident_id = str(incident.get("id"))
    done = await ctx.call(
        "resolve",
        update_incident(settings, incident_id, "resolved", requester),
        ok=pagerduty_client.rest_ok,
    )
    if (
        done.ok
        and (
            await ctx.poll(
                "confirm resolved",
                get_incident(settings, incident_id),
                ok=pagerduty_client.rest_ok,
                found=lambda reply: _incident_status(reply) == "resolved",
                within_s=CONFIRM_S,
                missing="pagerduty.not_resolved",
            )
        ).ok
    ):
        ctx.forget(walk.pagerduty_entry)


async def _late_incident(walk: _Walk) -> dict[str, Any] | None:
    """An incident that opened after the wait gave up (or that a refused read missed)."""
    reply = await walk.contexts["pagerduty"].peek(
        recent_incidents(walk.settings.pagerduty, datetime.now(UTC)), within_s=10
    )
    if reply is None or not pagerduty_client.rest_ok(reply):
        return None
    return ours(reply, walk.run_id, walk.short_id)


async def _requester(walk: _Walk) -> str | None:
    """Who resolves the incident: --pagerduty-from, else the token's own user; the mock's
    placeholder in mock mode."""
    if not walk.settings.real:
        return MOCK_REQUESTER
    if walk.settings.requester:
        return walk.settings.requester
    return _email(await walk.contexts["pagerduty"].peek(current_user(walk.settings.pagerduty)))


# --- what the command shows and keeps ---------------------------------------------------------


def hop_line(hop: Hop) -> str:
    latency = "—" if hop.latency_s is None else f"{hop.latency_s:.2f} s"
    return f"{'chain':<10} hop    {hop.name:<20} {hop.status:<5} {latency}"


def summary_lines(result: ChainResult) -> list[str]:
    """After the request lines: each failed hop with its cause and fix, the cleanup's
    failures, the notes, and the verdict."""
    lines = [""]
    shown = set()
    for hop in result.hops:
        if hop.passed:
            continue
        code = f" ({hop.diagnosis.code})" if hop.diagnosis else ""
        lines.append(f"{hop.name}: {hop.detail or 'failed'}{code}")
        if hop.diagnosis is not None:
            shown.add(hop.diagnosis)
            lines.extend(_explained(hop.diagnosis))
    for integration in result.run.integrations:
        for step in integration.steps:
            if step.diagnosis is not None and step.diagnosis not in shown:
                shown.add(step.diagnosis)
                lines.append(f"{integration.slug} {step.name}: {step.diagnosis.code}")
                lines.extend(_explained(step.diagnosis))
            elif step.outcome is Outcome.SKIPPED:
                lines.append(f"{integration.slug} {step.name} skipped: {step.detail}")
    lines.extend(f"note: {note}" for note in result.run.notes)
    passed = sum(h.passed for h in result.hops)
    run = result.run
    whole = ""
    if passed == len(HOPS) == len(result.hops):
        whole = f", error to message {sum(h.latency_s or 0.0 for h in result.hops):.2f} s"
    lines.append(
        f"overall: {run.overall.value} ({passed} of {len(HOPS)} hops PASS{whole})  run "
        f"{run.run_id}  mode {run.mode}  {run.elapsed_s:.2f} s  exit {run.exit_code}"
    )
    return lines


def _explained(diagnosis: Diagnosis) -> list[str]:
    lines = [f"  cause: {diagnosis.cause}"]
    if diagnosis.detail:
        lines.append(f"  observed: {diagnosis.detail}")
    lines.append(f"  fix: {diagnosis.fix}")
    if diagnosis.runbook:
        lines.append(f"  runbook: {diagnosis.runbook}")
    return lines


def record(result: ChainResult) -> dict[str, Any]:
    """The chain's line of state/runs.jsonl: a run record, with its hops."""
    return {**run_record(result.run, "chain"), "hops": [hop.record() for hop in result.hops]}


def document(result: ChainResult) -> dict[str, Any]:
    """The `opwire chain --json` document: verify's shape, its own schema id, and the hops."""
    hops = [
        {
            **hop.record(),
            "detail": hop.detail,
            "code": hop.diagnosis.code if hop.diagnosis else None,
        }
        for hop in result.hops
    ]
    return {
        **to_json(result.run),
        "schema": SCHEMA_ID,
        "hops": hops,
        "incident": result.incident_url,
    }
