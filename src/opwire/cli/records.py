"""`opwire records`: built in issue 12."""

from __future__ import annotations
