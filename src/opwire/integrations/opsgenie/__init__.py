"""Opsgenie: create an alert with alias = run id, wait for the request to be processed, read the
alert back, close it by alias, wait for the close, confirm it is closed.

Pages followed: docs.opsgenie.com/docs/alert-api, docs.opsgenie.com/docs/response, the
opsgenie-go-sdk-v2 client (RequestNotProcessed polling), shared/specs/opsgenie/swagger.json;
vendor-contracts.md § 4.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opwire.config import ConfigError, Lookup, Secret, sweep_enabled, url_map

if TYPE_CHECKING:
    from opwire.diagnosis import Rule
    from opwire.probing import ProbeContext

SLUG = "opsgenie"
TITLE = "Opsgenie"
REGIONS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
GENIE_KEY = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}$"
)
# Mock mode placeholders; the team is the Opsgenie mock's documented default team.
MOCK_API_KEY = "0b7a6c1e-0000-4000-8000-0000000000aa"
MOCK_TEAM = "opwire"


@dataclass(frozen=True, slots=True)
class Settings:
    api_key: Secret
    api_url: str
    team: str | None
    region: str = "us"
    region_urls: dict[str, str] = field(default_factory=dict)  # where the region sweep looks
    sweep: bool = True

    def secrets(self) -> list[Secret]:
        return [self.api_key]


def load_settings(lookup: Lookup, real: bool, mock_base: str) -> Settings:
    if not real:
        return Settings(
            Secret(MOCK_API_KEY),
            mock_base,
            MOCK_TEAM,
            "mock",
            url_map(lookup, "OPERATOR_WIRING_OPSGENIE_REGION_URLS"),
            sweep_enabled(lookup),
        )
    key = lookup.secret("OPSGENIE_API_KEY")
    if key is None:
        raise ConfigError(
            "OPSGENIE_API_KEY is not set (real_opsgenie needs the team's API integration key)"
        )
    if not GENIE_KEY.match(key.reveal()):
        raise ConfigError("OPSGENIE_API_KEY is not an Opsgenie API key (a GUID; value not shown)")
    region = (lookup.get("OPSGENIE_REGION") or "us").lower()
    if region not in REGIONS:
        raise ConfigError(f"OPSGENIE_REGION must be us or eu, got {region!r}")
    override = lookup.url("OPERATOR_WIRING_OPSGENIE_API_URL")
    api_url = override or REGIONS[region]
    # An explicit list replaces the public regions; an override means none are asked around it.
    urls = url_map(lookup, "OPERATOR_WIRING_OPSGENIE_REGION_URLS") or ({} if override else REGIONS)
    return Settings(
        key, api_url.rstrip("/"), lookup.get("OPSGENIE_TEAM"), region, urls, sweep_enabled(lookup)
    )


async def run_probe(ctx: ProbeContext, settings: Settings) -> None:
    from opwire.integrations.opsgenie.probe import probe

    await probe(ctx, settings)


async def run_cleanup(ctx: ProbeContext, settings: Settings, artifact: dict[str, Any]) -> bool:
    from opwire.integrations.opsgenie.probe import cleanup

    return await cleanup(ctx, settings, artifact)


def rules() -> Sequence[Rule]:
    from opwire.integrations.opsgenie.failures import RULES

    return RULES


def create_app() -> Any:
    from opwire.integrations.opsgenie.mock import create_app as create

    return create()
