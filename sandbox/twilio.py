"""A Twilio stand-in: the Messages API (REST 2010-04-01) under `/twilio`, as strict as Twilio.

`POST /twilio/2010-04-01/Accounts/{AccountSid}/Messages.json` takes a form-encoded `To`, `From` (or
`MessagingServiceSid`) and `Body` with HTTP Basic auth (Account SID : Auth Token) and answers 201 with the
Message resource; `GET` on the same path lists messages, newest first. Refusals are Twilio's error objects
`{code, message, more_info, status}`: 20003 (401) for wrong or missing credentials or another account's
path, 21604 for a missing `To` (also what a JSON body earns: Twilio reads only the form), 21211 for a `To`
that is not E.164, 21603 without a sender, 21212/21606 for a `From` that is malformed or not the account's,
21705/21701 for a bad Messaging Service, 21602 for a missing `Body`, 21617 over 1,600 characters, 21610 for
an unsubscribed number, 20404 for any other path. Sources: twilio.com/docs/messaging/api/message-resource,
twilio.com/docs/api/errors/<code> (read 2026-11-30).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

if TYPE_CHECKING:
    from sandbox.workspace import Workspace

PREFIX = "/twilio"
BASE = PREFIX + "/2010-04-01/Accounts/{account}/Messages.json"
DEFAULT_ACCOUNT_SID = "AC" + "5a4db0c5" * 4
DEFAULT_AUTH_TOKEN = "c0ffee" * 5 + "42"
SANDBOX_NUMBER = "+15005550006"  # Twilio's test number that may send
MESSAGING_SERVICE_SID = "MG" + "0d5e7a11" * 4
MAX_BODY = 1600
_E164 = re.compile(r"\+[1-9]\d{1,14}")
_MESSAGING_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")
_FORM = "application/x-www-form-urlencoded"
TwilioFault = Literal["500", "429", "lost_answer"]


@dataclass
class Sms:
    """A message the stand-in took."""

    sid: str
    account_sid: str
    to: str
    sender: str
    messaging_service_sid: str | None
    body: str
    created: float = field(default_factory=time.time)

    def to_api(self) -> dict[str, Any]:
        """The Message resource as Twilio renders it."""
        created = formatdate(self.created, usegmt=True).replace("GMT", "+0000")
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "sid": self.sid, "account_sid": self.account_sid, "to": self.to, "from": self.sender,
            "messaging_service_sid": self.messaging_service_sid, "body": self.body,
            "status": "accepted" if self.messaging_service_sid else "queued",
            "num_segments": str(max(1, -(-len(self.body) // 160))), "num_media": "0",
            "direction": "outbound-api", "api_version": "2010-04-01", "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None, "date_created": created, "date_updated": created,
            "date_sent": None, "uri": f"{path}.json", "subresource_uris": {"media": f"{path}/Media.json"},
        }  # fmt: skip


class TwilioRefusal(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> web.Response:
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if self.status == 401 else None
        return web.json_response(body, status=self.status, headers=headers)


class TwilioStandIn:
    """One Twilio account: its credentials, its numbers, the messages it took, and faults to inject."""

    def __init__(
        self,
        ws: Workspace,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        numbers: tuple[str, ...] = (SANDBOX_NUMBER,),
        messaging_services: tuple[str, ...] = (MESSAGING_SERVICE_SID,),
    ) -> None:
        self.ws = ws
        self.account_sid, self.auth_token = account_sid, auth_token
        self.numbers, self.messaging_services = set(numbers), set(messaging_services)
        self.messages: list[Sms] = []
        self.refusals: list[TwilioRefusal] = []
        self.unsubscribed: set[str] = set()  # numbers that replied STOP
        self._faults: deque[TwilioFault] = deque()

    def fail_next(self, kind: TwilioFault, *, times: int = 1) -> None:
        """Answer the next `times` message requests with a 500, a 429, or a lost answer (taken, but never
        answered)."""
        self._faults.extend([kind] * times)

    def sent_to(self, number: str) -> list[Sms]:
        return [m for m in self.messages if m.to == number]

    async def wait_for_sms(
        self,
        *,
        to: str | None = None,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109  (as the workspace's waits: the test helpers' interface)
    ) -> list[Sms]:
        """Wait until at least `count` messages went (to `to`); return them."""

        def found() -> list[Sms] | None:
            matching = [m for m in self.messages if to is None or m.to == to]
            return matching if len(matching) >= count else None

        def describe() -> str:
            return (
                f"{count} SMS to {to or 'anyone'} expected; sent: {[(m.to, m.body) for m in self.messages]}"
            )

        return await self.ws.wait_until(found, timeout=timeout, describe=describe)

    def owner_of(self, number: str) -> str | None:
        """The workspace member whose profile phone is `number` (digits compared), for the page."""
        digits = re.sub(r"\D", "", number)
        for user in self.ws.users.values():
            if user.phone.strip().startswith("+") and re.sub(r"\D", "", user.phone) == digits:
                return user.id
        return None

    def paged(self) -> list[dict[str, Any]]:
        """What the page's "Paged" section lists for SMS, newest first."""
        return [
            {"sid": m.sid, "to": m.to, "user": self.owner_of(m.to), "body": m.body, "at": m.created}
            for m in reversed(self.messages)
        ]

    # the wire

    def authenticate(self, request: web.Request) -> None:
        """HTTP Basic with this account's SID and Auth Token, on this account's path; else 20003."""
        valid = _basic_auth(request.headers.get("Authorization", "")) == (self.account_sid, self.auth_token)
        if not valid or request.match_info["account"] != self.account_sid:
            raise TwilioRefusal(401, 20003, "Authenticate")

    def create(self, form: dict[str, str]) -> Sms:
        """Take a message, or refuse it as Twilio would."""
        to, sender, service = form.get("To", ""), form.get("From", ""), form.get("MessagingServiceSid", "")
        body = form.get("Body", "")
        if not to:
            raise TwilioRefusal(400, 21604, "A 'To' phone number is required.")
        if not _E164.fullmatch(to):
            raise TwilioRefusal(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not sender and not service:
            raise TwilioRefusal(
                400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."
            )
        self._check_sender(sender, service)
        if not body and not form.get("MediaUrl"):
            raise TwilioRefusal(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            raise TwilioRefusal(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if to in self.unsubscribed:
            raise TwilioRefusal(400, 21610, "Attempt to send to unsubscribed recipient")
        sms = Sms(
            sid="SM" + secrets.token_hex(16), account_sid=self.account_sid, to=to,
            sender=sender or SANDBOX_NUMBER, messaging_service_sid=service or None, body=body,
        )  # fmt: skip
        self.messages.append(sms)
        self.ws.emit({"type": "sms_sent", "sid": sms.sid, "to": sms.to})
        return sms

    def _check_sender(self, sender: str, service: str) -> None:
        if service and not _MESSAGING_SERVICE.fullmatch(service):
            raise TwilioRefusal(400, 21705, "The Messaging Service is invalid")
        if service and service not in self.messaging_services:
            raise TwilioRefusal(404, 21701, f"The Messaging Service {service} does not exist")
        if sender and not _E164.fullmatch(sender):
            raise TwilioRefusal(400, 21212, f"Invalid From Number (caller ID): {sender}")
        if sender and sender not in self.numbers:
            raise TwilioRefusal(
                400, 21606, f"The 'From' phone number provided ({sender}) is not a valid message-capable "
                "Twilio phone number for this destination.",
            )  # fmt: skip

    def take_fault(self) -> TwilioFault | None:
        return self._faults.popleft() if self._faults else None


TWILIO_KEY: web.AppKey[TwilioStandIn] = web.AppKey("sandbox_twilio", TwilioStandIn)


def mount_twilio(app: web.Application, twilio: TwilioStandIn) -> None:
    """Serve the stand-in under /twilio on the sandbox's app."""
    app[TWILIO_KEY] = twilio
    app.router.add_post(BASE, create_message)
    app.router.add_get(BASE, list_messages)
    app.router.add_route("*", PREFIX + "/{tail:.*}", not_found)


async def create_message(request: web.Request) -> web.StreamResponse:
    """`POST …/Messages.json`: send an SMS."""
    twilio = request.app[TWILIO_KEY]
    try:
        twilio.authenticate(request)
        form = await _form(request)
        fault = twilio.take_fault()
        if fault in ("500", "429"):
            code, text = (20500, "Internal Server Error") if fault == "500" else (20429, "Too Many Requests")
            raise TwilioRefusal(int(fault), code, text)
        sms = twilio.create(form)
    except TwilioRefusal as refusal:
        twilio.refusals.append(refusal)
        return refusal.response()
    if fault == "lost_answer":
        assert request.transport is not None
        request.transport.close()  # taken, but the answer never reaches the caller
        raise asyncio.CancelledError
    return web.json_response(sms.to_api(), status=201)


async def list_messages(request: web.Request) -> web.Response:
    """`GET …/Messages.json`: messages newest first, filtered by To and From, PageSize at a time."""
    twilio = request.app[TWILIO_KEY]
    try:
        twilio.authenticate(request)
    except TwilioRefusal as refusal:
        return refusal.response()
    to, sender = request.query.get("To"), request.query.get("From")
    size = _page_size(request.query.get("PageSize", ""))
    found = [
        m.to_api()
        for m in reversed(twilio.messages)
        if (to is None or m.to == to) and (sender is None or m.sender == sender)
    ][:size]
    page = {"messages": found, "page": 0, "page_size": size, "start": 0, "end": max(len(found) - 1, 0)}
    page.update({"uri": request.path_qs, "first_page_uri": request.path_qs, "next_page_uri": None})
    return web.json_response({**page, "previous_page_uri": None})


def _basic_auth(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        login, colon, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (login, password) if colon else None


def _page_size(text: str) -> int:
    return min(max(int(text), 1), 1000) if text.isdigit() else 50


async def not_found(request: web.Request) -> web.Response:
    message = f"The requested resource {request.path.removeprefix(PREFIX)} was not found"
    return TwilioRefusal(404, 20404, message).response()


async def _form(request: web.Request) -> dict[str, str]:
    """The form fields; Twilio reads nothing else (a JSON body has no `To`, so it is a 21604)."""
    if request.content_type != _FORM:
        return {}
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}
