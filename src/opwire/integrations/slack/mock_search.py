"""Slack Web API: search.messages, how a person's token finds a message across channels.

Pages followed: docs.slack.dev/reference/methods/search.messages (a user token only, scope
search:read; `query`, `count` (default 20, at most 100), `page`, `sort` score or timestamp,
`sort_dir`; answers `{ok, query, messages: {total, matches, paging: {count, total, page,
pages}, pagination: {total_count, page, per_page, page_count, first, last}}}`, each match a
message with its `channel` ({id, name, …}), `permalink`, `team`, `username`; `no_query`
without a query); shared/specs/slack `/search.messages` (no schema beyond `ok`).

UNCONFIRMED, chosen as most likely: every word of the query must appear in the text (case does
not matter), `in:#name` / `in:<id>` narrows to a channel and `from:<@U…>` / `from:U…` to an
author; score order is newest first, as timestamp order is; a page past the last is empty;
private channels the bot is not in are searched too (it is the person's search).
"""

from __future__ import annotations

import math
from typing import Any

from starlette.routing import Route

from opwire.integrations.slack.mock_state import TEAM_ID, USERS, WORKSPACE_URL, Channel
from opwire.integrations.slack.mock_web import ApiError, Call, text, web_method, whole

COUNT_DEFAULT, COUNT_MAX = 20, 100


def _number(call: Call, name: str, default: int, most: int) -> int:
    given = whole(text(call.params, name))
    return default if given is None else min(max(given, 1), most)


def _filters(query: str) -> tuple[list[str], str, str]:
    """The words a match must hold, and the `in:` channel and `from:` user it names."""
    words, where, who = [], "", ""
    for word in query.split():
        if word.startswith("in:"):
            where = word[3:].strip("<>#").split("|")[0]
        elif word.startswith("from:"):
            who = word[5:].strip("<>@").split("|")[0]
        else:
            words.append(word.lower())
    return words, where, who


def _match(channel: Channel, message: dict[str, Any]) -> dict[str, Any]:
    user = str(message.get("user", ""))
    link = f"{WORKSPACE_URL}archives/{channel.id}/p{message['ts'].replace('.', '')}"
    shown_channel = {"id": channel.id, "name": channel.name, "is_channel": not channel.im_user,
                     "is_private": channel.private, "is_mpim": False, "is_shared": False,
                     "is_ext_shared": False, "is_org_shared": False, "is_pending_ext_shared": False,
                     "pending_shared": []}  # fmt: skip
    found = {
        "iid": f"{channel.id}-{message['ts']}",
        "team": TEAM_ID,
        "channel": shown_channel,
        "type": "message",
        "user": user,
        "username": USERS[user].name if user in USERS else "",
        "ts": message["ts"],
        "text": message.get("text", ""),
        "permalink": link,
    }
    for key in ("blocks", "attachments"):
        if key in message:
            found[key] = message[key]
    return found


def search_messages(call: Call) -> dict[str, Any]:
    query = text(call.params, "query")
    if not query.strip():
        raise ApiError("no_query")
    words, where, who = _filters(query)
    hits = []
    for cid, message in reversed(list(call.state.held())):
        channel = call.state.channels.get(cid)
        if channel is None or (where and where not in (channel.id, channel.name)):
            continue
        body = str(message.get("text", "")).lower()
        if (who and message.get("user") != who) or not all(w in body for w in words):
            continue
        hits.append(_match(channel, message))
    if text(call.params, "sort_dir").lower() == "asc":
        hits.reverse()
    count, page = _number(call, "count", COUNT_DEFAULT, COUNT_MAX), _number(call, "page", 1, 100)
    pages = max(1, math.ceil(len(hits) / count))
    shown = hits[(page - 1) * count : page * count]
    first = (page - 1) * count + 1 if shown else 0
    return {
        "query": query,
        "messages": {
            "total": len(hits),
            "matches": shown,
            "paging": {"count": count, "total": len(hits), "page": page, "pages": pages},
            "pagination": {
                "total_count": len(hits),
                "page": page,
                "per_page": count,
                "page_count": pages,
                "first": first,
                "last": first + len(shown) - 1 if shown else 0,
            },
        },
    }


def routes() -> list[Route]:
    return [web_method("search.messages", search_messages, kinds=("user",))]
