"""Drive the sandbox page's `/_sandbox/` control API as a script would: with the running sandbox's key."""

from __future__ import annotations

from typing import Any

import aiohttp

from sandbox.page_guard import KEY_HEADER


async def post_control(sandbox: Any, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST `body` as JSON to `/_sandbox/<action>` with the sandbox's key; return the status and answer."""
    url, headers = f"{sandbox.url}/_sandbox/{action}", {KEY_HEADER: sandbox.page_key}
    async with aiohttp.ClientSession() as http, http.post(url, json=body, headers=headers) as response:
        return response.status, await response.json()
