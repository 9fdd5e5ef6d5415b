"""Reading webhook bodies: within the server's size limit, as raw bytes (for a signature) or a JSON object."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web


async def read_body(request: web.Request) -> bytes:
    """The raw body, answering 413 with the limit when it is over it."""
    limit = request.app._client_max_size
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit,
            actual_size=request.content_length,
            text=f"body of {request.content_length} bytes is over the limit of {limit} bytes",
        )
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit, actual_size=limit + 1, text=f"body is over the limit of {limit} bytes"
        ) from None


def parse_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, answering 400 with the reason when it is not one."""
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise web.HTTPBadRequest(text=f"body is not valid JSON: {error}") from None
    if not isinstance(payload, dict):
        raise web.HTTPBadRequest(text=f"body must be a JSON object, not {type(payload).__name__}")
    return payload


async def read_json(request: web.Request) -> dict[str, Any]:
    """Read a JSON object body, answering 413 / 400 with the reason when it is not one."""
    return parse_json(await read_body(request))
