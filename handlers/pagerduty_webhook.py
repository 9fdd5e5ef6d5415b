"""POST /pagerduty/webhook: PagerDuty's v3 webhooks (an incident acknowledged or resolved in PagerDuty).

Mounted only when OPSBOT_PAGERDUTY_WEBHOOK_SECRET is set: without a secret nothing could tell PagerDuty's
requests from anyone's, and anyone could acknowledge or resolve alerts (silencing their pages)."""

from __future__ import annotations

from aiohttp import web

from bot.deps import Deps
from bot.domain.incoming import PayloadError
from bot.domain.pagerduty import SIGNATURE_HEADER, read_webhook, signature_matches
from bot.services import pagerduty_webhooks
from handlers.request_bodies import parse_json, read_body

ROUTE = "/pagerduty/webhook"


def register(app: web.Application, deps: Deps) -> None:
    """Add the route when a signing secret is configured."""
    secret = deps.settings.secrets.pagerduty_webhook_secret
    if secret is None:
        return

    async def receive(request: web.Request) -> web.Response:
        """Verify the signature over the raw body, then apply the incident change; 401 without a match."""
        body = await read_body(request)
        if not signature_matches(secret.get_secret_value(), body, request.headers.get(SIGNATURE_HEADER)):
            raise web.HTTPUnauthorized(
                text=f"missing or invalid {SIGNATURE_HEADER} (v1 HMAC-SHA256 of the body)"
            )
        try:
            event = read_webhook(parse_json(body))
        except PayloadError as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        if event is None:
            return web.json_response({"status": "ignored"})
        outcome = await pagerduty_webhooks.apply(deps, event)
        return web.json_response({"status": outcome.value})

    app.router.add_post(ROUTE, receive)
