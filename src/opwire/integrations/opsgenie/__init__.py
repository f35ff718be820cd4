"""Opsgenie: create an alert with alias = run id, wait for the request to be processed, read the
alert back, close it by alias, wait for the close, confirm it is closed.

Pages followed: docs.opsgenie.com/docs/alert-api, docs.opsgenie.com/docs/response, the
opsgenie-go-sdk-v2 client (RequestNotProcessed polling), shared/specs/opsgenie/swagger.json;
vendor-contracts.md § 4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from opwire.config import ConfigError, Lookup, Secret, sweep_enabled, url_map
from opwire.room import ROUTING, Problem, Room, Var

SLUG = "opsgenie"
TITLE = "Opsgenie"
REGIONS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
GENIE_KEY = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}$"
)
# Mock mode placeholders; the team is the Opsgenie mock's documented default team.


def _region_check(value: str) -> Problem | None:
    low = value.strip().lower().rstrip("/")
    host = low.split("://")[-1]
    for region, url in REGIONS.items():
        if host == url.split("://")[1]:
            return Problem("is the API host, not the region", f"set OPSGENIE_REGION={region}")
    return None


MOCK_API_KEY = "0b7a6c1e-0000-4000-8000-0000000000aa"
MOCK_TEAM = "opwire"

ROOM = Room(
    slug=SLUG,
    title=TITLE,
    port=4104,
    variables=(
        Var(
            "OPSGENIE_API_KEY",
            "the team's API integration key, a UUID (Teams → <team> → Integrations → API)",
            "0b7a6c1e-2f3d-4a5b-8c9d-0e1f2a3b4c5d",
            secret=True,
            pattern=GENIE_KEY.pattern[1:-1],
        ),
        Var(
            "OPSGENIE_REGION",
            "us (api.opsgenie.com) or eu (api.eu.opsgenie.com)",
            "us",
            pattern=r"(?i)us|eu",
            checks=(_region_check,),
            if_missing="is not set: us (api.opsgenie.com) is assumed; an EU account's key is "
            "refused there",
            default="us",
        ),
        Var(
            "OPSGENIE_TEAM",
            "the team name, verbatim, the test alert is routed to",
            "ops",
            if_missing="is not set: the seed's runbook uses team-scoped keys, and without the team "
            "opwire cannot check that the test alert reaches the team's on-call",
        ),
        Var(
            "OPERATOR_WIRING_OPSGENIE_API_URL",
            "an http(s) URL: the API base (default from OPSGENIE_REGION)",
            "https://opsgenie-proxy.internal",
            needed_for=frozenset({ROUTING}),
            url=True,
        ),
        Var(
            "OPERATOR_WIRING_OPSGENIE_REGION_URLS",
            "region=url pairs the region sweep asks instead of the public regions",
            "eu=https://api.eu.opsgenie.com",
            needed_for=frozenset({ROUTING}),
        ),
    ),
    probe="opwire.integrations.opsgenie.probe:probe",
    rules="opwire.integrations.opsgenie.failures:RULES",
    drills="opwire.integrations.opsgenie.failures:DRILLS",
    mock="opwire.integrations.opsgenie.mock:create_app",
    auth="opwire.integrations.opsgenie.probe:whoami",
    cleanup="opwire.integrations.opsgenie.probe:cleanup",
)


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
    key = ROOM.var("OPSGENIE_API_KEY").secret_of(lookup)
    if key is None:
        raise ConfigError(
            "OPSGENIE_API_KEY is not set (real_opsgenie needs the team's API integration key)"
        )
    if not GENIE_KEY.match(key.reveal()):
        raise ConfigError("OPSGENIE_API_KEY is not an Opsgenie API key (a GUID; value not shown)")
    region = (lookup.get("OPSGENIE_REGION") or "us").lower()
    if region not in REGIONS:
        raise ConfigError(f"OPSGENIE_REGION must be us or eu, got {region!r}")
    override = ROOM.var("OPERATOR_WIRING_OPSGENIE_API_URL").read(lookup)
    api_url = override or REGIONS[region]
    # An explicit list replaces the public regions; an override means none are asked around it.
    urls = url_map(lookup, "OPERATOR_WIRING_OPSGENIE_REGION_URLS") or ({} if override else REGIONS)
    return Settings(
        key,
        api_url.rstrip("/"),
        ROOM.var("OPSGENIE_TEAM").read(lookup),
        region,
        urls,
        sweep_enabled(lookup),
    )


def at_mock(real: Settings, mock: Settings) -> Settings:
    """The operator's API key against the mock (a rotation rehearsed in mock mode)."""
    return replace(mock, api_key=real.api_key)
