"""Search results in splunkd's other output modes: csv, json_rows, json_cols and raw, for a
job's results, a oneshot and an export (xml and json are in mock_atom.py).

Pages followed: help.splunk.com "REST API Reference: Search endpoints" (output_mode for
search/jobs/{search_id}/results: atom, csv, json, json_cols, json_rows, raw, xml). The
json_rows / json_cols documents carry `fields` as plain names and a multivalue value is a list;
in csv it is its values a line apart (UNCONFIRMED, mock_search.UNCONFIRMED).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

from opwire.integrations.splunk.mock_atom import HEADERS, field_order
from opwire.integrations.splunk.search import Row

MODES = ("csv", "json_rows", "json_cols", "raw")


def _cell(value: Any) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list) else str(value)


def _csv(rows: Sequence[Row]) -> str:
    names = field_order(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if names:
        writer.writerow(names)
    writer.writerows([_cell(row.get(n, "")) for n in names] for row in rows)
    return out.getvalue()


def _json(rows: Sequence[Row], offset: int, columns: bool) -> str:
    names = field_order(rows)
    table = [[row.get(n) for n in names] for row in rows]
    document: dict[str, Any] = {
        "preview": False,
        "init_offset": offset,
        "messages": [],
        "fields": names,
    }
    if columns:
        document["columns"] = [list(col) for col in zip(*table, strict=True)] if table else []
    else:
        document["rows"] = table
    return json.dumps(document)


def results_in(mode: str, rows: Sequence[Row], offset: int = 0) -> Response:
    """`rows` in output mode `mode` (one of MODES)."""
    if mode == "csv":
        return Response(_csv(rows), 200, HEADERS, media_type="text/csv; charset=UTF-8")
    if mode == "raw":
        text = "".join(f"{row.get('_raw', '')}\n" for row in rows)
        return Response(text, 200, HEADERS, media_type="text/plain; charset=UTF-8")
    body = _json(rows, offset, columns=mode == "json_cols")
    return Response(body, 200, HEADERS, media_type="application/json; charset=UTF-8")
