"""The ticket webhook: each ticket event POSTed, signed, by an outbox job (see bot/services/jobs.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import aiohttp

from bot.deps import Deps

SIGNATURE_HEADER = "X-Opsbot-Signature"
TIMESTAMP_HEADER = "X-Opsbot-Timestamp"


class WebhookRejected(Exception):
    """The receiver answered with a non-2xx status; the outbox retries with backoff."""


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=<hex HMAC-SHA256 of the raw body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def deliver(deps: Deps, body: dict[str, Any]) -> None:
    """POST one ticket event to the configured webhook, signed when a secret is set."""
    config = deps.settings.file.tickets
    if not config.webhook_url:
        return
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(int(deps.clock().timestamp()))}
    secret = deps.settings.secrets.ticket_webhook_secret
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret.get_secret_value(), raw)
    timeout = aiohttp.ClientTimeout(total=config.webhook_timeout_seconds)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(config.webhook_url, data=raw, headers=headers) as response,
    ):
        if not 200 <= response.status < 300:
            raise WebhookRejected(f"the ticket webhook answered {response.status}")
