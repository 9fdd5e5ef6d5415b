"""`/api/{method}`: parse a Web API call like Slack does, authenticate, dispatch, record the result."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox import api_chat, api_conversations, api_directory, api_files, api_views
from sandbox.common import CLOSING_KEY, WORKSPACE_KEY, Args, Handler
from sandbox.errors import SlackError
from sandbox.faults import Fault
from sandbox.records import ApiCall
from sandbox.scopes import METHODS as NEEDS
from sandbox.scopes import call_context, check_scopes

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

logger = logging.getLogger(__name__)

METHODS: dict[str, Handler] = {
    **api_chat.METHODS,
    **api_conversations.METHODS,
    **api_directory.METHODS,
    **api_files.METHODS,
    **api_views.METHODS,
}
# Arguments Slack accepts as JSON even inside a form body, and the error a malformed value earns.
JSON_FIELDS = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
    "metadata": "invalid_metadata_format",
}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def parse_call(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Merge query string and body (JSON or form) into one argument dict; return it and the token."""
    data: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.text())
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            data.update(body)
        elif request.content_type in _FORM_TYPES:
            form = await request.post()
            data.update({key: value for key, value in form.items() if isinstance(value, str)})
    for name, error in JSON_FIELDS.items():
        if isinstance(data.get(name), str) and data[name]:
            try:
                data[name] = json.loads(data[name])
            except ValueError:
                raise SlackError(error) from None
    token = data.pop("token", None)
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        token = authorization.removeprefix("Bearer ").strip()
    return data, token if isinstance(token, str) and token else None


def authenticate(ws: Workspace, method: str, token: str | None) -> Handler:
    """Find the method and check the token, as Slack does before anything else."""
    handler = METHODS.get(method)
    if handler is None:
        raise SlackError("unknown_method")
    if token is None:
        raise SlackError("not_authed")
    if token != ws.bot_token:
        raise SlackError("invalid_auth")
    return handler


def rate_limit(ws: Workspace, method: str) -> None:
    """Answer 429 with Retry-After when the method's tier (or, for posts, the channel) is over its rate."""
    if ws.tier_limiter is None:
        return
    retry_after = ws.tier_limiter.acquire(method, NEEDS[method].tier)
    if retry_after is not None:
        raise SlackError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})


async def handle_api(request: web.Request) -> web.StreamResponse:
    """Serve `/api/{method}` with Slack's status codes, bodies and headers."""
    ws = request.app[WORKSPACE_KEY]
    method = request.match_info["method"]
    data: dict[str, Any] = {}
    headers = {"X-OAuth-Scopes": ",".join(sorted(ws.scopes)), "X-Accepted-OAuth-Scopes": ""}
    fault, context = None, ""
    agent = request.headers.get("User-Agent", "")
    try:
        data, token = await parse_call(request)
        handler = authenticate(ws, method, token)
        rate_limit(ws, method)
        args = Args(data)
        context = call_context(ws, method, args) or ""
        check_scopes(ws, method, args)
        headers["X-Accepted-OAuth-Scopes"] = ",".join(_accepted(method))
        fault = ws.take_fault(method)
        if fault is not None and fault.kind not in ("slow", "lost_answer"):
            return await _faulted(
                request, ws, ApiCall(method, data, 0, {}, context=context, agent=agent), fault
            )
        body, status = handler(ws, args), 200
    except SlackError as error:
        body, status = error.to_body(), error.status
        headers.update(error.headers)
    except Exception:
        logger.exception("sandbox method failed", extra={"method": method})
        body, status = {"ok": False, "error": "internal_error"}, 500
    call = ApiCall(method=method, args=data, status=status, response=body, context=context, agent=agent)
    if fault is not None and fault.kind == "lost_answer":
        return await _lose_answer(request, ws, call, fault)
    ws.record_call(call)
    if fault is not None:  # slow: done, but answered late
        await _wait_or_close(request, fault.delay)
    return web.json_response(body, status=status, headers=headers)


def _accepted(method: str) -> list[str]:
    need = NEEDS[method]
    return [*need.fixed, *(need.by_kind or {}).values()]


async def _lose_answer(
    request: web.Request, ws: Workspace, call: ApiCall, fault: Fault
) -> web.StreamResponse:
    """The call took effect; the caller gets a dropped connection or a bare 500 instead of its result."""
    lost = {"ok": False, "error": "lost_answer", "done": call.response}
    ws.record_call(
        ApiCall(call.method, call.args, status=500, response=lost, context=call.context, agent=call.agent)
    )
    if fault.answer == "500":
        return web.Response(status=500, text="Internal Server Error", content_type="text/plain")
    assert request.transport is not None
    request.transport.close()  # the answer never reaches the caller
    raise asyncio.CancelledError


async def _faulted(request: web.Request, ws: Workspace, call: ApiCall, fault: Fault) -> web.StreamResponse:
    """Answer an injected failure without touching any state (`call` says what was asked, and where)."""
    if fault.kind == "429":
        body = {"ok": False, "error": "ratelimited"}
        ws.record_call(replace(call, status=429, response=body))
        return web.json_response(body, status=429, headers={"Retry-After": str(fault.retry_after)})
    if fault.kind == "500":
        ws.record_call(replace(call, status=500, response={"ok": False, "error": "injected_500"}))
        return web.Response(status=500, text="Internal Server Error", content_type="text/plain")
    ws.record_call(replace(call, status=504, response={"ok": False, "error": "injected_timeout"}))
    await _wait_or_close(request, fault.delay)
    return web.Response(status=504, text="Gateway Timeout", content_type="text/plain")


async def _wait_or_close(request: web.Request, seconds: float) -> None:
    """Hold an answer back for `seconds`, or until the sandbox shuts down."""
    with contextlib.suppress(TimeoutError):  # asyncio.timeout lets a cancel through (see OutboxWorker._loop)
        async with asyncio.timeout(seconds):
            await request.app[CLOSING_KEY].wait()
