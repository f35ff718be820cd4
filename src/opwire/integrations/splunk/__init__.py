"""Splunk HTTP Event Collector: health, one event with verify=true and the run id, confirmed by
indexer acknowledgment or by search.

Pages followed: help.splunk.com "HTTP Event Collector REST API endpoints", "Format events for
HTTP Event Collector", "About HTTP Event Collector Indexer Acknowledgment", "Export data using
the Splunk REST API", "Troubleshoot HTTP Event Collector" (codes); vendor-contracts.md § 6.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from opwire.config import ConfigError, Lookup, Secret, check_url, flag
from opwire.room import READ_BACK, Problem, Room, Var, loopback_url

SLUG = "splunk"
TITLE = "Splunk HEC"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
COLLECTOR = "/services/collector"
MOCK_TOKEN = "0b7a6c1e-0000-4000-8000-0000000051c0"


def _hec_url_check(value: str) -> Problem | None:
    """The HEC URL of the seed: https://<host>:8088/services/collector (opwire itself needs only
    scheme, host and port; the application's logging library appends to the path)."""
    try:
        parts = urlsplit(check_url("SPLUNK_HEC_URL", value))
    except ConfigError as exc:
        return Problem(
            str(exc).removeprefix("SPLUNK_HEC_URL "),
            "like https://splunk.example.com:8088/services/collector",
        )
    base = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    path = parts.path.rstrip("/")
    if path.count(COLLECTOR) > 1:
        return Problem("has /services/collector twice", f"set SPLUNK_HEC_URL={base}{COLLECTOR}")
    if parts.scheme == "http" and not loopback_url(value):
        return Problem("is plain http", "the token travels unencrypted: use https", warning=True)
    if not path.startswith(COLLECTOR):
        return Problem(
            "has no /services/collector path",
            f"the seed's form is SPLUNK_HEC_URL={base}{COLLECTOR}",
            warning=True,
        )
    if parts.port is None:
        return Problem("has no port", "HEC listens on 8088 unless your admin moved it", True)
    return None


def _insecure_check(value: str) -> Problem | None:
    if value not in ("0", "1"):
        return Problem(
            f"must be 0 or 1, got {value!r}", "set SPLUNK_HEC_INSECURE=0 (or 1, dev only)"
        )
    if value == "1":
        return Problem(
            "is 1: the HEC host's TLS certificate is not checked",
            "dev only: install the certificate and set it to 0 before production",
            warning=True,
        )
    return None


MOCK_SEARCH_TOKEN = "opwire-mock-search-token"

ROOM = Room(
    slug=SLUG,
    title=TITLE,
    port=4106,
    variables=(
        Var(
            "SPLUNK_HEC_URL",
            "the HEC URL, often https://<host>:8088/services/collector",
            "https://splunk.example.com:8088/services/collector",
            checks=(_hec_url_check,),
        ),
        Var(
            "SPLUNK_HEC_TOKEN",
            "a HEC token, a GUID (Settings → Data Inputs → HTTP Event Collector)",
            "11111111-2222-3333-4444-555555555555",
            secret=True,
            pattern=GUID.pattern[1:-1],
        ),
        Var(
            "SPLUNK_HEC_INSECURE",
            "0 or 1: 1 skips TLS verification of the HEC host, in dev only",
            "0",
            checks=(_insecure_check,),
            default="0",
        ),
        Var(
            "SPLUNK_SEARCH_URL",
            "the management API base, e.g. https://<host>:8089",
            "https://splunk.example.com:8089",
            needed_for=frozenset({READ_BACK}),
            url=True,
        ),
        Var(
            "SPLUNK_SEARCH_TOKEN",
            "a Splunk auth token allowed to search the HEC index",
            "eyJraWQiOiJzcGx1bmsuc2VjcmV0IiwiYWxnIjoiSFM1MTIifQ.placeholder",
            secret=True,
            needed_for=frozenset({READ_BACK}),
        ),
    ),
    probe="opwire.integrations.splunk.probe:probe",
    rules="opwire.integrations.splunk.failures:RULES",
    drills="opwire.integrations.splunk.failures:DRILLS",
    mock="opwire.integrations.splunk.mock:create_app",
    auth="opwire.integrations.splunk.probe:whoami",
    no_cleanup="the event is tagged verify=true, as the seed asks",
)


@dataclass(frozen=True, slots=True)
class Settings:
    hec_url: str
    token: Secret
    insecure: bool
    search_url: str | None
    search_token: Secret | None

    def secrets(self) -> list[Secret]:
        return [self.token, *([self.search_token] if self.search_token else [])]

    def missing_search_vars(self) -> list[str]:
        pairs = (("SPLUNK_SEARCH_URL", self.search_url), ("SPLUNK_SEARCH_TOKEN", self.search_token))
        return [name for name, value in pairs if value is None]


def _base(raw: str, name: str) -> str:
    """scheme://host:port of a HEC or management URL (/services/collector may follow)."""
    try:
        parts = urlsplit(check_url(name, raw))
    except ConfigError as exc:
        raise ConfigError(f"{exc} (like https://splunk.example.com:8088)") from None
    return f"{parts.scheme}://{parts.netloc}"


def load_settings(lookup: Lookup, real: bool, mock_base: str) -> Settings:
    if not real:
        return Settings(mock_base, Secret(MOCK_TOKEN), False, mock_base, Secret(MOCK_SEARCH_TOKEN))
    url, token = lookup.get("SPLUNK_HEC_URL"), ROOM.var("SPLUNK_HEC_TOKEN").secret_of(lookup)
    missing = [n for n, v in (("SPLUNK_HEC_URL", url), ("SPLUNK_HEC_TOKEN", token)) if v is None]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} not set (real_splunk needs the HEC URL and token)"
        )
    assert url is not None and token is not None
    if not GUID.fullmatch(token.reveal()):
        raise ConfigError("SPLUNK_HEC_TOKEN is not a HEC token (a GUID; the value is not shown)")
    insecure = flag(lookup, "SPLUNK_HEC_INSECURE", False)
    search = lookup.get("SPLUNK_SEARCH_URL")
    return Settings(
        _base(url, "SPLUNK_HEC_URL"),
        token,
        insecure,
        _base(search, "SPLUNK_SEARCH_URL") if search else None,
        ROOM.var("SPLUNK_SEARCH_TOKEN").secret_of(lookup),
    )


def at_mock(real: Settings, mock: Settings) -> Settings:
    """The operator's HEC and search tokens against the mock (a rotation in mock mode)."""
    return replace(mock, token=real.token, search_token=real.search_token)
