"""Twilio's Messages API (REST 2010-04-01): send an SMS, and find one an earlier try sent.

`POST {api_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From` (or
`MessagingServiceSid`) and `Body`, HTTP Basic auth with the Account SID and Auth Token; Twilio answers 201
with the Message resource (`sid` SM…, `status` queued) or an error object `{code, message, more_info,
status}` (https://www.twilio.com/docs/messaging/api/message-resource, https://www.twilio.com/docs/usage/
twilios-response, read 2026-11-30).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

API_VERSION = "2010-04-01"
EXCERPT = 200
RECENT = 20  # messages to a number looked through for an earlier try's


class TwilioUnavailable(Exception):
    """Twilio could not take the request now (time-out, connection, 429, 5xx): a later try may succeed."""


class TwilioRefused(Exception):
    """Twilio refused the request (a 4xx other than 429): the same request will be refused again."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"HTTP {status}" + (f", error {code}" if code else "") + f": {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str


@dataclass(frozen=True)
class Sender:
    """Who an SMS comes from: a Twilio number, or a Messaging Service that picks one."""

    from_number: str | None = None
    messaging_service_sid: str | None = None

    def form(self) -> dict[str, str]:
        if self.messaging_service_sid:
            return {"MessagingServiceSid": self.messaging_service_sid}
        assert self.from_number is not None
        return {"From": self.from_number}


class TwilioClient:
    """One account's Messages resource; the Auth Token goes only into the Authorization header."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_url: str,
        account_sid: str,
        auth_token: str,
        timeout: float,
    ) -> None:
        self._session = session
        self._messages = (
            f"{api_url.rstrip('/')}/{API_VERSION}/Accounts/{quote(account_sid, safe='')}/Messages.json"
        )
        self._authorization = aiohttp.encode_basic_auth(account_sid, auth_token)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, *, to: str, body: str, sender: Sender) -> SentMessage:
        """Create (send) one SMS; return Twilio's SID and status for it."""
        form = {"To": to, **sender.form(), "Body": body}
        answer = await self._request("POST", data=form)
        sid = answer.get("sid")
        if not isinstance(sid, str) or not sid:
            raise TwilioUnavailable("Twilio accepted the message but sent no sid")
        return SentMessage(sid=sid, status=str(answer.get("status") or ""))

    async def find_sent(self, *, to: str, body: str) -> str | None:
        """The SID of a recent message to `to` with exactly `body` (an earlier try that Twilio took but
        whose answer was lost), or None."""
        answer = await self._request("GET", params={"To": to, "PageSize": str(RECENT)})
        for message in answer.get("messages") or []:
            if isinstance(message, dict) and message.get("body") == body and message.get("sid"):
                return str(message["sid"])
        return None

    async def _request(
        self, method: str, *, data: dict[str, str] | None = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """One request; Twilio's refusals become TwilioRefused, everything transient TwilioUnavailable."""
        try:
            async with self._session.request(
                method, self._messages, data=data, params=params, timeout=self._timeout,
                headers={"Authorization": self._authorization, "Accept": "application/json"},
            ) as response:  # fmt: skip
                status, text = response.status, await response.text()
        except TimeoutError:
            raise TwilioUnavailable(f"Twilio did not answer within {self._timeout.total:g} s") from None
        except aiohttp.ClientError as error:
            raise TwilioUnavailable(f"Twilio could not be reached ({type(error).__name__})") from None
        answer = _json(text)
        if 200 <= status < 300:
            return answer
        code, message = answer.get("code"), str(answer.get("message") or _excerpt(text))
        if status == 429 or status >= 500:
            raise TwilioUnavailable(f"Twilio answered HTTP {status}: {message}")
        raise TwilioRefused(status, code if isinstance(code, int) else None, message)


def _json(text: str) -> dict[str, Any]:
    try:
        answer = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return (flat[:EXCERPT] + ("…" if len(flat) > EXCERPT else "")) if flat else "(empty body)"
