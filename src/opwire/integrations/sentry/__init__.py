"""Sentry: an error event as an envelope to the DSN's ingest host, read back through the web API
of the DSN's region, its issue resolved.

Pages followed: develop.sentry.dev/sdk/{overview,envelopes}/ (DSN, endpoint, X-Sentry-Auth),
docs.sentry.io/api/ (events, eventids, issues), shared/specs/sentry/openapi-derefed.json
(servers us.sentry.io, de.sentry.io); vendor-contracts.md § 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from opwire.config import ConfigError, Lookup, Secret, sweep_enabled, url_map
from opwire.room import READ_BACK, ROUTING, Problem, Room, Var, expect, loopback_url

SLUG = "sentry"
TITLE = "Sentry"
PUBLIC_KEY = re.compile(r"^[0-9a-f]{32}$")
# Mock mode placeholders (the Sentry mock's default org is opwire-mock).
MOCK_KEY = "0123456789abcdef0123456789abcdef"
MOCK_TOKEN = "sntrys_opwireMockPlaceholder"
MOCK_ORG, MOCK_PROJECT = "opwire-mock", "42"
# Auth token shapes (UNCONFIRMED lengths): organization tokens `sntrys_…`, user tokens
# `sntryu_` + 64 hex, older user tokens 64 hex (docs.sentry.io/account/auth-tokens/).
AUTH_TOKEN = r"sntrys_[A-Za-z0-9+/=_-]{20,}|sntryu_[0-9a-f]{64}|[0-9a-f]{64}"
DSN_SHAPE = r"https?://[0-9a-f]{32}(:[0-9a-f]{32})?@[^/\s]+/(.+/)?[0-9]+/?"


def dsn_region(host: str) -> str:
    """The data region a DSN's host names (docs.sentry.io/organization/data-storage-location/)."""
    if host.endswith(".ingest.de.sentry.io"):
        return "de"
    if host.endswith((".ingest.us.sentry.io", ".ingest.sentry.io")):
        return "us"
    return "self-hosted"


def _dsn_check(value: str) -> Problem | None:
    """A DSN is <scheme>://<public key>[:<secret key>]@<host>/<project id>
    (develop.sentry.dev/sdk/overview/#parsing-the-dsn)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        return Problem("is not a URL", "copy the DSN from Project → Settings → Client Keys")
    project = parts.path.rstrip("/").rpartition("/")[2]
    wrong = [
        (parts.scheme not in ("http", "https"), "does not start with https://"),
        (not parts.hostname, "has no host"),
        (not parts.username, "has no public key before the @"),
        (not PUBLIC_KEY.match(parts.username or ""), "has a public key that is not 32 hex"),
        (not project.isdigit(), "does not end with the numeric project id"),
    ]
    what = next((why for bad, why in wrong if bad), None)
    if what is not None:
        return Problem(
            f"{what} (the value is not shown)",
            "a DSN is https://<32-hex key>@o<org>.ingest.<us|de>.sentry.io/<project id>: copy "
            "it from Project → Settings → Client Keys",
        )
    if parts.password:
        return Problem(
            "has a secret key part (the legacy DSN form)",
            "copy the current DSN, without the secret, from Client Keys",
            warning=True,
        )
    if parts.scheme == "http" and not loopback_url(value):
        return Problem("is plain http", "events travel unencrypted: use https", warning=True)
    return None


def _dsn_about(value: str) -> str | None:
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        return None
    return f"region {dsn_region(host)}" if host else None


def _token_check(value: str) -> Problem | None:
    if value.startswith(("http://", "https://")):
        return Problem(
            "is a URL (a DSN?), not an auth token", "create one in Settings → Auth Tokens"
        )
    if PUBLIC_KEY.match(value):
        return Problem(
            "has the shape of the DSN's public key, not an auth token",
            "create an auth token in Settings → Auth Tokens",
        )
    return None


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
            checks=(_dsn_check,),
            shape=DSN_SHAPE,
            describe=_dsn_about,
        ),
        Var(
            "SENTRY_AUTH_TOKEN",
            "an auth token with event:read and event:write (Settings → Auth Tokens)",
            "sntrys_placeholder_of_the_right_kind",
            secret=True,
            needed_for=frozenset({READ_BACK}),
            checks=(_token_check, expect(AUTH_TOKEN, "a Sentry auth token (sntrys_…, sntryu_…)")),
            shape=AUTH_TOKEN,
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
            if_missing="is not set: the DSN's project id is used",
            default="the DSN's project id",
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


def at_mock(real: Settings, mock: Settings) -> Settings:
    """The operator's DSN key and auth token against the mock (a rotation in mock mode)."""
    return replace(mock, key=real.key, auth_token=real.auth_token)
