"""Splunk's untrusted self-signed mode: a TLS diagnosis that explains SPLUNK_HEC_INSECURE=1, and
with it set (dev only) a PASS that warns on every run."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from opwire.config import Lookup, run_settings
from opwire.mock.tls import make_tls_files
from opwire.probing import NoteLine
from opwire.results import Status
from opwire.verify import plan, redactor_for, verify

from conftest import Mock, run_verify, serve

TOKEN = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def self_signed_splunk(tmp_path: Path) -> Iterator[Mock]:
    yield from serve("splunk", tls=make_tls_files(tmp_path, self_signed=True))


def env(mock: Mock, **extra: str) -> dict[str, str]:
    return {
        "OPERATOR_WIRING_MODE": "real_splunk",
        "SPLUNK_HEC_URL": mock.url,
        "SPLUNK_HEC_TOKEN": TOKEN,
        "SPLUNK_SEARCH_URL": mock.url,
        "SPLUNK_SEARCH_TOKEN": "search-token",
        **extra,
    }


def test_self_signed_hec_fails_with_a_tls_diagnosis(self_signed_splunk: Mock) -> None:
    (result,) = run_verify(env(self_signed_splunk), {}, ("splunk",)).result.integrations
    assert result.status is Status.FAIL and result.diagnosis is not None
    assert result.diagnosis.code == "splunk.tls_untrusted"
    assert "SPLUNK_HEC_INSECURE=1" in result.diagnosis.fix
    assert len(result.requests) == 1  # a TLS failure is not retried


def test_insecure_passes_with_a_warning(self_signed_splunk: Mock) -> None:
    run = run_verify(env(self_signed_splunk, SPLUNK_HEC_INSECURE="1"), {}, ("splunk",))
    (result,) = run.result.integrations
    assert result.status is Status.PASS, result.diagnosis
    warnings = [e.text for e in run.events if isinstance(e, NoteLine)]
    assert any("TLS verification is OFF for Splunk" in w for w in warnings)


def test_a_trusted_ca_passes_without_insecure(tmp_path: Path) -> None:
    files = make_tls_files(tmp_path)
    for mock in serve("splunk", tls=files):
        lookup = Lookup(env(mock))
        run = run_settings(lookup)
        targets = plan(["splunk"], lookup, run, {})
        trusted = ssl.create_default_context(cafile=files.ca_path)
        result = asyncio.run(
            verify(targets, run, lambda event: None, redactor_for(targets), tls_verify=trusted)
        )
        assert result.integrations[0].status is Status.PASS
