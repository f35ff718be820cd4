"""Sentry: envelope ingestion at the DSN's host and the web API read-back (mock built; probe to
come). Pages followed: develop.sentry.dev/sdk/{overview,envelopes,rate-limiting}/, Relay's
request_meta.rs and endpoints/common.rs, shared/specs/sentry; vendor-contracts.md § 2.
"""

from __future__ import annotations

from typing import Any

SLUG = "sentry"
TITLE = "Sentry"


def create_app() -> Any:
    from opwire.integrations.sentry.mock import create_app as create

    return create()
