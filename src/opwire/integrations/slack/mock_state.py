"""What the Slack mock holds: channels, webhooks, the workspace's users, messages and threads.

Pages followed: api.slack.com/messaging/webhooks; docs.slack.dev/reference/methods/
conversations.history ("parent messages only": thread replies are left out, the parent carries
`reply_count`, `reply_users`, `latest_reply` and `thread_ts`) and conversations.replies;
docs.slack.dev/apis/web-api/rate-limits (webhooks and chat.postMessage: about one message per
second, per webhook or per channel, short bursts allowed); shared/specs/slack (objs_message,
objs_conversation, objs_user).

Every message of every channel lives in one capped store, oldest first; a thread's view (a
parent's reply fields) is computed when it is read, so what the cap drops never leaves a parent
counting replies it no longer has.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opwire.mock.limits import CONFIGURED, CappedDict

DEFAULT_CHANNEL = "C0OPWIRE01"
DEFAULT_CHANNEL_NAME = "opwire-alerts"
TEAM_ID, TEAM_NAME = "T0OPWIRE0", "opwire mock"
WORKSPACE_URL = "https://opwire-mock.slack.com/"  # auth.test's url, the permalinks' root
APP_ID = "A0OPWIRE0"  # the app the bot belongs to (bots.info, a bot message's bot_profile)
BOT_ICON = "https://a.slack-edge.com/80588/img/plugins/app/bot_{size}.png"
# Who each kind of token is (auth.test, a message's `user`); the bot's user is a bot user.
BOT_ID, BOT_USER, HUMAN_USER = "B0OPWIRE0", "U0OPWIRE0", "U0OPWIRE1"
# The slowest refill POST /_opwire/slack/rate takes, and the longest Retry-After it can earn.
PER_SECOND_MIN, RETRY_AFTER_MAX_S = 0.001, 3600
CREATED = 1_700_000_000  # when the mock's channels and users were "created" (unix seconds)
MESSAGE_OVERHEAD = 512  # bytes a stored message costs beyond its own text


@dataclass(slots=True)
class Bucket:
    """A token bucket: -1 tokens means "full at the next take"."""

    tokens: float = -1.0
    refilled: float = 0.0


@dataclass(slots=True)
class Channel:
    id: str
    name: str = ""
    member: bool = True
    archived: bool = False
    private: bool = False
    bucket: Bucket = field(default_factory=Bucket)
    im_user: str = ""  # a direct message's other party (a D… channel); "" for a channel
    # (value, who set it, when): conversations.setTopic / setPurpose
    topic: tuple[str, str, int] = ("", "", 0)
    purpose: tuple[str, str, int] = ("", "", 0)

    def __post_init__(self) -> None:
        self.name = self.name or self.id.lower()


@dataclass(slots=True)
class Hook:
    channel: str = DEFAULT_CHANNEL
    state: str = "active"
    bucket: Bucket = field(default_factory=Bucket)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool
    email: str = ""  # a bot user has none (users.lookupByEmail cannot find it)


SLACKBOT = "USLACKBOT"  # every workspace has Slackbot, a user that is no bot user (is_bot false)
USERS = {
    BOT_USER: User(BOT_USER, "opwire-bot", "opwire bot", is_bot=True),
    HUMAN_USER: User(
        HUMAN_USER, "opwire-operator", "opwire operator", False, "operator@opwire.example"
    ),
    SLACKBOT: User(SLACKBOT, "slackbot", "Slackbot", is_bot=False),
}


@dataclass(slots=True)
class Scheduled:
    """A chat.scheduleMessage message, posted into its channel once the clock reaches post_at."""

    id: str
    channel: str
    post_at: int
    created: int
    message: dict[str, Any]


@dataclass(slots=True)
class Upload:
    """A file from files.getUploadURLExternal: its bytes arrive at the upload URL, then
    files.completeUploadExternal shares it."""

    id: str
    name: str
    length: int
    user: str
    created: int
    received: int | None = None  # bytes the upload URL took (None: nothing yet)
    title: str = ""
    channels: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SlackState:
    default_channel: str = DEFAULT_CHANNEL
    default_hook_state: str = "active"
    burst: float = 30.0  # about one message per second per webhook, short bursts allowed
    per_second: float = 1.0
    last_ts: float = 0.0
    dropped: Counter[str] = field(default_factory=Counter)
    # Every well-formed webhook path makes a hook, so they are capped like the rest.
    hooks: CappedDict[str, Hook] = field(init=False)
    channels: CappedDict[str, Channel] = field(init=False)
    # "channel/ts" -> (channel id, message), oldest first; a message changed in place (an
    # update, a reaction) is weighed again under its key
    messages: CappedDict[str, tuple[str, dict[str, Any]]] = field(init=False)
    # "channel/ts" of each message chat.delete removed (held until the cap drops it)
    deleted: CappedDict[str, bool] = field(init=False)
    scheduled: CappedDict[str, Scheduled] = field(init=False)
    uploads: CappedDict[str, Upload] = field(init=False)
    # "channel/ts" of each pinned message -> (when, by whom), oldest pin first
    pins: CappedDict[str, tuple[int, str]] = field(init=False)
    serial: int = 0

    def __post_init__(self) -> None:
        self.hooks = CappedDict("hooks", self.dropped)
        self.channels = CappedDict("channels", self.dropped, CONFIGURED)
        self.messages = CappedDict("messages", self.dropped)
        # What hangs off messages (deletions, pins, scheduled posts, file uploads) counts its
        # drops under "messages": health's store names are pinned by tests/test_mock_bounds.py.
        self.deleted = CappedDict("messages", self.dropped)
        self.scheduled = CappedDict("messages", self.dropped, CONFIGURED)
        self.uploads = CappedDict("messages", self.dropped, CONFIGURED)
        self.pins = CappedDict("messages", self.dropped, CONFIGURED)
        self.channel(DEFAULT_CHANNEL).name = DEFAULT_CHANNEL_NAME

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-style id (`Q…` scheduled message, `F…` file), unique in this mock."""
        self.serial += 1
        return f"{prefix}0OPW{self.serial:06d}"

    def held(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (channel, message) still there, oldest first (a deleted one is gone)."""
        for cid, message in self.messages.values():
            if f"{cid}/{message['ts']}" not in self.deleted:
                yield cid, message

    def store(self, channel_id: str, message: dict[str, Any], weight: int | None = None) -> None:
        """Keep a new message, or weigh again one changed in place (it keeps its place)."""
        key = f"{channel_id}/{message['ts']}"
        self.messages.put(key, (channel_id, message), weigh(message) if weight is None else weight)

    def delete(self, channel_id: str, ts: str) -> None:
        self.deleted[f"{channel_id}/{ts}"] = True

    def deliver_due(self, now: float) -> None:
        """Post each scheduled message whose time has come, in the order they fall due."""
        due = sorted((s for s in self.scheduled.values() if s.post_at <= now), key=_post_at)
        for scheduled in due:
            del self.scheduled[scheduled.id]
            ts = self.next_ts(float(scheduled.post_at))
            self.store(scheduled.channel, {**scheduled.message, "ts": ts})

    def channel(self, channel_id: str) -> Channel:
        return self.channels.setdefault(channel_id, Channel(channel_id))

    def find_channel(self, given: str) -> Channel | None:
        """A channel by its id, or by its name with or without the leading `#` (chat.postMessage:
        "an encoded ID or channel name")."""
        if given in self.channels:
            return self.channels[given]
        name = given.removeprefix("#")
        return next((c for c in self.channels.values() if name and c.name == name), None)

    def im_with(self, user: str) -> Channel:
        """The direct message with `user` (opened once, then the same one)."""
        found = next((c for c in self.channels.values() if c.im_user == user), None)
        if found is None:
            found = self.channel(f"D{user[1:]}")
            found.im_user, found.name = user, ""
        return found

    def history(self) -> dict[str, list[dict[str, Any]]]:
        """Each channel's messages, replies included, oldest first."""
        found: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        for cid, message in self.held():
            found.setdefault(cid, []).append(message)
        return found

    def in_channel(self, channel_id: str) -> list[dict[str, Any]]:
        return [message for cid, message in self.held() if cid == channel_id]

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.in_channel(channel_id) if m["ts"] == ts), None)

    def next_ts(self, now: float) -> str:
        """A message ts at `now` (unix seconds), later than every earlier one, as Slack's are."""
        self.last_ts = max(now, self.last_ts + 0.000001)
        return f"{self.last_ts:.6f}"

    def take_token(self, bucket: Bucket, now: float) -> bool:
        """One message from the bucket, refilled up to `now` (monotonic seconds)."""
        if bucket.tokens < 0:
            bucket.tokens, bucket.refilled = self.burst, now
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.refilled) * self.per_second)
        bucket.refilled = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def wait_s(self, bucket: Bucket) -> int:
        """Whole seconds until the bucket holds one message again (a Retry-After)."""
        return max(1, round(min((1 - bucket.tokens) / self.per_second, RETRY_AFTER_MAX_S)))

    def buckets(self) -> Iterator[Bucket]:
        yield from (hook.bucket for hook in self.hooks.values())
        yield from (channel.bucket for channel in self.channels.values())


def weigh(message: dict[str, Any]) -> int:
    """What a message costs the store: its text form and a fixed overhead."""
    return len(str(message)) + MESSAGE_OVERHEAD


def _post_at(scheduled: Scheduled) -> int:
    return scheduled.post_at


def is_reply(message: dict[str, Any]) -> bool:
    """A thread reply (its `thread_ts` is another message's ts)."""
    thread = message.get("thread_ts")
    return thread is not None and thread != message["ts"]


def in_history(message: dict[str, Any]) -> bool:
    """conversations.history shows parents, plain messages, and replies also sent to the channel."""
    return not is_reply(message) or message.get("subtype") == "thread_broadcast"


def replies_to(messages: list[dict[str, Any]], ts: str) -> list[dict[str, Any]]:
    return [m for m in messages if is_reply(m) and m.get("thread_ts") == ts]


def with_thread(message: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The message as the Web API shows it: a parent with replies gains its thread fields."""
    replies = replies_to(messages, message["ts"])
    if not replies or is_reply(message):
        return message
    users = list(dict.fromkeys(str(r["user"]) for r in replies if r.get("user")))
    thread: dict[str, Any] = {
        "thread_ts": message["ts"],
        "reply_count": len(replies),
        "reply_users_count": len(users),
        "latest_reply": replies[-1]["ts"],
        "subscribed": False,
    }
    if users:
        thread["reply_users"] = users
    return {**message, **thread}
