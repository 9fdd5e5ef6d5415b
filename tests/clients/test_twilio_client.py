"""The Twilio client against the sandbox's stand-in: it sends, finds an earlier try's message, and tells a
refusal (never worth retrying) from an outage (retried)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.clients.twilio import Sender, TwilioClient, TwilioRefused, TwilioUnavailable
from sandbox import RunningSandbox, start_sandbox
from sandbox.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, SANDBOX_NUMBER

TO = "+15550100002"


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    running = await start_sandbox(port=0)
    yield running
    await running.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_the_client_sends_finds_and_tells_refusals_from_outages(
    sandbox: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    client = TwilioClient(
        http,
        api_url=sandbox.twilio_url,
        account_sid=DEFAULT_ACCOUNT_SID,
        auth_token=DEFAULT_AUTH_TOKEN,
        timeout=5,
    )
    sender = Sender(from_number=SANDBOX_NUMBER)
    sent = await client.send(to=TO, body="first", sender=sender)
    assert sent.status == "queued" and await client.find_sent(to=TO, body="first") == sent.sid
    assert await client.find_sent(to=TO, body="other") is None
    with pytest.raises(TwilioRefused) as refused:
        await client.send(to="0151 1234", body="x", sender=sender)
    assert refused.value.code == 21211 and "0151 1234" in refused.value.message
    for fault in ("500", "429", "lost_answer"):
        sandbox.twilio.fail_next(fault)  # type: ignore[arg-type]
        with pytest.raises(TwilioUnavailable):
            await client.send(to=TO, body=f"during {fault}", sender=sender)
    assert [m.body for m in sandbox.twilio.sent_to(TO)] == ["first", "during lost_answer"]
    wrong = TwilioClient(
        http,
        api_url=sandbox.twilio_url,
        account_sid=DEFAULT_ACCOUNT_SID,
        auth_token="s3cret-token",
        timeout=5,
    )
    with pytest.raises(TwilioRefused) as refused:
        await wrong.send(to=TO, body="x", sender=sender)
    assert refused.value.code == 20003 and "s3cret" not in str(refused.value)
