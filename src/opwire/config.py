"""Settings, resolved once at the edge: flag > process environment > .env.local > default.

DESIGN § 3 (names, modes) and § 4 (time). Library code takes a `Lookup` and never reads
`os.environ` itself, so tests pass a plain dict.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

SLUGS = ("datadog", "sentry", "pagerduty", "opsgenie", "slack", "splunk")
DEFAULT_PORTS = {
    "datadog": 4101,
    "sentry": 4102,
    "pagerduty": 4103,
    "opsgenie": 4104,
    "slack": 4105,
    "splunk": 4106,
}


class ConfigError(Exception):
    """A usage or configuration mistake of the caller: exit code 2, never a traceback."""

    exit_code = 2


class Secret:
    """A credential that never renders its value: repr, str, format and JSON show `****ab12`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself; only request builders call this."""
        return self._value

    def masked(self) -> str:
        # Show the last four characters only when they are a small part of a long secret.
        tail = self._value[-4:] if len(self._value) >= 16 else ""
        return "****" + tail

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    def __str__(self) -> str:
        return self.masked()

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


class Redactor:
    """Replaces every known secret (and its URL-encoded form) in text by its masked form."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._pairs: list[tuple[str, str]] = []
        self.add(secrets)

    def add(self, secrets: Iterable[Secret]) -> None:
        for secret in secrets:
            value = secret.reveal()
            if len(value) < 4:
                continue
            for form in {value, quote(value, safe=""), quote(value, safe="/:")}:
                self._pairs.append((form, secret.masked()))
        self._pairs.sort(key=lambda pair: len(pair[0]), reverse=True)

    def __call__(self, text: str) -> str:
        for value, masked in self._pairs:
            if value in text:
                text = text.replace(value, masked)
        return text


class Lookup:
    """Layered variables: flags, then the process environment, then `.env.local`.

    An empty value counts as unset, so a copied `.env.example` with blank lines stays harmless.
    """

    def __init__(self, *layers: Mapping[str, str]) -> None:
        self._layers = layers

    def get(self, name: str) -> str | None:
        for layer in self._layers:
            value = layer.get(name)
            if value is not None and value.strip() != "":
                return value.strip()
        return None

    def secret(self, name: str) -> Secret | None:
        value = self.get(name)
        return Secret(value) if value is not None else None


_ENV_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a dotenv file (KEY=VALUE, `export`, quotes, # comments). Missing file: empty."""
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            raise ConfigError(f"{path}:{number}: expected NAME=value (the line is not shown)")
        values[match.group(1)] = _unquote(match.group(2))
    return values


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()


def parse_mode(raw: str | None) -> frozenset[str]:
    """OPERATOR_WIRING_MODE -> the slugs that run against the real vendor (empty: all mock)."""
    if raw is None or raw.strip() in ("", "mock"):
        return frozenset()
    if raw.strip() == "real_all":
        return frozenset(SLUGS)
    real: set[str] = set()
    for part in (p.strip() for p in raw.split(",")):
        slug = part.removeprefix("real_")
        if not part.startswith("real_") or slug not in SLUGS:
            raise ConfigError(
                f"OPERATOR_WIRING_MODE (or --mode): {part!r} is not a mode; valid: {valid_modes()}"
            )
        real.add(slug)
    return frozenset(real)


def valid_modes() -> str:
    names = ["mock", "real_all", *(f"real_{s}" for s in SLUGS)]
    return ", ".join(names) + " (or a comma list of real_<slug>)"


def mode_name(real: frozenset[str]) -> str:
    if not real:
        return "mock"
    if real == frozenset(SLUGS):
        return "real_all"
    return ",".join(f"real_{s}" for s in SLUGS if s in real)


@dataclass(frozen=True, slots=True)
class RunSettings:
    """opwire's own settings (prefix OPERATOR_WIRING_); vendor settings live in each room."""

    real: frozenset[str] = frozenset()
    budget_s: float = 90.0
    integration_budget_s: float = 90.0
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    max_attempts: int = 4
    mock_host: str = "127.0.0.1"
    mock_ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    state_dir: Path = Path("state")

    @property
    def mode(self) -> str:
        return mode_name(self.real)


def _number(lookup: Lookup, name: str, default: float, *, integer: bool = False) -> float:
    raw = lookup.get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        kind = "a positive whole number" if integer else "a positive number of seconds"
        raise ConfigError(f"{name} must be {kind}, got {raw!r}")
    return value


def _port(lookup: Lookup, slug: str) -> int:
    name = f"OPERATOR_WIRING_MOCK_PORT_{slug.upper()}"
    raw = lookup.get(name)
    if raw is None:
        return DEFAULT_PORTS[slug]
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{name} must be a TCP port between 1 and 65535, got {raw!r}")
    return int(raw)


def run_settings(lookup: Lookup) -> RunSettings:
    """Resolve opwire's own settings; raises ConfigError naming the variable at fault."""
    budget = _number(lookup, "OPERATOR_WIRING_BUDGET_S", 90.0)
    return RunSettings(
        real=parse_mode(lookup.get("OPERATOR_WIRING_MODE")),
        budget_s=budget,
        integration_budget_s=_number(lookup, "OPERATOR_WIRING_INTEGRATION_BUDGET_S", budget),
        connect_timeout_s=_number(lookup, "OPERATOR_WIRING_CONNECT_TIMEOUT_S", 3.0),
        read_timeout_s=_number(lookup, "OPERATOR_WIRING_READ_TIMEOUT_S", 10.0),
        max_attempts=int(_number(lookup, "OPERATOR_WIRING_MAX_ATTEMPTS", 4, integer=True)),
        mock_host=lookup.get("OPERATOR_WIRING_MOCK_HOST") or "127.0.0.1",
        mock_ports={slug: _port(lookup, slug) for slug in SLUGS},
        state_dir=Path(lookup.get("OPERATOR_WIRING_STATE_DIR") or "state"),
    )


def host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def url_map(lookup: Lookup, name: str) -> dict[str, str]:
    """`region=url,region=url` (OPERATOR_WIRING_<VENDOR>_REGION_URLS) -> {region: url}."""
    raw = lookup.get(name)
    if raw is None:
        return {}
    found = {}
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        region, sep, url = part.partition("=")
        if not sep or not region.strip() or "://" not in url:
            raise ConfigError(f"{name} must be region=url pairs separated by commas, got {part!r}")
        found[region.strip()] = url.strip().rstrip("/")
    return found


def sweep_enabled(lookup: Lookup) -> bool:
    """The region sweep sends a credential to the vendor's other regions; an operator may not
    be allowed to: OPERATOR_WIRING_REGION_SWEEP=0 (or --no-region-sweep) turns it off."""
    return (lookup.get("OPERATOR_WIRING_REGION_SWEEP") or "1").lower() not in ("0", "false", "no")
