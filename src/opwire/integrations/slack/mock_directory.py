"""Slack Web API: who and where — users, bots, the team, and joining a channel.

Pages followed (docs.slack.dev/reference/methods/<name>, and shared/specs/slack for each answer's
schema and error enum): users.info and users.list (objs_user; users.list pages with `limit` and
`cursor`, and carries `cache_ts`), users.lookupByEmail (`users_not_found`), users.profile.get
(objs_user_profile; the token's own without `user`), users.getPresence (`presence`: active or
away), bots.info (`bot`: id, deleted, name, updated, app_id, user_id, icons), team.info
(objs_team), conversations.join (an already-joined channel answers ok with the
`already_in_channel` warning, in `warning` and `response_metadata.warnings`; a private channel
is `method_not_supported_for_channel_type`), conversations.members (member ids, cursor pages).

UNCONFIRMED, chosen as most likely: bots.info without `bot` describes the calling bot (a user
token: `bot_not_found`); team.info naming another team is `team_not_found`; the bots of
incoming webhooks are bots.info's too, without a bot user.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from opwire.integrations.slack.mock_methods import conversation, in_it, readable
from opwire.integrations.slack.mock_state import (
    APP_ID,
    BOT_ICON,
    BOT_ID,
    BOT_USER,
    CREATED,
    HUMAN_USER,
    TEAM_ID,
    TEAM_NAME,
    USERS,
    User,
)
from opwire.integrations.slack.mock_web import (
    ApiError,
    Call,
    flag,
    limit,
    page,
    required,
    text,
    web_method,
)

USERS_LIMIT_MAX = 1000
AVATAR = "https://avatars.slack-edge.com/opwire/{id}_{size}.png"  # a profile's image_<size>


def user_object(user: User, locale: bool) -> dict[str, Any]:
    """A user as objs_user shows it (the non-enterprise form)."""
    profile = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "avatar_hash": "g0opwire0000",
        "title": "",
        "phone": "",
        "skype": "",
        "status_text": "",
        "status_emoji": "",
        "fields": None,
        "first_name": user.real_name.split(" ")[0],
        "last_name": " ".join(user.real_name.split(" ")[1:]),
        **{f"image_{n}": AVATAR.format(id=user.id, size=n) for n in (24, 32, 48, 72, 192, 512)},
        "team": TEAM_ID,
        **({"email": user.email} if user.email else {}),
        **({"bot_id": BOT_ID} if user.is_bot else {}),
    }
    shown = {
        "id": user.id,
        "team_id": TEAM_ID,
        "name": user.name,
        "real_name": user.real_name,
        "deleted": False,
        "color": "9f69e7",
        "tz": "Etc/UTC",
        "tz_label": "Coordinated Universal Time",
        "tz_offset": 0,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": CREATED,
        "profile": profile,
    }
    return {**shown, "locale": "en-US"} if locale else shown


def users_info(call: Call) -> dict[str, Any]:
    user = USERS.get(text(call.params, "user"))
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user_object(user, flag(call.params, "include_locale"))}


def _who(call: Call) -> User:
    """The `user` argument's user, or the token's own without one."""
    given = text(call.params, "user") or (BOT_USER if call.kind == "bot" else HUMAN_USER)
    user = USERS.get(given)
    if user is None:
        raise ApiError("user_not_found")
    return user


def profile_get(call: Call) -> dict[str, Any]:
    profile: dict[str, Any] = user_object(_who(call), False)["profile"]
    return {"profile": profile}


def presence(call: Call) -> dict[str, Any]:
    """users.getPresence: the operator is active; a bot user is away unless it is the caller's
    own (Slack shows a bot's presence only for itself; UNCONFIRMED for the mock's bot)."""
    user = _who(call)
    active = not user.is_bot or call.kind == "bot"
    shown: dict[str, Any] = {"presence": "active" if active else "away"}
    if not text(call.params, "user") or user.id == HUMAN_USER:
        shown.update(online=active, auto_away=False, manual_away=False, connection_count=1,
                     last_activity=int(call.now))  # fmt: skip
    return shown


def users_list(call: Call) -> dict[str, Any]:
    locale = flag(call.params, "include_locale")
    everyone = [user_object(user, locale) for user in USERS.values()]
    found, cursor = page(everyone, call.params, limit(call.params, 1000, USERS_LIMIT_MAX))
    metadata = {"next_cursor": cursor}
    return {"members": found, "cache_ts": int(call.now), "response_metadata": metadata}


def lookup_by_email(call: Call) -> dict[str, Any]:
    email = required(call.params, "email").lower()
    user = next((u for u in USERS.values() if u.email and u.email.lower() == email), None)
    if user is None:
        raise ApiError("users_not_found")
    return {"user": user_object(user, False)}


def _known_bots(call: Call) -> set[str]:
    return {BOT_ID, *(key.split("/")[1] for key in call.state.hooks)}


def bots_info(call: Call) -> dict[str, Any]:
    bot = text(call.params, "bot") or (BOT_ID if call.kind == "bot" else "")
    if bot not in _known_bots(call):
        raise ApiError("bot_not_found")
    shown: dict[str, Any] = {
        "id": bot,
        "deleted": False,
        "name": "opwire-bot" if bot == BOT_ID else "incoming-webhook",
        "updated": CREATED,
        "app_id": APP_ID,
        "icons": {f"image_{n}": BOT_ICON.format(size=n) for n in (36, 48, 72)},
    }
    if bot == BOT_ID:
        shown["user_id"] = BOT_USER
    return {"bot": shown}


def team_info(call: Call) -> dict[str, Any]:
    if text(call.params, "team") not in ("", TEAM_ID):
        raise ApiError("team_not_found")
    icon = {f"image_{n}": f"https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-{n}.png"
            for n in (34, 44, 68, 88, 102, 132, 230)}  # fmt: skip
    team = {
        "id": TEAM_ID,
        "name": TEAM_NAME,
        "domain": "opwire-mock",
        "email_domain": "",
        "icon": {**icon, "image_default": True},
    }
    return {"team": team}


def join(call: Call) -> dict[str, Any]:
    channel = readable(call, required(call.params, "channel"))
    if channel.private:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.archived:
        raise ApiError("is_archived")
    if in_it(call, channel):
        warning = "already_in_channel"
        return {
            "channel": conversation(channel),
            "warning": warning,
            "response_metadata": {"warnings": [warning]},
        }
    channel.member = True
    return {"channel": conversation(channel)}


def members(call: Call) -> dict[str, Any]:
    channel = readable(call, required(call.params, "channel"))
    # As conversations.info's num_members counts them: the operator, and the bot once it joined.
    everyone = [HUMAN_USER, BOT_USER] if channel.member else [HUMAN_USER]
    size = limit(call.params, 100, USERS_LIMIT_MAX, refuse=True)
    found, cursor = page(everyone, call.params, size)
    return {"members": found, "response_metadata": {"next_cursor": cursor}}


def routes() -> list[Route]:
    return [
        web_method("users.info", users_info),
        web_method("users.list", users_list),
        web_method("users.lookupByEmail", lookup_by_email),
        web_method("users.profile.get", profile_get),
        web_method("users.getPresence", presence),
        web_method("bots.info", bots_info),
        web_method("team.info", team_info),
        web_method("conversations.join", join),
        web_method("conversations.members", members),
    ]
