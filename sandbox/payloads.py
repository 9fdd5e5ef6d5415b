"""Build the request bodies Slack sends to apps: slash forms, interaction payloads, event envelopes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sandbox.model import APP_ID, BOT_USER_ID, Channel, Ephemeral, Message, User

if TYPE_CHECKING:
    from sandbox.records import View
    from sandbox.workspace import Workspace

VERIFICATION_TOKEN = "sandbox-verification-token"
_SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
_MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
_PICKERS = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}


def user_ref(user: User) -> dict[str, str]:
    """Render the `user` object interaction payloads carry."""
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": "T0SANDBOX"}


def channel_name(channel: Channel) -> str:
    """Name a conversation the way slash command payloads do."""
    return "directmessage" if channel.is_im else channel.name


def slash_form(
    ws: Workspace,
    *,
    command: str,
    text: str,
    user: User,
    channel: Channel,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """Build the form fields of a slash command request, in Slack's order."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team["id"],
        "team_domain": ws.team["domain"],
        "channel_id": channel.id,
        "channel_name": channel_name(channel),
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def find_element(
    blocks: list[dict[str, Any]], action_id: str, *, block_id: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Find the interactive element with `action_id` (in the block `block_id`, else the first); return it
    with its block."""
    seen: list[str] = []
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        candidates += [block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)]
        for element in candidates:
            if isinstance(element, dict) and "action_id" in element:
                if element["action_id"] == action_id:
                    return block, element
                seen.append(str(element["action_id"]))
    raise LookupError(f"no element with action_id {action_id!r}; the message has {seen}")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def option(element: dict[str, Any], value: str) -> dict[str, Any]:
    """Return the element's option whose value is `value` (any value for external selects)."""
    for candidate in _options(element):
        if candidate.get("value") == value:
            return dict(candidate)
    if element.get("type", "").endswith("external_select"):
        return {"text": {"type": "plain_text", "text": value}, "value": value}
    available = [o.get("value") for o in _options(element)]
    raise ValueError(f"{element.get('action_id')!r} has no option {value!r}; options are {available}")


def initial_value(element: dict[str, Any]) -> Any:
    """What an input the user leaves alone submits: the value the view set it to (initial_value,
    initial_option, initial_user, …), as the plain value `state_entry` takes."""
    for key, value in element.items():
        if not key.startswith("initial_") or value is None:
            continue
        if key == "initial_option":
            return value["value"]
        if key == "initial_options":
            return [item["value"] for item in value]
        return value
    return None


def state_entry(ws: Workspace, element: dict[str, Any], raw: Any) -> dict[str, Any]:
    """Render one element's state (`view.state.values[block][action]`) from a plain value."""
    kind = str(element.get("type"))
    if isinstance(raw, dict) and "type" in raw:
        return raw
    entry: dict[str, Any] = {"type": kind}
    if kind in _SINGLE_OPTION:
        entry["selected_option"] = option(element, str(raw)) if raw is not None else None
    elif kind in _MULTI_OPTION:
        entry["selected_options"] = [option(element, str(v)) for v in (raw or [])]
    elif kind in _PICKERS:
        entry[_PICKERS[kind]] = _picked(ws, kind, raw)
    else:
        entry["value"] = None if raw is None else str(raw)
    return entry


def _picked(ws: Workspace, kind: str, raw: Any) -> Any:
    if raw is None:
        return [] if kind.startswith("multi_") else None
    if kind.startswith("multi_"):
        return [_picked(ws, kind.removeprefix("multi_"), item) for item in raw]
    if kind == "users_select":
        return ws.user(str(raw)).id
    if kind in ("conversations_select", "channels_select"):
        return ws.channel(str(raw)).id
    return raw


def action(
    ws: Workspace, block: dict[str, Any], element: dict[str, Any], *, value: str | None, selected: str | None
) -> dict[str, Any]:
    """Render the `actions[0]` entry of a block_actions payload for a click on `element`."""
    kind = str(element.get("type"))
    data: dict[str, Any] = {"type": kind, "action_id": element["action_id"], "block_id": block["block_id"]}
    if kind == "button":
        data["text"] = {**element.get("text", {}), "emoji": True}
        data["value"] = value if value is not None else element.get("value")
        data.update({key: element[key] for key in ("style", "url") if key in element})
    elif kind == "checkboxes" and selected is None and value is not None:
        data["selected_options"] = _toggled(element, value)
    elif kind in _SINGLE_OPTION or kind in _MULTI_OPTION or kind in _PICKERS:
        chosen = selected if selected is not None else value
        if chosen is None:
            raise ValueError(f"clicking a {kind} needs selected_option_value=... (or value=...)")
        multi = kind in _MULTI_OPTION or kind.startswith("multi_")
        raw: Any = [v for v in chosen.split(",") if v] if multi else chosen
        data.update({k: v for k, v in state_entry(ws, element, raw).items() if k != "type"})
    elif value is not None:
        data["value"] = value
    data["action_ts"] = f"{time.time():.6f}"
    return data


def _toggled(element: dict[str, Any], value: str) -> list[dict[str, Any]]:
    """A click on one checkbox: Slack sends the element's whole selection after it (empty when the last
    ticked box was unticked), starting from what the message shows ticked."""
    shown = [str(o.get("value")) for o in element.get("initial_options") or []]
    after = [v for v in shown if v != value] if value in shown else [*shown, value]
    return [option(element, v) for v in after]


def block_actions(
    ws: Workspace,
    *,
    target: Message | Ephemeral,
    user: User,
    act: dict[str, Any],
    response_url: str,
    trigger_id: str,
) -> dict[str, Any]:
    """Build a faithful `block_actions` payload for a click on a stored message."""
    channel = ws.channels[target.channel]
    is_ephemeral = isinstance(target, Ephemeral)
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": target.ts,
        "channel_id": channel.id,
        "is_ephemeral": is_ephemeral,
    }
    if target.thread_ts:
        container["thread_ts"] = target.thread_ts
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_ref(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": {"id": ws.team["id"], "domain": ws.team["domain"]},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel.id, "name": channel_name(channel)},
        "state": {"values": _clicked_state(act)},
        "response_url": response_url,
        "actions": [act],
    }
    if not is_ephemeral:
        payload["message"] = target.to_api()
    return payload


def _clicked_state(act: dict[str, Any]) -> dict[str, Any]:
    """Render the state Slack reports for a stateful element that was just changed."""
    if act["type"] == "button":
        return {}
    entry = {k: v for k, v in act.items() if k not in ("action_id", "block_id", "action_ts")}
    return {act["block_id"]: {act["action_id"]: entry}}


def view_state(ws: Workspace, view: View, values: dict[str, Any]) -> dict[str, Any]:
    """Build `view.state` from plain values keyed by block_id or action_id; check required inputs."""
    state: dict[str, dict[str, Any]] = {}
    unused = dict(values)
    for block in view.blocks:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        block_id, action_id = block["block_id"], element["action_id"]
        key = block_id if block_id in unused else action_id
        raw = unused.pop(key) if key in unused else initial_value(element)
        if raw in (None, "", []) and not block.get("optional"):
            raise ValueError(
                f"required input {block_id!r}/{action_id!r} has no value; Slack would not submit"
            )
        state[block_id] = {action_id: state_entry(ws, element, raw)}
    if unused:
        inputs = [
            (b["block_id"], b["element"].get("action_id")) for b in view.blocks if b.get("type") == "input"
        ]
        raise ValueError(f"no input block for {sorted(unused)}; the view's inputs are {inputs}")
    return {"values": state}


def view_submission(ws: Workspace, *, view: View, user: User, trigger_id: str) -> dict[str, Any]:
    """Build a `view_submission` payload for the view with its current state."""
    return {
        "type": "view_submission",
        "team": {"id": ws.team["id"], "domain": ws.team["domain"]},
        "user": user_ref(user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view.to_api(),
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_envelope(ws: Workspace, event: dict[str, Any], *, event_id: str) -> dict[str, Any]:
    """Wrap an event in the Events API `event_callback` envelope."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team["id"],
        "context_team_id": ws.team["id"],
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": {"event_ts": f"{time.time():.6f}", **event},
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team["id"],
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
