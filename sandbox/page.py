"""The sandbox web page: a Slack-like UI at `GET /` and the small JSON / SSE API under `/_sandbox/`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from sandbox import payloads
from sandbox.acks import BotResponse
from sandbox.common import CLOSING_KEY, WORKSPACE_KEY
from sandbox.errors import SlackError
from sandbox.model import APP_ID, Ephemeral, Message
from sandbox.player import SlackPlayer
from sandbox.workspace import Workspace

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
NO_DIGESTS = "Digests are not available in this version yet."
# The sample alerts the Simulate panel fires: (alertname, severity, job, summary).
SAMPLE_ALERTS = {
    "critical": (
        "CheckoutErrorRate",
        "critical",
        "checkout",
        "Checkout error rate is above 5% for 5 minutes",
    ),
    "warning": ("ApiLatencyHigh", "warning", "api", "p95 latency of the API is above 800 ms"),
    "info": ("DeployFinished", "info", "deploy", "Deploy of checkout v2.14.0 finished"),
}
_QUIET_EVENTS = {"api_call", "file_uploaded"}
_BRIEF = ("seq", "type", "channel", "user", "ts", "view_id", "errors")


RunDigest = Callable[[str], Awaitable[str]]


@dataclass
class BotLink:
    """How the page reaches the bot: a player for Slack traffic, a URL for the alert webhook."""

    player: SlackPlayer | None = None
    alert_webhook_url: str | None = None
    alert_webhook_token: str | None = None
    firing: set[str] = field(default_factory=set)
    run_digest: RunDigest | None = None  # an in-process callback from an embedding bot; never over HTTP


BOT_LINK_KEY: web.AppKey[BotLink] = web.AppKey("sandbox_bot_link", BotLink)


def mount_page(app: web.Application) -> None:
    """Add the page, its static files and its `/_sandbox/` API to the sandbox app."""
    app[BOT_LINK_KEY] = BotLink()
    app.router.add_get("/", index)
    app.router.add_static("/_sandbox/static", STATIC)
    app.router.add_get("/_sandbox/state", state)
    app.router.add_get("/_sandbox/events", events)
    app.router.add_get("/_sandbox/files/{file_id}/{name}", file_bytes)
    for name, handler in _ACTIONS.items():
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
    """`GET /_sandbox/state`: everything the page draws."""
    return web.json_response(page_state(request.app[WORKSPACE_KEY], request.app[BOT_LINK_KEY]))


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


# the page's actions: each takes the JSON body and returns a JSON-friendly answer

Action = Callable[[web.Application, dict[str, Any]], Awaitable[dict[str, Any]]]


class PageError(Exception):
    """A problem the page shows to the person as it is."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _handler(action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise PageError("the body must be a JSON object")
            return web.json_response({"ok": True, **await action(request.app, data)})
        except PageError as error:
            return _error(str(error), error.status)
        except SlackError as error:
            return _error(error.error, 400)
        except (ValueError, LookupError) as error:  # bad JSON, unknown element or option, missing input
            return _error(str(error), 400)
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = str(error) or type(error).__name__
            log.warning("the sandbox page could not reach the bot", extra={"error": reason})
            return _error(f"the bot did not answer: {reason}", 502)

    return handle


def _error(message: str, status: int) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def _player(app: web.Application) -> SlackPlayer:
    player = app[BOT_LINK_KEY].player
    if player is None:
        raise PageError(
            "No bot is connected to this sandbox: run `opsbot serve`, or `opsbot sandbox --bot-url URL "
            "--signing-secret S`.",
            status=503,
        )
    return player


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise PageError(f"missing {key}")
    return value


def _answer(response: BotResponse, *, shown: bool = True) -> dict[str, Any]:
    """Report the bot's answer; for requests whose failure Slack shows, a non-200 becomes an error."""
    if shown and response.status != 200:
        raise PageError(f"opsbot answered HTTP {response.status}: {response.body[:200]}", status=502)
    return {"status": response.status}


async def slash(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Run `/command text` as the chosen user in the chosen channel."""
    command, _, text = _text(data, "text").strip().partition(" ")
    response = await _player(app).slash(
        command, text.strip(), user=_text(data, "user"), channel=_text(data, "channel")
    )
    return _answer(response)


async def message(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Post a human message (optionally in a thread) and tell the bot, if one is connected."""
    ws, link = app[WORKSPACE_KEY], app[BOT_LINK_KEY]
    user, channel, text = _text(data, "user"), _text(data, "channel"), _text(data, "text")
    thread_ts = data.get("thread_ts") or None
    if link.player is None:
        stored = ws.add_message(channel, user=ws.user(user).id, text=text, thread_ts=thread_ts)
    else:
        stored = await link.player.message(channel, text, user=user, thread_ts=thread_ts)
    return {"ts": stored.ts}


async def click(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Click a button, or choose in a select / overflow menu, of a message, ephemeral or view."""
    ws, player = app[WORKSPACE_KEY], _player(app)
    selected = data.get("selected_option_value")
    chosen = None if selected is None else str(selected)
    if data.get("view_id"):
        return _answer(await _click_in_view(player, data, selected=chosen))
    ts = _text(data, "ts")
    target: Message | Ephemeral = (
        ws.ephemeral(ts) if data.get("ephemeral") else ws.message(_text(data, "channel"), ts)
    )
    response = await player.click(
        target, _text(data, "action_id"), user=_text(data, "user"), value=data.get("value"),
        selected_option_value=chosen,
    )  # fmt: skip
    return _answer(response)


async def _click_in_view(player: SlackPlayer, data: dict[str, Any], *, selected: str | None) -> BotResponse:
    """Send the `block_actions` payload Slack sends for an element of a modal or App Home view."""
    ws = player.ws
    view, who = ws.view(_text(data, "view_id")), ws.user(_text(data, "user"))
    block, element = payloads.find_element(view.blocks, _text(data, "action_id"))
    act = payloads.action(ws, block, element, value=data.get("value"), selected=selected)
    payload = {
        "type": "block_actions",
        "user": payloads.user_ref(who),
        "api_app_id": APP_ID,
        "token": payloads.VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view.id},
        "trigger_id": ws.issue_trigger(who.id),
        "team": {"id": ws.team["id"], "domain": ws.team["domain"]},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view.to_api(),
        "actions": [act],
    }
    ws.emit({"type": "block_action", "user": who.id, "view_id": view.id, "action": act})
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return await player.raw(body, content_type="application/x-www-form-urlencoded")


async def submit(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Submit the open modal with values keyed by block_id."""
    values = data.get("values") or {}
    if not isinstance(values, dict):
        raise PageError("values must be an object")
    response = await _player(app).submit_view(_text(data, "view_id"), values, user=data.get("user"))
    _answer(response)
    body = response.json or {}
    errors = body.get("errors") if body.get("response_action") == "errors" else None
    return {"status": response.status, "errors": errors or {}}


async def close_view(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Close a modal (and the ones above it), as the × or Cancel button does."""
    ws = app[WORKSPACE_KEY]
    ws.close_view(ws.view(_text(data, "view_id")))
    return {}


async def home(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Open the App Home tab as a user, so the bot can publish it."""
    return _answer(await _player(app).app_home_opened(_text(data, "user")), shown=False)


async def react(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Add a reaction as a user and tell the bot."""
    channel, ts, name = _text(data, "channel"), _text(data, "ts"), _text(data, "name")
    ws, link = app[WORKSPACE_KEY], app[BOT_LINK_KEY]
    if link.player is None:
        ws.add_reaction(channel, ts, name, user=ws.user(_text(data, "user")).id)
        return {}
    return _answer(await link.player.reaction_added(channel, ts, name, user=_text(data, "user")), shown=False)


async def alerts(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Fire a sample alert of one severity, or resolve every sample alert, through the bot's webhook."""
    link, kind = app[BOT_LINK_KEY], _text(data, "kind")
    if link.alert_webhook_url is None:
        raise PageError("No alert webhook is known: start the sandbox with --bot-url URL.", status=503)
    if kind == "resolve":
        if not link.firing:
            raise PageError("No sample alert is firing: fire one first.")
        batch = [sample_alert(name, resolved=True) for name in sorted(link.firing)]
    elif kind in SAMPLE_ALERTS:
        batch = [sample_alert(kind)]
    else:
        raise PageError(f"unknown alert kind {kind!r}: use critical, warning, info or resolve")
    headers = {"Authorization": f"Bearer {link.alert_webhook_token}"} if link.alert_webhook_token else {}
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(link.alert_webhook_url, json=alertmanager_payload(batch), headers=headers) as reply,
    ):
        body = await reply.text()
    if reply.status != 200:
        raise PageError(f"the bot answered {reply.status}: {body[:300]}", status=502)
    link.firing = set() if kind == "resolve" else link.firing | {kind}
    return {"status": reply.status, "alerts": [a["labels"]["alertname"] for a in batch]}


async def digest(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Post the weekly or monthly digest now, through the bot that embeds this sandbox."""
    period = _text(data, "period")
    if period not in ("weekly", "monthly"):
        raise PageError("period must be weekly or monthly")
    run = app[BOT_LINK_KEY].run_digest
    if run is None:
        raise PageError(NO_DIGESTS, status=501)
    return {"message": await run(period)}


_ACTIONS = {
    name: _handler(action)
    for name, action in {
        "slash": slash,
        "message": message,
        "click": click,
        "submit": submit,
        "close_view": close_view,
        "home": home,
        "react": react,
        "alerts": alerts,
        "digest": digest,
    }.items()
}


# Alertmanager webhook v4 payloads (the sandbox's own small builder)


def sample_alert(kind: str, *, resolved: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Build one of the Simulate panel's alerts as Alertmanager sends it."""
    name, severity, job, summary = SAMPLE_ALERTS[kind]
    labels = {"alertname": name, "severity": severity, "job": job, "instance": f"{job}-1"}
    fingerprint = hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]
    now = now or datetime.now(UTC)
    return {
        "status": "resolved" if resolved else "firing",
        "labels": labels,
        "annotations": {"summary": summary, "runbook_url": f"https://runbooks.example/{name}"},
        "startsAt": _stamp(now - timedelta(minutes=1)),
        "endsAt": _stamp(now) if resolved else "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus.example/graph?g0.expr={name}",
        "fingerprint": fingerprint,
    }


def alertmanager_payload(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap alerts in the webhook v4 envelope."""
    firing = any(a["status"] == "firing" for a in batch)
    return {
        "version": "4",
        "groupKey": '{}:{source="opsbot-sandbox"}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "opsbot",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": batch,
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
