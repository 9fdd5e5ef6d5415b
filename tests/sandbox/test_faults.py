"""Rate limits and injected faults, and slack_sdk's retry handlers recovering from them."""

from __future__ import annotations

import time

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RunningSandbox, Workspace, start_sandbox


async def test_per_channel_rate_limit_answers_429_with_retry_after(
    sandbox: RunningSandbox, client: AsyncWebClient, ws: Workspace
) -> None:
    ws.set_rate_limit(1.0, burst=2)
    for n in range(2):
        await client.chat_postMessage(channel="ops-alerts", text=f"burst {n}")
    await client.chat_postMessage(channel="ops-info", text="another channel has its own budget")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ws.bot_token}"}) as http:
        form = {"channel": "ops-alerts", "text": "one too many"}
        async with http.post(f"{sandbox.api_url}chat.postMessage", data=form) as response:
            assert response.status == 429 and response.headers["Retry-After"] == "1"
            assert await response.json() == {"ok": False, "error": "ratelimited"}
    assert ws.calls[-1].status == 429 and len(ws.messages("ops-alerts")) == 2

    patient = AsyncWebClient(
        token=ws.bot_token,
        base_url=sandbox.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    started = time.monotonic()
    await patient.chat_postMessage(channel="ops-alerts", text="after waiting")
    assert time.monotonic() - started >= 0.9
    assert [c.status for c in ws.calls[-2:]] == [429, 200]
    assert ws.messages("ops-alerts")[-1].text == "after waiting"


async def test_start_sandbox_can_enable_the_rate_limit() -> None:
    running = await start_sandbox(rate_limit=1.0)
    try:
        assert running.workspace.rate_limiter is not None and running.url.startswith("http://127.0.0.1:")
    finally:
        await running.close()


async def test_injected_500_is_recorded_changes_nothing_and_is_retried(
    sandbox: RunningSandbox, client: AsyncWebClient, ws: Workspace
) -> None:
    ws.inject_faults(1, kind="500", methods={"chat.postMessage"})
    await client.auth_test()
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="general", text="lost")
    assert caught.value.response.status_code == 500
    assert ws.messages("general") == [] and ws.calls[-1].status == 500

    ws.inject_faults(2, kind="500")
    quick = FixedValueRetryIntervalCalculator(fixed_internal=0.05)
    handler = AsyncServerErrorRetryHandler(max_retry_count=2, interval_calculator=quick)
    retrying = AsyncWebClient(token=ws.bot_token, base_url=sandbox.api_url, retry_handlers=[handler])
    await retrying.chat_postMessage(channel="general", text="third time lucky")
    assert [c.status for c in ws.calls[-3:]] == [500, 500, 200]
    assert [m.text for m in ws.messages("general")] == ["third time lucky"]


async def test_injected_429_fault(client: AsyncWebClient, ws: Workspace) -> None:
    ws.inject_faults(1, kind="429", retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.conversations_list()
    assert caught.value.response.status_code == 429 and caught.value.response.headers["Retry-After"] == "7"


async def test_injected_timeout_leaves_the_client_hanging(sandbox: RunningSandbox, ws: Workspace) -> None:
    ws.inject_faults(1, kind="timeout", methods={"chat.postMessage"}, delay=30.0)
    impatient = AsyncWebClient(token=ws.bot_token, base_url=sandbox.api_url, timeout=1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel="general", text="never arrives")
    assert 0.9 <= time.monotonic() - started < 5
    assert ws.calls[-1].status == 504 and ws.messages("general") == []
    await impatient.chat_postMessage(channel="general", text="next call is fine")
    assert [m.text for m in ws.messages("general")] == ["next call is fine"]


async def test_injected_slow_fault_takes_effect_but_answers_late(
    sandbox: RunningSandbox, ws: Workspace
) -> None:
    ws.inject_faults(1, kind="slow", methods={"chat.postMessage"}, delay=30.0)
    impatient = AsyncWebClient(token=ws.bot_token, base_url=sandbox.api_url, timeout=1)
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel="general", text="posted, answer lost")
    assert [m.text for m in ws.messages("general")] == ["posted, answer lost"]
    assert ws.calls[-1].status == 200
