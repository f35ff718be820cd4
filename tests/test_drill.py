"""Every named scenario through `opwire drill`, and the drill list against the seed's § 4 table."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from opwire import drill
from opwire.integrations import MOCKED, load
from opwire.mock.server import MockStack

from conftest import clean_env, opwire


def scenario_names() -> list[str]:
    return [name for slug in MOCKED for name in load(slug).create_app().state.scenarios]


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, drill.DrillResult]]:
    with MockStack(MOCKED) as stack:
        ran = asyncio.run(drill.drill_all(stack.urls, None, lambda result: None))
    yield {r.scenario: r for r in ran}


@pytest.mark.parametrize("scenario", scenario_names())
def test_scenario_is_diagnosed_as_expected(
    results: dict[str, drill.DrillResult], scenario: str
) -> None:
    result = results[scenario]
    assert result.expected is not None, f"{scenario} has no expectation in opwire.drill"
    assert result.got == result.expected, (result.symptom, result.cause)


def test_every_seed_row_is_drilled_or_says_why_not() -> None:
    names = set(scenario_names())
    for row, target in drill.SEED_ROWS.items():
        if target.startswith("not "):
            continue  # an explanation, not a scenario
        if target == drill.DNS_DRILL:
            continue  # drilled in a network namespace, below
        wanted = [
            n for n in names if n == target or (target.startswith("*/") and n.endswith(target[1:]))
        ]
        assert wanted, f"seed row {row!r} names {target}, which no mock offers"
    assert len(drill.SEED_ROWS) == 9  # the seed's § 4 table has nine rows


def test_every_mock_scenario_has_a_seed_row_or_is_generic_or_vendor() -> None:
    assert all(drill.expected_for(name) for name in scenario_names())


def test_drill_command_one_scenario_and_exit_code() -> None:
    done = opwire("drill", "slack", "revoked", env=clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "drill slack/revoked: ok" in done.stdout
    assert "diagnosis: slack.webhook_revoked (expected slack.webhook_revoked)" in done.stdout
    assert "fix:" in done.stdout and "drills: 1 of 1 diagnosed as expected" in done.stdout


def test_drill_dns_in_a_network_namespace() -> None:
    done = opwire("drill", "slack", "dns_blocked", env=clean_env())
    if "SKIPPED" in done.stdout:
        pytest.skip(done.stdout)
    assert done.returncode == 0 and "diagnosis: net.dns (expected net.dns)" in done.stdout


def test_drill_unknown_scenario_is_a_usage_error() -> None:
    done = opwire("drill", "slack", "no_such_thing", env=clean_env())
    assert done.returncode == 2 and "no scenario" in done.stderr


def test_a_result_is_wrong_when_the_codes_differ() -> None:
    right = drill.DrillResult("x/y", "a.b", "a.b", "", "", "")
    wrong = drill.DrillResult("x/y", "a.b", "a.c", "", "", "")
    assert right.ok and not wrong.ok
