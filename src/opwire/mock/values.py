"""Reading the values a control request carries (query parameters, JSON fields): a value of the
wrong type or out of range is a ControlError, which the route answers with 400 and its text,
never a 500. JSON's booleans are not numbers here, and NaN or infinity is no number of seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


class ControlError(ValueError):
    """A control value of the wrong type or range; the text says what was expected."""


def number(value: object, name: str, *, minimum: float = 0.0, maximum: float = math.inf) -> float:
    """`value` as a finite number from `minimum` to `maximum`, or ControlError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"{name} is a number, not {value!r}")
    if not math.isfinite(value) or not minimum <= value <= maximum:
        top = "" if maximum == math.inf else f" to {maximum:g}"
        raise ControlError(f"{name} is a finite number from {minimum:g}{top}, not {value!r}")
    return float(value)


def positive(value: object, name: str) -> float:
    """A finite number above 0 (a rate, which is divided by)."""
    found = number(value, name)
    if found == 0:
        raise ControlError(f"{name} is a number above 0")
    return found


def whole_number(value: object, name: str, minimum: int = 0) -> int:
    """`value` as a whole number, `minimum` or more, or ControlError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ControlError(f"{name} is a whole number, {minimum} or more, not {value!r}")
    return value


def query_seconds(params: Mapping[str, str], name: str) -> float | None:
    """A query parameter in unix seconds, None when absent or empty."""
    text = params.get(name, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ControlError(f"{name} is unix seconds (a number), not {text!r}") from None
    return number(value, name, minimum=-math.inf)


def query_whole(params: Mapping[str, str], name: str, default: int, minimum: int | None = 0) -> int:
    """A whole-number query parameter, `default` when absent or empty."""
    text = params.get(name, "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ControlError(f"{name} is a whole number, not {text!r}") from None
    if minimum is not None and value < minimum:
        raise ControlError(f"{name} is a whole number, {minimum} or more")
    return value
