"""Modal building blocks shared by every form opsbot opens (limits applied here, once)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks.limits import clip, plain

VALUE = "value"  # every input's action_id: handlers read state.values[block_id]["value"]


def modal(
    callback_id: str, title: str, submit: str, blocks: list[dict[str, Any]], metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """A modal view with Cancel, its metadata carried in private_metadata."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": clip(json.dumps(dict(metadata)), 3000),
        "blocks": blocks,
    }


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False
) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    return block


def text_input(initial: str, *, multiline: bool = False, max_length: int = 3000) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE, "multiline": multiline}
    if initial:
        element["initial_value"] = clip(initial, max_length)
    element["max_length"] = max_length
    return element


def select_input(choices: Sequence[tuple[str, str]], initial: str | None) -> dict[str, Any]:
    """A static select of (value, text) choices, `initial` chosen when it is one of them."""
    options = [{"text": plain(text, 75), "value": value} for value, text in choices]
    chosen = [o for o in options if o["value"] == initial]
    element: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": options}
    if chosen:
        element["initial_option"] = chosen[0]
    return element
