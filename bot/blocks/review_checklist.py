"""A posted review as a working checklist: a checkbox, an "Open ticket" button and (planning items) an owner
select under each item, a "Carried over" part, a progress line; and the message re-rendered from its stored
payload and the items' states (a pure function, so every replica draws the same message)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.ids import ActionId
from bot.blocks.limits import BUTTON_TEXT, clip, context, plain, section
from bot.blocks.text import untrusted
from bot.blocks.tickets import open_ticket_button, ticket_name
from bot.domain.durations import humanize_duration
from bot.domain.review_checklist import ItemSpec
from bot.domain.review_ticks import MAX_CARRIED, ItemState, ReviewDone, progress, review_ref, tick_changes
from bot.domain.tickets import SourceKind

ITEM_BLOCK = "review-item:"  # + the item's key
CARRIED_BLOCK = "review-carried"
PROGRESS_BLOCK = "review-progress"
OPTION_TEXT = 75
TICK_LABEL = "Reviewed"


def item_actions(run_key: str, spec: ItemSpec) -> dict[str, Any]:
    """The row under an item: its checkbox, "Open ticket", and an owner select for planning items."""
    elements = [
        _checkboxes([_option(spec.key, TICK_LABEL)]),
        open_ticket_button(SourceKind.DIGEST, review_ref(run_key, spec.key), spec.title),
    ]
    if spec.owner:
        elements.append(
            {"type": "users_select", "action_id": ActionId.REVIEW_OWNER, "placeholder": plain("Owner")}
        )
    return {"type": "actions", "block_id": f"{ITEM_BLOCK}{spec.key}", "elements": elements}


def carried_blocks(carried: Sequence[ItemState]) -> list[dict[str, Any]]:
    """The items earlier reviews left open: a line each (since when, what was found) and a checkbox each
    (at most MAX_CARRIED carry, Slack's limit for one element)."""
    if not carried:
        return []
    lines = [  # clipped so ten lines and the count of the rest fit one section
        f"• *{untrusted(clip(item.title, 100))}* _(open since {item.carried_since})_"
        + (f" — {untrusted(clip(item.summary, 120))}" if item.summary else "")
        for item in carried[:MAX_CARRIED]
    ]
    options = [_option(item.key, f"{item.title} ({item.carried_since})") for item in carried[:MAX_CARRIED]]
    return [
        section("\n".join(["*↪️ Carried over*", *lines])),
        {"type": "actions", "block_id": CARRIED_BLOCK, "elements": [_checkboxes(options)]},
    ]


def progress_block(states: Sequence[ItemState]) -> dict[str, Any]:
    """The line under the header: how many items are ticked, and by whom."""
    found = progress(states)
    mark = "✅ " if found.done else "☑️ "
    text = f"{mark}{found.ticked} of {found.total} ticked"
    if found.names:
        text += " · by " + ", ".join(untrusted(name) for name in found.names)
    else:
        text += " · tick each item as the review covers it"
    return {**context(text), "block_id": PROGRESS_BLOCK}


def apply_states(payload: Mapping[str, Any], states: Sequence[ItemState], *, zone: str) -> dict[str, Any]:
    """The stored message with the items' current states: ticks (who, when, in the team's zone), owners,
    tickets and the progress line. Everything else stays as posted."""
    by_key = {state.key: state for state in states}
    blocks = []
    for block in payload.get("blocks") or []:
        block_id = str(block.get("block_id") or "")
        if block_id == PROGRESS_BLOCK:
            block = progress_block(states)
        elif block_id.startswith(ITEM_BLOCK) or block_id == CARRIED_BLOCK:
            owner_of = by_key.get(block_id.removeprefix(ITEM_BLOCK))
            elements = [_applied(e, by_key, owner_of, zone) for e in block.get("elements") or []]
            block = {**block, "elements": elements}
        blocks.append(block)
    return {**payload, "blocks": blocks}


def _applied(
    element: dict[str, Any], by_key: Mapping[str, ItemState], item: ItemState | None, zone: str
) -> dict[str, Any]:
    if element.get("type") == "checkboxes":
        options = [_described(option, by_key.get(option["value"]), zone) for option in element["options"]]
        changed = {k: v for k, v in element.items() if k != "initial_options"} | {"options": options}
        ticked = [o for o in options if (state := by_key.get(o["value"])) is not None and state.ticked]
        return changed | ({"initial_options": ticked} if ticked else {})
    if element.get("type") == "users_select":
        changed = {k: v for k, v in element.items() if k != "initial_user"}
        return changed | ({"initial_user": item.owner} if item is not None and item.owner else {})
    return element


def _described(option: dict[str, Any], state: ItemState | None, zone: str) -> dict[str, Any]:
    """An option with who ticked it and when ("✔ alice · Mon 10:02") and its ticket, if any."""
    bare = {k: v for k, v in option.items() if k != "description"}
    if state is None:
        return bare
    notes = []
    if state.ticked_at is not None:
        at = state.ticked_at.astimezone(ZoneInfo(zone))
        notes.append(f"✔ {state.ticked_name or state.ticked_by or 'someone'} · {at:%a %H:%M}")
    if state.ticket is not None:
        notes.append(f"🎫 {ticket_name(state.ticket)}")
    return bare | ({"description": plain(" · ".join(notes), OPTION_TEXT)} if notes else {})


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(clip(text, OPTION_TEXT), BUTTON_TEXT), "value": value}


def _checkboxes(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "checkboxes", "action_id": ActionId.REVIEW_TICK, "options": options}


def read_ticks(action: Mapping[str, Any], blocks: Sequence[Mapping[str, Any]]) -> dict[str, bool]:
    """What a click on a checkbox element changed: {item key: ticked}. Slack sends the element's whole
    selection; it is compared with what the clicking person saw (the message in the payload)."""
    after = {str(o.get("value")) for o in action.get("selected_options") or []}
    shown = _element(blocks, str(action.get("block_id")), "checkboxes")
    if shown is None:  # no message to compare with: take the selection as ticks
        return dict.fromkeys(after, True)
    covered = [str(o.get("value")) for o in shown.get("options") or []]
    before = {str(o.get("value")) for o in shown.get("initial_options") or []}
    return tick_changes(covered, before, after)


def read_owner(action: Mapping[str, Any]) -> tuple[str, str | None]:
    """(item key, chosen owner's user id or None when cleared) from an owner select's action."""
    return str(action.get("block_id") or "").removeprefix(ITEM_BLOCK), action.get("selected_user") or None


def _element(blocks: Sequence[Mapping[str, Any]], block_id: str, kind: str) -> Mapping[str, Any] | None:
    for block in blocks:
        if block.get("block_id") == block_id:
            return next((e for e in block.get("elements") or [] if e.get("type") == kind), None)
    return None


def review_done_text(done: ReviewDone) -> str:
    """The thread's line once every item is ticked."""
    names = ", ".join(untrusted(name) for name in done.names)
    took = humanize_duration(done.took) if done.took > timedelta(0) else "one go"
    return f"✅ Review done: all {done.items} items ticked by {names} in {took}."
