"""Sentry: an error event as an envelope to the DSN's ingest host, read back through the web API
of the DSN's region, its issue resolved.

Pages followed: develop.sentry.dev/sdk/{overview,envelopes}/ (DSN, endpoint, X-Sentry-Auth),
docs.sentry.io/api/ (events, eventids, issues), shared/specs/sentry/openapi-derefed.json
(servers us.sentry.io, de.sentry.io); vendor-contracts.md § 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from opwire.config import ConfigError, Lookup, Secret, sweep_enabled, url_map
from opwire.room import READ_BACK, ROUTING, Room, Var

SLUG = "sentry"
TITLE = "Sentry"
PUBLIC_KEY = re.compile(r"^[0-9a-f]{32}$")
# Mock mode placeholders (the Sentry mock's default org is opwire-mock).
MOCK_KEY = "0123456789abcdef0123456789abcdef"
MOCK_TOKEN = "sntrys_opwireMockPlaceholder"
MOCK_ORG, MOCK_PROJECT = "opwire-mock", "42"

ROOM = Room(
    slug=SLUG,
    title=TITLE,
    port=4102,
    variables=(
        Var(
            "SENTRY_DSN",
            "the project's DSN, https://<32-hex key>@o<org>.ingest.<us|de>.sentry.io/<project id> "
            "(Project → Settings → Client Keys)",
            "https://0123456789abcdef0123456789abcdef@o1.ingest.us.sentry.io/42",
            secret=True,
        ),
        Var(
            "SENTRY_AUTH_TOKEN",
            "an auth token with event:read and event:write (Settings → Auth Tokens)",
            "sntrys_placeholder_of_the_right_kind",
            secret=True,
            needed_for=frozenset({READ_BACK}),
        ),
        Var(
            "SENTRY_ORG",
            "the organization slug, as in the URL of your Sentry",
            "acme",
            needed_for=frozenset({READ_BACK}),
        ),
        Var(
            "SENTRY_PROJECT",
            "the project slug (default: the DSN's project id)",
            "backend",
            needed_for=frozenset({READ_BACK}),
        ),
        Var(
            "OPERATOR_WIRING_SENTRY_API_URL",
            "an http(s) URL: the web API for the read-back (default: the DSN's region)",
            "https://sentry-proxy.internal",
            needed_for=frozenset({ROUTING}),
            url=True,
        ),
        Var(
            "OPERATOR_WIRING_SENTRY_REGION_URLS",
            "region=url pairs the region sweep asks instead of us.sentry.io and de.sentry.io",
            "de=https://de.sentry.io",
            needed_for=frozenset({ROUTING}),
        ),
    ),
    probe="opwire.integrations.sentry.probe:probe",
    rules="opwire.integrations.sentry.failures:RULES",
    drills="opwire.integrations.sentry.failures:DRILLS",
    mock="opwire.integrations.sentry.mock:create_app",
    auth="opwire.integrations.sentry.probe:whoami",
    cleanup="opwire.integrations.sentry.probe:cleanup",
)


@dataclass(frozen=True, slots=True)
class Settings:
    key: Secret
    ingest_url: str
    api_url: str
    org: str | None
    project: str
    auth_token: Secret | None
    ingest_host: str = ""
    region_apis: dict[str, str] = field(default_factory=dict)  # where the region sweep looks
    sweep: bool = True

    def secrets(self) -> list[Secret]:
        return [self.key, *([self.auth_token] if self.auth_token else [])]

    def missing_read_vars(self) -> list[str]:
        pairs = (("SENTRY_AUTH_TOKEN", self.auth_token), ("SENTRY_ORG", self.org))
        return [name for name, value in pairs if value is None]


REGION_APIS = {"us": "https://us.sentry.io", "de": "https://de.sentry.io"}


def region_api(host: str, scheme: str) -> str:
    """The web API for a DSN host: o1.ingest.de.sentry.io -> https://de.sentry.io."""
    if host.endswith(".ingest.de.sentry.io"):
        return "https://de.sentry.io"
    if host.endswith(".ingest.us.sentry.io") or host.endswith(".ingest.sentry.io"):
        return "https://us.sentry.io"
    return f"{scheme}://{host}"  # self-hosted: the same host serves both


def load_settings(lookup: Lookup, real: bool, mock_base: str) -> Settings:
    regions = url_map(lookup, "OPERATOR_WIRING_SENTRY_REGION_URLS")
    if not real:
        return Settings(
            Secret(MOCK_KEY),
            f"{mock_base}/api/{MOCK_PROJECT}/envelope/",
            mock_base,
            MOCK_ORG,
            MOCK_PROJECT,
            Secret(MOCK_TOKEN),
            "mock",
            regions,
            sweep_enabled(lookup),
        )
    dsn = Secret(ROOM.var("SENTRY_DSN").require(lookup, "real_sentry needs the project's DSN"))
    parts = urlsplit(dsn.reveal())
    prefix, _, project_id = parts.path.rpartition("/")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not PUBLIC_KEY.match(parts.username or "")
        or not project_id.isdigit()
    ):
        raise ConfigError(
            "SENTRY_DSN is not a DSN (expected https://<32-hex key>@o<org>.ingest."
            "<us|de>.sentry.io/<project id>; the value is not shown)"
        )
    host = parts.netloc.rpartition("@")[2]
    override = ROOM.var("OPERATOR_WIRING_SENTRY_API_URL").read(lookup)
    api = override or region_api(host, parts.scheme)
    return Settings(
        Secret(parts.username or ""),
        f"{parts.scheme}://{host}{prefix}/api/{project_id}/envelope/",
        api.rstrip("/"),
        ROOM.var("SENTRY_ORG").read(lookup),
        ROOM.var("SENTRY_PROJECT").read(lookup) or project_id,
        ROOM.var("SENTRY_AUTH_TOKEN").secret_of(lookup),
        host,
        # An explicit list replaces the public regions; an override means none are asked.
        regions or ({} if override else REGION_APIS),
        sweep_enabled(lookup),
    )
