"""POST /alerts/alertmanager: Alertmanager's webhook (payload version 4)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


async def receive(request: web.Request) -> web.Response:
    """Check size and JSON, then hand the payload to alert ingest."""
    payload = await read_json(request)
    return web.json_response({"error": "alert ingest is not built yet", "alerts": len(payload.get("alerts", []))},
                             status=501)


async def read_json(request: web.Request) -> dict[str, Any]:
    """Read a JSON object body, answering 413 / 400 with the reason when it is not one."""
    limit = request.app._client_max_size  # noqa: SLF001  (aiohttp keeps the limit there)
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit, actual_size=request.content_length,
            text=f"body of {request.content_length} bytes is over the limit of {limit} bytes",
        )
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit, actual_size=limit + 1, text=f"body is over the limit of {limit} bytes"
        ) from None
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise web.HTTPBadRequest(text=f"body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise web.HTTPBadRequest(text=f"body must be a JSON object, not {type(payload).__name__}")
    return payload
