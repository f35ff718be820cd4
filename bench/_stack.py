"""The mock stack the benchmarks measure against: `opwire mock up --ephemeral` in its own process,
as an operator runs it. Every port is on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OPWIRE = str(Path(sys.executable).parent / "opwire")


@contextmanager
def running_stack() -> Iterator[dict[str, str]]:
    """Start all six mocks on free ports; yield {slug: base URL}; stop them afterwards."""
    with subprocess.Popen(
        [OPWIRE, "mock", "up", "--ephemeral", "--json"], stdout=subprocess.PIPE, text=True
    ) as stack:
        try:
            assert stack.stdout is not None
            urls: dict[str, str] = json.loads(stack.stdout.readline())["mocks"]
            yield urls
        finally:
            stack.terminate()
            stack.wait(timeout=10)
