"""Random and malformed requests never get a 500 or a traceback from any mock: a vendor 4xx.

A smoke of FUZZ_EXAMPLES examples per route (default 15) runs in `make test`; `make fuzz` runs
many more. Every request goes to a mock on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from typing import Any

import brotli
import httpx
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opwire.integrations import MOCKED
from opwire.mock.server import MockStack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
GUID = "11111111-2222-3333-4444-555555555555"
ROUTES: dict[str, list[tuple[str, str]]] = {
    "datadog": [
        ("GET", "/api/v1/validate"),
        ("POST", "/api/v2/series"),
        ("POST", "/api/v1/series"),
        ("POST", "/api/v1/events"),
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/events/{x}"),
        ("POST", "/api/v2/events"),
        ("GET", "/api/v2/events"),
        ("POST", "/api/v2/events/search"),
        ("GET", "/api/v1/query"),
    ],
    "sentry": [
        ("POST", "/api/{x}/envelope/"),
        ("POST", "/api/{x}/store/"),
        ("GET", "/api/0/projects/{x}/{x}/events/{x}/"),
        ("GET", "/api/0/organizations/{x}/eventids/{x}/"),
        ("PUT", "/api/0/organizations/{x}/issues/{x}/"),
    ],
    "pagerduty": [
        ("POST", "/v2/enqueue"),
        ("POST", "/v2/change/enqueue"),
        ("GET", "/incidents"),
        ("GET", "/incidents/{x}"),
        ("GET", "/incidents/{x}/alerts"),
    ],
    "opsgenie": [
        ("POST", "/v2/alerts"),
        ("GET", "/v2/alerts"),
        ("GET", "/v2/alerts/count"),
        ("GET", "/v2/alerts/requests/{x}"),
        ("GET", "/v2/alerts/{x}"),
        ("POST", "/v2/alerts/{x}/{x}"),
        ("GET", "/v2/heartbeats/{x}/ping"),
    ],
    "slack": [
        ("POST", "/services/{x}/{x}/{x}"),
        ("GET", "/api/conversations.history"),
        ("POST", "/api/conversations.history"),
        ("POST", "/api/auth.test"),
    ],
    "splunk": [
        ("POST", "/services/collector"),
        ("POST", "/services/collector/event"),
        ("POST", "/services/collector/raw"),
        ("GET", "/services/collector/health"),
        ("POST", "/services/collector/ack"),
        ("POST", "/services/search/jobs/export"),
    ],
}
AUTH = {
    "datadog": {"DD-API-KEY": "0" * 31 + "a", "DD-APPLICATION-KEY": "1" * 39 + "b"},
    "sentry": {
        "X-Sentry-Auth": "Sentry sentry_key=" + "a" * 32 + ", sentry_version=7",
        "Authorization": "Bearer sntrys_fuzzTokenValue",
    },
    "pagerduty": {"Authorization": "Token token=u+TOKENtokenTOKEN123"},
    "opsgenie": {"Authorization": "GenieKey " + GUID},
    "slack": {"Authorization": "Bearer xoxb-fuzz-token-000"},
    "splunk": {"Authorization": "Splunk " + GUID, "X-Splunk-Request-Channel": GUID},
}
CASES = [(slug, method, path) for slug in MOCKED for method, path in ROUTES[slug]]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
SEGMENT = st.text(alphabet="abcdefABCDEF0123456789-_.~%", min_size=1, max_size=40)
ENCODERS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstandard.ZstdCompressor().compress,
    "zstd1": zstandard.ZstdCompressor().compress,
}


@st.composite
def requests(draw: st.DrawFn, slug: str, path: str) -> dict[str, Any]:
    while "{x}" in path:
        path = path.replace("{x}", draw(SEGMENT), 1)
    kind = draw(st.sampled_from(["json", "bytes", "batch", "empty"]))
    body = {
        "json": lambda: json.dumps(draw(JSON)).encode(),
        "bytes": lambda: draw(st.binary(max_size=300)),
        "batch": lambda: "".join(json.dumps(draw(JSON)) for _ in range(3)).encode(),
        "empty": lambda: b"",
    }[kind]()
    headers = dict(
        draw(
            st.dictionaries(
                st.sampled_from(list(AUTH[slug])),
                st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
                max_size=2,
            )
        )
    )
    if draw(st.booleans()):
        headers.update(AUTH[slug])
    encoding = draw(
        st.sampled_from([None, "identity", "gzip", "deflate", "br", "zstd", "zstd1", "bogus"])
    )
    if encoding is not None:
        headers["Content-Encoding"] = encoding
        if encoding in ENCODERS and draw(st.booleans()):
            body = ENCODERS[encoding](body)
    headers["Content-Type"] = draw(
        st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"])
    )
    params = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "from",
                    "to",
                    "start",
                    "end",
                    "query",
                    "limit",
                    "offset",
                    "channel",
                    "identifierType",
                    "since",
                    "until",
                    "cursor",
                    "oldest",
                ]
            ),
            st.text(max_size=12),
            max_size=3,
        )
    )
    return {"path": path, "content": body, "headers": headers, "params": params}


@pytest.fixture(scope="module")
def stack() -> Iterator[MockStack]:
    with MockStack(MOCKED) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as session:
        yield session


@pytest.mark.parametrize(("slug", "method", "path"), CASES, ids=[f"{s}{p}" for s, _, p in CASES])
def test_no_request_gets_a_500_or_a_traceback(
    stack: MockStack, client: httpx.Client, slug: str, method: str, path: str
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests(slug, path))
    def probe(request: dict[str, Any]) -> None:
        try:
            reply = client.request(
                method,
                stack.urls[slug] + request["path"],
                content=request["content"],
                headers=request["headers"],
                params=request["params"],
            )
        except (httpx.InvalidURL, httpx.LocalProtocolError):
            return  # the client refused the random URL or header before anything was sent
        assert reply.status_code < 500, (reply.status_code, reply.text[:300])
        assert "Traceback" not in reply.text

    probe()
