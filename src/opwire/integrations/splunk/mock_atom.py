"""How splunkd writes its management answers: Atom XML by default, JSON for output_mode=json.

Shapes read from real splunkd responses recorded by Splunk's own C# SDK tests
(splunk/splunk-sdk-csharp-pcl test/acceptance-tests/Data/Recordings: server/info, auth/login,
search/jobs create, a job's entry, its results) and from splunklib (splunk-sdk-python
client.py and data.py, which parse them: `<s:dict>`/`<s:key>`/`<s:list>`, `<response><sid>`,
`<response><messages><msg type=…>`). help.splunk.com "REST API Reference: Search endpoints"
(results in output_mode json: preview, init_offset, messages, fields, results).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from starlette.responses import Response

from opwire.integrations.splunk.search import Row

XML = "text/xml; charset=UTF-8"
JSON = "application/json; charset=UTF-8"
NAMESPACES = (
    'xmlns="http://www.w3.org/2005/Atom" xmlns:s="http://dev.splunk.com/ns/rest" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
)
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Headers splunkd sends on every management answer (the recordings).
# Characters XML 1.0 has no place for, even escaped (its Char production).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
HEADERS = {"Cache-Control": "no-store, must-revalidate, no-cache, max-age=0", "Server": "Splunkd"}
OUTPUT_MODES = ("xml", "json", "atom", "csv", "json_rows", "json_cols", "raw")
PER_PAGE = 30  # a collection's default `count`


class Paging(NamedTuple):
    total: int
    per_page: int
    offset: int


def stamp(when: float) -> str:
    """Atom's time: ISO 8601 with milliseconds and an offset (the mock runs in UTC)."""
    return dt.datetime.fromtimestamp(when, dt.UTC).isoformat(timespec="milliseconds")


def reply(
    body: str, status: int = 200, json_mode: bool = False, headers: Mapping[str, str] = {}
) -> Response:
    """An answer; XML without the characters XML 1.0 cannot carry (an event's NUL), which no
    parser would read (UNCONFIRMED: what splunkd writes for them; dropped here)."""
    text = body if json_mode else NOT_XML.sub("", body)
    return Response(text, status, {**HEADERS, **headers}, media_type=JSON if json_mode else XML)


def messages(
    kind: str, text: str, status: int, json_mode: bool, code: str | None = None, **headers: str
) -> Response:
    """splunkd's error (or notice) body: `<response><messages><msg type=…>`, or its JSON."""
    if json_mode:
        one = {"type": kind, "text": text, **({"code": code} if code else {})}
        return reply(json.dumps({"messages": [one]}), status, True, headers)
    attrs = f" type={quoteattr(kind)}" + (f" code={quoteattr(code)}" if code else "")
    body = f"{HEAD}<response>\n  <messages>\n    <msg{attrs}>{escape(text)}</msg>\n  </messages>\n"
    return reply(body + "</response>\n", status, False, headers)


def response(values: Mapping[str, str], status: int, json_mode: bool) -> Response:
    """A flat `<response><key>value</key></response>` (login's sessionKey, a new job's sid)."""
    if json_mode:
        return reply(json.dumps(dict(values)), status, True)
    inner = "".join(f"  <{k}>{escape(v)}</{k}>\n" for k, v in values.items())
    return reply(f"{HEAD}<response>\n{inner}</response>\n", status)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return escape(str(value))


def sdict(value: Any, indent: str = "") -> str:
    """A value as splunkd's REST XML: dicts as <s:dict>, lists as <s:list>, the rest as text."""
    if isinstance(value, Mapping):
        keys = "".join(
            f"{indent}  <s:key name={quoteattr(k)}>{sdict(v, indent + '  ')}</s:key>\n"
            for k, v in value.items()
        )
        return f"\n{indent}<s:dict>\n{keys}{indent}</s:dict>\n{indent}"
    if isinstance(value, list | tuple):
        items = "".join(f"{indent}  <s:item>{sdict(v, indent + '  ')}</s:item>\n" for v in value)
        return f"\n{indent}<s:list>\n{items}{indent}</s:list>\n{indent}"
    return _text(value)


def _links_xml(links: Mapping[str, str]) -> str:
    return "".join(f"  <link href={quoteattr(h)} rel={quoteattr(r)}/>\n" for r, h in links.items())


def entry_xml(entry: Mapping[str, Any], base: str, root: bool) -> str:
    """One Atom <entry>; at the root (a job's GET) it carries the namespaces itself."""
    ns = f" {NAMESPACES}" if root else ""
    return (
        f"<entry{ns}>\n  <title>{escape(entry['title'])}</title>\n"
        f"  <id>{escape(base + entry['path'])}</id>\n  <updated>{entry['updated']}</updated>\n"
        f"{_links_xml(entry['links'])}  <published>{entry['published']}</published>\n"
        f"  <author>\n    <name>{escape(entry['author'])}</name>\n  </author>\n"
        f'  <content type="text/xml">{sdict(entry["content"], "    ")}</content>\n</entry>\n'
    )


def entry_json(entry: Mapping[str, Any], base: str) -> dict[str, Any]:
    """An entry in output_mode=json: the XML's eai:acl is the entry's `acl`, beside `content`."""
    content = {k: v for k, v in entry["content"].items() if k != "eai:acl"}
    return {
        "name": entry["title"],
        "id": base + entry["path"],
        "updated": entry["updated"],
        "links": dict(entry["links"]),
        "published": entry["published"],
        "author": entry["author"],
        "acl": entry["content"].get("eai:acl", {}),
        "content": content,
    }


def page(
    entries: Sequence[Mapping[str, Any]], params: Mapping[str, str]
) -> tuple[list[Mapping[str, Any]], Paging]:
    """The `count` (default 30; 0 or -1 all) entries from `offset`, and the feed's paging."""
    try:
        count, offset = int(params.get("count", PER_PAGE)), max(int(params.get("offset", 0)), 0)
    except ValueError:
        count, offset = PER_PAGE, 0
    shown = list(entries[offset:] if count <= 0 else entries[offset : offset + count])
    return shown, Paging(len(entries), count if count > 0 else len(entries), offset)


def feed(
    title: str,
    path: str,
    base: str,
    entries: Sequence[Mapping[str, Any]],
    version: tuple[str, str],
    paging: Paging | None = None,
) -> tuple[str, str]:
    """A collection answer as (XML, JSON) text; `version` is (version, build)."""
    updated = entries[0]["updated"] if entries else stamp(0)
    generator = {"build": version[1], "version": version[0]}
    total, per_page, offset = paging or Paging(len(entries), PER_PAGE, 0)
    as_json = {
        "links": {},
        "origin": base + path,
        "updated": updated,
        "generator": generator,
        "entry": [entry_json(e, base) for e in entries],
        "paging": {"total": total, "perPage": per_page, "offset": offset},
        "messages": [],
    }
    as_xml = (
        f"{HEAD}<feed {NAMESPACES}>\n  <title>{escape(title)}</title>\n"
        f"  <id>{escape(base + path)}</id>\n  <updated>{updated}</updated>\n"
        f'  <generator build="{version[1]}" version="{version[0]}"/>\n'
        "  <author>\n    <name>Splunk</name>\n  </author>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:startIndex>{offset}</opensearch:startIndex>\n  <s:messages/>\n"
        + "".join(entry_xml(e, base, root=False) for e in entries)
        + "</feed>\n"
    )
    return as_xml, json.dumps(as_json)


def field_order(rows: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(k for row in rows for k in row))


def results_json(rows: Sequence[Row], offset: int = 0) -> str:
    """A job's results (or a oneshot's) in output_mode=json."""
    fields = [{"name": name} for name in field_order(rows)]
    document = {
        "preview": False,
        "init_offset": offset,
        "messages": [],
        "fields": fields,
        "results": list(rows),
        "highlighted": {},
    }
    return json.dumps(document)


def _value_xml(key: str, value: Any) -> str:
    if key == "_raw":
        return f"<v xml:space='preserve' trunc='0'>{escape(str(value))}</v>"
    values = value if isinstance(value, list) else [value]
    return "".join(f"\n\t\t\t<value><text>{escape(str(v))}</text></value>" for v in values) + (
        "\n\t\t"
    )


def results_xml(rows: Sequence[Row], offset: int = 0, preview: bool = False) -> str:
    """Results as splunkd's default XML: <results preview=…><meta><fieldOrder>…<result>."""
    order = "".join(f"<field>{escape(k)}</field>\n" for k in field_order(rows))
    body = "".join(
        f"\t<result offset='{offset + n}'>\n"
        + "".join(
            f"\t\t<field k={quoteattr(k)}>{_value_xml(k, v)}</field>\n" for k, v in row.items()
        )
        + "\t</result>\n"
        for n, row in enumerate(rows)
    )
    head = f"<?xml version='1.0' encoding='UTF-8'?>\n<results preview='{int(preview)}'>\n"
    return f"{head}<meta>\n<fieldOrder>\n{order}</fieldOrder>\n</meta>\n{body}</results>\n"


def export_json(rows: Sequence[Row]) -> str:
    """search/jobs/export in output_mode=json: one JSON document a line, `lastrow` on the last."""
    last = len(rows) - 1
    lines = [
        json.dumps(
            {"preview": False, "offset": n, **({"lastrow": True} if n == last else {}), "result": r}
        )
        for n, r in enumerate(rows)
    ]
    return "".join(line + "\n" for line in lines)
