"""Splunk HTTP Event Collector: health, one event with verify=true and the run id, confirmed by
indexer acknowledgment or by search.

Pages followed: help.splunk.com "HTTP Event Collector REST API endpoints", "Format events for
HTTP Event Collector", "About HTTP Event Collector Indexer Acknowledgment", "Export data using
the Splunk REST API", "Troubleshoot HTTP Event Collector" (codes); vendor-contracts.md § 6.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from opwire.config import ConfigError, Lookup, Secret, check_url, flag

if TYPE_CHECKING:
    from opwire.diagnosis import Rule
    from opwire.probing import ProbeContext

SLUG = "splunk"
TITLE = "Splunk HEC"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MOCK_TOKEN = "0b7a6c1e-0000-4000-8000-0000000051c0"
MOCK_SEARCH_TOKEN = "opwire-mock-search-token"


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
    url, token = lookup.get("SPLUNK_HEC_URL"), lookup.secret("SPLUNK_HEC_TOKEN")
    missing = [n for n, v in (("SPLUNK_HEC_URL", url), ("SPLUNK_HEC_TOKEN", token)) if v is None]
    if missing:
        raise ConfigError(
            f"{' and '.join(missing)} not set (real_splunk needs the HEC URL and token)"
        )
    assert url is not None and token is not None
    if not GUID.match(token.reveal()):
        raise ConfigError("SPLUNK_HEC_TOKEN is not a HEC token (a GUID; the value is not shown)")
    insecure = flag(lookup, "SPLUNK_HEC_INSECURE", False)
    search = lookup.get("SPLUNK_SEARCH_URL")
    return Settings(
        _base(url, "SPLUNK_HEC_URL"),
        token,
        insecure,
        _base(search, "SPLUNK_SEARCH_URL") if search else None,
        lookup.secret("SPLUNK_SEARCH_TOKEN"),
    )


async def run_probe(ctx: ProbeContext, settings: Settings) -> None:
    from opwire.integrations.splunk.probe import probe

    await probe(ctx, settings)


async def run_cleanup(ctx: ProbeContext, settings: Settings, artifact: dict[str, Any]) -> bool:
    return True  # nothing to clean up: the event is tagged verify=true, as the seed asks


def rules() -> Sequence[Rule]:
    from opwire.integrations.splunk.failures import RULES

    return RULES


def create_app() -> Any:
    from opwire.integrations.splunk.mock import create_app as create

    return create()
