"""The sandbox web page: a Slack-like UI at `GET /` and the small JSON / SSE API under `/_sandbox/`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.common import CLOSING_KEY, WORKSPACE_KEY
from sandbox.page_actions import ACTIONS, BOT_LINK_KEY, BotLink, RunDigest
from sandbox.page_guard import PAGE_GUARD_KEY, PageGuard, guard_page
from sandbox.pagerduty_api import paged_state
from sandbox.player import SlackPlayer
from sandbox.twilio import TWILIO_KEY
from sandbox.workspace import Workspace

STATIC = Path(__file__).parent / "static"
_QUIET_EVENTS = {"api_call", "file_uploaded"}
_BRIEF = ("seq", "type", "channel", "user", "ts", "view_id", "errors")


def mount_page(app: web.Application) -> None:
    """Add the page, its static files and its `/_sandbox/` API to the sandbox app, guarded by a random
    per-start key that the page URL carries (sandbox/page_guard.py)."""
    app[BOT_LINK_KEY] = BotLink()
    app[PAGE_GUARD_KEY] = PageGuard()
    app.middlewares.append(guard_page)
    app.router.add_get("/", index)
    app.router.add_static("/_sandbox/static", STATIC)
    app.router.add_get("/_sandbox/state", state)
    app.router.add_get("/_sandbox/events", events)
    app.router.add_get("/_sandbox/files/{file_id}/{name}", file_bytes)
    for name, handler in ACTIONS.items():
        app.router.add_post(f"/_sandbox/{name}", handler)
    app.on_cleanup.append(_close_player)


def attach_bot(
    app: web.Application,
    *,
    player: SlackPlayer | None = None,
    alert_webhook_url: str | None = None,
    alert_webhook_token: str | None = None,
    run_digest: RunDigest | None = None,
) -> None:
    """Point the page at a bot; the sandbox closes `player` when it stops."""
    link = app[BOT_LINK_KEY]
    if run_digest is not None:
        link.run_digest = run_digest
    if player is not None:
        link.player = player
    if alert_webhook_url is not None:
        link.alert_webhook_url = alert_webhook_url
    if alert_webhook_token is not None:
        link.alert_webhook_token = alert_webhook_token


async def _close_player(app: web.Application) -> None:
    player = app[BOT_LINK_KEY].player
    if player is not None:
        await player.close()


async def index(request: web.Request) -> web.FileResponse:
    """Serve the single page."""
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


def page_state(ws: Workspace, link: BotLink) -> dict[str, Any]:
    """Return the workspace snapshot plus what the page needs beyond it."""
    data = ws.snapshot()
    data["ephemerals"] = [
        {**e.to_api(), "channel": e.channel, "user": e.user} for e in ws.ephemerals if not e.deleted
    ]
    data["usergroups"] = [g.to_api(include_users=False) for g in ws.usergroups.values()]
    data["home_views"] = dict(ws.home_views)
    data["modal_stacks"] = {user: list(stack) for user, stack in ws.modal_stacks.items() if stack}
    data["bot"] = {
        "connected": link.player is not None,
        "alerts": link.alert_webhook_url is not None,
        "user_id": ws.bot_user_id,
    }
    data["seq"] = len(ws.events)
    return data


async def state(request: web.Request) -> web.Response:
    """`GET /_sandbox/state`: everything the page draws, with what was paged beyond Slack."""
    data = page_state(request.app[WORKSPACE_KEY], request.app[BOT_LINK_KEY])
    data["paged"] = {**paged_state(request.app), "sms": request.app[TWILIO_KEY].paged()}
    return web.json_response(data)


async def events(request: web.Request) -> web.StreamResponse:
    """`GET /_sandbox/events`: Server-Sent Events, one per workspace change (without the heavy parts)."""
    ws, closing = request.app[WORKSPACE_KEY], request.app[CLOSING_KEY]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    queue = ws.subscribe()
    try:
        await response.write(b": connected\n\n")
        while not closing.is_set():
            event = await _next_event(queue, closing)
            if event is None or event["type"] in _QUIET_EVENTS:
                continue
            brief = {k: v for k, v in event.items() if k in _BRIEF}
            await response.write(f"data: {json.dumps(brief)}\n\n".encode())
    except ConnectionResetError:
        pass  # the page went away; nothing to tell it
    finally:
        ws.unsubscribe(queue)
    return response


async def _next_event(queue: asyncio.Queue[dict[str, Any]], closing: asyncio.Event) -> dict[str, Any] | None:
    """Wait for the next event, or return None when the sandbox shuts down."""
    getter = asyncio.ensure_future(queue.get())
    stopper = asyncio.ensure_future(closing.wait())
    done, pending = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return getter.result() if getter in done else None


async def file_bytes(request: web.Request) -> web.Response:
    """Serve an uploaded file to the page (the page has no bot token for `url_private`)."""
    file = request.app[WORKSPACE_KEY].files.get(request.match_info["file_id"])
    if file is None or not file.uploaded or file.name != request.match_info["name"]:
        return web.Response(status=404, text="file not found")
    return web.Response(body=file.content, content_type=file.mimetype)
