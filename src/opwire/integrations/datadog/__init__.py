"""Datadog: API key validation, metric and event intake, and their read-back (mock built; probe
to come). Pages followed: docs.datadoghq.com/api/latest/{authentication,metrics,events}/ and
shared/specs/datadog (v1, v2 OpenAPI, recorded cassettes); vendor-contracts.md § 1.
"""

from __future__ import annotations

from typing import Any

SLUG = "datadog"
TITLE = "Datadog"


def create_app() -> Any:
    from opwire.integrations.datadog.mock import create_app as create

    return create()
