"""Datadog: validate the API key, submit a tagged metric and event, read both back.

Pages followed: docs.datadoghq.com/api/latest/{authentication,metrics,events}/,
docs.datadoghq.com/getting_started/site/ (sites), shared/specs/datadog (v1, v2, cassettes);
vendor-contracts.md § 1.
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

SLUG = "datadog"
TITLE = "Datadog"
# The site enum of the v1 spec's servers (vendor-contracts.md § 1.1).
SITES = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "datadoghq.eu",
    "ddog-gov.com",
    "us2.ddog-gov.com",
)
MOCK_API_KEY, MOCK_APP_KEY = "0" * 26 + "c0ffee", "0" * 34 + "c0ffee"  # hex, as Datadog keys are


@dataclass(frozen=True, slots=True)
class Settings:
    api_key: Secret
    app_key: Secret | None
    site: str
    api_url: str
    site_urls: dict[str, str] = field(default_factory=dict)  # where the region sweep looks
    sweep: bool = True

    def secrets(self) -> list[Secret]:
        return [self.api_key, *([self.app_key] if self.app_key else [])]


def load_settings(lookup: Lookup, real: bool, mock_base: str) -> Settings:
    sites = url_map(lookup, "OPERATOR_WIRING_DATADOG_SITE_URLS")
    if not real:
        return Settings(
            Secret(MOCK_API_KEY),
            Secret(MOCK_APP_KEY),
            "mock",
            mock_base,
            sites,
            sweep_enabled(lookup),
        )
    key = lookup.secret("DD_API_KEY")
    if key is None:
        raise ConfigError("DD_API_KEY is not set (real_datadog needs an API key)")
    app_key = lookup.secret("DD_APP_KEY")
    _check_keys(key, app_key)
    site = (lookup.get("DD_SITE") or "datadoghq.com").lower()
    if "://" in site or site.startswith(("app.", "api.")):
        raise ConfigError(
            f"DD_SITE is the site, not a URL or host: for {site!r} use the part "
            "after app., such as datadoghq.eu or us5.datadoghq.com"
        )
    if site not in SITES:
        raise ConfigError(f"DD_SITE {site!r} is not a Datadog site; valid: {', '.join(SITES)}")
    override = lookup.url("OPERATOR_WIRING_DATADOG_API_URL")
    api = override or f"https://api.{site}"
    # An explicit list replaces the public sites; an API override (a proxy) means the sweep
    # never goes around it to the public hosts.
    every_site = sites or ({} if override else {s: f"https://api.{s}" for s in SITES})
    return Settings(key, app_key, site, api.rstrip("/"), every_site, sweep_enabled(lookup))


# Key shapes (vendor-contracts.md § 1; UNCONFIRMED beyond the documented lengths: Datadog
# shows API keys as 32 and application keys as 40 lower-case hex characters, and that it refuses
# an upper-cased key is the likely behaviour, not a documented one).
KEY_SHAPES = {"DD_API_KEY": 32, "DD_APP_KEY": 40}
HEX = re.compile(r"^[0-9a-fA-F]+$")


def _check_keys(api_key: Secret, app_key: Secret | None) -> None:
    for name, secret in (("DD_API_KEY", api_key), ("DD_APP_KEY", app_key)):
        if secret is None:
            continue
        value, length = secret.reveal(), KEY_SHAPES[name]
        if HEX.match(value) and len(value) == length and value == value.lower():
            continue
        if HEX.match(value) and len(value) == length:
            # Datadog shows and checks its keys in lower case (its mock does the same).
            raise ConfigError(
                f"{name} has upper-case letters; Datadog keys are lower-case hexadecimal: copy "
                "it again as Datadog shows it (the value is not shown)"
            )
        other = next((n for n, size in KEY_SHAPES.items() if n != name and size == len(value)), "")
        swapped = f"; it has the shape of {other}: are the two swapped?" if other else ""
        raise ConfigError(
            f"{name} must be {length} hexadecimal characters (Org Settings → "
            f"{'API Keys' if name == 'DD_API_KEY' else 'Application Keys'}; the value is not "
            f"shown){swapped if HEX.match(value) else ''}"
        )


async def run_probe(ctx: ProbeContext, settings: Settings) -> None:
    from opwire.integrations.datadog.probe import probe

    await probe(ctx, settings)


async def run_cleanup(ctx: ProbeContext, settings: Settings, artifact: dict[str, Any]) -> bool:
    return True  # nothing to clean up: artifacts are tagged verify:true, as the seed asks


def rules() -> Sequence[Rule]:
    from opwire.integrations.datadog.failures import RULES

    return RULES


def create_app() -> Any:
    from opwire.integrations.datadog.mock import create_app as create

    return create()
