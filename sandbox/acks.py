"""What Slack does with the bot's HTTP answers: slash command acks and view_submission responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.api_chat import content
from sandbox.blockkit import validate_view
from sandbox.common import Args
from sandbox.errors import SlackError

if TYPE_CHECKING:
    from sandbox.model import Channel, User
    from sandbox.records import ResponseUrl, View
    from sandbox.workspace import Workspace


@dataclass(frozen=True)
class BotResponse:
    """The bot's HTTP answer to one request the player made."""

    status: int
    body: str
    json: dict[str, Any] | None
    headers: Mapping[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    @classmethod
    def parse(cls, status: int, body: str, headers: Mapping[str, str], *, elapsed: float) -> BotResponse:
        """Build a response, decoding the body as a JSON object when it is one."""
        try:
            decoded = json.loads(body) if body.strip() else None
        except ValueError:
            decoded = None
        return cls(status, body, decoded if isinstance(decoded, dict) else None, dict(headers), elapsed)


def _slack_error(ws: Workspace, channel: Channel, user: User, command: str, error: str) -> None:
    text = f'{command} failed with the error "{error}"'
    ws.add_ephemeral(channel.id, user.id, text=text, source="slack", from_bot=False)


def apply_slash_ack(
    ws: Workspace,
    response: BotResponse,
    *,
    command: str,
    channel: Channel,
    user: User,
    response_url: ResponseUrl,
    ack_timeout: float,
) -> None:
    """Show the slash command's ack like Slack: ephemeral, in_channel, or an error line."""
    if response.elapsed > ack_timeout or response.status != 200:
        error = "operation_timeout" if response.elapsed > ack_timeout else "dispatch_failed"
        _slack_error(ws, channel, user, command, error)
        return
    if not response.body.strip():
        return
    payload = response.json if response.json is not None else {"text": response.body}
    try:
        text, blocks, attachments = content(Args(payload))
    except SlackError as error:
        _slack_error(ws, channel, user, command, error.error)
        return
    if payload.get("response_type") == "in_channel":
        ws.add_message(channel.id, text=text, blocks=blocks, attachments=attachments)
        return
    ephemeral = ws.add_ephemeral(
        channel.id, user.id, text=text, blocks=blocks, attachments=attachments, source="ack"
    )
    response_url.message_ts, response_url.is_ephemeral = ephemeral.ts, True


def apply_view_response(ws: Workspace, view: View, response: BotResponse, *, ack_timeout: float) -> None:
    """Close, update, push or keep a submitted modal according to the bot's `response_action`."""
    if response.elapsed > ack_timeout or response.status != 200:
        ws.emit({"type": "view_error", "view_id": view.id, "error": "the app did not respond in time"})
        return
    body = response.json or {}
    kind = body.get("response_action")
    if kind == "errors":
        ws.emit({"type": "view_errors", "view_id": view.id, "errors": body.get("errors", {})})
    elif kind in ("update", "push"):
        problems = validate_view(body.get("view"))
        if problems:
            ws.emit({"type": "view_error", "view_id": view.id, "error": "invalid view", "errors": problems})
        elif kind == "update":
            ws.update_view(view, body["view"])
        else:
            ws.push_modal(view.user, body["view"])
    else:
        ws.close_view(view, clear=kind == "clear")
