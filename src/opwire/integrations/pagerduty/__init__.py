"""PagerDuty: Events API v2 to trigger and resolve, REST API v2 to find and confirm the incident.

Pages followed: developer.pagerduty.com docs/events-API-v2/{01-Overview,02-Trigger-Events},
REST-API/{02-Authentication,14-Errors}; shared/specs/pagerduty (events-v2, REST);
vendor-contracts.md § 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from opwire.config import ConfigError, Lookup, Secret
from opwire.room import READ_BACK, ROUTING, Room, Var, expect

SLUG = "pagerduty"
TITLE = "PagerDuty"
EVENTS_URL = "https://events.pagerduty.com"
API_URL = "https://api.pagerduty.com"
ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
# Mock mode: placeholders of the right shape, never an operator's secret.
# REST API keys are 20 characters (the example in developer.pagerduty.com's API Access Keys
# page; UNCONFIRMED beyond that): letters, digits, `_`, `-` and `+` (user keys start `u+`).
API_TOKEN = r"[A-Za-z0-9_+-]{20}"
MOCK_ROUTING_KEY = "0pwire0mock0placeholder0key00000"
MOCK_API_TOKEN = "opwire-mock-api-token"

ROOM = Room(
    slug=SLUG,
    title=TITLE,
    port=4103,
    variables=(
        Var(
            "PAGERDUTY_ROUTING_KEY",
            "the 32-character Integration Key of an Events API v2 integration, not the REST "
            "API token (Service → Integrations)",
            "0123456789abcdef0123456789abcdef",
            secret=True,
            pattern=ROUTING_KEY.pattern[1:-1],
        ),
        Var(
            "PAGERDUTY_API_TOKEN",
            "a REST API token, read-only is enough (Integrations → API Access Keys)",
            "y_NbAkKc66ryYTWUXYEu",
            secret=True,
            needed_for=frozenset({READ_BACK}),
            checks=(expect(API_TOKEN, "a REST API key (20 characters)"),),
            shape=API_TOKEN,
        ),
        Var(
            "OPERATOR_WIRING_PAGERDUTY_EVENTS_URL",
            "an http(s) URL: the Events API base (default https://events.pagerduty.com)",
            "https://events.eu.pagerduty.com",
            needed_for=frozenset({ROUTING}),
            url=True,
        ),
        Var(
            "OPERATOR_WIRING_PAGERDUTY_API_URL",
            "an http(s) URL: the REST API base (default https://api.pagerduty.com)",
            "https://api.eu.pagerduty.com",
            needed_for=frozenset({ROUTING}),
            url=True,
        ),
    ),
    probe="opwire.integrations.pagerduty.probe:probe",
    rules="opwire.integrations.pagerduty.failures:RULES",
    drills="opwire.integrations.pagerduty.failures:DRILLS",
    mock="opwire.integrations.pagerduty.mock:create_app",
    auth="opwire.integrations.pagerduty.probe:whoami",
    cleanup="opwire.integrations.pagerduty.probe:cleanup",
)


@dataclass(frozen=True, slots=True)
class Settings:
    routing_key: Secret
    api_token: Secret | None
    events_url: str
    api_url: str

    def secrets(self) -> list[Secret]:
        return [self.routing_key, *([self.api_token] if self.api_token else [])]


def load_settings(lookup: Lookup, real: bool, mock_base: str) -> Settings:
    if not real:
        return Settings(Secret(MOCK_ROUTING_KEY), Secret(MOCK_API_TOKEN), mock_base, mock_base)
    key = ROOM.var("PAGERDUTY_ROUTING_KEY").secret_of(lookup)
    if key is None:
        raise ConfigError(
            "PAGERDUTY_ROUTING_KEY is not set (real_pagerduty needs the service's "
            "Events API v2 integration key)"
        )
    if not ROUTING_KEY.match(key.reveal()):
        raise ConfigError(
            "PAGERDUTY_ROUTING_KEY must be the 32-character Integration Key of an "
            "Events API v2 integration, not the REST API token (value not shown)"
        )
    return Settings(
        key,
        ROOM.var("PAGERDUTY_API_TOKEN").secret_of(lookup),
        ROOM.var("OPERATOR_WIRING_PAGERDUTY_EVENTS_URL").read(lookup) or EVENTS_URL,
        ROOM.var("OPERATOR_WIRING_PAGERDUTY_API_URL").read(lookup) or API_URL,
    )


def at_mock(real: Settings, mock: Settings) -> Settings:
    """The operator's routing key and token against the mock (a rotation in mock mode)."""
    return replace(mock, routing_key=real.routing_key, api_token=real.api_token)
