"""Config of paging beyond Slack: per-severity destinations, PagerDuty and SMS (Twilio)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.config.base import Section

PagingDestination = Literal["pagerduty", "sms"]


class SmsConfig(Section):
    """SMS through Twilio's Messages API; on when OPSBOT_TWILIO_ACCOUNT_SID and OPSBOT_TWILIO_AUTH_TOKEN are
    set and a sender (`from_number` or `messaging_service_sid`) is configured."""

    api_url: str = Field(default="https://api.twilio.com", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    from_number: str | None = None  # E.164, e.g. +15005550006
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    max_per_person_per_hour: int = Field(default=6, ge=1, le=100)
    timeout_seconds: float = Field(default=10, gt=0, le=60)
    phones: dict[str, str] = Field(default_factory=dict)  # Slack user ID -> E.164; else the Slack profile

    @field_validator("from_number")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return None if value is None else _e164(value)

    @field_validator("phones")
    @classmethod
    def _phones(cls, value: dict[str, str]) -> dict[str, str]:
        from bot.domain.sms import is_slack_user_id

        for user in value:
            if not is_slack_user_id(user):
                raise ValueError(f"{user!r} is not a Slack user ID (U… or W…)")
        return {user: _e164(number, owner=user) for user, number in value.items()}


def _e164(number: str, *, owner: str | None = None) -> str:
    from bot.domain.sms import e164

    normalized = e164(number)
    if normalized is None:
        whose = f" (for {owner})" if owner else ""
        raise ValueError(
            f"{number!r}{whose} is not an international phone number (E.164, e.g. +4915112345678)"
        )
    return normalized


class PagingDestinationsConfig(Section):
    """Where a group of each severity pages besides Slack when it opens (a firing episode begins); a
    destination whose credentials are not set is skipped."""

    critical: tuple[PagingDestination, ...] = ("pagerduty", "sms")
    warning: tuple[PagingDestination, ...] = ()
    info: tuple[PagingDestination, ...] = ()

    def of(self, severity: str) -> tuple[PagingDestination, ...]:
        """The destinations of a severity (none for one this config does not name)."""
        return {"critical": self.critical, "warning": self.warning, "info": self.info}.get(severity, ())


class PagerDutyConfig(Section):
    """PagerDuty Events API v2 (routing key: OPSBOT_PAGERDUTY_ROUTING_KEY, off when unset); its v3 webhooks
    reach POST /pagerduty/webhook, which exists only when OPSBOT_PAGERDUTY_WEBHOOK_SECRET is set."""

    events_url: str = Field(default="https://events.pagerduty.com/v2/enqueue", pattern=r"^https?://")
    timeout_seconds: float = Field(default=10, gt=0)


class PagingConfig(Section):
    """Paging beyond Slack: per-severity destinations and each destination's settings."""

    destinations: PagingDestinationsConfig = PagingDestinationsConfig()
    pagerduty: PagerDutyConfig = PagerDutyConfig()
    sms: SmsConfig = SmsConfig()
