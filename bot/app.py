"""The Bolt app: request verification, deps in the context, retry de-duplication, one error path."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.deps import Deps
from bot.listeners import report_error
from bot.slack import Responder, is_slack_response_url
from handlers import register_all
from storage.claims import claim

log = logging.getLogger(__name__)


class _SameTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the given client wins; that client holds the same
    token, so the warning only alarms operators at every start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_SAME_TOKEN_WARNING = _SameTokenWarning()


def create_bolt_app(deps: Deps) -> AsyncApp:
    """Build the AsyncApp for `deps`; every listener comes from handlers.register_all."""
    secret = deps.settings.secrets.slack_signing_secret
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_SAME_TOKEN_WARNING)
    app = AsyncApp(
        client=deps.slack,
        signing_secret=secret.get_secret_value() if secret else None,
        request_verification_enabled=not deps.settings.socket_mode,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    app.middleware(_refuse_foreign_response_urls(deps))
    app.middleware(_ack_at_once)
    app.middleware(_inject_deps(deps))
    app.middleware(_skip_retried_events(deps))
    app.error(report_error)
    register_all(app)
    return app


async def _ack_at_once(ack: Any, body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
    """Acknowledge slash commands and button clicks before their listener starts.

    Bolt hands the listener to a task and then polls for its ack every 10 ms, so even an ack on the
    listener's first line costs 10 ms. These requests are always acknowledged empty (form submissions,
    which may answer with errors, and option requests are left to their listeners).
    """
    if body.get("command") or body.get("type") == "block_actions":
        await ack()
    return await next()


def _refuse_foreign_response_urls(deps: Deps) -> Callable[..., Awaitable[Any]]:
    """Drop a request whose response_url is not Slack's before anything answers through it."""
    api_base = deps.settings.secrets.slack_api_url

    async def refuse(body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        listed = [item for item in body.get("response_urls") or [] if isinstance(item, dict)]
        urls = [body.get("response_url"), *(item.get("response_url") for item in listed)]
        for url in filter(None, urls):
            if not is_slack_response_url(str(url), api_base):
                log.warning("request refused: its response_url is not Slack's")
                return BoltResponse(status=400, body="response_url is not Slack's")
        return await next()

    return refuse


def _inject_deps(deps: Deps) -> Callable[..., Awaitable[Any]]:
    async def inject(
        context: AsyncBoltContext, body: dict[str, Any], next: Callable[[], Awaitable[Any]]
    ) -> Any:
        context["deps"] = deps
        if deps.http is not None and body.get("response_url"):
            context["respond"] = Responder(str(body["response_url"]), deps.http)
        return await next()

    return inject


def _skip_retried_events(deps: Deps) -> Callable[..., Awaitable[Any]]:
    """Slack re-sends an event it thinks timed out; the event_id claim makes the handling happen once."""

    async def dedupe(
        body: dict[str, Any], request: AsyncBoltRequest, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        event_id = body.get("event_id")
        if event_id and not await claim(deps.db, scope="slack-event", key=str(event_id), now=deps.clock()):
            retry = request.headers.get("x-slack-retry-num", ["?"])[0]
            log.info("skipping a repeated Slack event", extra={"event_id": event_id, "retry": retry})
            return BoltResponse(status=200, body="")
        return await next()

    return dedupe
