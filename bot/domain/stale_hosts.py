"""Stale hosts: a host that stopped sending samples cannot resolve its own alerts, so another replica does.

Only host-rule alerts (job opsbot-host) belong to one host. URL checks are probed by every replica under
the same labels, so any live replica keeps them current and none of them is stale with one host.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.domain.alerts import AlertStatus
from bot.domain.durations import humanize_duration
from bot.domain.episodes import STALE_ANNOTATION
from bot.domain.hostchecks import HOST_JOB
from bot.domain.incoming import IncomingAlert


def alert_host(labels: Mapping[str, str]) -> str | None:
    """The host a host-rule alert is about (its `instance`); None for any other alert."""
    return labels.get("instance") if labels.get("job") == HOST_JOB else None


def is_stale(last_seen: datetime | None, *, now: datetime, after: timedelta) -> bool:
    """A host is stale once its newest sample is `after` old, or when none of its samples is kept."""
    return last_seen is None or now - last_seen >= after


def claim_key(host: str, last_seen: datetime | None) -> str:
    """Name one silence of one host: replicas claim it so one of them resolves; a later silence is new."""
    seen = last_seen.isoformat() if last_seen else "never"
    return f"{seen}|{host}"[:255]


def stale_alert(
    *,
    fingerprint: str,
    labels: Mapping[str, str],
    starts_at: datetime,
    host: str,
    last_seen: datetime | None,
    after: timedelta,
    now: datetime,
) -> IncomingAlert:
    """Resolve a firing host alert of a stale host, saying why; the same silence gives the same resolve.

    It ends when the host became stale (`last_seen` + `after`), so every replica would send identical values.
    """
    alertname = labels.get("alertname", "alert")
    if last_seen is None:
        summary = f"Resolved as stale: {host} stopped reporting (no sample of it is kept)"
        description = f"No sample from {host} is kept, so its {alertname} alert is resolved."
    else:
        summary = f"Resolved as stale: {host} stopped reporting at {last_seen:%H:%M} UTC"
        description = (
            f"No sample from {host} since {last_seen:%Y-%m-%d %H:%M:%S} UTC ({humanize_duration(after)} "
            f"or more), so its {alertname} alert is resolved. It fires again if {host} reports again "
            "and the condition still holds."
        )
    return IncomingAlert(
        fingerprint=fingerprint,
        status=AlertStatus.RESOLVED,
        labels=dict(labels),
        annotations={"summary": summary, "description": description, STALE_ANNOTATION: "true"},
        starts_at=starts_at,
        ends_at=now if last_seen is None else last_seen + after,
    )
