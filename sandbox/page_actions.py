"""The sandbox page's actions under `POST /_sandbox/<name>`: each takes the JSON body, plays Slack (or
Alertmanager) toward the connected bot, and returns a JSON-friendly answer."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from sandbox import payloads
from sandbox.acks import BotResponse
from sandbox.common import WORKSPACE_KEY
from sandbox.errors import SlackError
from sandbox.faults import FaultKind
from sandbox.model import APP_ID, Ephemeral, Message
from sandbox.player import SlackPlayer
from sandbox.sample_alerts import SAMPLE_ALERTS, alertmanager_payload, sample_alert

log = logging.getLogger(__name__)
NO_DIGESTS = "Digests are not available in this version yet."


class RunDigest(Protocol):
    """The embedding bot's digest run: `period` weekly, monthly or info; `so_far`: the current one to now."""

    def __call__(self, period: str, *, so_far: bool = False) -> Awaitable[str]: ...


@dataclass
class BotLink:
    """How the page reaches the bot: a player for Slack traffic, a URL for the alert webhook."""

    player: SlackPlayer | None = None
    alert_webhook_url: str | None = None
    alert_webhook_token: str | None = None
    firing: set[str] = field(default_factory=set)
    run_digest: RunDigest | None = None  # an in-process callback from an embedding bot; never over HTTP


BOT_LINK_KEY: web.AppKey[BotLink] = web.AppKey("sandbox_bot_link", BotLink)


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
        selected_option_value=chosen, block_id=data.get("block_id") or None,
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
    """Post a digest now, through the bot that embeds this sandbox: weekly or monthly (the last complete
    period, or with `so_far` the current one up to now), or the info review."""
    period, so_far = _text(data, "period"), data.get("so_far", False)
    if period not in ("weekly", "monthly", "info"):
        raise PageError("period must be weekly, monthly or info")
    if not isinstance(so_far, bool) or (so_far and period == "info"):
        raise PageError("so_far must be true or false, and only for weekly or monthly")
    run = app[BOT_LINK_KEY].run_digest
    if run is None:
        raise PageError(NO_DIGESTS, status=501)
    return {"message": await run(period, so_far=so_far)}


# The Simulate panel's Slack troubles: (faults, Retry-After or delay in seconds, what the page says).
SLACK_FAULTS: dict[FaultKind, tuple[int, int, str]] = {
    "429": (5, 2, "answer the next 5 posts and updates with 429 (Retry-After 2 s)"),
    "500": (3, 0, "fail the next 3 posts and updates with HTTP 500"),
    "slow": (1, 15, "carry out the next post or update but answer only after 15 s"),
    "timeout": (1, 15, "leave the next post or update unanswered for 15 s, doing nothing"),
    "lost_answer": (1, 0, "carry out the next post or update, then drop the connection unanswered"),
}


async def faults(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Make Slack misbehave for the bot's next messages, to watch it retry without losing or repeating."""
    kind = _text(data, "kind")
    if kind not in SLACK_FAULTS:
        raise PageError(f"unknown fault {kind!r}: use {', '.join(SLACK_FAULTS)}")
    count, seconds, says = SLACK_FAULTS[kind]
    app[WORKSPACE_KEY].inject_faults(
        count, kind=kind, methods={"chat.postMessage", "chat.update"}, retry_after=max(seconds, 1),
        delay=seconds,
    )  # fmt: skip
    return {"message": f"Slack will {says}."}


ACTIONS = {
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
        "faults": faults,
    }.items()
}
