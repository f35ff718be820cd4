"""PagerDuty: Events API v2 to trigger and resolve, REST API v2 to find the incident (mock built;
probe to come). Pages followed: developer.pagerduty.com docs/events-API-v2/*, REST-API/*, and
shared/specs/pagerduty (events-v2, REST); vendor-contracts.md § 3.
"""

from __future__ import annotations

from typing import Any

SLUG = "pagerduty"
TITLE = "PagerDuty"


def create_app() -> Any:
    from opwire.integrations.pagerduty.mock import create_app as create

    return create()
