"""The registry as data (issue 10 item 3): every room declares its variables once, and each
declaration holds: its example has its own shape, the settings accept it, the room's mock
authenticates it, .env.example and the README list it, and the redactor masks it."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from opwire.config import Lookup, run_settings
from opwire.integrations import SLUGS, default_ports, load, room
from opwire.results import Status
from opwire.room import READ_BACK, ROUTING, SEND
from opwire.verify import plan, redactor_for, verify

from conftest import ROOT, serve

VARS = [(slug, var) for slug in SLUGS for var in room(slug).variables]


@pytest.mark.parametrize(("slug", "var"), VARS, ids=lambda v: getattr(v, "name", v))
def test_each_example_has_its_own_shape(slug: str, var: object) -> None:
    from opwire.room import Var

    assert isinstance(var, Var)
    assert var.problem(var.example) is None, var.name
    assert var.needed_for <= {SEND, READ_BACK, ROUTING} and var.needed_for
    assert var.hint and var.name.isupper()


@pytest.mark.parametrize(("slug", "var"), VARS, ids=lambda v: getattr(v, "name", v))
def test_every_variable_is_in_env_example_and_the_readme(slug: str, var: object) -> None:
    name = getattr(var, "name")  # noqa: B009 - a Var, typed loosely by parametrize
    example = (ROOT / ".env.example").read_text()
    assert f"\n{name}=" in example, f"{name} is declared but not in .env.example"
    assert name in (ROOT / "README.md").read_text(), f"{name} is not in the README"


def test_rooms_give_the_slugs_and_ports() -> None:
    assert [room(s).slug for s in SLUGS] == list(SLUGS)
    assert default_ports() == {s: room(s).port for s in SLUGS}
    assert len(set(default_ports().values())) == len(SLUGS)


def test_a_room_that_cleans_nothing_says_why() -> None:
    for slug in SLUGS:
        declared = room(slug)
        assert (declared.cleanup is None) == bool(declared.no_cleanup), slug


def _pointed_at(url: str, value: str) -> str:
    """An example URL moved onto the mock, path and credentials kept."""
    parts = urlsplit(value)
    mock = urlsplit(url)
    netloc = parts.netloc.rpartition("@")
    host = f"{netloc[0]}@{mock.netloc}" if netloc[1] else mock.netloc
    return parts._replace(scheme=mock.scheme, netloc=host).geturl()


def examples_env(slug: str, url: str) -> dict[str, str]:
    env = {"OPERATOR_WIRING_MODE": f"real_{slug}", "OPERATOR_WIRING_BUDGET_S": "20"}
    for var in room(slug).variables:
        if var.needed_for & {SEND, READ_BACK}:
            value = var.example
            env[var.name] = _pointed_at(url, value) if "://" in value else value
        elif var.url:
            env[var.name] = url + urlsplit(var.example).path
    env["OPERATOR_WIRING_REGION_SWEEP"] = "0"
    # Where each mock keeps what it receives (its documented defaults): the credentials stay
    # the declared examples, the routing names the mock's own.
    if slug == "sentry":
        env |= {"OPERATOR_WIRING_SENTRY_API_URL": url, "SENTRY_ORG": "opwire-mock"}
        env["SENTRY_PROJECT"] = "42"
    if slug == "opsgenie":
        env["OPSGENIE_TEAM"] = "opwire"
    if slug == "slack":
        env["SLACK_CHANNEL_ID"] = "C0OPWIRE01"
    return env


@pytest.mark.parametrize("slug", SLUGS)
def test_the_examples_are_accepted_and_authenticated_by_the_mock(
    slug: str, tls_files: object
) -> None:
    """Every declared example, loaded as real-mode settings, passes its room's mock."""
    kwargs = {"tls": tls_files} if slug == "pagerduty" else {}
    for mock in serve(slug, **kwargs):  # type: ignore[arg-type]
        lookup = Lookup(examples_env(slug, mock.url))
        run = run_settings(lookup)
        targets = plan([slug], lookup, run, {})
        redact = redactor_for(targets)
        import ssl

        ca = getattr(tls_files, "ca_path", None)
        trust = ssl.create_default_context(cafile=ca) if slug == "pagerduty" and ca else True
        result = asyncio.run(verify(targets, run, lambda e: None, redact, tls_verify=trust))
        (outcome,) = result.integrations
        assert outcome.status in (Status.PASS, Status.UNCONFIRMED), outcome.diagnosis
        for var in room(slug).variables:
            if var.secret:
                assert redact(var.example) != var.example, var.name


def test_load_uses_the_declaration() -> None:
    vendor = load("slack")
    assert vendor.room is room("slack") and vendor.slug == "slack"


def test_the_readme_variable_table_is_the_declarations() -> None:
    from opwire.room import variables_table

    readme = (ROOT / "README.md").read_text()
    begin, end = "<!-- variables:begin -->\n", "\n<!-- variables:end -->"
    shown = readme[readme.index(begin) + len(begin) : readme.index(end)]
    assert shown == variables_table([room(s) for s in SLUGS])
