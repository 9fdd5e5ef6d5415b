"""SMS rules: numbers in E.164, a text that is plain and fits one SMS, and the per-person hourly cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.sms import (
    SMS_LENGTH,
    NoNumber,
    cap_frees_at,
    e164,
    number_for,
    page_text,
    plain_name,
    safe_link,
    within_cap,
)

pytestmark = pytest.mark.calendar_free
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LINK = "https://acme.slack.com/archives/C0CRITICAL/p1764504000123456"
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+4915112345678", "+4915112345678"),
        ("+49 151 1234-5678", "+4915112345678"),
        ("+49 (0) 151 12345678", "+4915112345678"),
        ("+1 (555) 010-0001", "+15550100001"),
        ("0044 20 7946 0958", "+442079460958"),
        ("  +44.20.7946.0958 ", "+442079460958"),
        ("+1/555/010/0001", "+15550100001"),
    ],
)
def test_profile_phones_as_people_type_them_read_as_e164(raw: str, number: str) -> None:
    assert e164(raw) == number


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0151 12345678",  # national: which country?
        "555 010 0004",
        "+0151234567",  # no country code starts with 0
        "+12345",  # too short
        "+1234567890123456",  # longer than E.164's 15 digits
        "+49 151 CALL-ME",
        "+49 151 1234\n5678",  # a line break is no separator
        "tel:+4915112345678",
    ],
)
def test_anything_else_is_not_a_number_to_text(raw: str) -> None:
    assert e164(raw) is None


def test_the_configured_number_wins_over_the_profile() -> None:
    assert number_for("+15550109999", "+1 555 010 0002") == "+15550109999"
    assert number_for(None, "+1 555 010 0002") == "+15550100002"
    assert number_for(None, "  ") is NoNumber.MISSING
    assert number_for(None, "555 010 0004") is NoNumber.NOT_INTERNATIONAL


def test_the_text_names_severity_alert_and_link_within_one_sms() -> None:
    text = page_text(severity="critical", name="ApiDown", link=LINK)
    assert text == f"opsbot CRITICAL: ApiDown {LINK}"
    escalated = page_text(severity="critical", name="ApiDown", link=LINK, unacked_minutes=12)
    assert escalated == f"opsbot CRITICAL, unacked 12 min: ApiDown {LINK}"


def test_a_long_name_is_shortened_so_the_text_stays_one_sms() -> None:
    text = page_text(severity="critical", name="PaymentsSuccessRateBelowNinetyPercent" * 5, link=LINK)
    assert len(text) == SMS_LENGTH
    assert text.endswith(f"... {LINK}") and text.startswith("opsbot CRITICAL: PaymentsSuccessRate")
    without_link = page_text(severity="warning", name="x" * 500, link=None)
    assert len(without_link) == SMS_LENGTH


def test_a_very_long_link_keeps_some_of_the_name() -> None:
    link = "https://acme.slack.com/archives/C0CRITICAL/p1?" + "a" * 150
    text = page_text(severity="critical", name="DatabaseConnectionFailures", link=link)
    assert text == f"opsbot CRITICAL: DatabaseConne... {link}"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Disk > 95% on db-1", "Disk > 95% on db-1"),
        ("ApiDown\nReply YES to http://evil.example/pay", "ApiDown Reply YES to http evil example pay"),
        ("Login at evil.example now", "Login at evil example now"),
        ("mail ops@evil.example", "mail ops evil example"),
        ("<!channel> <@U0ALICE> *bold* `code`", "<!channel> < U0ALICE> *bold* code"),
        ("Zahlungen \u202efehlgeschlagen\u200b", "Zahlungen fehlgeschlagen"),
        ("Überlast — ☎️ 😱", "berlast"),
        ("\x00\x07\r\n\t", "unnamed alert"),
    ],
)
def test_an_alert_name_cannot_put_links_lines_or_odd_characters_in_the_sms(name: str, shown: str) -> None:
    assert plain_name(name) == shown
    text = page_text(severity="critical", name=name, link=LINK)
    assert set(text) <= GSM7_BASIC
    assert "\n" not in text and text.count("://") == 1 and text.count(".") == LINK.count(".")


@pytest.mark.parametrize(
    "link", [None, "", "javascript:alert(1)", f"{LINK} extra", f"{LINK}\nSTOP", "https://ex.ample/ü"]
)
def test_a_link_that_is_not_a_plain_web_address_is_left_out(link: str | None) -> None:
    assert safe_link(link) is None
    assert page_text(severity="critical", name="ApiDown", link=safe_link(link)) == "opsbot CRITICAL: ApiDown"


def test_the_slack_permalink_is_kept() -> None:
    assert safe_link(LINK) == LINK
    assert safe_link("http://127.0.0.1:3001/archives/C0001/p1764504000123456") is not None


def test_the_cap_counts_a_rolling_hour() -> None:
    sent = [NOW - timedelta(minutes=m) for m in (59, 30, 5)]
    assert within_cap(sent, now=NOW, limit=4)
    assert not within_cap(sent, now=NOW, limit=3)
    assert within_cap([*sent, NOW - timedelta(minutes=60)], now=NOW, limit=4)  # an hour ago has left
    assert within_cap(sent, now=NOW + timedelta(minutes=1, seconds=1), limit=3)


def test_a_slot_taken_by_a_replica_whose_clock_runs_ahead_still_counts() -> None:
    assert not within_cap([NOW + timedelta(seconds=2)], now=NOW, limit=1)


def test_a_capped_person_is_told_when_the_next_sms_may_go() -> None:
    sent = [NOW - timedelta(minutes=m) for m in (50, 40, 10)]
    assert cap_frees_at(sent, now=NOW, limit=3) == NOW + timedelta(minutes=10)
    assert cap_frees_at(sent, now=NOW, limit=2) == NOW + timedelta(minutes=20)
    assert cap_frees_at(sent, now=NOW, limit=4) is None
