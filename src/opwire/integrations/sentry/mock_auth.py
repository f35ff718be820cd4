"""Relay's ingest authentication, for the Sentry mock.

Followed: getsentry/relay relay-server/src/extractors/request_meta.rs (`auth_from_parts`,
`BadEventMeta`), relay-common/src/auth.rs (`Auth::from_str`, `from_pairs`), relay-base-schema
project.rs (`ProjectKey::parse_with_flags`), relay-server/src/endpoints/envelope.rs (the `dsn`
envelope header is read only when the request itself carries no auth).

Relay takes the key from exactly one of: `X-Sentry-Auth: Sentry …`, `Authorization: Sentry …`,
`Authorization: Basic base64(<key>:…)`, a query string containing `sentry_`; a second one is
refused outright (`multiple authorization payloads detected`), even when the keys agree.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from opwire.mock.state import strict_json

PROTOCOL_VERSION = (
    7  # relay_event_schema::protocol::PROTOCOL_VERSION: newer is refused, older taken
)

# BadEventMeta: (status, detail). 401 for missing/unreadable auth, 400 for bad values.
MISSING = (401, "missing authorization information")
MULTIPLE = (401, "multiple authorization payloads detected")
BAD_HEADER = (401, "bad x-sentry-auth header")  # any ParseAuthError, whichever form it was in
BAD_ENVELOPE_AUTH = (401, "bad envelope authentication header")
BAD_KEY = (400, "bad sentry DSN public key")
BAD_PROJECT = (400, "bad project path parameter")


class AuthError(Exception):
    def __init__(self, refusal: tuple[int, str]) -> None:
        super().__init__(refusal[1])
        self.status, self.detail = refusal


@dataclass(frozen=True, slots=True)
class Auth:
    key: str
    version: int = PROTOCOL_VERSION
    client: str | None = None


def _sentry_scheme(value: str | None) -> str | None:
    """The pairs of a `Sentry …` header value (get_auth_header: a 7-character prefix check)."""
    if value is None or len(value) < 7 or value[:7].lower() != "sentry ":
        return None
    return value[7:]


def from_pairs(pairs: Any) -> Auth:
    """Auth::from_pairs: sentry_key required, sentry_version's major part an integer."""
    key, version, client = "", PROTOCOL_VERSION, None
    for name, value in pairs:
        if name == "sentry_key":
            key = value
        elif name == "sentry_client":
            client = value
        elif name == "sentry_version":
            major = value.split(".", 1)[0]
            if not major.isdigit() or int(major) > 0xFFFF:
                raise AuthError(BAD_HEADER)
            version = int(major)
    if not key:
        raise AuthError(BAD_HEADER)
    return Auth(key, version, client)


def _header_pairs(items: str) -> list[tuple[str, str]]:
    """`k=v, k=v`: an item without `=` is skipped, as Relay's filter_map skips it."""
    pairs = []
    for item in items.split(","):
        name, sep, value = item.partition("=")
        if sep:
            pairs.append((name.strip(), value.partition("=")[0].strip()))
    return pairs


def _basic_key(value: str | None) -> str | None:
    if value is None or len(value) < 6 or value[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None  # Relay ignores a Basic header it cannot read
    key, sep, _ = decoded.partition(":")
    return key if sep else None


def request_auth(headers: Mapping[str, str], query: str) -> Auth | None:
    """The one auth payload of the request, None when it carries none (auth_from_parts)."""
    found: list[Auth] = []
    for value in (headers.get("x-sentry-auth"), headers.get("authorization")):
        if (items := _sentry_scheme(value)) is not None:
            found.append(from_pairs(_header_pairs(items)))
    if (basic := _basic_key(headers.get("authorization"))) is not None:
        found.append(from_pairs([("sentry_key", basic)]))
    if "sentry_" in query:
        found.append(from_pairs(parse_qsl(query, keep_blank_values=True)))
    if len(found) > 1:
        raise AuthError(MULTIPLE)
    return found[0] if found else None


def envelope_auth(first_line: bytes) -> Auth:
    """The envelope header's `dsn`, used when the request has no auth (EnvelopeParams); a
    header that is not JSON (nested past the parser's depth, a lone surrogate) has none."""
    try:
        header = strict_json(first_line)
        dsn = urlsplit(header["dsn"])
        key = dsn.username
        project = dsn.path.rstrip("/").rpartition("/")[2]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise AuthError(BAD_ENVELOPE_AUTH) from None
    if not key or not project.isdigit() or len(key) != 32 or not key.isascii():
        raise AuthError(BAD_ENVELOPE_AUTH)
    return Auth(key)


def checked(auth: Auth) -> str:
    """The public key once Relay's RequestMeta checks pass: 32 ASCII characters before any
    `.flag` suffix, a protocol version no newer than Relay's."""
    key = auth.key.split(".", 1)[0]
    if len(key) != 32 or not key.isascii():
        raise AuthError(BAD_KEY)
    if auth.version > PROTOCOL_VERSION:
        raise AuthError((400, f"unsupported protocol version ({auth.version})"))
    return key


def credential(headers: Mapping[str, str], query: str, body: bytes) -> str | None:
    """The key a request carried, whichever form (for the request log's fingerprint and mask);
    never raises."""
    for value in (headers.get("x-sentry-auth"), headers.get("authorization")):
        items = _sentry_scheme(value)
        if items is not None and (key := dict(_header_pairs(items)).get("sentry_key")):
            return key
    if basic := _basic_key(headers.get("authorization")):
        return basic
    if key := dict(parse_qsl(query, keep_blank_values=True)).get("sentry_key"):
        return key
    dsn = re.search(rb'"dsn"\s*:\s*"[a-z]+://([^:@"/]+)[:@]', body[:4096])
    return dsn.group(1).decode("latin-1") if dsn else None
