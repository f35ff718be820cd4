"""Opsgenie requests, as values: create and close alerts, read an alert and a request's status.

Pages followed: docs.opsgenie.com/docs/alert-api (Create Alert 202 `requestId`, Get Request
Status, Get Alert `identifierType=alias`, Close Alert), opsgenie-go-sdk-v2 client.go (poll while
404 `X-Opsgenie-Errortype: RequestNotProcessed`). Every write is asynchronous: a 202 proves
nothing until the request status says `isSuccess`.
Builders take what they send as arguments; the verify ladder (probe.py) and the application-side
sender each bring their own words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opwire.http import Outbound, Reply

if TYPE_CHECKING:
    from opwire.integrations.opsgenie import Settings

ALIAS = {"identifierType": "alias"}


def _headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"GenieKey {settings.api_key.reveal()}"}


def create_alert(
    settings: Settings,
    alias: str,
    message: str,
    *,
    description: str | None = None,
    tags: Sequence[str] = (),
    details: Mapping[str, str] | None = None,
    priority: str = "P3",
    source: str = "opwire",
) -> Outbound:
    """A new alert under `alias` (Opsgenie's dedup key), routed to OPSGENIE_TEAM when set."""
    body: dict[str, Any] = {"message": message, "alias": alias}
    if description is not None:
        body["description"] = description
    body |= {"tags": list(tags), "details": dict(details or {})}
    body |= {"priority": priority, "source": source}
    if settings.team:
        body["responders"] = [{"name": settings.team, "type": "team"}]
    return Outbound("POST", f"{settings.api_url}/v2/alerts", _headers(settings), json=body)


def close_alert(
    settings: Settings, alias: str, *, note: str | None = None, source: str = "opwire"
) -> Outbound:
    body = {"source": source, **({"note": note} if note is not None else {})}
    url = f"{_alert_url(settings, alias)}/close"
    return Outbound("POST", url, _headers(settings), ALIAS, json=body)


def get_alert(settings: Settings, alias: str) -> Outbound:
    return Outbound("GET", _alert_url(settings, alias), _headers(settings), ALIAS)


def request_status(settings: Settings, request_id: str) -> Outbound:
    """Where an asynchronous write ends: 404 RequestNotProcessed until it is processed."""
    url = f"{settings.api_url}/v2/alerts/requests/{request_id}"
    return Outbound("GET", url, _headers(settings))


def ping_heartbeat(settings: Settings, name: str) -> Outbound:
    """Ping the heartbeat `name` (Heartbeat API: GET /v2/heartbeats/{name}/ping)."""
    from urllib.parse import quote

    url = f"{settings.api_url}/v2/heartbeats/{quote(name, safe='')}/ping"
    return Outbound("GET", url, _headers(settings))


def count_alerts(settings: Settings, base: str) -> Outbound:
    """The cheapest authenticated read, on the region at `base`: the region sweep's question."""
    return Outbound("GET", f"{base}/v2/alerts/count", _headers(settings))


def _alert_url(settings: Settings, alias: str) -> str:
    return f"{settings.api_url}/v2/alerts/{alias}"


def accepted(reply: Reply) -> bool:
    """A write taken for processing: 202 with the `requestId` to follow."""
    return reply.status == 202 and bool(request_id(reply))


def request_id(reply: Reply) -> str | None:
    found = (reply.json() or {}).get("requestId")
    return str(found) if found else None


def counted(reply: Reply) -> bool:
    """An alert count answered: 200 with `data.count`."""
    count = data_field(reply, "count")
    return reply.status == 200 and isinstance(count, int) and not isinstance(count, bool)


def not_processed(reply: Reply) -> bool:
    return (
        reply.status == 404 and reply.headers.get("x-opsgenie-errortype") == "RequestNotProcessed"
    )


def succeeded(reply: Reply) -> bool:
    return reply.status == 200 and data_field(reply, "isSuccess") is True


def alert_status(reply: Reply, wanted: str) -> bool:
    """The alert read back is in state `wanted` (`open`, `closed`)."""
    return reply.status == 200 and data_field(reply, "status") == wanted


def data_field(reply: Reply, name: str) -> Any:
    """`data.<name>` of an Opsgenie answer; None when the answer has no such field."""
    document = reply.json()
    data = document.get("data") if isinstance(document, dict) else None
    return data.get(name) if isinstance(data, dict) else None
