"""The OAuth scopes each Web API method the Slack mock serves accepts, and the token's own.

Pages followed: docs.slack.dev/reference/methods/<name> ("Required scopes", bot token line) and
docs.slack.dev/reference/scopes; slack-ruby-client#378 and the method pages' "Facts" (every
Web API answer names the token's scopes in `X-OAuth-Scopes` and the method's in
`X-Accepted-OAuth-Scopes`, comma-separated). The mock's bot and user tokens hold every scope
below; a method with no scope (auth.test, api.test, chat.getPermalink,
chat.scheduledMessages.list) sends an empty `X-Accepted-OAuth-Scopes`.

UNCONFIRMED, chosen as most likely: the header spelling is lower case on the wire (HTTP header
names are case-insensitive, so clients read either); a method that takes a scope per kind of
conversation (conversations.history: channels:history, groups:history, im:history,
mpim:history) lists them all.
"""

from __future__ import annotations

HISTORY = "channels:history,groups:history,im:history,mpim:history"
READ = "channels:read,groups:read,im:read,mpim:read"
MANAGE = "channels:manage,groups:write,im:write,mpim:write"

ACCEPTED: dict[str, str] = {
    **dict.fromkeys(
        (
            "chat.postMessage",
            "chat.update",
            "chat.delete",
            "chat.postEphemeral",
            "chat.scheduleMessage",
            "chat.deleteScheduledMessage",
        ),
        "chat:write",
    ),
    "conversations.history": HISTORY,
    "conversations.replies": HISTORY,
    "conversations.info": READ,
    "conversations.list": READ,
    "conversations.members": READ,
    "users.conversations": READ,
    "conversations.join": "channels:join",
    **dict.fromkeys(
        (
            "conversations.create",
            "conversations.invite",
            "conversations.setTopic",
            "conversations.setPurpose",
            "conversations.rename",
            "conversations.archive",
            "conversations.unarchive",
            "conversations.open",
            "conversations.leave",
            "conversations.kick",
        ),
        MANAGE,
    ),
    "reactions.add": "reactions:write",
    "reactions.remove": "reactions:write",
    "reactions.get": "reactions:read",
    "pins.add": "pins:write",
    "pins.remove": "pins:write",
    "pins.list": "pins:read",
    "users.info": "users:read",
    "users.list": "users:read",
    "users.lookupByEmail": "users:read.email",
    "users.profile.get": "users.profile:read",
    "users.getPresence": "users:read",
    "bots.info": "users:read",
    "team.info": "team:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
    "search.messages": "search:read",
}

# What the mock's tokens were granted: every scope a method above accepts.
GRANTED = ",".join(sorted({s for scopes in ACCEPTED.values() for s in scopes.split(",")}))


def headers(method: str, kind: str) -> dict[str, str]:
    """The scope headers of one answer (none for a call that took no token)."""
    if not kind:
        return {}
    return {"x-oauth-scopes": GRANTED, "x-accepted-oauth-scopes": ACCEPTED.get(method, "")}
