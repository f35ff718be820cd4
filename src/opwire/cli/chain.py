"""`opwire chain`: built in issue 12."""

from __future__ import annotations
