"""The one error path for Slack listeners, and the guard every listener is registered with.

Bolt loses an acknowledgement when a listener acks and then raises within its 10 ms ack-polling window
(its exception path resets the ack), so Slack reports a time-out. Guarded listeners never raise into Bolt:
errors go to `report_error`, which Bolt's own @app.error also uses for failures outside listeners.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.errors import BotError
from storage.db import is_unavailable

Listener = Callable[..., Awaitable[Any]]
log = logging.getLogger(__name__)


async def report_error(error: Exception, body: dict[str, Any], respond: Any, logger: logging.Logger) -> None:
    """Turn any failure into one ephemeral message; unexpected ones carry an id that is also in the log."""
    if isinstance(error, BotError):
        text = f":warning: {error}"
    elif is_unavailable(error):
        logger.warning("database unavailable", extra={"error": type(error).__name__})
        text = (
            ":hourglass: opsbot cannot reach its database right now. Nothing changed; try again in a minute."
        )
    else:
        error_id = secrets.token_hex(4)
        logger.error("listener failed", exc_info=error, extra={"error_id": error_id})
        text = (
            f":boom: Something went wrong on opsbot's side (error id `{error_id}`); details are in its log."
        )
    if respond is not None:
        await respond(text=text, response_type="ephemeral", replace_original=False)


def guarded(work: Listener) -> Listener:
    """Wrap a listener: its errors reach `report_error`, not Bolt (an un-acked request is acked first)."""
    wanted = list(inspect.signature(work).parameters)

    async def listener(args: AsyncArgs) -> None:
        try:
            await work(**{name: getattr(args, name) for name in wanted})
        except Exception as error:
            if args.ack is not None and getattr(args.ack, "response", None) is None:
                await args.ack()
            await report_error(error, args.body, args.respond, args.logger or log)

    listener.__name__ = listener.__qualname__ = getattr(work, "__name__", "listener")
    return listener
