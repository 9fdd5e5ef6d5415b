"""POST /alerts/alertmanager: Alertmanager's webhook (payload version 4)."""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from aiohttp import web

from bot.domain.incoming import PayloadError, parse_alertmanager
from bot.services.alerts import ingest


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


async def read_json(request: web.Request) -> dict[str, Any]:
    """Read a JSON object body, answering 413 / 400 with the reason when it is not one."""
    limit = request.app._client_max_size
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit,
            actual_size=request.content_length,
            text=f"body of {request.content_length} bytes is over the limit of {limit} bytes",
        )
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit, actual_size=limit + 1, text=f"body is over the limit of {limit} bytes"
        ) from None
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise web.HTTPBadRequest(text=f"body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise web.HTTPBadRequest(text=f"body must be a JSON object, not {type(payload).__name__}")
    return payload
