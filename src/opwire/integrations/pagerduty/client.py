"""PagerDuty requests, as values: Events API v2 events in, REST API v2 incidents out.

Pages followed: developer.pagerduty.com docs/events-API-v2/02-Trigger-Events (body, 202
`{"status":"success","dedup_key":…}`), REST-API/02-Authentication (`Token token=`), the REST
spec's GET /incidents (`incident_key`, `since`, `until`, `statuses[]`) and GET /abilities.
Builders take what they send as arguments; the verify ladder (probe.py) and the application-side
sender each bring their own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opwire.http import Outbound, Reply

if TYPE_CHECKING:
    from opwire.integrations.pagerduty import Settings

# The window an incident is looked for in: a day back, and an hour ahead, so a clock running
# behind PagerDuty's still finds the incident just opened.
LOOK_BACK = timedelta(hours=24)
LOOK_AHEAD = timedelta(hours=1)


def enqueue(
    settings: Settings,
    action: str,
    dedup_key: str,
    *,
    summary: str | None = None,
    severity: str = "info",
    details: Mapping[str, str] | None = None,
    source: str = "opwire",
    client: str | None = None,
) -> Outbound:
    """One event: `trigger` carries a payload (`summary` is required then); `acknowledge` and
    `resolve` carry only the key of the alert they act on."""
    body: dict[str, Any] = {
        "routing_key": settings.routing_key.reveal(),
        "event_action": action,
        "dedup_key": dedup_key,
    }
    if client is not None:
        body["client"] = client
    if summary is not None:
        payload: dict[str, Any] = {"summary": summary, "source": source, "severity": severity}
        if details is not None:
            payload["custom_details"] = dict(details)
        body["payload"] = payload
    return Outbound("POST", f"{settings.events_url}/v2/enqueue", json=body)


def _rest(settings: Settings) -> dict[str, str]:
    """The REST API's headers: PAGERDUTY_API_TOKEN and the version 2 media type."""
    assert settings.api_token is not None
    return {
        "Authorization": f"Token token={settings.api_token.reveal()}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }


def abilities(settings: Settings) -> Outbound:
    """The account's abilities: the REST API's cheapest authenticated read."""
    return Outbound("GET", f"{settings.api_url}/abilities", _rest(settings))


def find_incidents(settings: Settings, dedup_key: str, now: datetime) -> Outbound:
    """The incidents opened under `dedup_key` (the REST API's `incident_key`) around `now`."""
    return Outbound(
        "GET",
        f"{settings.api_url}/incidents",
        headers=_rest(settings),
        params={
            "incident_key": dedup_key,
            "since": (now - LOOK_BACK).isoformat(timespec="seconds"),
            "until": (now + LOOK_AHEAD).isoformat(timespec="seconds"),
        },
    )


def accepted(reply: Reply, dedup_key: str) -> bool:
    """The Events API took the event for `dedup_key` (202 success, the same key echoed)."""
    body = reply.json()
    return (
        reply.status == 202
        and isinstance(body, dict)
        and body.get("status") == "success"
        and body.get("dedup_key", dedup_key) == dedup_key
    )


def has_abilities(reply: Reply) -> bool:
    """200 with the `abilities` list the REST spec requires (empty on a bare account)."""
    return reply.status == 200 and isinstance((reply.json() or {}).get("abilities"), list)


def rest_ok(reply: Reply) -> bool:
    return reply.status == 200 and isinstance(reply.json(), dict)


def incidents(reply: Reply) -> list[dict[str, Any]]:
    found = (reply.json() or {}).get("incidents") or []
    return [i for i in found if isinstance(i, dict)]


def all_resolved(reply: Reply) -> bool:
    return all(i.get("status") == "resolved" for i in incidents(reply))
