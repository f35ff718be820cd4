"""The registry of vendor rooms. A room is imported only when it is used.

Each room `opwire.integrations.<slug>` declares one `ROOM` (opwire.room.Room: title, default
port, its variables, and where its probe, cleanup, failure table, drills and mock live) and its
`load_settings`. Adding a vendor is a folder plus its slug in `SLUGS` below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from opwire.errors import ConfigError

if TYPE_CHECKING:
    from opwire.config import Lookup, Secret
    from opwire.diagnosis import Rule
    from opwire.probing import ProbeContext
    from opwire.room import Room

# The rooms, in the seed's order: the one line a new vendor adds.
SLUGS: tuple[str, ...] = ("datadog", "sentry", "pagerduty", "opsgenie", "slack", "splunk")
# Rooms with a mock, and rooms whose probe is built (verify runs these).
MOCKED: tuple[str, ...] = SLUGS
IMPLEMENTED: tuple[str, ...] = SLUGS


class VendorSettings(Protocol):
    def secrets(self) -> list[Secret]: ...


@dataclass(frozen=True, slots=True)
class Vendor:
    """A room as the rest of opwire uses it: its declaration, its settings loader, and its
    parts, each imported from the declared path on first use."""

    room: Room
    load_settings: Callable[[Lookup, bool, str], Any]
    at_mock: Callable[[Any, Any], Any]

    def settings(self, lookup: Lookup, real: bool, mock_base: str, own: bool = False) -> Any:
        """The settings of a run; `own` aims the operator's own credentials (checked as for
        real) at the mock, as a rotation or an online check does in mock mode."""
        if real:
            return self.load_settings(lookup, True, "")
        mock = self.load_settings(lookup, False, mock_base)
        return self.at_mock(self.load_settings(lookup, True, mock_base), mock) if own else mock

    @property
    def slug(self) -> str:
        return self.room.slug

    async def run_probe(self, ctx: ProbeContext, settings: Any) -> None:
        await _part(self.room.probe)(ctx, settings)

    async def run_whoami(self, ctx: ProbeContext, settings: Any) -> None:
        """The cheapest authenticated read: whether the credentials work now."""
        await _part(self.room.auth)(ctx, settings)

    async def run_cleanup(self, ctx: ProbeContext, settings: Any, artifact: dict[str, Any]) -> bool:
        """Finish a journaled artifact; a room that creates none says so in its declaration."""
        if self.room.cleanup is None:
            return True
        return bool(await _part(self.room.cleanup)(ctx, settings, artifact))

    def rules(self) -> Sequence[Rule]:
        rules: Sequence[Rule] = _part(self.room.rules)
        return rules

    def drills(self) -> dict[str, str]:
        """Scenario -> the diagnosis code its drill must produce (the room's own failures)."""
        return dict(_part(self.room.drills))

    def create_app(self) -> Any:
        return _part(self.room.mock)()


def _part(path: str) -> Any:
    """`opwire.integrations.slack.probe:probe` -> that object, imported now."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@cache
def load(slug: str) -> Vendor:
    """Import one vendor room's declaration; an unknown slug is a usage error (exit 2)."""
    if slug not in SLUGS:
        raise ConfigError(f"unknown integration {slug!r}; valid: {', '.join(SLUGS)}")
    module = importlib.import_module(f"opwire.integrations.{slug}")
    return Vendor(module.ROOM, module.load_settings, module.at_mock)


def room(slug: str) -> Room:
    return load(slug).room


def default_ports() -> dict[str, int]:
    """Each room's declared mock port (the same in docker-compose and in-process)."""
    return {slug: room(slug).port for slug in SLUGS}


def select(names: Sequence[str], built: Sequence[str] = IMPLEMENTED) -> list[str]:
    """The slugs to run, in seed order: the named ones, or every built one."""
    for name in names:
        load(name)
        if name not in built:
            raise ConfigError(
                f"integration {name!r} is not implemented yet here; built: {', '.join(built)}"
            )
    chosen = set(names) or set(built)
    return [slug for slug in SLUGS if slug in chosen]
