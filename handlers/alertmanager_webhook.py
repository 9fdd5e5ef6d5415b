"""POST /alerts/alertmanager: Alertmanager's webhook (payload version 4)."""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web

from bot.domain.incoming import PayloadError, parse_alertmanager
from bot.services.alerts import ingest
from handlers.request_bodies import read_json


async def receive(request: web.Request) -> web.Response:
    """Authenticate, validate, store every alert, and only then answer 200."""
    from bot.server import DEPS_KEY

    deps = request.app[DEPS_KEY]
    _authenticate(request, deps.settings.secrets.alert_webhook_token)
    payload = await read_json(request)
    try:
        alerts = parse_alertmanager(payload, received_at=deps.clock())
    except PayloadError as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    result = await ingest(deps, alerts, source="alertmanager")
    return web.json_response({"status": "accepted", "alerts": result.accepted, "groups": result.groups})


def _authenticate(request: web.Request, token: Any) -> None:
    if token is None:
        return
    expected = f"Bearer {token.get_secret_value()}".encode()
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, expected):
        raise web.HTTPUnauthorized(
            text="missing or wrong bearer token (Alertmanager http_config.authorization)"
        )
