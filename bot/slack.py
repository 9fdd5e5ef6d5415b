"""The one Slack Web API client (base URL, retries, metrics) and channel-name resolution."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.errors import NotFound, UpstreamError
from bot.telemetry import Telemetry

log = logging.getLogger(__name__)
SLACK_API_URL = "https://slack.com/api/"


# Set by the outbox worker while a job runs: called before each Web API call, it raises when the job's
# lease is lost (another replica may be running the job now), so the work stops before its next Slack call.
BEFORE_CALL: ContextVar[Callable[[], None] | None] = ContextVar("opsbot_before_slack_call", default=None)


def error_code(error: SlackApiError) -> str:
    """Slack's error code (`channel_not_found` …); for an answer that is not Slack's JSON (a bare 500 from a
    proxy), `http_<status>`."""
    data = error.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{error.response.status_code}"


class InstrumentedWebClient(AsyncWebClient):
    """AsyncWebClient that counts calls and failures per method for /metrics."""

    def __init__(self, *, telemetry: Telemetry, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._telemetry = telemetry

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        check = BEFORE_CALL.get()
        if check is not None:
            check()
        self._telemetry.slack_calls.labels(api_method).inc()
        try:
            return await super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            self._telemetry.slack_errors.labels(api_method, error_code(error)).inc()
            raise
        except Exception as error:
            self._telemetry.slack_errors.labels(api_method, type(error).__name__).inc()
            raise


def create_web_client(
    *, token: str | None, base_url: str | None, telemetry: Telemetry, timeout: float = 10
) -> AsyncWebClient:
    """Build the client all Web API calls go through: retries 429 (Retry-After), 5xx, lost connections."""
    url = base_url or SLACK_API_URL
    client = InstrumentedWebClient(
        token=token, base_url=url if url.endswith("/") else url + "/", timeout=timeout, telemetry=telemetry
    )
    client.retry_handlers = [
        _RetryUnless(AsyncConnectionErrorRetryHandler(max_retry_count=2), refuse=_creates_something),
        _RetryUnless(
            AsyncRateLimitErrorRetryHandler(max_retry_count=5), refuse=_inside_a_job
        ),  # 429: nothing done
        _RetryUnless(AsyncServerErrorRetryHandler(max_retry_count=2), refuse=_creates_something),
    ]
    return client


# Calls that create something each time they run. A dropped connection or a 500 does not say whether Slack
# already did it, so resending blindly posts twice; they are left to the caller, whose retry first looks
# for what an earlier try made (see bot/slack_gateway.py, SlackGateway.post_once).
NOT_RESENT = frozenset({"chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal"})


def _creates_something(request: HttpRequest) -> bool:
    return request.url.rstrip("/").rsplit("/", 1)[-1] in NOT_RESENT


def _inside_a_job(_: HttpRequest) -> bool:
    """Inside an outbox job a 429 is the worker's to handle: it reschedules the job at Retry-After and pauses
    its lane, rather than holding a job slot asleep."""
    return BEFORE_CALL.get() is not None


class _RetryUnless(AsyncRetryHandler):
    """Retry like `inner`, except the calls `refuse` names."""

    def __init__(self, inner: AsyncRetryHandler, refuse: Callable[[HttpRequest], bool]) -> None:
        super().__init__(max_retry_count=inner.max_retry_count, interval_calculator=inner.interval_calculator)
        self._inner, self._refuse = inner, refuse

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if self._refuse(request):
            return False
        return await self._inner._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class ChannelDirectory:
    """Resolve channel names to IDs with conversations.list (paginated), cached for the process."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._ids: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def id_for(self, name: str) -> str:
        """Return the channel ID for `name` (with or without '#'); an ID is returned as it is."""
        name = name.removeprefix("#")
        if _looks_like_id(name):
            return name
        if name not in self._ids:
            async with self._lock:
                if name not in self._ids:
                    await self._refresh()
        try:
            return self._ids[name]
        except KeyError:
            raise NotFound(f"there is no channel #{name} (create it and invite opsbot)") from None

    def remember(self, name: str, channel_id: str) -> None:
        """Record a channel opsbot created itself, so it needs no new listing."""
        self._ids[name] = channel_id

    async def find(self, name: str) -> dict[str, Any] | None:
        """The channel called `name` as a fresh listing shows it (with its creator and creation time)."""
        return (await self.listing()).get(name.removeprefix("#"))

    async def listing(self) -> dict[str, dict[str, Any]]:
        """Every channel opsbot can see, by name, freshly listed."""
        async with self._lock:
            return await self._refresh()

    async def _refresh(self) -> dict[str, dict[str, Any]]:
        cursor: str | None = None
        found: dict[str, dict[str, Any]] = {}
        while True:
            response = await self._client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=200, cursor=cursor
            )
            channels: list[dict[str, Any]] = response.get("channels", [])
            for channel in channels:
                found[channel["name"]] = channel
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        self._ids.update((name, channel["id"]) for name, channel in found.items())
        log.info("channel directory refreshed", extra={"channels": len(found)})
        return found


def _looks_like_id(value: str) -> bool:
    return len(value) >= 9 and value[0] in "CGD" and value.isalnum() and value.isupper()


SLACK_RESPONSE_ORIGIN = ("https", "hooks.slack.com", None)


def is_slack_response_url(url: str, api_base: str | None) -> bool:
    """True when `url` is where Slack takes replies: https://hooks.slack.com, or the configured Slack base
    (the sandbox). Anything else in a request body would make opsbot POST wherever the body says."""
    try:
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname, parts.port)
    except ValueError:
        return False
    if origin == SLACK_RESPONSE_ORIGIN:
        return True
    if api_base is None:
        return False
    base = urlsplit(api_base)
    return origin == (base.scheme, base.hostname, base.port)


class Responder:
    """Answer through a response_url on one shared HTTP session.

    Bolt's own `respond` opens a new client and TCP connection per reply, a quarter of the CPU a slash command
    costs; this sends the same JSON body (Slack's response_url format) over kept-alive connections.
    """

    def __init__(self, response_url: str, session: aiohttp.ClientSession) -> None:
        self.response_url = response_url
        self._session = session

    async def __call__(
        self, text: str | None = None, blocks: list[dict[str, Any]] | None = None, **options: Any
    ) -> None:
        body = {
            key: value
            for key, value in {"text": text, "blocks": blocks, **options}.items()
            if value is not None
        }
        timeout = aiohttp.ClientTimeout(total=10)
        async with self._session.post(self.response_url, json=body, timeout=timeout) as response:
            if response.status >= 400:
                detail = (await response.text())[:200]
                raise UpstreamError(f"Slack refused the reply ({response.status}): {detail}")
