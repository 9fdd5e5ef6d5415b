"""The thread notes about SMS pages that did not go out: who, why, and Twilio's words kept as plain text."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.sms import capped_note, no_number_note, refused_note
from bot.domain.sms import NoNumber


def test_a_person_without_a_usable_number_is_named_with_what_to_set() -> None:
    missing = no_number_note("U0DAVE", NoNumber.MISSING)
    assert missing.startswith(":warning: No SMS to <@U0DAVE>:") and "`paging.sms.phones`" in missing
    assert "E.164" in no_number_note("U0DAVE", NoNumber.NOT_INTERNATIONAL)
    assert "users.profile:read" in no_number_note("U0DAVE", NoNumber.PROFILE_UNREADABLE)


def test_the_cap_note_says_the_limit_and_when_the_next_sms_may_go() -> None:
    note = capped_note("U0CAROL", limit=6, frees_at=datetime(2026, 11, 30, 12, 40, tzinfo=UTC))
    assert "they had 6 SMS within the last hour" in note and "max_per_person_per_hour" in note
    assert "<!date^1796042400^" in note
    assert "next one" not in capped_note("U0CAROL", limit=6, frees_at=None)


def test_twilios_words_cannot_mention_or_link_anyone() -> None:
    note = refused_note("U0CAROL", "HTTP 400, error 21610: <!channel> see <https://evil.example|here>")
    assert "<!channel>" not in note and "&lt;!channel&gt;" in note and "<https://evil" not in note
    assert note.startswith(":warning: SMS to <@U0CAROL> failed: Twilio refused it (HTTP 400, error 21610")
    assert "<@" not in refused_note("not-a-user-id", "x")
