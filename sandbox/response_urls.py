"""`POST /response/...`: the response_url endpoint, with Slack's ephemeral/in_channel/replace semantics."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.api_chat import content
from sandbox.common import WORKSPACE_KEY, Args
from sandbox.errors import SlackError
from sandbox.records import ApiCall, ResponseUrl

if TYPE_CHECKING:
    from sandbox.workspace import Workspace


def _payload(raw: str) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except ValueError:
        raise SlackError("invalid_payload", status=400) from None
    if not isinstance(payload, dict):
        raise SlackError("invalid_payload", status=400)
    for name in ("blocks", "attachments"):
        if isinstance(payload.get(name), str):
            try:
                payload[name] = json.loads(payload[name])
            except ValueError:
                raise SlackError("invalid_blocks_format", status=400) from None
    return payload


def _checked_content(payload: dict[str, Any]) -> tuple[str, Any, Any]:
    try:
        return content(Args(payload))
    except SlackError as error:
        error.status = 400
        raise


def apply_response(ws: Workspace, url: ResponseUrl, payload: dict[str, Any]) -> None:
    """Do what Slack does with one response_url payload."""
    if payload.get("delete_original"):
        if url.message_ts and url.is_ephemeral:
            ws.delete_ephemeral(url.message_ts)
        elif url.message_ts:
            ws.delete_message(url.channel, url.message_ts)
        return
    text, blocks, attachments = _checked_content(payload)
    if payload.get("replace_original") and url.message_ts:
        if url.is_ephemeral:
            ws.replace_ephemeral(url.message_ts, text=text, blocks=blocks)
        else:
            ws.update_message(
                url.channel, url.message_ts, text=text, blocks=blocks or [], attachments=attachments
            )
        return
    thread_ts = payload.get("thread_ts")
    if payload.get("response_type") == "in_channel":
        ws.add_message(url.channel, text=text, blocks=blocks, attachments=attachments, thread_ts=thread_ts)
        return
    ephemeral = ws.add_ephemeral(
        url.channel, url.user, text=text, blocks=blocks, attachments=attachments, source="response_url",
        thread_ts=thread_ts,
    )  # fmt: skip
    if url.message_ts is None:
        url.message_ts, url.is_ephemeral = ephemeral.ts, True


async def handle_response_url(request: web.Request) -> web.Response:
    """Accept a bot's POST to a response_url (at most 5 uses in 30 minutes)."""
    ws = request.app[WORKSPACE_KEY]
    payload: dict[str, Any] = {}
    try:
        url = ws.use_response_url(request.match_info["token"])
        payload = _payload(await request.text())
        apply_response(ws, url, payload)
        body, status = {"ok": True}, 200
    except SlackError as error:
        body, status = error.to_body(), error.status if error.status != 200 else 400
    ws.record_call(ApiCall(method="response_url", args=payload, status=status, response=body))
    return web.json_response(body, status=status)
