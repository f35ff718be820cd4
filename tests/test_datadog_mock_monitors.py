"""An application's monitor calls through datadog-api-client run on the Datadog mock unmodified
but for the base URL: create, get, edit, delete, list, validate and can_delete.

Pages followed: shared/specs/datadog/v1/openapi.yaml (`/api/v1/monitor` and its children) and
the recorded cassettes in DataDog/datadog-api-client-python tests/v1/cassettes; each test names
its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import test_datadog_mock_sdk as shared
from datadog_api_client.exceptions import ApiException, ForbiddenException, NotFoundException
from datadog_api_client.v1.api.monitors_api import MonitorsApi
from datadog_api_client.v1.model.monitor import Monitor
from datadog_api_client.v1.model.monitor_options import MonitorOptions
from datadog_api_client.v1.model.monitor_thresholds import MonitorThresholds
from datadog_api_client.v1.model.monitor_type import MonitorType
from datadog_api_client.v1.model.monitor_update_request import MonitorUpdateRequest
from test_datadog_mock_sdk import (
    API,
    KEYS,
    client,
    spec,
)
from test_specs import check

from conftest import Mock

# The shared fixtures: one mock per module, its faults cleared after each test.
mock, _no_faults = shared.mock, shared._no_faults


# --- monitors ---------------------------------------------------------------------------------


def _monitor(name: str, tags: tuple[str, ...] = ("team:ops",), **extra: Any) -> Monitor:
    return Monitor(
        name=name,
        type=MonitorType.METRIC_ALERT,
        query="avg(last_5m):avg:system.cpu.user{env:prod} by {host} > 90",
        message="CPU high @slack-ops",
        tags=list(tags),
        options=MonitorOptions(thresholds=MonitorThresholds(critical=90, warning=80)),
        **extra,
    )


def test_monitor_lifecycle_as_recorded(mock: Mock) -> None:
    """v1 spec CreateMonitor/GetMonitor/UpdateMonitor/DeleteMonitor and the recorded
    test_create_a_metric_monitor_* (a metric alert kept as a `query alert`, default options,
    "No Data"), test_edit_a_monitor_* (sent options replace the old), test_delete_a_monitor_*
    (`deleted_monitor_id`, then 404 `Monitor not found`)."""
    name = f"cpu {uuid.uuid4().hex[:8]}"
    with client(mock) as api:
        monitors = MonitorsApi(api)
        made = monitors.create_monitor(body=_monitor(name, priority=3))
        assert made.to_dict()["type"] == "query alert" and made.multi is True
        assert made.to_dict()["overall_state"] == "No Data" and made.priority == 3
        options = made.options.to_dict()
        assert options["thresholds"] == {"critical": 90.0, "warning": 80.0}
        assert (options["notify_no_data"], options["include_tags"]) == (False, True)
        assert monitors.get_monitor(monitor_id=made.id).name == name
        edited = monitors.update_monitor(
            monitor_id=made.id,
            body=MonitorUpdateRequest(
                name=f"{name} v2", options=MonitorOptions(thresholds=MonitorThresholds(critical=95))
            ),
        )
        assert edited.name == f"{name} v2" and edited.query == made.query
        assert edited.options.to_dict()["thresholds"] == {"critical": 95.0}
        assert monitors.check_can_delete_monitor(monitor_ids=[made.id]).data.ok == [made.id]
        assert monitors.delete_monitor(monitor_id=made.id).deleted_monitor_id == made.id
        for call in (monitors.get_monitor, monitors.delete_monitor):
            with pytest.raises(NotFoundException) as missing:
                call(monitor_id=made.id)
            assert missing.value.body == {"errors": ["Monitor not found"]}


def test_monitors_are_listed_filtered_and_paged(mock: Mock) -> None:
    """v1 spec ListMonitors: a JSON array, `name`, `monitor_tags`, `page`/`page_size`; the SDK's
    list_monitors_with_pagination stops on a short page (recorded
    test_get_all_monitors_returns_ok_response_with_pagination); a bad `group_states` is the
    recorded 400."""
    mine = uuid.uuid4().hex[:8]
    with client(mock) as api:
        monitors = MonitorsApi(api)
        made = [
            monitors.create_monitor(body=_monitor(f"{mine} {n}", tags=(f"run:{mine}",))).id
            for n in range(3)
        ]
        assert [m.id for m in monitors.list_monitors(name=mine)] == made
        assert [m.id for m in monitors.list_monitors(monitor_tags=f"run:{mine}")] == made
        paged = list(monitors.list_monitors_with_pagination(name=mine, page_size=2))
        assert [m.id for m in paged] == made
        assert [m.id for m in monitors.list_monitors(name=mine, page=1, page_size=2)] == made[2:]
        with pytest.raises(ApiException) as refused:
            monitors.list_monitors(group_states="notagroupstate")
        assert refused.value.body == {"errors": ["Invalid group_state filters."]}
    check(spec("v1"), API, httpx.get(f"{mock.url}/api/v1/monitor", headers=KEYS))


def test_monitor_queries_are_validated_as_recorded(mock: Mock) -> None:
    """Recorded test_create_a_monitor_returns_bad_request_response and
    test_validate_a_monitor_returns_ok_response: `{}` for a good monitor, the query refusal
    word for word for a bad one; the read routes need the APP key (spec security)."""
    bad = Monitor(type=MonitorType.LOG_ALERT, query="query")
    refusal = {
        "errors": [
            "The value provided for parameter 'query' is invalid: invalid operator specified: "
        ]
    }
    with client(mock) as api:
        monitors = MonitorsApi(api)
        assert monitors.validate_monitor(body=_monitor("ok")) == {}
        for call in (monitors.validate_monitor, monitors.create_monitor):
            with pytest.raises(ApiException) as refused:
                call(body=bad)
            assert (refused.value.status, refused.value.body) == (400, refusal)
    with client(mock, app_key=False) as api, pytest.raises(ForbiddenException):
        MonitorsApi(api).list_monitors()
    reply = httpx.post(
        f"{mock.url}/api/v1/monitor", json={"type": "nope", "query": "q"}, headers=KEYS
    )
    assert reply.status_code == 400
    check(spec("v1"), API, reply)
