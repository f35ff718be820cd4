"""`opwire history`: built in issue 13."""

from __future__ import annotations
