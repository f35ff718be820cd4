"""The PagerDuty mock's incident analytics: POST /analytics/metrics/incidents/all, the count
an operator reconciles against what was sent.

Pages followed: shared/specs/pagerduty/REST/openapiv3.json (getAnalyticsMetricsIncidentsAll:
`filters` created_at_start/created_at_end, urgency, team_ids, service_ids, priority_ids;
`aggregate_unit` day, week or month, else the whole period; `time_zone`; "A `team_ids` or
`service_ids` filter is required for user-level API keys or keys generated through an OAuth
flow"; the answer echoes `filters` as create_range_start/create_range_end, each `data` row with
its `range_start` in the time zone); vendor-contracts.md § 3.7 (the count by analytics).

UNCONFIRMED, chosen here: the metrics are there at once (the real pipeline lags, "generally
within 24 hours"); only total_incident_count, total_incidents_acknowledged,
mean_seconds_to_first_ack and mean_seconds_to_resolve are computed (means are null with nothing
to average); a week starts on Monday; with no created_at_start the window is the last 30 days;
an unknown time zone, a start after the end or a time outside 1970-9998 is 400 code 2001.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.pagerduty import mock_directory as directory
from opwire.integrations.pagerduty import mock_shapes as shapes
from opwire.integrations.pagerduty.mock_rest import INVALID_INPUT, Refused, answer
from opwire.integrations.pagerduty.mock_state import PagerDutyState, vendor
from opwire.mock.app import json_body
from opwire.mock.state import clock_of

UNITS = ("day", "week", "month")
DEFAULT_WINDOW = timedelta(days=30)
ROW_TIME = "%Y-%m-%dT%H:%M:%S"
NEEDS_SCOPE = "A team_ids or service_ids filter is required for user-level API keys"


def _invalid(problem: str) -> Refused:
    return Refused(400, *INVALID_INPUT, problem)


def _moment(text: Any, name: str, zone: ZoneInfo) -> datetime:
    if not isinstance(text, str):
        raise _invalid(f"filters.{name} must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"filters.{name} must be an ISO 8601 time") from None
    try:
        found = (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    except OverflowError:
        found = datetime.min.replace(tzinfo=UTC)
    if not 1970 <= found.year <= 9998:
        raise _invalid(f"filters.{name} must be a time between 1970 and 9998")
    return found


def _zone(body: dict[str, Any]) -> ZoneInfo:
    name = body.get("time_zone", "Etc/UTC")
    try:
        return ZoneInfo(name) if isinstance(name, str) else ZoneInfo("")
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a directory ("America"), a long name
        raise _invalid("time_zone must be an IANA time zone") from None


def _window(filters: dict[str, Any], zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    end = (
        _moment(filters["created_at_end"], "created_at_end", zone)
        if ("created_at_end" in filters)
        else now
    )
    start = (
        _moment(filters["created_at_start"], "created_at_start", zone)
        if "created_at_start" in filters
        else end - DEFAULT_WINDOW
    )
    if start > end:
        raise _invalid("filters.created_at_start must be before created_at_end")
    return start, end


def _ids(filters: dict[str, Any], name: str) -> set[str] | None:
    value = filters.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(f"filters.{name} must be an array of ids")
    return set(value)


def _keep(filters: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """The incidents the filters keep (besides their creation time)."""
    services, teams = _ids(filters, "service_ids"), _ids(filters, "team_ids")
    priorities, urgency = _ids(filters, "priority_ids"), filters.get("urgency")
    if urgency not in (None, "high", "low"):
        raise _invalid("filters.urgency must be high or low")

    def keep(incident: dict[str, Any]) -> bool:
        team_ids = {t["id"] for t in incident.get("teams", [])}
        priority = (incident.get("priority") or {}).get("id")
        return (
            (services is None or incident["service"]["id"] in services)
            and (teams is None or bool(team_ids & teams))
            and (priorities is None or priority in priorities)
            and urgency in (None, incident["urgency"])
        )

    return keep


def _seconds(later: str, earlier: str) -> int:
    return int((_utc(later) - _utc(earlier)).total_seconds())


def _utc(text: str) -> datetime:
    return datetime.strptime(text, shapes.TIME).replace(tzinfo=UTC)


def _first_ack(state: PagerDutyState, incident: dict[str, Any]) -> str | None:
    acks = [e for e in state.log_entries(incident["id"]) if e["type"] == "acknowledge_log_entry"]
    return acks[-1]["created_at"] if acks else None


def _mean(values: list[int]) -> int | None:
    return round(sum(values) / len(values)) if values else None


def _row(state: PagerDutyState, start: str, incidents: list[dict[str, Any]]) -> dict[str, Any]:
    acks = [(i, a) for i in incidents if (a := _first_ack(state, i))]
    resolved = [i for i in incidents if i["status"] == "resolved" and i.get("resolved_at")]
    return {
        "range_start": start,
        "total_incident_count": len(incidents),
        "total_incidents_acknowledged": len(acks),
        "mean_seconds_to_first_ack": _mean([_seconds(a, i["created_at"]) for i, a in acks]),
        "mean_seconds_to_resolve": _mean(
            [_seconds(i["resolved_at"], i["created_at"]) for i in resolved]
        ),
    }


def _bucket(moment: datetime, unit: str | None, start: datetime) -> datetime:
    """The start of the aggregate `unit` holding `moment` (local time), or the window's."""
    if unit is None:
        return start
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if unit == "month" else day


async def incidents_all(request: Request) -> Response:
    """getAnalyticsMetricsIncidentsAll: the matching incidents' counts and means."""
    body = json_body(await request.body())
    body = body if isinstance(body, dict) else {}
    filters = body.get("filters", {})
    if not isinstance(filters, dict):
        raise _invalid("filters must be an object")
    unit = body.get("aggregate_unit")
    if unit not in (None, *UNITS):
        raise _invalid("aggregate_unit must be day, week or month")
    if not directory.account_level(request) and not (
        filters.get("team_ids") or filters.get("service_ids")
    ):
        raise _invalid(NEEDS_SCOPE)
    zone, now = _zone(body), datetime.fromtimestamp(clock_of(request).now(), UTC)
    start, end = _window(filters, zone, now)
    state, keep = vendor(request), _keep(filters)
    rows: dict[datetime, list[dict[str, Any]]] = {}
    for incident in state.incidents.values():
        created = _utc(incident["created_at"])
        if start <= created < end and keep(incident):
            local = created.astimezone(zone)
            rows.setdefault(_bucket(local, unit, start.astimezone(zone)), []).append(incident)
    data = [_row(state, k.strftime(ROW_TIME), v) for k, v in sorted(rows.items())]
    echo = {k: v for k, v in filters.items() if k not in ("created_at_start", "created_at_end")}
    echo.update(create_range_start=start.strftime(shapes.TIME))
    echo.update(create_range_end=end.strftime(shapes.TIME))
    reply = {"data": data, "filters": echo, "time_zone": str(zone)}
    return answer(request, {**reply, **({"aggregate_unit": unit} if unit else {})})


ROUTES = (("/analytics/metrics/incidents/all", "POST", incidents_all),)
