"""The mock's tiny SPL: `search index=… sourcetype=… field=value … earliest=… | stats count`.

Enough for read-back and counting (vendor-contracts.md § 6.6): key=value terms (quotes and `*`
wildcards), bare words matched in the raw event, relative times (-15m, -2h, -1d, now) or epochs.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import time
from dataclasses import dataclass, field
from typing import Any

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
BUILT_IN = ("index", "sourcetype", "source", "host")


class SearchError(ValueError):
    """A search the mock cannot run."""


@dataclass(slots=True)
class Search:
    terms: dict[str, str] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    earliest: float = 0.0
    latest: float = float("inf")
    count: bool = False


def _when(value: str, now: float) -> float:
    if value == "now":
        return now
    match = re.fullmatch(r"-(\d+)([smhd])", value)
    if match:
        return now - int(match.group(1)) * UNITS[match.group(2)]
    try:
        return float(value)
    except ValueError:
        raise SearchError(f"cannot read time {value!r}") from None


def parse(text: str, now: float | None = None) -> Search:
    now = time.time() if now is None else now
    main, *pipes = text.split("|")
    if any(p.strip() != "stats count" for p in pipes):
        raise SearchError("only `| stats count` is supported after the search")
    try:
        tokens = shlex.split(main)
    except ValueError as exc:
        raise SearchError(str(exc)) from None
    if tokens and tokens[0] == "search":
        tokens = tokens[1:]
    search = Search(count=bool(pipes))
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep:
            search.words.append(token)
        elif key in ("earliest", "earliest_time"):
            search.earliest = _when(value, now)
        elif key in ("latest", "latest_time"):
            search.latest = _when(value, now)
        else:
            search.terms[key] = value
    return search


def _field(event: dict[str, Any], key: str) -> str | None:
    if key in BUILT_IN:
        return str(event[key])
    if key in event["fields"]:
        return str(event["fields"][key])
    body = event["event"]
    return str(body[key]) if isinstance(body, dict) and key in body else None


def matches(search: Search, event: dict[str, Any]) -> bool:
    if not search.earliest <= event["time"] <= search.latest:
        return False
    for key, pattern in search.terms.items():
        value = _field(event, key)
        if value is None or not fnmatch.fnmatchcase(value, pattern):
            return False
    return all(word.lower() in event["raw"].lower() for word in search.words)
