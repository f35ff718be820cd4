"""Slack Block Kit's limits as the Web API and incoming webhooks enforce them.

Pages followed: docs.slack.dev/reference/block-kit/blocks (the layout blocks, at most 50 in a
message; a section's text at most 3000 characters); java-slack-sdk#1017 (chat.postMessage
answers `invalid_blocks` with `errors` and `response_metadata.messages`, a webhook a bare 400
`invalid_blocks`); docs.slack.dev/reference/block-kit/composition-objects/text-object (a
section's `text` is an object).

UNCONFIRMED, chosen as most likely: the problems' wording, `unsupported type: …` or `must be
less than 3001 characters`, `must be a text object`, each with its `[json-pointer:…]`.
"""

from __future__ import annotations

from typing import Any

from opwire.integrations.slack.mock_web import ApiError

# Block Kit's layout blocks (docs.slack.dev/reference/block-kit/blocks): at most 50 in a
# message, a section's text at most 3000 characters.
BLOCKS_MAX, SECTION_TEXT_MAX = 50, 3000
BLOCK_TYPES = {
    "actions", "call", "context", "context_actions", "divider", "file", "header", "image",
    "input", "markdown", "rich_text", "section", "table", "video",
}  # fmt: skip


def check_blocks(blocks: list[Any]) -> None:
    """`invalid_blocks` for more than 50 blocks, a block that is no object or names no known
    type, a section whose text is no text object or is past 3000 characters: each problem in
    `errors` and in `response_metadata.messages` with its JSON pointer (wording UNCONFIRMED)."""
    problems = []
    if len(blocks) > BLOCKS_MAX:
        problems.append(f"no more than {BLOCKS_MAX} items allowed [json-pointer:/blocks]")
    for n, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        if not isinstance(kind, str):
            problems.append(f"missing required field: type [json-pointer:/blocks/{n}]")
        elif kind not in BLOCK_TYPES:
            problems.append(f"unsupported type: {kind} [json-pointer:/blocks/{n}/type]")
        elif kind == "section" and not _text_object(block.get("text", {})):
            problems.append(f"must be a text object [json-pointer:/blocks/{n}/text]")
        elif kind == "section" and len(_section_text(block)) > SECTION_TEXT_MAX:
            problems.append(
                f"must be less than 3001 characters [json-pointer:/blocks/{n}/text/text]"
            )
    if problems:
        metadata = {"messages": [f"[ERROR] {p}" for p in problems]}
        raise ApiError("invalid_blocks", extra={"errors": problems, "response_metadata": metadata})


def _text_object(value: Any) -> bool:
    """A section's `text` is a text object, `{"type": "mrkdwn"|"plain_text", "text": "…"}`
    (docs.slack.dev/reference/block-kit/composition-objects/text-object), never a bare string."""
    if value == {}:
        return True  # no text: a section may carry `fields` instead
    return isinstance(value, dict) and isinstance(value.get("text"), str)


def _section_text(block: dict[str, Any]) -> str:
    inner = block.get("text")
    value = inner.get("text") if isinstance(inner, dict) else None
    return value if isinstance(value, str) else ""
