"""Datadog: validate the API key, submit a tagged metric and event, read both back.

Pages followed: docs.datadoghq.com/api/latest/{authentication,metrics,events}/,
docs.datadoghq.com/getting_started/site/ (sites), shared/specs/datadog (v1, v2, cassettes);
vendor-contracts.md § 1.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from opwire.config import ConfigError, Lookup, Secret, sweep_enabled, url_map
from opwire.room import READ_BACK, ROUTING, Problem, Room, Var, quoted_if_short

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


def _upper_key(value: str) -> Problem | None:
    if re.fullmatch(r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{40}", value) and value != value.lower():
        return Problem(
            "has upper-case letters (Datadog keys are lower-case hex)",
            "copy the key again from Org Settings, or lower-case it",
        )
    return None


def _site_check(value: str) -> Problem | None:
    """The common DD_SITE slips, each with the site to set (getting_started/site)."""
    site = value.strip().lower()
    if "/" in site or site.startswith(("app.", "api.")):
        host = (urlsplit(site if "://" in site else "https://" + site).hostname or "").rstrip(".")
        site = host.removeprefix("app.").removeprefix("api.")
        what = "is a URL, not a site" if "/" in value else "is a host, not the site"
        return Problem(what, f"set DD_SITE={site}" if site in SITES else _valid_sites())
    if site not in SITES:
        near = difflib.get_close_matches(site, SITES, n=1, cutoff=0.75)
        return Problem(
            f"is not a Datadog site{quoted_if_short(value)}",
            f"did you mean DD_SITE={near[0]}?" if near else _valid_sites(),
        )
    if value != site:
        return Problem("has upper case or spaces", f"set DD_SITE={site}", warning=True)
    return None


def _valid_sites() -> str:
    return "set the site of your dashboard's URL: " + ", ".join(SITES)


# Key shapes (vendor-contracts.md § 1; UNCONFIRMED beyond the documented lengths: Datadog
# shows API keys as 32 and application keys as 40 lower-case hex characters, and that it refuses
# an upper-cased key is the likely behaviour, not a documented one).
API_KEY = Var(
    "DD_API_KEY",
    "32 hexadecimal characters, lower case (Org Settings → API Keys)",
    "0123456789abcdef0123456789abcdef",
    secret=True,
    pattern=r"[0-9a-f]{32}",
    checks=(_upper_key,),
)
APP_KEY = Var(
    "DD_APP_KEY",
    "40 hexadecimal characters, lower case (Org Settings → Application Keys)",
    "0123456789abcdef0123456789abcdef01234567",
    secret=True,
    needed_for=frozenset({READ_BACK}),
    pattern=r"[0-9a-f]{40}",
    checks=(_upper_key,),
)
ROOM = Room(
    slug=SLUG,
    title=TITLE,
    port=4101,
    variables=(
        API_KEY,
        APP_KEY,
        Var(
            "DD_SITE",
            "the Datadog site of your dashboard's URL (datadoghq.com, datadoghq.eu, "
            "us5.datadoghq.com, ...)",
            "datadoghq.com",
            checks=(_site_check,),
            shape="|".join(re.escape(site) for site in SITES),
            if_missing="is not set: datadoghq.com (US1) is assumed, and a wrong site is a silent "
            "403; check the URL of your dashboard",
            default="datadoghq.com",
        ),
        Var(
            "OPERATOR_WIRING_DATADOG_API_URL",
            "an http(s) URL: the API base through a proxy (default https://api.<DD_SITE>)",
            "https://datadog-proxy.internal",
            needed_for=frozenset({ROUTING}),
            url=True,
        ),
        Var(
            "OPERATOR_WIRING_DATADOG_SITE_URLS",
            "site=url pairs the region sweep asks instead of the public sites",
            "datadoghq.eu=https://api.datadoghq.eu",
            needed_for=frozenset({ROUTING}),
        ),
    ),
    probe="opwire.integrations.datadog.probe:probe",
    rules="opwire.integrations.datadog.failures:RULES",
    drills="opwire.integrations.datadog.failures:DRILLS",
    mock="opwire.integrations.datadog.mock:create_app",
    auth="opwire.integrations.datadog.probe:whoami",
    no_cleanup="the metric and event are tagged verify:true, as the seed asks",
)


def _swapped(lookup: Lookup) -> None:
    """An application key pasted as the API key, or the reverse, named as such."""
    for var, other in ((API_KEY, APP_KEY), (APP_KEY, API_KEY)):
        value = lookup.get(var.name) or ""
        if var.problem(value) and re.fullmatch(other.pattern or "", value) and value:
            raise ConfigError(
                f"{var.name} has the shape of {other.name} (the value is not shown): are the "
                "two swapped?"
            )


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
    _swapped(lookup)
    key = Secret(API_KEY.require(lookup, "real_datadog needs an API key"))
    app_key = APP_KEY.secret_of(lookup)
    site = (lookup.get("DD_SITE") or "datadoghq.com").lower()
    if "://" in site or site.startswith(("app.", "api.")):
        raise ConfigError(
            f"DD_SITE is the site, not a URL or host: for {site!r} use the part "
            "after app., such as datadoghq.eu or us5.datadoghq.com"
        )
    if site not in SITES:
        raise ConfigError(f"DD_SITE {site!r} is not a Datadog site; valid: {', '.join(SITES)}")
    override = ROOM.var("OPERATOR_WIRING_DATADOG_API_URL").read(lookup)
    api = override or f"https://api.{site}"
    # An explicit list replaces the public sites; an API override (a proxy) means the sweep
    # never goes around it to the public hosts.
    every_site = sites or ({} if override else {s: f"https://api.{s}" for s in SITES})
    return Settings(key, app_key, site, api.rstrip("/"), every_site, sweep_enabled(lookup))


def at_mock(real: Settings, mock: Settings) -> Settings:
    """The operator's keys against the mock (a rotation rehearsed in mock mode)."""
    return replace(mock, api_key=real.api_key, app_key=real.app_key)
