"""paging.sms: numbers validated at start-up, SMS on only with Twilio's credentials and a sender."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings, masked_dump
from bot.domain.paging import Destination
from bot.errors import ConfigError
from bot.services.paging import configured
from bot.services.sms import off_notice

pytestmark = pytest.mark.calendar_free
TWILIO = {"OPSBOT_TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "OPSBOT_TWILIO_AUTH_TOKEN": "tw1l10-s3cret"}


def settings_with(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Settings:
    path = tmp_path / "opsbot.yml"
    path.write_text(text)
    return load_settings({"OPSBOT_CONFIG": str(path), **(environ or {})})


def test_sms_is_off_by_default_and_says_so_once(tmp_path: Path) -> None:
    settings = load_settings({})
    assert settings.file.paging.destinations.critical == ("pagerduty", "sms")
    assert settings.file.paging.sms.max_per_person_per_hour == 6
    assert not settings.sms_enabled and Destination.SMS not in configured(settings)
    assert "OPSBOT_TWILIO_ACCOUNT_SID" in (off_notice(settings) or "")
    assert not load_settings(TWILIO).sms_enabled  # credentials, but no sender
    quiet = settings_with(tmp_path, "paging:\n  destinations:\n    critical: [pagerduty]\n")
    assert off_notice(quiet) is None  # nobody asked for SMS


@pytest.mark.parametrize(
    "sender",
    [
        "paging:\n  sms:\n    from_number: '+1 500 555 0006'\n",
        f"paging:\n  sms:\n    messaging_service_sid: MG{'a' * 32}\n",
    ],
)
def test_credentials_and_a_sender_turn_it_on(tmp_path: Path, sender: str) -> None:
    settings = settings_with(tmp_path, sender, TWILIO)
    assert settings.sms_enabled and off_notice(settings) is None
    assert Destination.SMS in configured(settings)
    destinations = settings.file.paging.destinations
    assert "sms" in destinations.critical and "sms" not in destinations.warning
    dumped = masked_dump(settings)
    assert dumped["environment"]["twilio_auth_token"] == "********"
    assert "tw1l10-s3cret" not in str(dumped)


def test_phones_are_read_into_e164_and_steps_may_text(tmp_path: Path) -> None:
    settings = settings_with(
        tmp_path,
        "paging:\n  sms:\n    from_number: '+15005550006'\n    phones:\n      U0ALICE: '+49 151 1234-5678'\n"
        "alerts:\n  escalation:\n    - {after_minutes: 5, target: oncall, sms: true}\n",
    )
    assert settings.file.paging.sms.phones == {"U0ALICE": "+4915112345678"}
    assert settings.file.paging.sms.from_number == "+15005550006"
    assert [step.sms for step in settings.file.alerts.escalation] == [True]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "paging:\n  sms:\n    phones:\n      U0ALICE: '0151 12345678'\n",
            "paging.sms.phones: '0151 12345678' (for U0ALICE) is not an international",
        ),
        (
            "paging:\n  sms:\n    phones:\n      alice: '+4915112345678'\n",
            "paging.sms.phones: 'alice' is not a Slack user ID",
        ),
        (
            "paging:\n  sms:\n    from_number: opsbot\n",
            "paging.sms.from_number: 'opsbot' is not an international",
        ),
        (
            "paging:\n  sms:\n    max_per_person_per_hour: 0\n",
            "paging.sms.max_per_person_per_hour: Input should be greater",
        ),
        ("paging:\n  sms:\n    api_url: api.twilio.com\n", "paging.sms.api_url: String should match pattern"),
        (
            "paging:\n  destinations:\n    critical: [pager]\n",
            "paging.destinations.critical.0: Input should be",
        ),
        ("paging:\n  destinations:\n    sev1: [sms]\n", "paging.destinations.sev1: unknown key"),
    ],
)
def test_a_bad_paging_key_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        settings_with(tmp_path, text)
    assert message in str(error.value)
