"""Block Kit validation with Slack's limits, so layout bugs fail here rather than in production."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000

BLOCK_TYPES = frozenset(
    {"header", "section", "divider", "context", "actions", "image", "input", "rich_text", "file", "video"}
)
ELEMENT_TYPES = frozenset(
    {
        "button", "checkboxes", "datepicker", "datetimepicker", "email_text_input", "image",
        "multi_static_select", "multi_external_select", "multi_users_select", "multi_conversations_select",
        "multi_channels_select", "number_input", "overflow", "plain_text_input", "radio_buttons",
        "rich_text_input", "static_select", "external_select", "users_select", "conversations_select",
        "channels_select", "timepicker", "url_text_input", "workflow_button", "file_input",
    }
)  # fmt: skip
INPUT_ELEMENT_TYPES = ELEMENT_TYPES - {"button", "image", "overflow", "workflow_button"}
_TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"}
ACTIONS_ELEMENT_TYPES = ELEMENT_TYPES - {"image", "file_input", *_TEXT_INPUTS}
ACCESSORY_TYPES = ELEMENT_TYPES - {"datetimepicker", "file_input", *_TEXT_INPUTS}

# The fields Slack's Block Kit reference lists for each block, element and composition object; anything else
# is refused (docs.slack.dev/reference/block-kit/blocks, .../block-elements, .../composition-objects).
BLOCK_FIELDS: dict[str, frozenset[str]] = {
    kind: frozenset({"type", "block_id", *fields})
    for kind, fields in {
        "header": {"text"},
        "section": {"text", "fields", "accessory", "expand"},
        "divider": set(),
        "context": {"elements"},
        "actions": {"elements"},
        "image": {"image_url", "slack_file", "alt_text", "title"},
        "input": {"label", "element", "dispatch_action", "hint", "optional"},
        "rich_text": {"elements"},
        "file": {"external_id", "source"},
        "video": {
            "alt_text", "author_name", "description", "provider_icon_url", "provider_name", "title",
            "title_url", "thumbnail_url", "video_url",
        },
    }.items()
}  # fmt: skip
_SELECT = {"placeholder", "confirm", "focus_on_load"}
_MULTI = {"max_selected_items"}
_TYPED_INPUT = {"placeholder", "initial_value", "dispatch_action_config", "focus_on_load"}
ELEMENT_FIELDS: dict[str, frozenset[str]] = {
    kind: frozenset({"type", "action_id", *fields})
    for kind, fields in {
        "button": {"text", "value", "url", "style", "confirm", "accessibility_label"},
        "workflow_button": {"text", "workflow", "style", "accessibility_label"},
        "image": {"image_url", "slack_file", "alt_text"},
        "overflow": {"options", "confirm"},
        "checkboxes": {"options", "initial_options", "confirm", "focus_on_load"},
        "radio_buttons": {"options", "initial_option", "confirm", "focus_on_load"},
        "static_select": {"options", "option_groups", "initial_option", *_SELECT},
        "multi_static_select": {"options", "option_groups", "initial_options", *_SELECT, *_MULTI},
        "external_select": {"initial_option", "min_query_length", *_SELECT},
        "multi_external_select": {"initial_options", "min_query_length", *_SELECT, *_MULTI},
        "users_select": {"initial_user", *_SELECT},
        "multi_users_select": {"initial_users", *_SELECT, *_MULTI},
        "conversations_select": {
            "initial_conversation", "default_to_current_conversation", "response_url_enabled", "filter",
            *_SELECT,
        },
        "multi_conversations_select": {
            "initial_conversations", "default_to_current_conversation", "filter", *_SELECT, *_MULTI,
        },
        "channels_select": {"initial_channel", "response_url_enabled", *_SELECT},
        "multi_channels_select": {"initial_channels", *_SELECT, *_MULTI},
        "datepicker": {"initial_date", *_SELECT},
        "timepicker": {"initial_time", "timezone", *_SELECT},
        "datetimepicker": {"initial_date_time", "confirm", "focus_on_load"},
        "plain_text_input": {"multiline", "min_length", "max_length", *_TYPED_INPUT},
        "email_text_input": _TYPED_INPUT,
        "url_text_input": _TYPED_INPUT,
        "number_input": {"is_decimal_allowed", "min_value", "max_value", *_TYPED_INPUT},
        "rich_text_input": _TYPED_INPUT,
        "file_input": {"filetypes", "max_files"},
    }.items()
}  # fmt: skip
TEXT_FIELDS = {
    "plain_text": frozenset({"type", "text", "emoji"}),
    "mrkdwn": frozenset({"type", "text", "verbatim"}),
}
VIEW_FIELDS = frozenset(
    {
        "type", "title", "blocks", "close", "submit", "private_metadata", "callback_id", "clear_on_close",
        "notify_on_close", "external_id", "submit_disabled",
    }
)  # fmt: skip
OPTION_FIELDS = frozenset({"text", "value", "description", "url"})
SELECTS_WITH_OPTIONS = frozenset({"static_select", "multi_static_select", "checkboxes", "radio_buttons"})


class _Checker:
    """Accumulate Slack-style error strings while walking a block tree."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def known(self, obj: dict[str, Any], allowed: frozenset[str], pointer: str) -> None:
        """Refuse every field Slack does not define for this object, naming it."""
        for name in obj:
            if name not in allowed:
                self.fail(f"unknown field: {name}", f"{pointer}/{name}")

    def string(self, value: Any, pointer: str, *, max_len: int, required: bool = False) -> None:
        if value is None:
            if required:
                self.fail(f"missing required field: {pointer.rsplit('/', 1)[-1]}", pointer.rsplit("/", 1)[0])
            return
        if not isinstance(value, str):
            self.fail("must be a string", pointer)
        elif len(value) > max_len:
            self.fail(f"must be less than {max_len + 1} characters", pointer)

    def text(
        self, obj: Any, pointer: str, *, max_len: int, plain: bool = False, required: bool = True
    ) -> None:
        if obj is None:
            if required:
                self.fail(f"missing required field: {pointer.rsplit('/', 1)[-1]}", pointer.rsplit("/", 1)[0])
            return
        if not isinstance(obj, dict):
            self.fail("must provide an object", pointer)
            return
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if obj.get("type") not in allowed:
            self.fail("must be a valid enum value", f"{pointer}/type")
        else:
            self.known(obj, TEXT_FIELDS[obj["type"]], pointer)
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.fail("must be more than 0 characters", f"{pointer}/text")
        else:
            self.string(value, f"{pointer}/text", max_len=max_len)

    def items(self, value: Any, pointer: str, *, low: int, high: int) -> list[Any]:
        if not isinstance(value, list):
            self.fail("must provide an array", pointer)
            return []
        if len(value) > high:
            self.fail(f"no more than {high} items allowed", pointer)
        elif len(value) < low:
            self.fail(f"must provide at least {low} items", pointer)
        return value


def _check_options(c: _Checker, element: dict[str, Any], pointer: str, *, low: int, high: int) -> None:
    plain = element.get("type") not in ("checkboxes", "radio_buttons")
    key = "option_groups" if "option_groups" in element and "options" not in element else "options"
    if key == "option_groups":
        groups = c.items(element["option_groups"], f"{pointer}/option_groups", low=1, high=100)
        options = []
        for g, group in enumerate(groups):
            listed = (group.get("options") or []) if isinstance(group, dict) else []
            options += [(f"{pointer}/option_groups/{g}/options/{i}", o) for i, o in enumerate(listed)]
    else:
        listed = c.items(element.get("options"), f"{pointer}/options", low=low, high=high)
        options = [(f"{pointer}/options/{i}", o) for i, o in enumerate(listed)]
    for opt_pointer, option in options:
        if not isinstance(option, dict):
            c.fail("must provide an object", opt_pointer)
            continue
        c.known(option, OPTION_FIELDS, opt_pointer)
        c.text(option.get("text"), f"{opt_pointer}/text", max_len=75, plain=plain)
        c.string(option.get("value"), f"{opt_pointer}/value", max_len=150, required=True)
        c.text(option.get("description"), f"{opt_pointer}/description", max_len=75, required=False)
    _check_initial_options(c, element, [option for _, option in options], pointer)


def _check_initial_options(c: _Checker, element: dict[str, Any], options: list[Any], pointer: str) -> None:
    """Slack refuses an initial option that is not exactly one of the element's options."""
    initial = element.get("initial_options")
    listed = (
        initial
        if isinstance(initial, list)
        else [element["initial_option"]]
        if "initial_option" in element
        else []
    )
    name = "initial_options" if isinstance(initial, list) else "initial_option"
    for i, chosen in enumerate(listed):
        if chosen not in options:
            c.fail("must match one of the provided options", f"{pointer}/{name}/{i}")


def _check_element(
    c: _Checker, element: Any, pointer: str, *, allowed: frozenset[str] = ELEMENT_TYPES
) -> None:
    if not isinstance(element, dict):
        c.fail("must provide an object", pointer)
        return
    kind = element.get("type")
    if kind not in allowed:
        c.fail(f"unsupported element type: {kind}", f"{pointer}/type")
        return
    c.known(element, ELEMENT_FIELDS[kind], pointer)
    c.string(element.get("action_id"), f"{pointer}/action_id", max_len=255)
    if kind == "button":
        c.text(element.get("text"), f"{pointer}/text", max_len=75, plain=True)
        c.string(element.get("value"), f"{pointer}/value", max_len=2000)
        c.string(element.get("url"), f"{pointer}/url", max_len=3000)
        if element.get("style") not in (None, "primary", "danger"):
            c.fail("must be a valid enum value", f"{pointer}/style")
    elif kind == "overflow":
        _check_options(c, element, pointer, low=2, high=5)
    elif kind in SELECTS_WITH_OPTIONS:
        _check_options(c, element, pointer, low=1, high=100 if "select" in kind else 10)
    elif kind == "image":
        c.string(
            element.get("image_url"),
            f"{pointer}/image_url",
            max_len=3000,
            required="slack_file" not in element,
        )
        c.string(element.get("alt_text"), f"{pointer}/alt_text", max_len=2000, required=True)
    if "placeholder" in element:
        c.text(element["placeholder"], f"{pointer}/placeholder", max_len=150, plain=True)


def _check_section(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    if "text" not in block and "fields" not in block:
        c.fail("must contain either text or fields", pointer)
    if "text" in block:
        c.text(block["text"], f"{pointer}/text", max_len=3000)
    if "fields" in block:
        for i, item in enumerate(c.items(block["fields"], f"{pointer}/fields", low=1, high=10)):
            c.text(item, f"{pointer}/fields/{i}", max_len=2000)
    if "accessory" in block:
        _check_element(c, block["accessory"], f"{pointer}/accessory", allowed=ACCESSORY_TYPES)


def _check_context(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    for i, element in enumerate(c.items(block.get("elements"), f"{pointer}/elements", low=1, high=10)):
        if isinstance(element, dict) and element.get("type") == "image":
            _check_element(c, element, f"{pointer}/elements/{i}", allowed=frozenset({"image"}))
        else:
            c.text(element, f"{pointer}/elements/{i}", max_len=3000)


def _check_actions(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    seen: set[str] = set()
    for i, element in enumerate(c.items(block.get("elements"), f"{pointer}/elements", low=1, high=25)):
        _check_element(c, element, f"{pointer}/elements/{i}", allowed=ACTIONS_ELEMENT_TYPES)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str) and action_id in seen:
            c.fail(f"duplicate action_id: {action_id}", f"{pointer}/elements/{i}/action_id")
        if isinstance(action_id, str):
            seen.add(action_id)


def _check_block(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    kind = block.get("type")
    if kind == "header":
        c.text(block.get("text"), f"{pointer}/text", max_len=150, plain=True)
    elif kind == "section":
        _check_section(c, block, pointer)
    elif kind == "context":
        _check_context(c, block, pointer)
    elif kind == "actions":
        _check_actions(c, block, pointer)
    elif kind == "image":
        c.string(
            block.get("image_url"), f"{pointer}/image_url", max_len=3000, required="slack_file" not in block
        )
        c.string(block.get("alt_text"), f"{pointer}/alt_text", max_len=2000, required=True)
        c.text(block.get("title"), f"{pointer}/title", max_len=2000, plain=True, required=False)
    elif kind == "input":
        c.text(block.get("label"), f"{pointer}/label", max_len=2000, plain=True)
        c.text(block.get("hint"), f"{pointer}/hint", max_len=2000, plain=True, required=False)
        if "element" not in block:
            c.fail("missing required field: element", pointer)
        else:
            _check_element(c, block["element"], f"{pointer}/element", allowed=INPUT_ELEMENT_TYPES)
    elif kind == "rich_text":
        c.items(block.get("elements"), f"{pointer}/elements", low=0, high=1000)
    elif kind == "file":
        c.string(block.get("external_id"), f"{pointer}/external_id", max_len=255, required=True)
        c.string(block.get("source"), f"{pointer}/source", max_len=255, required=True)
    elif kind == "video":
        c.string(block.get("alt_text"), f"{pointer}/alt_text", max_len=2000, required=True)
        c.text(block.get("title"), f"{pointer}/title", max_len=200, plain=True)
        c.string(block.get("thumbnail_url"), f"{pointer}/thumbnail_url", max_len=3000, required=True)
        c.string(block.get("video_url"), f"{pointer}/video_url", max_len=3000, required=True)


def _check_blocks(c: _Checker, blocks: Any, pointer: str, *, max_blocks: int) -> None:
    seen: set[str] = set()
    for i, block in enumerate(c.items(blocks, pointer, low=0, high=max_blocks)):
        here = f"{pointer}/{i}"
        if not isinstance(block, dict):
            c.fail("must provide an object", here)
            continue
        if block.get("type") not in BLOCK_TYPES:
            c.fail(f"unsupported block type: {block.get('type')}", f"{here}/type")
            continue
        c.known(block, BLOCK_FIELDS[block["type"]], here)
        block_id = block.get("block_id")
        c.string(block_id, f"{here}/block_id", max_len=255)
        if isinstance(block_id, str) and block_id in seen:
            c.fail(f"duplicate block_id: {block_id}", f"{here}/block_id")
        if isinstance(block_id, str):
            seen.add(block_id)
        _check_block(c, block, here)


def validate_blocks(
    blocks: Any, *, max_blocks: int = MESSAGE_MAX_BLOCKS, pointer: str = "/blocks"
) -> list[str]:
    """Return Slack's error strings for a block list; empty when Slack would accept it."""
    checker = _Checker()
    _check_blocks(checker, blocks, pointer, max_blocks=max_blocks)
    return checker.errors


def validate_view(view: Any) -> list[str]:
    """Return Slack's error strings for a modal or home view payload."""
    c = _Checker()
    if not isinstance(view, dict):
        c.fail("must provide an object", "/view")
        return c.errors
    kind = view.get("type")
    if kind not in ("modal", "home"):
        c.fail("must be a valid enum value", "/view/type")
    c.known(view, VIEW_FIELDS, "/view")
    if kind == "modal":
        c.text(view.get("title"), "/view/title", max_len=24, plain=True)
        c.text(view.get("submit"), "/view/submit", max_len=24, plain=True, required=False)
        c.text(view.get("close"), "/view/close", max_len=24, plain=True, required=False)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            c.fail("must provide submit when an input block is present", "/view")
    c.string(view.get("callback_id"), "/view/callback_id", max_len=255)
    c.string(view.get("private_metadata"), "/view/private_metadata", max_len=3000)
    c.string(view.get("external_id"), "/view/external_id", max_len=255)
    _check_blocks(c, view.get("blocks"), "/view/blocks", max_blocks=VIEW_MAX_BLOCKS)
    return c.errors


def normalize_blocks(blocks: list[dict[str, Any]], new_token: Callable[[int], str]) -> list[dict[str, Any]]:
    """Copy blocks, giving each block a block_id and each element an action_id, as Slack stores them."""
    stored = copy.deepcopy(blocks)
    for block in stored:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", new_token(5))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        elements += [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
        for element in elements:
            if isinstance(element, dict) and element.get("type") in ELEMENT_TYPES - {"image"}:
                element.setdefault("action_id", new_token(4))
    return stored
