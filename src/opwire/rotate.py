"""Rotating a credential in `.env.local` without a redeploy (seed step 27, § 7 "Quarterly").

The swap keeps the old value as `<VAR>_PREVIOUS`, with `<VAR>_ROTATED_AT`, for the seed's 24 h
overlap (the old credential stays active at the vendor meanwhile); `--finish` removes both once
the overlap has passed. The file is rewritten whole or not at all: a temporary file in the same
folder, fsync, rename, mode 0600; comments, blank lines and order are kept (opwire.envfile).
Every run reads `.env.local` afresh, so the next scheduled run uses the new value.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opwire.config import ROTATED_AT, credential_part
from opwire.envfile import read_env_values, rewritten
from opwire.errors import ConfigError, OpwireError

OVERLAP = timedelta(hours=24)  # seed § 7: "Keep the old cred active for 24h overlap"
PREVIOUS = "_PREVIOUS"


class RotationRefused(OpwireError):
    """The rotation cannot go on; the file is unchanged."""


def fingerprint(value: str) -> str:
    """Which credential, never what it is: the tag of the part the vendor authenticates by,
    as a mock's request log shows it too."""
    return "sha256:" + hashlib.sha256(credential_part(value).encode()).hexdigest()[:12]


def stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(raw: str | None) -> datetime | None:
    try:
        return datetime.strptime(raw or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Kept:
    """A previous value kept for the overlap."""

    name: str
    rotated_at: datetime | None

    @property
    def until(self) -> datetime | None:
        return None if self.rotated_at is None else self.rotated_at + OVERLAP


def kept(values: Mapping[str, str], names: Sequence[str]) -> list[Kept]:
    """The variables among `names` whose previous value is still kept."""
    return [
        Kept(name, parse_stamp(values.get(name + ROTATED_AT)))
        for name in names
        if values.get(name + PREVIOUS)
    ]


def swapped(
    text: str, path: Path, new: Mapping[str, str], now: datetime, force: bool = False
) -> str:
    """The file's text with the new values, each old one kept as `<VAR>_PREVIOUS`."""
    values = read_env_values(text, path)
    waiting = [k for k in kept(values, list(new)) if new[k.name] != values.get(k.name)]
    if waiting and not force:
        k = waiting[0]
        when = f" (rotated {stamp(k.rotated_at)})" if k.rotated_at else ""
        raise RotationRefused(
            f"{k.name} still keeps its previous value{when}: revoke that one at the vendor and "
            "run `opwire rotate <slug> --finish` first (or --force to drop it now)"
        )
    changes: dict[str, str | None] = {}
    after: dict[str, str] = {}
    for name, value in new.items():
        old = values.get(name)
        if old == value:
            raise RotationRefused(f"the new {name} is the value already set: nothing to rotate")
        changes[name] = value
        if old:
            changes[name + PREVIOUS], changes[name + ROTATED_AT] = old, stamp(now)
            after[name + PREVIOUS] = after[name + ROTATED_AT] = name
    return rewritten(text, path, changes, after)


def finished(text: str, path: Path, names: Sequence[str], now: datetime, force: bool) -> str:
    """The file's text without the previous values of `names`, once their overlap is over."""
    values = read_env_values(text, path)
    found = kept(values, names)
    if not found:
        raise RotationRefused(
            f"no previous value is kept for {', '.join(names)}: there is no rotation to finish"
        )
    for k in found:
        if force:
            continue
        if k.until is None:
            raise RotationRefused(
                f"{k.name}{ROTATED_AT} is missing or not a UTC time (like 2026-12-01T09:00:00Z): "
                "opwire cannot tell whether the overlap is over; --force drops the old value"
            )
        if now < k.until:
            left = k.until - now
            raise RotationRefused(
                f"the 24 h overlap of {k.name} ends at {stamp(k.until)} (in {_hours(left)}): "
                "the old credential may still be in use; --force drops it now"
            )
    changes: dict[str, str | None] = {}
    for k in found:
        changes[k.name + PREVIOUS] = changes[k.name + ROTATED_AT] = None
    return rewritten(text, path, changes)


def _hours(left: timedelta) -> str:
    hours, rest = divmod(int(left.total_seconds()), 3600)
    return f"{hours} h {rest // 60} min"


def writable_target(path: Path) -> Path:
    """Where a rewrite of the dotenv file goes: the file itself, or what a symlink points at
    (the link stays); anything but a regular file (/dev/null, a fifo) is refused."""
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        raise ConfigError(
            f"{path} is not a regular file: rotate rewrites a dotenv file (use --env-file to "
            "name one)"
        )
    return target


def write_private(path: Path, text: str) -> None:
    """Replace `path` (through a symlink: its target) with `text` atomically, readable by its
    owner only (0600)."""
    path = writable_target(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}-")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write in {folder} ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fchmod(out.fileno(), 0o600)
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
