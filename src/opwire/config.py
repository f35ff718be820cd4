"""Settings, resolved once at the edge: flag > process environment > .env.local > default.

DESIGN § 3 (names, modes) and § 4 (time). Library code takes a `Lookup` and never reads
`os.environ` itself, so tests pass a plain dict.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

# The .env.local reader lives in opwire.envfile; re-exported for the settings code and tests.
from opwire.envfile import read_env_file as read_env_file

# Re-exported: settings code everywhere raises ConfigError and lists SLUGS from here.
from opwire.errors import ConfigError as ConfigError
from opwire.errors import OpwireError as OpwireError
from opwire.integrations import SLUGS as SLUGS
from opwire.integrations import default_ports


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


# A known secret cut at an edge of a text (an excerpt, a log line) still shows this much of
# itself unmasked at most: any longer prefix or suffix left at an edge is masked too.
EDGE_MIN = 8
ELLIPSIS = "…"


def _forms(value: str) -> set[str]:
    """Every spelling of a secret that output may carry: as is, URL-encoded, JSON-escaped."""
    forms = {value, quote(value, safe=""), quote(value, safe="/:")}
    forms |= {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    return forms


class Redactor:
    """Replaces every known secret (and its URL-encoded and JSON-escaped forms) in text by its
    masked form; a part of one of 8 or more characters left at an edge of the text (where an
    excerpt cut it) is masked too. `tree` redacts the values of a JSON document before it is
    serialised, so no escaping can hide a secret from the mask."""

    def __init__(self, secrets: Iterable[Secret] = ()) -> None:
        self._pairs: list[tuple[str, str]] = []
        self._values: list[str] = []
        self.add(secrets)

    def secrets(self) -> list[Secret]:
        return [Secret(value) for value in self._values]

    def add(self, secrets: Iterable[Secret]) -> None:
        for secret in secrets:
            value = secret.reveal()
            if len(value) < 4 or value in self._values:
                continue
            self._values.append(value)
            self._pairs.extend((form, secret.masked()) for form in _forms(value))
        self._pairs.sort(key=lambda pair: len(pair[0]), reverse=True)

    def __call__(self, text: str) -> str:
        for value, masked in self._pairs:
            if value in text:
                text = text.replace(value, masked)
        return self._edges(text)

    def clip(self, text: str, limit: int) -> str:
        """Redact the whole text first, then cut it to `limit` characters (and an ellipsis)."""
        text = self(text)
        return text if len(text) <= limit else self._edges(text[:limit]) + ELLIPSIS

    def tree(self, document: Any) -> Any:
        """A JSON-shaped value with every string in it (keys too) redacted."""
        if isinstance(document, str):
            return self(document)
        if isinstance(document, dict):
            return {self.tree(k): self.tree(v) for k, v in document.items()}
        if isinstance(document, list | tuple):
            return [self.tree(item) for item in document]
        return document

    def _edges(self, text: str) -> str:
        for form, masked in self._pairs:
            if len(form) > EDGE_MIN:
                text = _mask_tail(_mask_head(text, form, masked), form, masked)
        return text


def _mask_tail(text: str, secret: str, masked: str) -> str:
    """Mask the longest prefix (>= EDGE_MIN chars) of `secret` that ends the text."""
    body, mark = (text[: -len(ELLIPSIS)], ELLIPSIS) if text.endswith(ELLIPSIS) else (text, "")
    window = body[-(len(secret) - 1) :]
    start = window.find(secret[:EDGE_MIN])
    while start >= 0:
        if secret.startswith(window[start:]):
            return body[: len(body) - len(window) + start] + masked + mark
        start = window.find(secret[:EDGE_MIN], start + 1)
    return text


def _mask_head(text: str, secret: str, masked: str) -> str:
    """Mask the longest suffix (>= EDGE_MIN chars) of `secret` that starts the text."""
    window = text[: len(secret) - 1]
    tail = secret[-EDGE_MIN:]
    end = window.rfind(tail)
    while end >= 0:
        if secret.endswith(window[: end + EDGE_MIN]):
            return masked + text[end + EDGE_MIN :]
        end = window.rfind(tail, 0, end + EDGE_MIN - 1)
    return text


# Variables whose values are secrets by their name, wherever they come from (flags, the
# environment, .env.local): their values never appear in any message. Short values are left
# alone (a `FOO_KEY=true` must not mask every "true"); the vendors' own credentials are
# Secrets in their settings whatever their length.
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|DSN|WEBHOOK|CREDENTIAL|AUTH")
SECRET_NAME_MIN = 8
# `<VAR>_ROTATED_AT` holds when a credential was rotated (opwire.rotate): a time, not a secret.
ROTATED_AT = "_ROTATED_AT"
# scheme://userinfo@ in any value: the password of a URL (and a long bare user, a token) is a
# secret (`https://user:pass@splunk:8088`, a proxy URL in HTTPS_PROXY).
USERINFO = re.compile(
    r"""(?:[A-Za-z][A-Za-z0-9+.-]*://)?     # a scheme, when there is one
    ( [^/?\#@\s=,]+:[^/?\#@\s]+            # user:password@ (with or without a scheme)
    | (?<=://)[^/?\#@\s]+ )@              # a bare user@ right after a scheme""",
    re.VERBOSE,
)


def url_secrets(value: str) -> list[str]:
    """The passwords (and token-like bare users) in the URLs inside `value`."""
    found: list[str] = []
    for match in USERINFO.finditer(value):
        user, sep, password = match.group(1).partition(":")
        secret = password if sep else (user if len(user) >= 16 else "")
        if secret:
            found.extend({secret, unquote(secret)})
    return found


def _secret_parts(value: str) -> list[str]:
    """What of a secret-named value is secret: a URL's token-like path segments and password
    (a Slack webhook's last segment, a DSN's key), so its host and ids stay readable; any
    other value whole."""
    parts = urlsplit(value) if "://" in value else None
    if parts is None or not parts.netloc:
        return [value]
    segments = [p for p in parts.path.split("/") if len(p) >= 16]
    return [*segments, *url_secrets(value)] or [value]


def credential_part(value: str) -> str:
    """The part of a credential a vendor authenticates by: a webhook's secret segment, a DSN's
    key; any other value whole (what a mock's request log fingerprints)."""
    return _secret_parts(value)[0]


def mask_userinfo(text: str) -> str:
    """`https://user:pass@host` -> `https://user:****@host`, for messages about a URL."""

    def mask(match: re.Match[str]) -> str:
        user, sep, _ = match.group(1).partition(":")
        shown = f"{user}:****" if sep else ("****" if len(user) >= 16 else user)
        return match.group(0).replace(match.group(1), shown)

    return USERINFO.sub(mask, text)


class Lookup:
    """Layered variables: flags, then the process environment, then `.env.local`.

    An empty value counts as unset, so a copied `.env.example` with blank lines stays harmless.
    """

    def __init__(
        self,
        *layers: Mapping[str, str],
        flags: Mapping[str, str] | None = None,
        names: Sequence[str] = (),
    ) -> None:
        self._layers = layers
        self._flags = dict(flags or {})  # variable -> the flag that set it (`--budget`)
        self._names = tuple(names)  # what each layer is ("flag", "environment", a file)

    def source(self, name: str) -> str | None:
        """Where the value of `name` came from (the layer's name), None when unset."""
        for index, layer in enumerate(self._layers):
            value = layer.get(name)
            if value is not None and value.strip() != "":
                return self._names[index] if index < len(self._names) else f"layer {index}"
        return None

    def over(self, values: Mapping[str, str], name: str) -> Lookup:
        """This lookup with `values` on top of every layer (a rotation's new values)."""
        return Lookup(values, *self._layers, flags=self._flags, names=(name, *self._names))

    def raw(self, name: str) -> str | None:
        """The value as given, spaces around it kept (the linter names them)."""
        for layer in self._layers:
            value = layer.get(name)
            if value is not None and value.strip() != "":
                return value
        return None

    def label(self, name: str) -> str:
        """How the operator gave `name`: the flag as typed when a flag set it, else the variable."""
        flag = self._flags.get(name)
        if flag is not None and self._layers and self._layers[0].get(name) is not None:
            return flag
        return name

    def get(self, name: str) -> str | None:
        for layer in self._layers:
            value = layer.get(name)
            if value is not None and value.strip() != "":
                return value.strip()
        return None

    def secret(self, name: str) -> Secret | None:
        """A credential: printable ASCII only, since it travels in a header or a URL (a pasted
        non-breaking space or smart quote fails here, by name, not as a traceback later)."""
        value = self.get(name)
        if value is None:
            return None
        bad = next((n for n, c in enumerate(value, 1) if not " " < c <= "~"), None)
        if bad is not None:
            raise ConfigError(
                f"{name} has a character that cannot be sent (a space, control or non-ASCII "
                f"character at position {bad}; the value is not shown): paste it again"
            )
        return Secret(value)

    def url(self, name: str) -> str | None:
        """An http(s) URL setting, checked (scheme, host, port range), without a trailing /."""
        value = self.get(name)
        return None if value is None else check_url(name, value).rstrip("/")

    def secrets(self) -> list[Secret]:
        """Every secret-shaped value in every layer: secret-named variables and URL passwords,
        so that no message, whichever layer it quotes, can show one."""
        found: set[str] = set()
        for layer in self._layers:
            for name, raw in layer.items():
                value = raw.strip()
                secret_named = SECRET_NAME.search(name.upper()) and not name.endswith(ROTATED_AT)
                if secret_named and len(value) >= SECRET_NAME_MIN:
                    found.update(_secret_parts(value))
                if "@" in value:
                    found.update(url_secrets(value))
        return [Secret(value) for value in sorted(found)]


def parse_mode(raw: str | None, label: str = "OPERATOR_WIRING_MODE") -> frozenset[str]:
    """OPERATOR_WIRING_MODE -> the slugs that run against the real vendor (empty: all mock)."""
    if raw is None or raw.strip() in ("", "mock"):
        return frozenset()
    if raw.strip() == "real_all":
        return frozenset(SLUGS)
    real: set[str] = set()
    for part in (p.strip() for p in raw.split(",")):
        slug = part.removeprefix("real_")
        if not part.startswith("real_") or slug not in SLUGS:
            raise ConfigError(f"{label}: {part!r} is not a mode; valid: {valid_modes()}")
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
    mock_ports: Mapping[str, int] = field(default_factory=default_ports)
    state_dir: Path = Path("state")
    region_sweep: bool = True

    @property
    def mode(self) -> str:
        return mode_name(self.real)


def _number(lookup: Lookup, name: str, default: float, *, integer: bool = False) -> float:
    raw = lookup.get(name)
    if raw is None:
        return default
    try:
        value = (int(raw) if integer else float(raw)) if raw.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        kind = "a positive whole number" if integer else "a positive number of seconds"
        raise ConfigError(f"{lookup.label(name)} must be {kind}, got {raw!r}")
    return value


def _port(lookup: Lookup, slug: str) -> int:
    name = f"OPERATOR_WIRING_MOCK_PORT_{slug.upper()}"
    raw = lookup.get(name)
    if raw is None:
        return default_ports()[slug]
    # isdigit() alone admits other scripts' digits ("٤١٠١"): only ASCII is a port here.
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 65536:
        raise ConfigError(f"{name} must be a TCP port between 1 and 65535, got {raw!r}")
    return int(raw)


_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def mock_host(lookup: Lookup) -> str:
    """OPERATOR_WIRING_MOCK_HOST: an IP address (`::1` or `[::1]`) or a DNS name, no port."""
    raw = lookup.get("OPERATOR_WIRING_MOCK_HOST")
    return "127.0.0.1" if raw is None else host_setting("OPERATOR_WIRING_MOCK_HOST", raw)


def bind_host(raw: str) -> str:
    """`mock up --host`: the address to listen on."""
    return host_setting("--host", raw)


def host_setting(name: str, raw: str) -> str:
    """A host to reach or bind: an IP address (brackets allowed around IPv6) or a DNS name."""
    host = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    numeric = all(label.isdigit() for label in labels)
    if not host or numeric or len(host) > 253 or not all(map(_HOST_LABEL.match, labels)):
        raise ConfigError(
            f"{name} must be a host name or IP address without a port (like 127.0.0.1, ::1 or "
            f"mocks.internal), got {raw!r}"
        )
    return host


def state_dir(lookup: Lookup) -> Path:
    """OPERATOR_WIRING_STATE_DIR: a folder opwire can create and write, checked before any run
    writes its journal there (a probe must never fail as opwire's own bug for it)."""
    name = "OPERATOR_WIRING_STATE_DIR"
    raw = lookup.get(name) or "state"
    if "\0" in raw:
        raise ConfigError(f"{name} holds a NUL character: name a folder")
    path = Path(raw)
    if len(os.fsencode(raw)) > 3000 or any(len(os.fsencode(p)) > 255 for p in path.parts):
        raise ConfigError(f"{name} is too long a path (a part over 255 bytes): name a folder")
    problem = _unwritable(path)
    if problem:
        raise ConfigError(f"{name} {raw!r} {problem}")
    return path


def _unwritable(path: Path) -> str | None:
    """Why opwire could not keep its records at `path` (None: it can)."""
    node = path
    while not node.exists():
        if node.parent == node:
            break
        node = node.parent
    if node.exists() and not node.is_dir():
        return "is a file" if node == path else f"is under {node}, which is a file"
    if not os.access(node, os.W_OK | os.X_OK):
        return f"cannot be written ({node} is not writable by this user)"
    return None


def flag(lookup: Lookup, name: str, default: bool) -> bool:
    """A boolean setting: 0/1 or true/false (any case); anything else names the variable."""
    raw = lookup.get(name)
    if raw is None:
        return default
    value = raw.lower()
    if value not in ("0", "1", "true", "false"):
        raise ConfigError(f"{lookup.label(name)} must be 0 or 1 (or true/false), got {raw!r}")
    return value in ("1", "true")


def run_settings(lookup: Lookup) -> RunSettings:
    """Resolve opwire's own settings; raises ConfigError naming the variable at fault."""
    budget = _number(lookup, "OPERATOR_WIRING_BUDGET_S", 90.0)
    return RunSettings(
        real=parse_mode(lookup.get("OPERATOR_WIRING_MODE"), lookup.label("OPERATOR_WIRING_MODE")),
        budget_s=budget,
        integration_budget_s=_number(lookup, "OPERATOR_WIRING_INTEGRATION_BUDGET_S", budget),
        connect_timeout_s=_number(lookup, "OPERATOR_WIRING_CONNECT_TIMEOUT_S", 3.0),
        read_timeout_s=_number(lookup, "OPERATOR_WIRING_READ_TIMEOUT_S", 10.0),
        max_attempts=int(_number(lookup, "OPERATOR_WIRING_MAX_ATTEMPTS", 4, integer=True)),
        mock_host=mock_host(lookup),
        region_sweep=sweep_enabled(lookup),
        mock_ports={slug: _port(lookup, slug) for slug in SLUGS},
        state_dir=state_dir(lookup),
    )


def check_url(name: str, value: str) -> str:
    """`value` if it is an http(s) URL that can be requested; else a ConfigError naming `name`."""
    shown = mask_userinfo(value)
    if any(not " " < c <= "~" for c in value):
        problem = "has a space, control or non-ASCII character (use the punycode host form)"
    else:
        parts = urlsplit(value)
        try:
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            port_ok = False
        if parts.scheme not in ("http", "https"):
            problem = "must start with https:// (or http://)"
        elif not parts.hostname:
            problem = "has no host"
        elif not port_ok:
            problem = "has a port that is not between 1 and 65535"
        else:
            return value
    raise ConfigError(f"{name} {problem}, got {shown!r}")


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
            raise ConfigError(
                f"{name} must be region=url pairs separated by commas, got {mask_userinfo(part)!r}"
            )
        found[region.strip()] = url.strip().rstrip("/")
    return found


def sweep_enabled(lookup: Lookup) -> bool:
    """The region sweep sends a credential to the vendor's other regions; an operator may not
    be allowed to: OPERATOR_WIRING_REGION_SWEEP=0 (or --no-region-sweep) turns it off."""
    return flag(lookup, "OPERATOR_WIRING_REGION_SWEEP", True)
