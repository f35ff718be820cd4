"""PagerDuty: Events API v2 to trigger and resolve, REST API v2 to find and confirm the incident.

Pages followed: developer.pagerduty.com docs/events-API-v2/{01-Overview,02-Trigger-Events},
REST-API/{02-Authentication,14-Errors}; shared/specs/pagerduty (events-v2, REST);
vendor-contracts.md § 3.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opwire.config import ConfigError, Lookup, Secret

if TYPE_CHECKING:
    from opwire.diagnosis import Rule
    from opwire.probing import ProbeContext

SLUG = "pagerduty"
TITLE = "PagerDuty"
EVENTS_URL = "https://events.pagerduty.com"
API_URL = "https://api.pagerduty.com"
ROUTING_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
# Mock mode: placeholders of the right shape, never an operator's secret.
MOCK_ROUTING_KEY = "0pwire0mock0placeholder0key00000"
MOCK_API_TOKEN = "opwire-mock-api-token"


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
    key = lookup.secret("PAGERDUTY_ROUTING_KEY")
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
        lookup.secret("PAGERDUTY_API_TOKEN"),
        (lookup.url("OPERATOR_WIRING_PAGERDUTY_EVENTS_URL") or EVENTS_URL).rstrip("/"),
        (lookup.url("OPERATOR_WIRING_PAGERDUTY_API_URL") or API_URL).rstrip("/"),
    )


async def run_probe(ctx: ProbeContext, settings: Settings) -> None:
    from opwire.integrations.pagerduty.probe import probe

    await probe(ctx, settings)


async def run_cleanup(ctx: ProbeContext, settings: Settings, artifact: dict[str, Any]) -> bool:
    from opwire.integrations.pagerduty.probe import cleanup

    return await cleanup(ctx, settings, artifact)


def rules() -> Sequence[Rule]:
    from opwire.integrations.pagerduty.failures import RULES

    return RULES


def create_app() -> Any:
    from opwire.integrations.pagerduty.mock import create_app as create

    return create()
