"""Region-aware mocks and the region sweep: the probe finds where a credential works."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from opwire.mock.server import MockServer
from opwire.probing import NoteLine

from conftest import Mock, run_verify

DD_KEY = "ab" * 16
GENIE = "0b7a6c1e-2f3d-4a5b-8c9d-0e1f2a3b4c5d"


@pytest.fixture
def datadog_sites() -> Iterator[dict[str, Mock]]:
    with ExitStack() as running:
        mocks = {
            site: Mock(running.enter_context(MockServer("datadog")))
            for site in ("datadoghq.com", "datadoghq.eu", "us5.datadoghq.com")
        }
        for site, mock in mocks.items():
            mock.control("POST", "region", {"region": site})
            mock.control("POST", "credentials", {"credential": DD_KEY, "region": "datadoghq.eu"})
        yield mocks


def datadog_env(sites: dict[str, Mock], **extra: str) -> dict[str, str]:
    return {
        "OPERATOR_WIRING_MODE": "real_datadog",
        "DD_API_KEY": DD_KEY,
        "DD_SITE": "datadoghq.com",
        "OPERATOR_WIRING_DATADOG_API_URL": sites["datadoghq.com"].url,
        "OPERATOR_WIRING_DATADOG_SITE_URLS": ",".join(
            f"{site}={mock.url}" for site, mock in sites.items()
        ),
        "OPERATOR_WIRING_BUDGET_S": "10",
        **extra,
    }


def test_a_credential_registered_elsewhere_gets_the_wrong_region_answer(
    datadog_sites: dict[str, Mock],
) -> None:
    us1, eu = datadog_sites["datadoghq.com"], datadog_sites["datadoghq.eu"]
    home = httpx.get(f"{eu.url}/api/v1/validate", headers={"DD-API-KEY": DD_KEY})
    away = httpx.get(f"{us1.url}/api/v1/validate", headers={"DD-API-KEY": DD_KEY})
    other = httpx.get(f"{us1.url}/api/v1/validate", headers={"DD-API-KEY": "cd" * 16})
    assert home.json() == {"valid": True}
    assert (away.status_code, away.json()) == (403, {"errors": ["Forbidden"]})
    assert other.status_code == 200  # unregistered credentials keep being accepted


def test_sweep_finds_the_site_where_the_key_works(datadog_sites: dict[str, Mock]) -> None:
    run = run_verify(datadog_env(datadog_sites), {}, ("datadog",))
    (result,) = run.result.integrations
    assert result.diagnosis is not None and result.diagnosis.code == "datadog.wrong_site"
    assert "this key is valid on datadoghq.eu; DD_SITE is datadoghq.com" in result.diagnosis.detail
    assert result.diagnosis.fix.startswith("Set DD_SITE=datadoghq.eu")
    assert any(isinstance(e, NoteLine) and "region sweep" in e.text for e in run.events)


def test_sweep_says_when_no_site_knows_the_key(datadog_sites: dict[str, Mock]) -> None:
    env = datadog_env(datadog_sites, DD_API_KEY="ef" * 16)
    for mock in datadog_sites.values():
        mock.control(
            "POST", "credentials", {"credential": "ef" * 16, "region": "ap1.datadoghq.com"}
        )
    (result,) = run_verify(env, {}, ("datadog",)).result.integrations
    assert result.diagnosis is not None and result.diagnosis.code == "datadog.key_rejected"


def test_the_sweep_can_be_turned_off(datadog_sites: dict[str, Mock]) -> None:
    env = datadog_env(datadog_sites, OPERATOR_WIRING_REGION_SWEEP="0")
    (result,) = run_verify(env, {}, ("datadog",)).result.integrations
    assert result.diagnosis is not None and "valid on" not in result.diagnosis.detail
    for site in ("datadoghq.eu", "us5.datadoghq.com"):
        assert datadog_sites[site].requests() == []  # the key never left for another site


def test_opsgenie_sweep_finds_the_other_region(tmp_path: Path) -> None:
    with MockServer("opsgenie") as us_server, MockServer("opsgenie") as eu_server:
        us, eu = Mock(us_server), Mock(eu_server)
        eu.control("POST", "region", {"region": "eu"})
        for mock in (us, eu):
            mock.control("POST", "credentials", {"credential": GENIE, "region": "eu"})
        env = {
            "OPERATOR_WIRING_MODE": "real_opsgenie",
            "OPSGENIE_API_KEY": GENIE,
            "OPSGENIE_REGION": "us",
            "OPERATOR_WIRING_OPSGENIE_API_URL": us.url,
            "OPERATOR_WIRING_OPSGENIE_REGION_URLS": f"us={us.url},eu={eu.url}",
        }
        (result,) = run_verify(env, {}, ("opsgenie",)).result.integrations
        assert result.diagnosis is not None and result.diagnosis.code == "opsgenie.wrong_region"
        assert "valid in eu" in result.diagnosis.detail


@pytest.mark.parametrize(
    ("slug", "method", "path", "headers", "body", "status"),
    [
        (
            "sentry",
            "POST",
            "/api/1/envelope/",
            {"X-Sentry-Auth": f"Sentry sentry_key={'ab' * 16}, sentry_version=7"},
            b"{}\n",
            401,
        ),
        (
            "pagerduty",
            "POST",
            "/v2/enqueue",
            {},
            b'{"routing_key":"' + b"ab" * 16 + b'","event_action":"resolve","dedup_key":"x"}',
            400,
        ),
        ("opsgenie", "GET", "/v2/alerts/count", {"Authorization": f"GenieKey {GENIE}"}, b"", 401),
    ],
)
def test_wrong_region_answers(
    slug: str, method: str, path: str, headers: dict[str, str], body: bytes, status: int
) -> None:
    with MockServer(slug) as server:
        mock = Mock(server)
        credential = {"sentry": "ab" * 16, "pagerduty": "ab" * 16, "opsgenie": GENIE}[slug]
        mock.control("POST", "credentials", {"credential": credential, "region": "eu"})
        reply = httpx.request(method, mock.url + path, headers=headers, content=body)
        assert reply.status_code == status


def test_sentry_sweep_finds_the_org_in_the_other_region() -> None:
    key, token = "ab" * 16, "sntrys_regionSweepToken"
    with MockServer("sentry") as us_server, MockServer("sentry") as de_server:
        us, de = Mock(us_server), Mock(de_server)
        de.control("POST", "region", {"region": "de"})
        for mock in (us, de):
            mock.control(
                "POST",
                "credentials",
                [{"credential": key, "region": "de"}, {"credential": token, "region": "de"}],
            )
        host = us.url.removeprefix("http://")
        env = {
            "OPERATOR_WIRING_MODE": "real_sentry",
            "SENTRY_DSN": f"http://{key}@{host}/42",
            "SENTRY_AUTH_TOKEN": token,
            "SENTRY_ORG": "acme",
            "OPERATOR_WIRING_SENTRY_API_URL": us.url,
            "OPERATOR_WIRING_SENTRY_REGION_URLS": f"us={us.url},de={de.url}",
        }
        (result,) = run_verify(env, {}, ("sentry",)).result.integrations
        assert result.diagnosis is not None and result.diagnosis.code == "sentry.region_mismatch"
        assert "the Sentry API says the org acme is in de" in result.diagnosis.detail
        assert "Re-issue the DSN from the de org" in result.diagnosis.fix
