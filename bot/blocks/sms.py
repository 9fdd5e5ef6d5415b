"""What an alert's thread says about its SMS pages when one cannot go out: no usable number, the hourly
cap, or Twilio refusing it."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.limits import clip, slack_date
from bot.blocks.text import mention, untrusted
from bot.domain.sms import NoNumber

_WHY_NO_NUMBER = {
    NoNumber.MISSING: "there is no phone number for them in `paging.sms.phones` or in their Slack profile",
    NoNumber.NOT_INTERNATIONAL: (
        "the phone number in their Slack profile is not in international form (E.164, like +4915112345678)"
    ),
    NoNumber.PROFILE_UNREADABLE: (
        "opsbot may not read Slack profiles (reinstall the app with the `users.profile:read` scope) and "
        "`paging.sms.phones` has no number for them"
    ),
}


def no_number_note(user_id: str, reason: NoNumber) -> str:
    """A person the page could not text, and what to set so it can next time."""
    return f":warning: No SMS to {mention(user_id)}: {_WHY_NO_NUMBER[reason]}."


def capped_note(user_id: str, *, limit: int, frees_at: datetime | None) -> str:
    """A page held back by `paging.sms.max_per_person_per_hour`."""
    when = f"; the next one may go from {slack_date(frees_at)}" if frees_at else ""
    return (
        f":warning: No SMS to {mention(user_id)}: they had {limit} SMS within the last hour, the most "
        f"`paging.sms.max_per_person_per_hour` allows{when}."
    )


def refused_note(user_id: str, reason: str) -> str:
    """A page Twilio refused (its words are outside text)."""
    return f":warning: SMS to {mention(user_id)} failed: Twilio refused it ({clip(untrusted(reason), 300)})."
