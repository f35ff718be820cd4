"""The registry of vendor rooms. A room is imported only when it is used.

Each room `opwire.integrations.<slug>` declares the same names (HOUSE-STYLE "Layout and names"):
`SLUG`, `TITLE`, `Settings`, `load_settings`, `run_probe`, `rules`, `create_app`.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from opwire.config import SLUGS, ConfigError

if TYPE_CHECKING:
    from opwire.config import Lookup, Secret
    from opwire.diagnosis import Rule
    from opwire.probing import ProbeContext

# Rooms with a mock, and rooms whose probe is built (verify runs these). Seed order.
MOCKED: tuple[str, ...] = SLUGS
IMPLEMENTED: tuple[str, ...] = SLUGS


class VendorSettings(Protocol):
    def secrets(self) -> list[Secret]: ...


class Vendor(Protocol):
    SLUG: str
    TITLE: str

    def load_settings(self, lookup: Lookup, real: bool, mock_base: str) -> VendorSettings: ...

    async def run_probe(self, ctx: ProbeContext, settings: Any) -> None: ...

    async def run_cleanup(
        self, ctx: ProbeContext, settings: Any, artifact: dict[str, Any]
    ) -> bool: ...

    def rules(self) -> Sequence[Rule]: ...

    def create_app(self) -> Any: ...


def load(slug: str) -> Vendor:
    """Import one vendor room; an unknown slug is a usage error (exit 2)."""
    if slug not in SLUGS:
        raise ConfigError(f"unknown integration {slug!r}; valid: {', '.join(SLUGS)}")
    return cast(Vendor, importlib.import_module(f"opwire.integrations.{slug}"))


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
