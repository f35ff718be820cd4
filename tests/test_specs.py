"""Mock responses validated against the vendors' official specs in ../shared/specs/.

OpenAPI 3 specs (Datadog, PagerDuty, Sentry) through openapi-core; Opsgenie's Swagger 2.0 through
jsonschema on its definitions. Every route a spec covers is exercised here.
"""

from __future__ import annotations

import json
import ssl
import time
import uuid
from functools import cache
from typing import Any

import httpx
import jsonschema
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from conftest import Mock, spec_path

DD = {"DD-API-KEY": "0" * 31 + "a", "DD-APPLICATION-KEY": "1" * 39 + "b"}


@cache
def openapi(relative: str) -> OpenAPI:
    path = spec_path(relative)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = path.read_text()
    document = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=loader)
    # The vendors' specs are used as they are: PagerDuty's REST spec has a string default on an
    # integer parameter, which the spec validator refuses; responses are what is checked here.
    config = Config(
        spec_validator_cls=None, extra_media_type_deserializers={"text/json": json.loads}
    )  # Datadog v1 series answers text/json
    return OpenAPI.from_dict(document, config=config)


def check(
    spec: OpenAPI, server: str, reply: httpx.Response, body: Any = None, media: str = ""
) -> None:
    """Validate one real reply of the mock against the spec's response for its operation.

    `body` replaces the reply's JSON where a recorded real exchange and the spec disagree.
    """
    request = reply.request
    media = media or reply.headers.get("content-type", "application/json").split(";")[0]
    data = reply.content if body is None else json.dumps(body).encode()
    mock_request = MockRequest(
        server, request.method.lower(), request.url.path, args=dict(request.url.params)
    )
    mock_response = MockResponse(data, status_code=reply.status_code, content_type=media)
    spec.validate_response(mock_request, mock_response)


def test_datadog_v1(datadog_mock: Mock) -> None:
    spec, server, url, now = (
        openapi("datadog/v1/openapi.yaml"),
        "https://api.datadoghq.com",
        datadog_mock.url,
        int(time.time()),
    )
    check(spec, server, httpx.get(f"{url}/api/v1/validate", headers=DD))
    check(spec, server, httpx.get(f"{url}/api/v1/validate"))
    created = httpx.post(
        f"{url}/api/v1/events", headers=DD, json={"title": "t", "text": "x", "tags": ["run_id:s"]}
    )
    # The recorded exchange answers "priority": null, which the spec's enum does not allow:
    # the mock follows the recording; the rest of the body is checked against the spec.
    recorded_shape = created.json()
    assert recorded_shape["event"]["priority"] is None
    del recorded_shape["event"]["priority"]
    check(spec, server, created, recorded_shape)
    past = httpx.post(
        f"{url}/api/v1/events", headers=DD, json={"title": "t", "text": "x", "date_happened": 1}
    )
    # Recorded: this 400 is JSON served as text/plain; the spec says application/json.
    assert past.headers["content-type"] == "text/plain; charset=utf-8"
    check(spec, server, past, past.json(), media="application/json")
    check(
        spec,
        server,
        httpx.get(f"{url}/api/v1/events", headers=DD, params={"start": now - 60, "end": now + 60}),
    )
    event_id = created.json()["event"]["id_str"]
    check(spec, server, httpx.get(f"{url}/api/v1/events/{event_id}", headers=DD))
    series = httpx.post(
        f"{url}/api/v1/series",
        headers=DD,
        json={"series": [{"metric": "m", "points": [[now, 1.0]], "tags": ["run_id:s"]}]},
    )
    assert series.headers["content-type"] == "text/json"  # as recorded, and as the spec says
    check(spec, server, series)
    check(
        spec,
        server,
        httpx.get(
            f"{url}/api/v1/query",
            headers=DD,
            params={"from": now - 300, "to": now + 60, "query": "sum:m{run_id:s}.as_count()"},
        ),
    )


def test_datadog_v2(datadog_mock: Mock) -> None:
    spec, url, now = openapi("datadog/v2/openapi.yaml"), datadog_mock.url, int(time.time())
    api, intake = "https://api.datadoghq.com", "https://event-management-intake.datadoghq.com"
    check(
        spec,
        api,
        httpx.post(
            f"{url}/api/v2/series",
            headers=DD,
            json={
                "series": [{"metric": "m", "type": 1, "points": [{"timestamp": now, "value": 1.0}]}]
            },
        ),
    )
    check(spec, api, httpx.post(f"{url}/api/v2/series", content=b"x" * 512_001, headers=DD))
    check(spec, api, httpx.post(f"{url}/api/v2/series", json={"series": []}))
    event = {
        "data": {
            "type": "event",
            "attributes": {
                "category": "change",
                "title": "t",
                "message": "m",
                "tags": ["run_id:s"],
                "attributes": {"changed_resource": {"name": "x", "type": "feature_flag"}},
            },
        }
    }
    check(spec, intake, httpx.post(f"{url}/api/v2/events", headers=DD, json=event))
    check(
        spec,
        api,
        httpx.post(
            f"{url}/api/v2/events/search",
            headers=DD,
            json={"filter": {"query": "run_id:s"}, "page": {"limit": 5}},
        ),
    )
    check(spec, api, httpx.get(f"{url}/api/v2/events", headers=DD))


def test_pagerduty_events_and_rest(pagerduty_mock: Mock) -> None:
    assert pagerduty_mock.server.tls is not None
    verify = ssl.create_default_context(cafile=pagerduty_mock.server.tls.ca_path)
    events, url = openapi("pagerduty/events-v2/openapiv3.json"), pagerduty_mock.url
    server = "https://events.pagerduty.com/v2"
    key = "c" * 32
    trigger = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "spec-1",
        "payload": {"summary": "s", "source": "x", "severity": "info"},
    }
    check(events, server, httpx.post(f"{url}/v2/enqueue", json=trigger, verify=verify))
    check(
        events,
        server,
        httpx.post(
            f"{url}/v2/change/enqueue",
            verify=verify,
            json={"routing_key": key, "payload": {"summary": "deploy"}},
        ),
    )
    rest, headers = (
        openapi("pagerduty/REST/openapiv3.json"),
        {
            "Authorization": "Token token=u+TOKENtokenTOKEN123",
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
    )
    api = "https://api.pagerduty.com"
    listed = httpx.get(
        f"{url}/incidents",
        headers=headers,
        verify=verify,
        params={"incident_key": "spec-1", "date_range": "all"},
    )
    check(rest, api, listed)
    incident_id = listed.json()["incidents"][0]["id"]
    check(rest, api, httpx.get(f"{url}/incidents/{incident_id}", headers=headers, verify=verify))
    check(
        rest,
        api,
        httpx.get(f"{url}/incidents/{incident_id}/alerts", headers=headers, verify=verify),
    )
    check(rest, api, httpx.get(f"{url}/incidents", verify=verify))


def test_sentry_web_api(sentry_mock: Mock) -> None:
    spec, url, server = (
        openapi("sentry/openapi-derefed.json"),
        sentry_mock.url,
        "https://us.sentry.io",
    )
    sentry_mock.control("POST", "sentry/config", {"processing_delay_s": 0})
    event_id = uuid.uuid4().hex
    payload = json.dumps({"message": "spec", "platform": "python", "tags": {"run_id": "s"}})
    body = (
        json.dumps({"event_id": event_id})
        + "\n"
        + json.dumps({"type": "event", "length": len(payload)})
        + "\n"
        + payload
        + "\n"
    ).encode()
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={'a' * 32}, sentry_version=7"}
    assert httpx.post(f"{url}/api/42/envelope/", content=body, headers=auth).status_code == 200
    token = {"Authorization": "Bearer sntrys_specTokenValue"}
    event = httpx.get(
        f"{url}/api/0/projects/opwire-mock/project-42/events/{event_id}/", headers=token
    )
    check(spec, server, event)
    check(
        spec,
        server,
        httpx.get(f"{url}/api/0/organizations/opwire-mock/eventids/{event_id}/", headers=token),
    )
    issue = f"{url}/api/0/organizations/opwire-mock/issues/{event.json()['groupID']}/"
    check(spec, server, httpx.get(issue, headers=token))
    check(spec, server, httpx.put(issue, headers=token, json={"status": "resolved"}))


@cache
def swagger() -> dict[str, Any]:
    path = spec_path("opsgenie/swagger.json")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def swagger_check(definition: str, reply: httpx.Response) -> None:
    document = swagger()
    schema = {"$ref": f"#/definitions/{definition}", "definitions": document["definitions"]}
    jsonschema.Draft4Validator(schema).validate(reply.json())


def test_opsgenie_against_its_swagger(opsgenie_mock: Mock) -> None:
    url, headers = opsgenie_mock.url, {"Authorization": "GenieKey " + str(uuid.uuid4())}
    opsgenie_mock.control("POST", "opsgenie/config", {"request_delay_s": 0})
    created = httpx.post(
        f"{url}/v2/alerts",
        headers=headers,
        json={
            "message": "m",
            "alias": "spec-a",
            "responders": [{"name": "opwire", "type": "team"}],
        },
    )
    swagger_check("SuccessResponse", created)
    status = httpx.get(f"{url}/v2/alerts/requests/{created.json()['requestId']}", headers=headers)
    swagger_check("GetRequestStatusResponse", status)
    swagger_check(
        "GetAlertResponse",
        httpx.get(f"{url}/v2/alerts/spec-a", headers=headers, params={"identifierType": "alias"}),
    )
    swagger_check(
        "SuccessResponse",
        httpx.post(
            f"{url}/v2/alerts/spec-a/close",
            headers=headers,
            params={"identifierType": "alias"},
            json={},
        ),
    )
    swagger_check("GetCountAlertsResponse", httpx.get(f"{url}/v2/alerts/count", headers=headers))
    swagger_check("ListAlertsResponse", httpx.get(f"{url}/v2/alerts", headers=headers))
    swagger_check("ErrorResponse", httpx.get(f"{url}/v2/alerts/nope", headers=headers))
    swagger_check("ErrorResponse", httpx.post(f"{url}/v2/alerts", json={"message": "m"}))
