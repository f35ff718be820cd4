"""Splunk HTTP Event Collector: send an event, confirm by indexer ack or search (mock built; probe
to come). Pages followed: help.splunk.com "HTTP Event Collector REST API endpoints", "Format
events for HEC", "Troubleshoot HEC" codes (shared/specs/splunk CSV); vendor-contracts.md § 6.
"""

from __future__ import annotations

from typing import Any

SLUG = "splunk"
TITLE = "Splunk HEC"


def create_app() -> Any:
    from opwire.integrations.splunk.mock import create_app as create

    return create()
