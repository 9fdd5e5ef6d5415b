"""Slack's Block Kit limits, applied once here so no input can produce an `invalid_blocks`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELD_TEXT = 2000
CONTEXT_TEXT = 2000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BLOCKS_PER_MESSAGE = 50
FIELDS_PER_SECTION = 10
FALLBACK_TEXT = 3000
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """Shorten `text` to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def plain(text: str, limit: int = HEADER_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def header(text: str, *, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "header", "text": plain(text, HEADER_TEXT)}
    if block_id:
        block["block_id"] = block_id
    return block


def section(text: str, *, fields: list[str] | None = None, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text)}
    if fields:
        block["fields"] = [mrkdwn(f, FIELD_TEXT) for f in fields[:FIELDS_PER_SECTION]]
    if block_id:
        block["block_id"] = block_id
    return block


def text_sections(text: str, *, block_id: str | None = None) -> list[dict[str, Any]]:
    """Text of any length as consecutive sections (each holds 3,000 characters); the first has `block_id`."""
    text = text or " "
    chunks = [text[start : start + SECTION_TEXT] for start in range(0, len(text), SECTION_TEXT)]
    blocks = [section(chunk) for chunk in chunks[:BLOCKS_PER_MESSAGE]]
    if block_id:
        blocks[0]["block_id"] = block_id
    return blocks


def pack_lines(lines: Sequence[str], *, room: int) -> tuple[list[dict[str, Any]], int]:
    """Pack whole lines into at most `room` sections of 3,000 characters; return them and how many fit."""
    chunks: list[list[str]] = [[]]
    shown = 0
    for line in lines:
        if sum(len(text) + 1 for text in chunks[-1]) + len(line) > SECTION_TEXT:
            if len(chunks) == room:
                break
            chunks.append([])
        chunks[-1].append(line)
        shown += 1
    return [section("\n".join(chunk)) for chunk in chunks if chunk], shown


def context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(t, CONTEXT_TEXT) for t in texts[:10]]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def slack_date(at: datetime) -> str:
    """A time Slack shows in each reader's own time zone (with a UTC fallback)."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def message(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """Assemble a message payload: fallback text for notifications, blocks capped at Slack's maximum."""
    if len(blocks) > BLOCKS_PER_MESSAGE:
        blocks = [
            *blocks[: BLOCKS_PER_MESSAGE - 1],
            context(f"{len(blocks) - BLOCKS_PER_MESSAGE + 1} more not shown"),
        ]
    return {"text": clip(text, FALLBACK_TEXT), "blocks": blocks}
