"""The Twilio stand-in speaks the Messages API and refuses what Twilio refuses; users.profile.get needs its
scope like every other method."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox import RunningSandbox, start_sandbox
from sandbox.page_guard import KEY_HEADER
from sandbox.twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MESSAGING_SERVICE_SID, SANDBOX_NUMBER
from tests.sandbox.conftest import BOT_TOKEN

TO = "+15550100002"
AUTH = aiohttp.encode_basic_auth(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
FORM = {"To": TO, "From": SANDBOX_NUMBER, "Body": "opsbot CRITICAL: ApiDown"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def messages_url(sandbox: RunningSandbox, account: str = DEFAULT_ACCOUNT_SID) -> str:
    return f"{sandbox.twilio_url}/2010-04-01/Accounts/{account}/Messages.json"


async def post(
    http: aiohttp.ClientSession, url: str, *, auth: str | None = AUTH, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    headers = {**kwargs.pop("headers", {}), **({"Authorization": auth} if auth else {})}
    async with http.post(url, headers=headers, **kwargs) as response:
        return response.status, await response.json()


async def test_a_message_is_taken_as_twilio_takes_it(
    sandbox: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    status, body = await post(http, messages_url(sandbox), data=FORM)
    assert status == 201
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert body["status"] == "queued" and body["to"] == TO and body["from"] == SANDBOX_NUMBER
    assert body["account_sid"] == DEFAULT_ACCOUNT_SID and body["direction"] == "outbound-api"
    [sms] = sandbox.twilio.sent_to(TO)
    assert sms.body == FORM["Body"]
    async with http.get(f"{sandbox.url}/_sandbox/state", headers={KEY_HEADER: sandbox.page_key}) as reply:
        [shown] = (await reply.json())["paged"]["sms"]  # the page's "Paged" section
    assert (shown["sid"], shown["to"], shown["user"], shown["body"]) == (sms.sid, TO, "U0BOB", sms.body)
    status, body = await post(
        http,
        messages_url(sandbox),
        data={"To": TO, "MessagingServiceSid": MESSAGING_SERVICE_SID, "Body": "x"},
    )
    assert (
        status == 201
        and body["status"] == "accepted"
        and body["messaging_service_sid"] == MESSAGING_SERVICE_SID
    )


@pytest.mark.parametrize(
    ("auth", "account"),
    [
        (None, DEFAULT_ACCOUNT_SID),
        (aiohttp.encode_basic_auth(DEFAULT_ACCOUNT_SID, "wrong-token"), DEFAULT_ACCOUNT_SID),
        (aiohttp.encode_basic_auth("AC" + "0" * 32, DEFAULT_AUTH_TOKEN), DEFAULT_ACCOUNT_SID),
        (f"Bearer {DEFAULT_AUTH_TOKEN}", DEFAULT_ACCOUNT_SID),
        (AUTH, "AC" + "1" * 32),  # right credentials, another account's path
    ],
)
async def test_wrong_credentials_or_account_are_refused(
    sandbox: RunningSandbox, http: aiohttp.ClientSession, auth: str | None, account: str
) -> None:
    status, body = await post(http, messages_url(sandbox, account), auth=auth, data=FORM)
    assert (status, body["code"], body["status"]) == (401, 20003, 401)
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20003" and body["message"]
    assert not sandbox.twilio.messages


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": SANDBOX_NUMBER, "Body": "x"}, 21604),
        ({"To": "5550100002", "From": SANDBOX_NUMBER, "Body": "x"}, 21211),
        ({"To": "+1 555 010 0002", "From": SANDBOX_NUMBER, "Body": "x"}, 21211),
        ({"To": TO, "Body": "x"}, 21603),
        ({"To": TO, "From": "+15550000000", "Body": "x"}, 21606),
        ({"To": TO, "From": "opsbot!", "Body": "x"}, 21212),
        ({"To": TO, "MessagingServiceSid": "MG123", "Body": "x"}, 21705),
        ({"To": TO, "MessagingServiceSid": "MG" + "f" * 32, "Body": "x"}, 21701),
        ({"To": TO, "From": SANDBOX_NUMBER}, 21602),
        ({"To": TO, "From": SANDBOX_NUMBER, "Body": "x" * 1601}, 21617),
    ],
)
async def test_malformed_messages_are_refused_with_twilios_codes(
    sandbox: RunningSandbox, http: aiohttp.ClientSession, form: dict[str, str], code: int
) -> None:
    status, body = await post(http, messages_url(sandbox), data=form)
    assert body["code"] == code and status == body["status"] and 400 <= status < 500
    assert not sandbox.twilio.messages


async def test_a_json_body_is_not_read_like_a_form(
    sandbox: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    status, body = await post(
        http, messages_url(sandbox), data=json.dumps(FORM), headers={"Content-Type": "application/json"}
    )
    assert (status, body["code"]) == (400, 21604)


async def test_an_unsubscribed_number_and_unknown_paths_are_refused(
    sandbox: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    sandbox.twilio.unsubscribed.add(TO)
    status, body = await post(http, messages_url(sandbox), data=FORM)
    assert (status, body["code"]) == (400, 21610)
    status, body = await post(
        http, f"{sandbox.twilio_url}/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Calls.json"
    )
    assert (status, body["code"]) == (404, 20404)


async def test_users_profile_get_needs_users_profile_read() -> None:
    granted = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes={"users.profile:read"})
    refused = await start_sandbox(port=0, bot_token=BOT_TOKEN, scopes={"users:read"})
    try:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=granted.api_url, timeout=5)
        profile = (await client.users_profile_get(user="U0BOB"))["profile"]
        assert profile["phone"] == "+1 555 010 0002"
        with pytest.raises(SlackApiError) as unknown:
            await client.users_profile_get(user="U0NOBODY")
        assert unknown.value.response["error"] == "user_not_found"
        client = AsyncWebClient(token=BOT_TOKEN, base_url=refused.api_url, timeout=5)
        with pytest.raises(SlackApiError) as missing:
            await client.users_profile_get(user="U0BOB")
        assert missing.value.response["error"] == "missing_scope"
        assert missing.value.response["needed"] == "users.profile:read"
    finally:
        await granted.close()
        await refused.close()
