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

# The rooms built so far; the other seed slugs are valid names that are not implemented yet.
IMPLEMENTED: tuple[str, ...] = ("slack",)


class VendorSettings(Protocol):
    def secrets(self) -> list[Secret]: ...


class Vendor(Protocol):
    SLUG: str
    TITLE: str

    def load_settings(self, lookup: Lookup, real: bool, mock_base: str) -> VendorSettings: ...

    async def run_probe(self, ctx: ProbeContext, settings: Any) -> None: ...

    def rules(self) -> Sequence[Rule]: ...

    def create_app(self) -> Any: ...


def load(slug: str) -> Vendor:
    """Import one vendor room; an unknown or unbuilt slug is a usage error (exit 2)."""
    if slug not in SLUGS:
        raise ConfigError(f"unknown integration {slug!r}; valid: {', '.join(SLUGS)}")
    if slug not in IMPLEMENTED:
        raise ConfigError(
            f"integration {slug!r} is not implemented yet; implemented: {', '.join(IMPLEMENTED)}"
        )
    return cast(Vendor, importlib.import_module(f"opwire.integrations.{slug}"))


def select(names: Sequence[str]) -> list[str]:
    """The slugs to run, in seed order: the named ones, or every implemented one."""
    for name in names:
        load(name)
    chosen = set(names) or set(IMPLEMENTED)
    return [slug for slug in SLUGS if slug in chosen]
