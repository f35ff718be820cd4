"""Random and malformed requests never get a 500 or a traceback from any mock: a vendor 4xx, or
for a control route a 400 with a reason.

The cases are every route of every mock, read from the apps' own route lists (control routes
included), so a new route is fuzzed the day it is added. Control routes are fuzzed on a stack of
their own, reset after each example, since a fuzzed fault rule or scenario may rightly make a
vendor route answer 500. A smoke of FUZZ_EXAMPLES examples per route (default 15) runs in `make
test`; `make fuzz` runs many more. Every request goes to a mock on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from collections.abc import Iterator
from typing import Any

import brotli
import httpx
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from opwire.integrations import MOCKED, load
from opwire.mock.server import MockStack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
GUID = "11111111-2222-3333-4444-555555555555"
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
CONTROL = "/_opwire/"
# A path parameter: `{name}` is one segment, `{name:path}` one or more.
PARAMETER = re.compile(r"\{(\w+)(?::(\w+))?\}")


def routes(slug: str) -> list[tuple[str, str]]:
    """(method, path template) of every route the mock's app serves, control routes included."""
    found = []
    for route in load(slug).create_app().routes:
        if isinstance(route, Route):
            found.extend((method, route.path) for method in sorted(route.methods or ()))
    return [(method, path) for method, path in found if method != "HEAD"]


CASES = [(slug, method, path) for slug in MOCKED for method, path in routes(slug)]
# Field names a control body may carry, so the fuzz reaches past "unknown field" answers.
CONTROL_FIELDS = [
    *("method", "path", "status", "body", "headers", "latency_ms", "times", "skip", "hang"),
    *("region", "credential", "name", "advance_s"),
    *("team", "bot", "channel", "state", "id", "member", "archived", "burst", "per_second"),
    *("teams", "request_delay_s", "keys", "processing_delay_s", "project", "rejected_keys"),
    *("tokens", "indexing_delay_s", "health", "query_auth", "disabled", "ack", "indexes"),
    *("routing_key", "paused", "rate_limit", "rate_window_s", "slug", "org"),
]

# Values that broke mocks before: digits str.isdigit() takes but int() refuses, numbers past
# every range, date math without end, a lone surrogate (json.dumps writes it as "\ud800").
NASTY = st.sampled_from(
    ["²", "١٢", "9" * 5000, "-" + "9" * 400, "now-" + "9" * 400 + "s", "\ud800", "1e400", ""]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | NASTY
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KEY = st.sampled_from(CONTROL_FIELDS) | st.text(max_size=10)
CONTROL_JSON = st.recursive(
    SCALARS | st.floats(),  # NaN and infinities too: Python's json writes and reads them
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEY, inner, max_size=5),
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


def _segments(draw: st.DrawFn, converter: str | None) -> str:
    count = draw(st.integers(1, 3)) if converter == "path" else 1
    return "/".join(draw(SEGMENT) for _ in range(count))


@st.composite
def requests(draw: st.DrawFn, slug: str, template: str) -> dict[str, Any]:
    path = PARAMETER.sub(lambda found: _segments(draw, found.group(2)), template)
    values = CONTROL_JSON if template.startswith(CONTROL) else JSON
    kind = draw(st.sampled_from(["json", "bytes", "batch", "empty"]))
    body = {
        "json": lambda: json.dumps(draw(values)).encode(),
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
                    "after",
                    "kind",
                    "run_id",
                ]
            ),
            st.text(max_size=12) | NASTY,
            max_size=3,
        )
    )
    return {"path": path, "content": body, "headers": headers, "params": params}


@pytest.fixture(scope="module")
def stack() -> Iterator[MockStack]:
    with MockStack(MOCKED) as running:
        yield running


@pytest.fixture(scope="module")
def control_stack() -> Iterator[MockStack]:
    with MockStack(MOCKED) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as session:
        yield session


@pytest.mark.parametrize(("slug", "method", "path"), CASES, ids=[f"{s}{p}" for s, _, p in CASES])
def test_no_request_gets_a_500_or_a_traceback(
    stack: MockStack,
    control_stack: MockStack,
    client: httpx.Client,
    slug: str,
    method: str,
    path: str,
) -> None:
    control = path.startswith(CONTROL)
    base = (control_stack if control else stack).urls[slug]

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
                base + request["path"],
                content=request["content"],
                headers=request["headers"],
                params=request["params"],
            )
        except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError):
            return  # the client refused the random URL or header before anything was sent
        assert reply.status_code < 500, (reply.status_code, reply.text[:300])
        assert "Traceback" not in reply.text
        if control:
            assert reply.status_code in (200, 400, 404, 405), (reply.status_code, reply.text)
            assert reply.status_code != 400 or reply.json()["error"], reply.text
            if reply.status_code == 200 and method != "GET":
                client.post(base + "/_opwire/reset")  # a fuzzed fault stays in its own case

    probe()


# JSON values hypothesis found (or could): a list where a string is checked with `in` against a
# set or dict is unhashable, and was a 500 before the vendors' value tables became tuples.
UNHASHABLE = [
    ("splunk", "POST", "/_opwire/splunk/config", {"health": []}, {}),
    ("datadog", "POST", "/api/v1/events", {"title": "t", "text": "x", "alert_type": []}, "dd"),
]


@pytest.mark.parametrize(("slug", "method", "path", "body", "auth"), UNHASHABLE)
def test_an_unhashable_json_value_is_a_400_not_a_500(
    control_stack: MockStack, slug: str, method: str, path: str, body: Any, auth: Any
) -> None:
    from opwire.integrations.datadog import MOCK_API_KEY

    headers = {"DD-API-KEY": MOCK_API_KEY} if auth == "dd" else {}
    reply = httpx.request(method, control_stack.urls[slug] + path, json=body, headers=headers)
    assert reply.status_code == 400, reply.text


def _filled(template: str) -> str:
    """A route template with every parameter given a plain value."""
    return PARAMETER.sub("x1", template)


def _twin(path: str) -> str:
    return path[:-1] if path.endswith("/") else path + "/"


STRAYS = {
    slug: sorted(
        {("GET", "/no/such/route"), ("POST", "/api/no-such-route")}
        | {(m, _twin(_filled(p))) for m, p in routes(slug) if not p.startswith(CONTROL)}
    )
    for slug in MOCKED
}
STRAY_CASES = [(slug, m, p) for slug in MOCKED for m, p in STRAYS[slug]]


@pytest.mark.parametrize(
    ("slug", "method", "path"), STRAY_CASES, ids=[f"{s}-{m}{p}" for s, m, p in STRAY_CASES]
)
def test_unknown_routes_and_slash_twins_get_the_vendors_answer_never_the_frameworks(
    stack: MockStack, client: httpx.Client, slug: str, method: str, path: str
) -> None:
    """An unknown path, or a route's trailing-slash twin, gets what the vendor gives: never a
    redirect to the twin, a 500, or the framework's plain-text page (the room's own not-found)."""
    reply = client.request(method, stack.urls[slug] + path, headers=AUTH[slug], content=b"{}")
    assert reply.status_code < 500 and not reply.is_redirect, (reply.status_code, reply.text)
    assert reply.text not in ("Not Found", "Method Not Allowed"), reply.text
    if reply.status_code in (404, 405) and "json" in reply.headers.get("content-type", ""):
        default = {"error": "Not Found", "path": path}
        assert reply.json() != default, "the room declares its vendor's own not-found"


HOSTILE_JSON = {
    "lone surrogate": b'{"text": "\\ud800", "message": "\\udfff", "title": "t\\ud83d"}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
}
WRITES = [(s, m, p) for s, m, p in CASES if m in ("POST", "PUT", "PATCH") and CONTROL not in p]


@pytest.mark.parametrize("kind", list(HOSTILE_JSON))
def test_json_no_parser_can_hold_is_refused_by_every_route_and_reads_still_work(
    stack: MockStack, client: httpx.Client, kind: str
) -> None:
    """A lone surrogate (RFC 8259 § 8.2: not text UTF-8 can carry) and a nesting deeper than the
    parser goes are each answered as the vendor's 4xx on every writing route, and nothing stored
    from them breaks a later read (a stored surrogate made every read a 500)."""
    failures = []
    for slug, method, template in WRITES:
        url = stack.urls[slug] + _filled(template)
        headers = {**AUTH[slug], "Content-Type": "application/json"}
        try:
            reply = client.request(method, url, content=HOSTILE_JSON[kind], headers=headers)
        except httpx.TransportError as error:
            failures.append((slug, method, template, repr(error)))
            continue
        if reply.status_code >= 500:
            failures.append((slug, method, template, reply.status_code))
    for slug, method, template in CASES:
        if method == "GET" and "{" not in template:
            try:
                reply = client.get(stack.urls[slug] + template, headers=AUTH[slug])
            except httpx.TransportError as error:
                failures.append((slug, "GET after", template, repr(error)))
                continue
            if reply.status_code >= 500:
                failures.append((slug, "GET after", template, reply.status_code))
    assert not failures, failures
