"""Block Kit validation: Slack's limits, reported with Slack's json-pointer error strings."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.blockkit import normalize_blocks, validate_blocks, validate_view


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def button(action_id: str, text: str = "Ack", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": plain(text), **extra}


def options(count: int, text: str = "opt") -> list[dict[str, Any]]:
    return [{"text": plain(f"{text}{n}"), "value": f"v{n}"} for n in range(count)]


def test_a_realistic_message_is_valid() -> None:
    blocks = [
        {"type": "header", "text": plain("SEV1: payments down")},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Impact*"},
            "fields": [plain("a"), plain("b")],
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "since 10:02"}]},
        {"type": "actions", "elements": [button("ack"), button("resolve", style="danger")]},
        {"type": "image", "image_url": "http://127.0.0.1/chart.png", "alt_text": "chart"},
    ]
    assert validate_blocks(blocks) == []


@pytest.mark.parametrize(
    ("block", "error", "pointer"),
    [
        (
            {"type": "header", "text": plain("x" * 151)},
            "must be less than 151 characters",
            "/blocks/0/text/text",
        ),
        (
            {"type": "header", "text": {"type": "mrkdwn", "text": "x"}},
            "must be a valid enum value",
            "/blocks/0/text/type",
        ),
        ({"type": "section"}, "must contain either text or fields", "/blocks/0"),
        (
            {"type": "section", "fields": [plain("f")] * 11},
            "no more than 10 items allowed",
            "/blocks/0/fields",
        ),
        (
            {"type": "section", "fields": [plain("f" * 2001)]},
            "must be less than 2001 characters",
            "/blocks/0/fields/0/text",
        ),
        (
            {"type": "actions", "elements": [button("a", "x" * 76)]},
            "must be less than 76 characters",
            "/blocks/0/elements/0/text/text",
        ),
        (
            {"type": "actions", "elements": [button("a", value="v" * 2001)]},
            "must be less than 2001 characters",
            "/blocks/0/elements/0/value",
        ),
        (
            {"type": "actions", "elements": [button("a", url="h" * 3001)]},
            "must be less than 3001 characters",
            "/blocks/0/elements/0/url",
        ),
        (
            {"type": "actions", "elements": [button("a" * 256)]},
            "must be less than 256 characters",
            "/blocks/0/elements/0/action_id",
        ),
        (
            {"type": "actions", "elements": [button("a"), button("a")]},
            "duplicate action_id: a",
            "/blocks/0/elements/1/action_id",
        ),
        (
            {"type": "actions", "elements": [button(f"b{n}") for n in range(26)]},
            "no more than 25 items allowed",
            "/blocks/0/elements",
        ),
        (
            {"type": "context", "elements": [plain("c")] * 11},
            "no more than 10 items allowed",
            "/blocks/0/elements",
        ),
        (
            {
                "type": "actions",
                "elements": [{"type": "static_select", "action_id": "s", "options": options(101)}],
            },
            "no more than 100 items allowed",
            "/blocks/0/elements/0/options",
        ),
        (
            {
                "type": "actions",
                "elements": [{"type": "static_select", "action_id": "s", "options": options(1, "o" * 80)}],
            },
            "must be less than 76 characters",
            "/blocks/0/elements/0/options/0/text/text",
        ),
        (
            {"type": "actions", "elements": [{"type": "overflow", "action_id": "o", "options": options(1)}]},
            "must provide at least 2 items",
            "/blocks/0/elements/0/options",
        ),
        (
            {"type": "actions", "elements": [{"type": "overflow", "action_id": "o", "options": options(6)}]},
            "no more than 5 items allowed",
            "/blocks/0/elements/0/options",
        ),
        ({"type": "image", "image_url": "http://x/y.png"}, "missing required field: alt_text", "/blocks/0"),
        ({"type": "input", "label": plain("L")}, "missing required field: element", "/blocks/0"),
        (
            {"type": "input", "element": {"type": "plain_text_input"}},
            "missing required field: label",
            "/blocks/0",
        ),
        ({"type": "marquee"}, "unsupported block type: marquee", "/blocks/0/type"),
        (
            {"type": "section", "text": {"type": "mrkdwn", "text": ""}},
            "must be more than 0 characters",
            "/blocks/0/text/text",
        ),
        (
            {"type": "section", "block_id": "b" * 256, "text": plain("t")},
            "must be less than 256 characters",
            "/blocks/0/block_id",
        ),
    ],
)
def test_limits(block: dict[str, Any], error: str, pointer: str) -> None:
    assert validate_blocks([block]) == [f"{error} [json-pointer:{pointer}]"]


def test_block_counts_differ_for_messages_and_views() -> None:
    blocks = [{"type": "divider"}] * 51
    assert validate_blocks(blocks) == ["no more than 50 items allowed [json-pointer:/blocks]"]
    view = {"type": "modal", "title": plain("T"), "blocks": blocks}
    assert validate_view(view) == []
    assert validate_view({**view, "blocks": [{"type": "divider"}] * 101}) == [
        "no more than 100 items allowed [json-pointer:/view/blocks]"
    ]


def test_view_rules() -> None:
    field = {"type": "input", "label": plain("L"), "element": {"type": "plain_text_input", "action_id": "v"}}
    assert validate_view({"type": "modal", "title": plain("x" * 25), "blocks": []}) == [
        "must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert validate_view({"type": "modal", "title": plain("T"), "blocks": [field]}) == [
        "must provide submit when an input block is present [json-pointer:/view]"
    ]
    long_submit = {"type": "modal", "title": plain("T"), "submit": plain("s" * 25), "blocks": [field]}
    assert validate_view(long_submit) == ["must be less than 25 characters [json-pointer:/view/submit/text]"]
    assert validate_view({"type": "sheet", "blocks": []}) == [
        "must be a valid enum value [json-pointer:/view/type]"
    ]


def test_normalize_assigns_missing_ids_without_touching_the_input() -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "actions", "elements": [{"type": "button", "text": plain("Go")}]},
        {"type": "divider"},
    ]
    stored = normalize_blocks(blocks, lambda n: "x" * n)
    assert stored[0]["block_id"] == "xxxxx" and stored[0]["elements"][0]["action_id"] == "xxxx"
    assert "block_id" not in blocks[0]
