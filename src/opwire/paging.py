"""After a scheduled verify: page or ticket on a FAIL, heartbeat, Healthchecks ping. Never prints.

The seed's § 7: daily runs page the operator, weekly runs open a low-priority ticket. A page goes
only through an integration that PASSed in the same run (never the failing one): PagerDuty then
Opsgenie for a page, Opsgenie for a ticket. One page per failure episode: its key is the UTC day it
opened and the sorted failing set (PagerDuty `dedup_key`, Opsgenie `alias`), remembered in
`<state>/paging.json`; while it is open, runs failing the same set (on any later day) do not page
again, and a later green run that verified the same integrations resolves it.

Pages followed: developer.pagerduty.com docs/events-API-v2/02-Trigger-Events (trigger, resolve
by dedup_key); docs.opsgenie.com/docs/alert-api (Create Alert priority P1..P5, Close Alert by
alias, Get Request Status), docs.opsgenie.com/docs/heartbeat-api (Ping Heartbeat);
healthchecks.io/docs/http_api (`/start`, `/fail`, the request body kept as the ping's log).
Every request goes through `Http`: one redacted line each, retried, inside a budget.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from opwire.config import Redactor, RunSettings
from opwire.events import RequestLine
from opwire.http import Budget, Exchange, Http, Outbound, RetryPolicy, Timeouts, make_client
from opwire.results import Overall, RunResult, Status
from opwire.state import atomic_write
from opwire.verify import Target

STATE_FILE = "paging.json"
# What a page may take even when the run used its whole budget: a hanging vendor is exactly
# what must still be paged about.
FLOOR_S = 10.0
# How long an Opsgenie write is followed to its processing.
PROCESS_S = 5.0
POLL_S = 0.2


class Policy(StrEnum):
    PAGE = "page"
    TICKET = "ticket"


CHANNELS = {Policy.PAGE: ("pagerduty", "opsgenie"), Policy.TICKET: ("opsgenie",)}
PRIORITY = {Policy.PAGE: "P1", Policy.TICKET: "P5"}


@dataclass(frozen=True, slots=True)
class Failing:
    slug: str
    code: str
    fix: str


@dataclass(frozen=True, slots=True)
class Episode:
    """One failure episode that was paged: where, under which key, for which integrations."""

    key: str
    channel: str
    real: bool
    policy: str
    failing: tuple[str, ...]
    run_id: str
    opened_at: str

    @classmethod
    def from_json(cls, data: Any) -> Episode | None:
        try:
            return cls(
                str(data["key"]),
                str(data["channel"]),
                bool(data["real"]),
                str(data["policy"]),
                tuple(str(s) for s in data["failing"]),
                str(data["run_id"]),
                str(data["opened_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def episode_key(day: datetime, failing: Sequence[str]) -> str:
    """`opwire-YYYYMMDD-datadog+sentry`: the same for every run of one UTC day that fails the
    same integrations, so the vendor deduplicates too (a retried trigger never pages twice)."""
    return f"opwire-{day:%Y%m%d}-{'+'.join(sorted(set(failing)))}"


def failing_of(result: RunResult) -> list[Failing]:
    found = []
    for item in result.integrations:
        if item.status is Status.FAIL:
            diagnosis = item.diagnosis
            code, fix = (diagnosis.code, diagnosis.fix) if diagnosis else ("", "")
            found.append(Failing(item.slug, code, fix))
    return found


def channel_for(policy: Policy, result: RunResult, targets: Sequence[Target]) -> Target | None:
    """The first channel of `policy` that PASSed in this run; None when none did."""
    passed = {i.slug for i in result.integrations if i.status is Status.PASS}
    by_slug = {t.slug: t for t in targets}
    return next((by_slug[s] for s in CHANNELS[policy] if s in passed and s in by_slug), None)


class Book:
    """`<state>/paging.json`: the episodes paged and not yet resolved."""

    def __init__(self, folder: Path, redact: Redactor) -> None:
        self.path, self.redact = folder / STATE_FILE, redact

    def read(self) -> tuple[list[Episode], str]:
        """The open episodes, and a problem with the file ("" when none)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return [], ""
        except (OSError, ValueError) as exc:
            return [], f"{self.path} could not be read ({exc}): paging as if nothing was open"
        items = data.get("open") if isinstance(data, dict) else None
        episodes = [e for e in map(Episode.from_json, items or []) if e is not None]
        return episodes, ""

    def write(self, episodes: Sequence[Episode]) -> None:
        document = {"schema": "opwire.paging/1", "open": [asdict(e) for e in episodes]}
        atomic_write(self.path, json.dumps(document, indent=2) + "\n", self.redact)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What the command asked to happen after the run."""

    policy: Policy | None = None
    heartbeat: str | None = None
    heartbeat_settings: Any = None  # the Opsgenie settings the heartbeat is pinged with
    heartbeat_real: bool = False
    ping_url: str | None = None


@dataclass(slots=True)
class Sender:
    """The clients of the follow-up: proxied for real vendors, direct for mocks (as verify)."""

    http_for: Callable[[bool], Http]
    budget: Budget


@asynccontextmanager
async def sender(
    run: RunSettings, sink: Callable[[RequestLine], None], redact: Redactor, seconds: float
) -> AsyncIterator[Sender]:
    async with make_client() as client, make_client(proxies=False) as direct:

        def http_for(real: bool) -> Http:
            return Http(
                client if real else direct,
                sink,
                redact,
                Timeouts(run.connect_timeout_s, run.read_timeout_s),
                RetryPolicy(max_attempts=run.max_attempts),
            )

        yield Sender(http_for, Budget(max(seconds, FLOOR_S)))


async def follow_up(
    asked: FollowUp,
    result: RunResult,
    targets: Sequence[Target],
    book: Book,
    send: Sender,
    now: datetime,
    summary: str,
) -> list[str]:
    """Page or resolve, then the heartbeat and the ping; returns the lines to show."""
    lines: list[str] = []
    if asked.policy is not None and result.interrupted:
        lines.append(f"no {asked.policy} sent: the run was interrupted, not failed")
    elif asked.policy is not None:
        lines += await page(asked.policy, result, targets, book, send, now)
    if asked.heartbeat is not None and not result.interrupted:
        lines += await heartbeat(
            asked.heartbeat, asked.heartbeat_settings, asked.heartbeat_real, send
        )
    if asked.ping_url is not None:
        green = result.overall is Overall.GREEN and not result.interrupted
        lines += await ping(asked.ping_url, "" if green else "fail", summary, send)
    return lines


async def page(
    policy: Policy,
    result: RunResult,
    targets: Sequence[Target],
    book: Book,
    send: Sender,
    now: datetime,
) -> list[str]:
    """Raise a page for this run's FAILs (once per episode), or resolve what a green run
    proves over."""
    episodes, problem = book.read()
    lines = [f"warning: {problem}"] if problem else []
    failing = failing_of(result)
    said: list[str] = []
    kept = episodes
    if failing:
        kept, said = await _raise(policy, result, targets, episodes, failing, send, now)
    # Whatever else the run shows (a HOLD, another integration failing), an episode whose
    # integrations all PASSed in it is over.
    kept, resolved = await _resolve(result, targets, kept, send)
    said += resolved
    if kept != episodes:
        try:
            book.write(kept)
        except OSError as exc:
            said.append(f"warning: {book.path} could not be written ({exc.strerror})")
    return lines + said


async def _raise(
    policy: Policy,
    result: RunResult,
    targets: Sequence[Target],
    episodes: list[Episode],
    failing: list[Failing],
    send: Sender,
    now: datetime,
) -> tuple[list[Episode], list[str]]:
    key = episode_key(now, [f.slug for f in failing])
    names = ", ".join(f.slug for f in failing)
    channel = channel_for(policy, result, targets)
    if channel is None:
        through = " or ".join(CHANNELS[policy])
        return episodes, [f"no {policy} sent: {through} did not PASS in this run ({names} FAIL)"]
    # The open episode of the same failing set is this one, whichever day it opened on: a
    # failure that lasts past midnight is not paged again each day.
    same = set(f.slug for f in failing)
    known = next((e for e in episodes if set(e.failing) == same and e.real == channel.real), None)
    if known is not None:
        return episodes, [
            f"{names} still FAIL: already paged through {known.channel} in run "
            f"{known.run_id} ({known.key}); not paging again"
        ]
    ok, how = await _trigger(policy, channel, key, failing, result.run_id, send)
    if not ok:
        return episodes, [f"warning: the {policy} through {channel.slug} failed: {how}"]
    opened = now.isoformat(timespec="seconds")
    slugs = tuple(f.slug for f in failing)
    episode = Episode(key, channel.slug, channel.real, policy.value, slugs, result.run_id, opened)
    mode = "" if channel.real else " (its mock)"
    return [*episodes, episode], [
        f"{policy} sent through {channel.slug}{mode} ({key}): {names} FAIL"
    ]


def _words(failing: Sequence[Failing], run_id: str) -> tuple[str, dict[str, str], str]:
    """The page's summary, details (one per failing integration: code, then the fix) and the
    longer description."""
    codes = ", ".join(f"{f.slug} ({f.code})" if f.code else f.slug for f in failing)
    summary = f"opwire verify: {codes} FAIL (run {run_id})"
    details = {f.slug: f"{f.code}: {f.fix}" if f.code else "FAIL" for f in failing}
    description = "\n".join(f"{f.slug}: {f.code}\nfix: {f.fix}" for f in failing)
    return summary, {**details, "run_id": run_id}, description


async def _trigger(
    policy: Policy,
    channel: Target,
    key: str,
    failing: Sequence[Failing],
    run_id: str,
    send: Sender,
) -> tuple[bool, str]:
    summary, details, description = _words(failing, run_id)
    http = send.http_for(channel.real)
    if channel.slug == "pagerduty":
        from opwire.integrations.pagerduty import client as pd

        severity = "critical" if policy is Policy.PAGE else "warning"
        outbound = pd.enqueue(
            channel.settings, "trigger", key, summary=summary, severity=severity,
            details=details, client="opwire verify",
        )  # fmt: skip
        exchange = await http.request("pagerduty", send.budget, outbound)
        return _judged(exchange, lambda reply: pd.accepted(reply, key))
    from opwire.integrations.opsgenie import client as og

    outbound = og.create_alert(
        channel.settings, key, summary[:130], description=description,
        tags=("opwire", "verify", policy.value), details=details, priority=PRIORITY[policy],
    )  # fmt: skip
    return await _opsgenie(http, channel, outbound, send)


async def _opsgenie(
    http: Http, channel: Target, outbound: Outbound, send: Sender
) -> tuple[bool, str]:
    """An Opsgenie write, followed until its request is processed (a 202 proves nothing)."""
    from opwire.integrations.opsgenie import client as og

    exchange = await http.request("opsgenie", send.budget, outbound)
    ok, how = _judged(exchange, og.accepted)
    request_id = og.request_id(exchange.reply) if ok and exchange.reply else None
    if request_id is None:
        return ok, how
    within = send.budget.child(PROCESS_S)
    while within.remaining() > 0:
        status = await http.request(
            "opsgenie", within, og.request_status(channel.settings, request_id)
        )
        reply = status.reply
        if reply is not None and og.succeeded(reply):
            return True, "processed"
        if reply is None or not og.not_processed(reply):
            message = og.data_field(reply, "status") if reply is not None else status.observed
            return False, f"Opsgenie did not process it: {message}"
        await asyncio.sleep(min(POLL_S, within.remaining()))
    return False, f"accepted, but not processed within {PROCESS_S:g} s"


def _judged(exchange: Exchange, ok: Callable[[Any], bool]) -> tuple[bool, str]:
    if exchange.reply is not None and ok(exchange.reply):
        return True, exchange.observed
    body = exchange.reply.text[:200] if exchange.reply is not None else ""
    return False, f"{exchange.observed}{f' {body}' if body else ''}"


async def _resolve(
    result: RunResult, targets: Sequence[Target], episodes: list[Episode], send: Sender
) -> tuple[list[Episode], list[str]]:
    """Resolve each open episode this run proved over (every integration the episode named
    PASSed in it), through the channel it was raised on."""
    verified = {i.slug for i in result.integrations if i.status is Status.PASS}
    by_slug = {t.slug: t for t in targets}
    kept, lines = [], []
    for episode in episodes:
        channel = by_slug.get(episode.channel)
        if not set(episode.failing) <= verified:
            kept.append(episode)
            continue
        if channel is None or channel.real != episode.real:
            if episode.real:
                kept.append(episode)
                lines.append(
                    f"{episode.key} stays open: this run did not verify the real "
                    f"{episode.channel} it was raised on; resolve it there by hand"
                )
            continue  # raised on a mock: nothing a person sees stays open
        ok, how = await _close(channel, episode.key, result.run_id, send)
        if ok:
            lines.append(f"resolved {episode.key} through {channel.slug}: green again")
        else:
            kept.append(episode)
            lines.append(f"warning: resolving {episode.key} through {channel.slug} failed: {how}")
    return kept, lines


async def _close(channel: Target, key: str, run_id: str, send: Sender) -> tuple[bool, str]:
    http = send.http_for(channel.real)
    if channel.slug == "pagerduty":
        from opwire.integrations.pagerduty import client as pd

        exchange = await http.request(
            "pagerduty", send.budget, pd.enqueue(channel.settings, "resolve", key)
        )
        return _judged(exchange, lambda reply: pd.accepted(reply, key))
    from opwire.integrations.opsgenie import client as og

    note = f"opwire verify run {run_id} is green"
    return await _opsgenie(http, channel, og.close_alert(channel.settings, key, note=note), send)


async def heartbeat(name: str, settings: Any, real: bool, send: Sender) -> list[str]:
    """Ping the Opsgenie heartbeat `name`: the cron ran (whatever the run's verdict)."""
    from opwire.integrations.opsgenie import client as og

    exchange = await send.http_for(real).request(
        "opsgenie", send.budget, og.ping_heartbeat(settings, name)
    )
    reply = exchange.reply
    if reply is not None and 200 <= reply.status < 300:
        return []
    return [f"warning: the Opsgenie heartbeat {name!r} was not pinged: {exchange.observed}"]


async def ping(url: str, kind: str, body: str, send: Sender) -> list[str]:
    """A Healthchecks-style ping: `<url>/start`, `<url>` (success) or `<url>/fail`, with the
    run's summary as the body (Healthchecks keeps it as the ping's log)."""
    target = f"{url.rstrip('/')}/{kind}" if kind else url
    content = body.encode("utf-8")[:100_000] if body else None
    headers = {"Content-Type": "text/plain; charset=utf-8"} if content else {}
    outbound = Outbound("POST", target, headers, content=content)
    exchange = await send.http_for(True).request("ping", send.budget, outbound)
    reply = exchange.reply
    if reply is not None and 200 <= reply.status < 300:
        return []
    what = kind or "success"
    return [f"warning: the --ping-url {what} ping failed: {exchange.observed}"]


def ping_secrets(url: str) -> list[str]:
    """The parts of a ping URL that let anyone ping the check (a UUID, a ping key): masked
    wherever the URL is shown."""
    from urllib.parse import urlsplit

    return [part for part in urlsplit(url).path.split("/") if len(part) >= 16]
