"""Datadog requests, as values: validate the key, submit a metric, post an event, read back.

Pages followed: docs.datadoghq.com/api/latest/authentication/#validate-api-key (check first:
metric intake has accepted unknown keys with 202), /metrics/#submit-metrics (v2 series),
/events/#post-an-event (v1, `id_str`), /events/#get-an-event, /metrics/#query-timeseries-points.
Builders take what they send as arguments; the verify ladder (probe.py) and the application-side
sender each bring their own words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opwire.http import Outbound, Reply

if TYPE_CHECKING:
    from opwire.integrations.datadog import Settings

# The v2 series `type` enum: 0 unspecified, 1 count, 2 rate, 3 gauge.
GAUGE = 3


def _write(settings: Settings) -> dict[str, str]:
    return {"DD-API-KEY": settings.api_key.reveal()}


def _read(settings: Settings) -> dict[str, str]:
    assert settings.app_key is not None
    return {**_write(settings), "DD-APPLICATION-KEY": settings.app_key.reveal()}


def validate(settings: Settings, api: str | None = None) -> Outbound:
    """Is the API key valid on the site at `api` (default: DD_SITE's)?"""
    return Outbound("GET", f"{api or settings.api_url}/api/v1/validate", _write(settings))


def submit_metric(
    settings: Settings,
    metric: str,
    value: float,
    timestamp: int,
    tags: Sequence[str],
    *,
    kind: int = GAUGE,
    host: str = "opwire",
) -> Outbound:
    """One point of `metric` at `timestamp` (epoch seconds)."""
    series = {
        "metric": metric,
        "type": kind,
        "points": [{"timestamp": timestamp, "value": value}],
        "tags": list(tags),
        "resources": [{"name": host, "type": "host"}],
    }
    url = f"{settings.api_url}/api/v2/series"
    return Outbound("POST", url, _write(settings), json={"series": [series]})


def post_event(
    settings: Settings, title: str, text: str, tags: Sequence[str], alert_type: str = "info"
) -> Outbound:
    body = {"title": title, "alert_type": alert_type, "tags": list(tags), "text": text}
    return Outbound("POST", f"{settings.api_url}/api/v1/events", _write(settings), json=body)


def get_event(settings: Settings, event_id: str) -> Outbound:
    """An event by its `id_str` (404 until Datadog has indexed it); needs DD_APP_KEY."""
    return Outbound("GET", f"{settings.api_url}/api/v1/events/{event_id}", _read(settings))


def query_metric(settings: Settings, query: str, start: int, end: int) -> Outbound:
    """Timeseries points of `query` between two epoch seconds; needs DD_APP_KEY."""
    params = {"from": str(start), "to": str(end), "query": query}
    return Outbound("GET", f"{settings.api_url}/api/v1/query", _read(settings), params)


def query_ok(reply: Reply) -> bool:
    """A metric query answered (`status: ok`), whether or not it found points."""
    return reply.status == 200 and (reply.json() or {}).get("status") == "ok"


def valid(reply: Reply | None) -> bool:
    return reply is not None and reply.status == 200 and (reply.json() or {}).get("valid") is True


def series_accepted(reply: Reply) -> bool:
    return reply.status == 202 and (reply.json() or {}).get("errors") == []


def event_created(reply: Reply) -> bool:
    return reply.status == 202 and bool(event_id(reply))


def event_id(reply: Reply) -> str | None:
    found = ((reply.json() or {}).get("event") or {}).get("id_str")
    return str(found) if found else None


def event_tagged(reply: Reply, tag: str) -> bool:
    return tag in ((reply.json() or {}).get("event") or {}).get("tags", [])


def has_point(reply: Reply, at_least: float = 1) -> bool:
    """A series of the answer holds a point of at least `at_least`."""
    series = (reply.json() or {}).get("series") or []
    points = [p for s in series for p in s.get("pointlist") or []]
    return any(isinstance(p, list) and len(p) == 2 and (p[1] or 0) >= at_least for p in points)
