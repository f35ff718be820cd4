"""Sentry's issue search syntax, for the Sentry mock's issue lists.

Followed: docs.sentry.io/concepts/search/ (`key:value`, `!key:value`, quoted values, `[a, b]`
lists, `*` wildcards, free text on the title) and
docs.sentry.io/concepts/search/searchable-properties/issues/ (`is:`, `level:`, `has:`, tag
`key:value`); shared/specs/sentry/openapi-derefed.json (`query` defaults to `is:unresolved`, an
empty `query=` lists every issue).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_QUERY = "is:unresolved"
TOKEN = re.compile(
    r'(?P<neg>!?)(?P<key>[\w.\[\]-]+):(?P<value>"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S*)'
    r'|"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<word>\S+)'
)
# `is:` values: what each checks on an issue (its status, or its assignee: never assigned here).
IS_VALUES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "unresolved": lambda g: g["status"] == "unresolved",
    "resolved": lambda g: g["status"] == "resolved",
    "ignored": lambda g: g["status"] == "ignored",
    "archived": lambda g: g["status"] == "ignored",
    "unassigned": lambda g: True,
    "assigned": lambda g: False,
    "for_review": lambda g: False,
    "linked": lambda g: False,
    "unlinked": lambda g: True,
}
# Issue fields a search key reads before it falls back to the tags.
FIELDS = {"level": "level", "issue": "shortId", "title": "title", "message": "title"}


class SearchError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Term:
    key: str | None  # None: free text
    values: tuple[str, ...]
    negated: bool = False


def _values(raw: str) -> tuple[str, ...]:
    if raw.startswith("[") and raw.endswith("]"):
        return tuple(v.strip().strip('"') for v in raw[1:-1].split(",") if v.strip())
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return (raw[1:-1].replace('\\"', '"'),)
    return (raw,)


def parse(query: str) -> list[Term]:
    terms = []
    for found in TOKEN.finditer(query):
        if found["key"] is not None:
            key = found["key"].removeprefix("tags[").removesuffix("]")
            terms.append(Term(key, _values(found["value"]), bool(found["neg"])))
        elif found["quoted"] is not None:
            terms.append(Term(None, (found["quoted"],)))
        elif found["word"] not in ("AND", "OR"):
            terms.append(Term(None, (found["word"],)))
    for term in terms:
        unknown = [v for v in term.values if term.key == "is" and v not in IS_VALUES]
        if unknown:
            raise SearchError(
                f'Invalid value for "is" search, valid values are {sorted(IS_VALUES)}'
            )
    return terms


def _like(pattern: str, value: str) -> bool:
    """A value matches exactly, or as a `*` wildcard pattern (case-insensitive)."""
    if "*" in pattern:
        return fnmatch.fnmatchcase(value.lower(), pattern.lower())
    return value.lower() == pattern.lower()


def _term_holds(term: Term, group: dict[str, Any], tags: Mapping[str, Collection[str]]) -> bool:
    if term.key is None:
        text = term.values[0].lower()
        return text in group["title"].lower() or text in str(group.get("culprit", "")).lower()
    if term.key == "is":
        return any(IS_VALUES[v](group) for v in term.values)
    if term.key == "has":
        return any(v in tags or v in FIELDS for v in term.values)
    if term.key in FIELDS:
        field = str(group.get(FIELDS[term.key], ""))
        return any(_like(v, field) for v in term.values)
    seen = tags.get(term.key, ())
    return any(_like(v, value) for v in term.values for value in seen)


def matches(terms: list[Term], group: dict[str, Any], tags: Mapping[str, Collection[str]]) -> bool:
    """Every term holds (Sentry ANDs the terms); `!` negates one."""
    return all(_term_holds(t, group, tags) != t.negated for t in terms)
