"""What a run reports as it goes: one `RequestLine` per request sent, one `NoteLine` per remark.

The printer (render.py), the `--log` file and the JSON document (results.py) read these and
nothing else; http.py emits the request lines, probing.py the notes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestLine:
    """One line of output per request sent (each retry is a request)."""

    integration: str
    method: str
    url: str
    outcome: str
    ms: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class NoteLine:
    """A line of output that is not a request: a skipped rung, a warning, a stack notice."""

    integration: str
    text: str


Event = RequestLine | NoteLine
