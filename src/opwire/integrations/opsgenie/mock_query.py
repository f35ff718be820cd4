"""Opsgenie's alert search query language, for the mock's list and count routes.

Page followed: docs.opsgenie.com/docs/alerts-search-query-help ("Alerts Search Query Help"):
`field: value` conditions on most alert fields, the operators `:` `=` `!=` `<` `>` (and `<=`
`>=`), `AND` / `OR` / `NOT` with parentheses, a bare word or a quoted phrase searched in the
alert's text, `*` as a wildcard, and times (`createdAt`, ...) as unix milliseconds.

A query this module cannot read raises QueryError, which the routes answer with 422 (never 500).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

Alert = dict[str, Any]
Match = Callable[[Alert], bool]

# Where each searchable field lives in an alert (as Get Alert answers it) and how it compares.
# The kinds: "text" matches words (message, description), "word" matches the whole value (with
# `*` wildcards), "time" compares unix milliseconds, "number", "bool", "list" (any element).
FIELDS: dict[str, tuple[str, str]] = {
    "alertId": ("id", "word"),
    "id": ("id", "word"),
    "tinyId": ("tinyId", "number"),
    "alias": ("alias", "word"),
    "count": ("count", "number"),
    "message": ("message", "text"),
    "description": ("description", "text"),
    "source": ("source", "text"),
    "entity": ("entity", "text"),
    "status": ("status", "word"),
    "owner": ("owner", "word"),
    "priority": ("priority", "word"),
    "acknowledgedBy": ("report.acknowledgedBy", "word"),
    "closedBy": ("report.closedBy", "word"),
    "isSeen": ("isSeen", "bool"),
    "acknowledged": ("acknowledged", "bool"),
    "snoozed": ("snoozed", "bool"),
    "tag": ("tags", "list"),
    "tags": ("tags", "list"),
    "actions": ("actions", "list"),
    "integration.name": ("integration.name", "word"),
    "integration.type": ("integration.type", "word"),
    "createdAt": ("createdAt", "time"),
    "updatedAt": ("updatedAt", "time"),
    "lastOccurredAt": ("lastOccurredAt", "time"),
    "snoozedUntil": ("snoozedUntil", "time"),
    "details.key": ("details", "keys"),
    "details.value": ("details", "values"),
}
# A bare word or phrase is searched in these (the docs: "word matching on message"; that the
# other text fields are searched too is UNCONFIRMED).
FREE_TEXT = ("message", "description", "alias", "entity", "source")
# Day formats the docs show beside unix milliseconds (`createdAt > 10-08-2016`): UNCONFIRMED.
DAY_FORMATS = ("%d-%m-%Y", "%d-%m-%YT%H:%M:%S")
# A time below this is unix seconds, not milliseconds (the SDK's own samples/alert_samples.py
# queries `createdAt<%d` with `time.time()` seconds; as milliseconds it would be January 1970,
# a date no alert has). UNCONFIRMED that Opsgenie reads seconds so.
SECONDS_BELOW = 100_000_000_000
TOKEN = re.compile(
    r'\s*(?:(?P<paren>[()])|(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<op>!=|<=|>=|[:=<>])'
    r'|(?P<word>[^\s()":=<>!]+|!))'
)
CONNECTIVES = ("AND", "OR", "NOT")
DEPTH_LIMIT = 64  # nested parentheses and NOTs: deeper is refused, never a recursion error


class QueryError(ValueError):
    """A query the search language does not accept."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # paren, quoted, op, word
    text: str


def tokens(query: str) -> list[Token]:
    found, position = [], 0
    while position < len(query):
        match = TOKEN.match(query, position)
        if match is None or match.end() == position:
            if query[position:].strip():
                raise QueryError(f"cannot read the query at {query[position:][:20]!r}")
            break
        kind = match.lastgroup or "word"
        found.append(Token(kind, match.group(kind)))
        position = match.end()
    return found


def compile_query(query: str) -> Match:
    """A predicate on alerts for `query` (an empty query matches every alert)."""
    parser = _Parser(tokens(query))
    if parser.done():
        return lambda alert: True
    match = parser.expression()
    if not parser.done():
        raise QueryError(f"unexpected {parser.peek().text!r}")
    return match


class _Parser:
    """expression := and (OR and)* ; and := unary ([AND] unary)* ; unary := NOT unary | primary"""

    def __init__(self, found: list[Token]) -> None:
        self.found, self.at, self.depth = found, 0, 0

    def done(self) -> bool:
        return self.at >= len(self.found)

    def peek(self) -> Token:
        if self.done():
            raise QueryError("the query ends too early")
        return self.found[self.at]

    def take(self) -> Token:
        token = self.peek()
        self.at += 1
        return token

    def is_word(self, text: str) -> bool:
        return not self.done() and self.found[self.at] == Token("word", text)

    def expression(self) -> Match:
        parts = [self.conjunction()]
        while self.is_word("OR"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda a: any(p(a) for p in parts))

    def conjunction(self) -> Match:
        parts = [self.unary()]
        while not self.done() and self.peek() != Token("paren", ")") and not self.is_word("OR"):
            if self.is_word("AND"):
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda a: all(p(a) for p in parts))

    def unary(self) -> Match:
        self.depth += 1
        if self.depth > DEPTH_LIMIT:
            raise QueryError("the query nests too deeply")
        try:
            return self._unary()
        finally:
            self.depth -= 1

    def _unary(self) -> Match:
        if self.is_word("NOT"):
            self.take()
            inner = self.unary()
            return lambda alert: not inner(alert)
        return self.primary()

    def primary(self) -> Match:
        token = self.take()
        if token == Token("paren", "("):
            inner = self.expression()
            if self.take() != Token("paren", ")"):
                raise QueryError("a parenthesis is not closed")
            return inner
        if token.kind not in ("word", "quoted") or token.text in CONNECTIVES:
            raise QueryError(f"unexpected {token.text!r}")
        if not self.done() and self.peek().kind == "op" and token.kind == "word":
            operator = self.take().text
            value = self.take()
            if value.kind not in ("word", "quoted"):
                raise QueryError(f"{token.text}{operator} needs a value")
            return condition(token.text, operator, _unquote(value))
        return _free_text(_unquote(token))


def _unquote(token: Token) -> str:
    if token.kind != "quoted":
        return token.text
    return re.sub(r"\\(.)", r"\1", token.text[1:-1])


def condition(name: str, operator: str, value: str) -> Match:
    """`name operator value` as a predicate (QueryError for a field the language lacks)."""
    if name not in FIELDS:
        raise QueryError(f"unknown field {name!r}")
    path, kind = FIELDS[name]
    if operator in ("<", ">", "<=", ">="):
        return _ordered(path, kind, operator, value)
    positive = _equal(path, kind, value)
    if operator == "!=":
        return lambda alert: not positive(alert)
    return positive


def lookup(alert: Alert, path: str) -> Any:
    value: Any = alert
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _equal(path: str, kind: str, value: str) -> Match:
    if kind == "text":
        return lambda alert: _has_words(str(lookup(alert, path) or ""), value)
    if kind in ("list", "keys", "values"):
        return lambda alert: any(_word(item, value) for item in _items(lookup(alert, path), kind))
    if kind == "bool":
        wanted = value.lower()
        return lambda alert: str(lookup(alert, path)).lower() == wanted
    if kind in ("number", "time"):
        number = _number(value, kind)
        return lambda alert: _value(alert, path, kind) == number
    return lambda alert: _word(lookup(alert, path), value)


def _ordered(path: str, kind: str, operator: str, value: str) -> Match:
    if kind not in ("number", "time", "word"):
        raise QueryError(f"{operator} does not apply to this field")
    bound: Any = value if kind == "word" else _number(value, kind)
    compare: Callable[[Any, Any], bool] = {
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }[operator]

    def match(alert: Alert) -> bool:
        found = str(lookup(alert, path) or "") if kind == "word" else _value(alert, path, kind)
        return found is not None and compare(found, bound)

    return match


def _items(value: Any, kind: str) -> list[Any]:
    if isinstance(value, dict):
        return list(value.keys() if kind == "keys" else value.values())
    return list(value) if isinstance(value, list) else []


def _word(found: Any, pattern: str) -> bool:
    """One whole value against `pattern` (case-insensitive, `*` any run of characters)."""
    text, wanted = str(found if found is not None else "").lower(), pattern.lower()
    if "*" in wanted:
        return fnmatchcase(text, wanted.replace("[", "[[]").replace("?", "[?]"))
    return text == wanted


def _words(text: str) -> list[str]:
    return re.findall(r"[\w*]+", text.lower())


def _has_words(text: str, phrase: str) -> bool:
    """Every word of `phrase`, in order and adjacent, among the words of `text`."""
    found, wanted = _words(text), _words(phrase)
    if not wanted:
        return phrase.strip().lower() in text.lower()
    for start in range(len(found) - len(wanted) + 1):
        window = found[start : start + len(wanted)]
        if all(_word(have, want) for have, want in zip(window, wanted, strict=True)):
            return True
    return False


def _free_text(phrase: str) -> Match:
    return lambda alert: (
        any(_has_words(str(alert.get(f) or ""), phrase) for f in FREE_TEXT)
        or (any(_word(tag, phrase) for tag in alert.get("tags") or []))
    )


def _number(value: str, kind: str) -> float:
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        seconds = kind == "time" and abs(number) < SECONDS_BELOW
        return number * 1000 if seconds else number
    if kind == "time":
        for form in DAY_FORMATS:
            try:
                moment = datetime.strptime(value, form).replace(tzinfo=UTC)
            except ValueError:
                continue
            return moment.timestamp() * 1000
    raise QueryError(f"{value!r} is not a number" + (" or a time" if kind == "time" else ""))


def _value(alert: Alert, path: str, kind: str) -> float | None:
    found = lookup(alert, path)
    if kind == "time":
        if not isinstance(found, str) or not found:
            return None
        return datetime.fromisoformat(found.replace("Z", "+00:00")).timestamp() * 1000
    try:
        return float(found)
    except (TypeError, ValueError):
        return None


def sort_key(field_name: str) -> Callable[[Alert], tuple[int, Any]]:
    """How List Alerts orders by `field_name` (one of the spec's `sort` values)."""

    def key(alert: Alert) -> tuple[int, Any]:
        value = lookup(alert, field_name)
        if isinstance(value, bool | int | float):
            return (0, float(value))
        if field_name == "tinyId":
            return (0, float(value or 0))
        return (1, str(value if value is not None else ""))

    return key
