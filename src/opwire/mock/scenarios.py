"""Named failure scenarios: generic ones every mock has, plus each vendor's own.

`GET /_opwire/scenarios` lists them; `POST /_opwire/scenarios {"name": "slack/revoked"}` switches
one on (after `POST /_opwire/reset` for a clean start). A scenario is fault rules, or a change of
the vendor's mock state, and says which seed § 4 row it rehearses, if any.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opwire.mock.faults import parse_rule


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    apply: Callable[[Any], None]  # takes the MockState
    seed_row: str = ""


def faults(*rules: dict[str, Any]) -> Callable[[Any], None]:
    def apply(state: Any) -> None:
        state.faults.extend(parse_rule(rule) for rule in rules)

    return apply


@dataclass(frozen=True, slots=True)
class Throttle:
    """A vendor's 429 for the paths matching `path` (a fault-rule glob): a vendor with two APIs
    (PagerDuty's Events and REST, Slack's webhooks and Web API) throttles each in its own shape."""

    path: str
    body: str
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def generic(
    slug: str,
    throttled: tuple[str, str],
    limit_headers: dict[str, str] | None = None,
    throttles: tuple[Throttle, ...] = (),
    retry_after: bool = True,
) -> list[Scenario]:
    """Faults every vendor can show. `throttled` is the vendor's 429 (body, content type) and
    `limit_headers` its own rate-limit headers (sent beside Retry-After; `{wait}` in a value is
    the scenario's wait in seconds); `throttles` are the 429s of particular paths, tried first.
    `retry_after=False` for a vendor whose 429 carries no Retry-After (its own headers say when)."""
    body, kind = throttled
    shapes = (*throttles, Throttle("*", body, kind, tuple((limit_headers or {}).items())))
    everything = {"method": "*", "path": "*"}
    return [
        Scenario(
            f"{slug}/cold_throttle",
            "the first 3 requests are rate limited (429, wait 1 s): throttled, not broken",
            faults(*_throttle_rules(shapes, "1", retry_after, times=3)),
            "First burst of events rate-limited",
        ),
        Scenario(
            f"{slug}/hang",
            "every request is accepted and never answered",
            faults({**everything, "hang": True}),
        ),
        Scenario(
            f"{slug}/server_error",
            "every request answers 500 (a 5xx storm)",
            faults({**everything, "status": 500, "body": "internal error"}),
        ),
        Scenario(
            f"{slug}/retry_after_storm",
            "every request answers 429, wait 3600 s",
            faults(*_throttle_rules(shapes, "3600", retry_after)),
        ),
        Scenario(
            f"{slug}/slow_drip",
            "answers arrive a byte every 300 ms",
            faults({**everything, "status": 200, "body": "x" * 100, "drip_ms": 300}),
        ),
        Scenario(
            f"{slug}/reset",
            "the connection is closed in the middle of every answer",
            faults({**everything, "status": 200, "body": '{"partial": ', "truncate": True}),
        ),
        Scenario(
            f"{slug}/huge_body",
            "every answer is a 16 MiB body",
            faults({**everything, "status": 200, "body": "x" * 1024, "body_repeat": 16 * 1024}),
        ),
        Scenario(
            f"{slug}/redirect",
            "every request is redirected to another host",
            faults(
                {
                    **everything,
                    "status": 302,
                    "body": "",
                    "headers": {"Location": "https://login.example.invalid/sso"},
                }
            ),
        ),
        Scenario(
            f"{slug}/malformed",
            "every answer is an HTML page instead of the API's",
            faults(
                {
                    **everything,
                    "status": 200,
                    "content_type": "text/html",
                    "body": "<html><body>Please sign in</body></html>",
                }
            ),
        ),
    ]


_SHARES = itertools.count(1)


def _throttle_rules(
    shapes: tuple[Throttle, ...], wait: str, retry_after: bool, times: int | None = None
) -> list[dict[str, Any]]:
    """One 429 fault rule per throttle shape, the particular paths first. With `times`, the
    first `times` requests of all paths together are throttled."""
    rules = []
    share = f"throttle-{next(_SHARES)}"  # a name no hand-made rule or other scenario holds
    for shape in shapes:
        rule: dict[str, Any] = {
            "method": "*",
            "path": shape.path,
            "status": 429,
            "body": shape.body,
            "content_type": shape.content_type,
            "headers": {
                **{name: value.replace("{wait}", wait) for name, value in shape.headers},
                **({"Retry-After": wait} if retry_after else {}),
            },
        }
        # The first `times` requests, whichever API they went to: the rules share one count.
        rules.append(rule if times is None else {**rule, "times": times, "share": share})
    return rules


def vendor_state(**values: Any) -> Callable[[Any], None]:
    """A scenario that sets fields of the vendor's mock state (`drop_events=True`)."""

    def apply(state: Any) -> None:
        for name, value in values.items():
            setattr(state.vendor, name, value)

    return apply


def credentials_abroad(home: str, away: str) -> Callable[[Any], None]:
    """A scenario where every credential belongs to another region than this instance's."""

    def apply(state: Any) -> None:
        state.credential_regions["*"] = away if state.region != away else home

    return apply
