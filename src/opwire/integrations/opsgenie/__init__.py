"""Opsgenie: alert create, asynchronous request status, get and close by alias (mock built; probe
to come). Pages followed: docs.opsgenie.com/docs/{alert-api,response,api-rate-limiting} and
shared/specs/opsgenie/swagger.json; vendor-contracts.md § 4.
"""

from __future__ import annotations

from typing import Any

SLUG = "opsgenie"
TITLE = "Opsgenie"


def create_app() -> Any:
    from opwire.integrations.opsgenie.mock import create_app as create

    return create()
