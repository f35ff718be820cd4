"""The Splunk mock's receivers/simple (splunklib `Index.submit`): the POST body is the event
text, host, source, sourcetype and index in the query; its events are searchable like HEC's.

Pages followed: help.splunk.com "REST API Reference: Input endpoints" (receivers/simple);
splunklib client.py `Index.submit` (the event as the body, its fields as query parameters).
The answer is as a recorded splunkd gave it (splunk-sdk-csharp-pcl Recordings, CanSendEvents):
<response><results><result> with _index (`default` when none is named), bytes, host (the
client's address), source (`http-simple`), sourcetype (`unknown-too_small` for a short event).
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from starlette.requests import Request
from starlette.responses import Response

from opwire.integrations.splunk import mock_atom as atom
from opwire.integrations.splunk.mock_rows import EVENT_OVERHEAD, new_event
from opwire.integrations.splunk.mock_search import checked_caller
from opwire.mock.state import clock_of, mock_state

# The line splitting and the JSON answer are UNCONFIRMED (mock_search.UNCONFIRMED).


async def receivers_simple(request: Request) -> Response:
    """POST receivers/simple: the body is the event text (one event a line), host, source,
    sourcetype and index in the query; searchable like a HEC event."""
    if isinstance(checked := await checked_caller(request), Response):
        return checked
    params = dict(request.query_params)  # the body is the event, not a form
    raw = (await request.body()).decode("utf-8", "replace")
    client = request.client.host if request.client else "127.0.0.1"
    meta = {
        "index": params.get("index", "main"),
        "host": params.get("host", client),
        "source": params.get("source", "http-simple"),
        "sourcetype": params.get("sourcetype", "unknown-too_small"),
    }
    vendor, now = mock_state(request).vendor, clock_of(request).now()
    for line in (line for line in raw.splitlines() if line.strip()):
        stored = new_event(line, now, now + vendor.indexing_delay_s, **meta)
        vendor.events.append(stored, len(line) + EVENT_OVERHEAD)
    shown = {"_index": params.get("index", "default"), "bytes": str(len(raw.encode())), **meta}
    del shown["index"]
    return _received(shown, params.get("output_mode", "").lower() == "json")


def _received(shown: dict[str, str], json_mode: bool) -> Response:
    if json_mode:
        flat = {("index" if k == "_index" else k): v for k, v in shown.items()}
        return atom.reply(json.dumps(flat), json_mode=True)
    fields = "".join(
        f"      <field k={quoteattr(k)}>\n        <value>\n          <text>{escape(v)}</text>\n"
        "        </value>\n      </field>\n"
        for k, v in shown.items()
    )
    body = f"{atom.HEAD}<response>\n  <results>\n    <result>\n{fields}"
    return atom.reply(body + "    </result>\n  </results>\n</response>\n")
