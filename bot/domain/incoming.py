"""Alerts as they arrive from a source, and the Alertmanager webhook (v4) parser."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.domain.alerts import AlertStatus

MAX_ALERTS_PER_PAYLOAD = 10_000
# Alertmanager sends this for alerts that have no end yet.
ZERO_TIME_PREFIX = "0001-01-01"


@dataclass(frozen=True)
class IncomingAlert:
    """One alert from any source (Alertmanager, host checks), before it is stored."""

    fingerprint: str
    status: AlertStatus
    labels: Mapping[str, str]
    starts_at: datetime  # an instant (timezone-aware), whatever offset the source wrote it with
    annotations: Mapping[str, str] = field(default_factory=dict)
    ends_at: datetime | None = None
    generator_url: str | None = None

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "unnamed alert")


class PayloadError(ValueError):
    """The webhook payload is not what Alertmanager sends; the message names the field."""


def fingerprint_of(labels: Mapping[str, str]) -> str:
    """A stable fingerprint from the labels, for sources that send none."""
    canonical = "\x1f".join(f"{k}\x1e{v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse_alertmanager(payload: Mapping[str, Any], *, received_at: datetime) -> list[IncomingAlert]:
    """Validate an Alertmanager webhook payload (version 4) and return its alerts (one without a startsAt
    started when it was received)."""
    version = payload.get("version")
    if version != "4":
        raise PayloadError(f'version: expected "4" (Alertmanager webhook v4), got {version!r}')
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts: expected a list of alerts")
    if len(alerts) > MAX_ALERTS_PER_PAYLOAD:
        raise PayloadError(f"alerts: {len(alerts)} alerts in one payload, at most {MAX_ALERTS_PER_PAYLOAD}")
    return [_parse_alert(alert, f"alerts[{i}]", received_at) for i, alert in enumerate(alerts)]


def _parse_alert(raw: Any, where: str, received_at: datetime) -> IncomingAlert:
    if not isinstance(raw, Mapping):
        raise PayloadError(f"{where}: expected an object")
    labels = _string_map(raw.get("labels"), f"{where}.labels", required=True)
    status = raw.get("status")
    if status not in ("firing", "resolved"):
        raise PayloadError(f'{where}.status: expected "firing" or "resolved", got {status!r}')
    fingerprint = raw.get("fingerprint") or fingerprint_of(labels)
    if not isinstance(fingerprint, str) or len(fingerprint) > 128:
        raise PayloadError(f"{where}.fingerprint: expected a string of at most 128 characters")
    fingerprint = _no_nul(fingerprint) or fingerprint_of(labels)
    generator = raw.get("generatorURL")
    if generator is not None and not isinstance(generator, str):
        raise PayloadError(f"{where}.generatorURL: expected a string")
    return IncomingAlert(
        fingerprint=fingerprint,
        status=AlertStatus(status),
        labels=labels,
        annotations=_string_map(raw.get("annotations"), f"{where}.annotations", required=False),
        starts_at=_time(raw.get("startsAt"), f"{where}.startsAt") or received_at,
        ends_at=_time(raw.get("endsAt"), f"{where}.endsAt"),
        generator_url=_no_nul(generator) if generator else None,
    )


def _string_map(value: Any, where: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where}: expected an object of strings")
    if required and not value:
        raise PayloadError(f"{where}: must not be empty")
    has_nul = False
    for key, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{where}.{key}: expected a string, got {type(item).__name__}")
        has_nul = has_nul or "\x00" in item or "\x00" in key
    if has_nul:  # rare: rebuild only then (this runs for every label of every alert)
        return {_no_nul(key): _no_nul(item) for key, item in value.items()}
    return dict(value)


def _no_nul(text: str) -> str:
    """Drop NUL characters: valid JSON, but no database text column can hold them."""
    return text.replace("\x00", "") if "\x00" in text else text


def _time(value: Any, where: str) -> datetime | None:
    if value is None or value == "" or (isinstance(value, str) and value.startswith(ZERO_TIME_PREFIX)):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where}: expected an RFC 3339 time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{where}: {value!r} is not an RFC 3339 time") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)  # stored in UTC: 9999-12-31T23:59-14:00 would overflow there
    except OverflowError:
        raise PayloadError(f"{where}: {value!r} is outside the years 1 to 9999 in UTC") from None
    return parsed
