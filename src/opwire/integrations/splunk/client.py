"""Splunk requests, as values: HEC health, an event, indexer acknowledgment, a search export.

Pages followed: help.splunk.com "HTTP Event Collector REST API endpoints" (/health, /event,
/ack), "About HTTP Event Collector Indexer Acknowledgment" (channels, ack polling), "Export data
using the Splunk REST API" (search/jobs/export, output_mode=json). A 200 from HEC means received,
not indexed: only an ack or a search proves the event landed.
Builders take what they send as arguments; the verify ladder (probe.py) and the application-side
sender each bring their own words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from opwire.http import Outbound, Reply

if TYPE_CHECKING:
    from opwire.integrations.splunk import Settings


def _hec_headers(settings: Settings, channel: str) -> dict[str, str]:
    # The channel ties an event to its acks; HEC asks for one whenever acknowledgment is on.
    return {
        "Authorization": f"Splunk {settings.token.reveal()}",
        "X-Splunk-Request-Channel": channel,
    }


def health(settings: Settings) -> Outbound:
    return Outbound("GET", f"{settings.hec_url}/services/collector/health")


def send_event(
    settings: Settings,
    event: Mapping[str, Any] | str,
    fields: Mapping[str, str],
    *,
    channel: str,
    time: float,
    sourcetype: str,
    source: str = "opwire",
) -> Outbound:
    """One event at `time` (epoch seconds), its `fields` indexed (searchable as key=value)."""
    body = {
        "time": time,
        "sourcetype": sourcetype,
        "source": source,
        "event": event if isinstance(event, str) else dict(event),
        "fields": dict(fields),
    }
    url = f"{settings.hec_url}/services/collector/event"
    return Outbound("POST", url, _hec_headers(settings, channel), json=body)


def check_token(settings: Settings, channel: str) -> Outbound:
    """An event request with no body: HEC checks the token first, so a valid one answers
    400 code 5 ("No data") and nothing is indexed; a bad one 401 (code 2, 3) or 403 (1, 4)."""
    url = f"{settings.hec_url}/services/collector/event"
    return Outbound("POST", url, _hec_headers(settings, channel))


def ack(settings: Settings, channel: str, ack_ids: Sequence[int]) -> Outbound:
    """Whether the events of `ack_ids`, sent on `channel`, are indexed yet."""
    url = f"{settings.hec_url}/services/collector/ack"
    headers = _hec_headers(settings, channel)
    return Outbound("POST", url, headers, {"channel": channel}, json={"acks": list(ack_ids)})


def count_events(
    settings: Settings, sourcetype: str, fields: Mapping[str, str], earliest: str = "-15m"
) -> Outbound:
    """A search export that counts the events of `sourcetype` with these indexed `fields`.

    `index=*`: a search that names no index searches only the role's default indexes (`main`,
    unless the admin set others), while the HEC token may write to any index it allows; `*` is
    every index the search token may read ("Search indexes", Splunk's Search Manual)."""
    assert settings.search_url is not None and settings.search_token is not None
    terms = " ".join(f"{key}={value}" for key, value in fields.items())
    query = f"search index=* sourcetype={sourcetype} {terms} earliest={earliest} | stats count"
    return Outbound(
        "POST",
        f"{settings.search_url}/services/search/jobs/export",
        headers={
            "Authorization": f"Bearer {settings.search_token.reveal()}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        content=urlencode({"search": query, "output_mode": "json"}).encode(),
    )


def hec_code(reply: Reply, status: int, code: int) -> bool:
    """HEC's answer is `status` with its own `code` (0 success, 17 healthy, ...)."""
    return reply.status == status and (reply.json() or {}).get("code") == code


def ack_id(reply: Reply) -> int | None:
    """The ackId of an accepted event; None when the token has no indexer acknowledgment."""
    found = (reply.json() or {}).get("ackId")
    return found if isinstance(found, int) else None


def acked(reply: Reply, number: int) -> bool:
    return ((reply.json() or {}).get("acks") or {}).get(str(number)) is True


def counted(reply: Reply) -> bool:
    """The export's JSON lines hold a `stats count` of at least one."""
    for line in reply.text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        count = (row.get("result") or {}).get("count") if isinstance(row, dict) else None
        if count is not None and str(count).isascii() and str(count).isdigit() and int(count) >= 1:
            return True
    return False
