"""SMS pages: phone numbers in E.164, the text a phone shows, and the per-person hourly cap.

An SMS is plain text that every phone turns into links and call buttons on its own: a URL, a domain, an
e-mail address or a line break in an alert's name (outside text) could pass for opsbot's words. So the name
keeps only letters, digits and a few signs that form none of those; the rest of the text is opsbot's own.
Everything fits the GSM-7 alphabet, so one SMS holds 160 characters (one character outside it and a
segment holds only 70).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

SMS_LENGTH = 160
CAP_WINDOW = timedelta(hours=1)
MIN_NAME = 16  # with a very long link the name still says something (the text then takes two SMS)
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_SEPARATORS = re.compile(r"[ \t\u00a0().\-/]")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
# No '.', '/', '@' or ':' (no URL, domain, address or scheme can form) and no line breaks or control
# characters; all of these are in GSM-7's basic set.
_NAME_SIGNS = frozenset(string.ascii_letters + string.digits + " _-%<>=+,()#!?*")
_LINK = re.compile(r"https?://[A-Za-z0-9\-._~/?#=&%+:]+")
_ELLIPSIS = "..."


def e164(raw: str) -> str | None:
    """The number in E.164 form (`+4915112345678`), or None when it is not an international number.

    Profile phones are free text: spaces, dashes, dots, slashes and brackets are dropped, a leading 00
    reads as +, and the national trunk prefix written as `(0)` after the country code is removed. A number
    without its country code cannot be texted reliably, so it is refused rather than guessed."""
    text = raw.strip().replace("(0)", "")
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    candidate = "+" + _SEPARATORS.sub("", text[1:])
    return candidate if _E164.fullmatch(candidate) else None


class NoNumber(StrEnum):
    """Why a person cannot be texted."""

    MISSING = "missing"  # none in paging.sms.phones, none in the Slack profile
    NOT_INTERNATIONAL = "not_international"  # the profile's number lacks a country code (or is no number)
    PROFILE_UNREADABLE = "profile_unreadable"  # the Slack app lacks users.profile:read


def number_for(configured: str | None, profile_phone: str) -> str | NoNumber:
    """The number to text: the configured one (validated at start-up), else the Slack profile's."""
    if configured:
        return configured
    if not profile_phone.strip():
        return NoNumber.MISSING
    return e164(profile_phone) or NoNumber.NOT_INTERNATIONAL


def is_slack_user_id(value: str) -> bool:
    return bool(_USER_ID.fullmatch(value))


def plain_name(name: str) -> str:
    """An alert name as harmless plain text: other characters become spaces, runs of space one."""
    kept = "".join(c if c in _NAME_SIGNS else " " for c in name)
    return " ".join(kept.split()) or "unnamed alert"


def safe_link(url: str | None) -> str | None:
    """The message link if it is a plain http(s) URL of GSM-7 characters, else None (the text goes
    without it rather than with something odd)."""
    if url and _LINK.fullmatch(url):
        return url
    return None


def page_text(*, severity: str, name: str, link: str | None, unacked_minutes: int | None = None) -> str:
    """The SMS: severity, (for an escalation) how long nobody acknowledged, the alert name shortened to
    keep the whole within one SMS, and the link to the Slack message."""
    head = f"opsbot {severity.upper()}"
    if unacked_minutes is not None:
        head += f", unacked {unacked_minutes} min"
    tail = f" {link}" if link else ""
    room = max(SMS_LENGTH - len(head) - len(": ") - len(tail), MIN_NAME)
    return f"{head}: {shorten(plain_name(name), room)}{tail}"


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(_ELLIPSIS)].rstrip() + _ELLIPSIS


def within_cap(
    sent_at: Iterable[datetime], *, now: datetime, limit: int, window: timedelta = CAP_WINDOW
) -> bool:
    """Whether one more SMS may go to a person who was sent SMS at `sent_at`: fewer than `limit` within
    the rolling window before `now` (a time after `now`, from a replica whose clock runs ahead, counts)."""
    return sum(1 for at in sent_at if at > now - window) < limit


def cap_frees_at(
    sent_at: Iterable[datetime], *, now: datetime, limit: int, window: timedelta = CAP_WINDOW
) -> datetime | None:
    """When a capped person may get the next SMS (the oldest counted one leaves the window); None when
    they may now."""
    recent = sorted(at for at in sent_at if at > now - window)
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + window
