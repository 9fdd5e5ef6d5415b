"""The alerts host checks raised, as stored: what a restart restores and what a stale host leaves firing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from storage.db import Database
from storage.models import Alert

FIRING = "firing"


@dataclass(frozen=True)
class FiringAlert:
    fingerprint: str
    labels: Mapping[str, str]
    starts_at: datetime


async def firing_alerts(db: Database, *, source: str) -> list[FiringAlert]:
    """Alerts of `source` stored as firing, oldest first (few: host checks raise a handful per host)."""
    query = (
        select(col(Alert.fingerprint), col(Alert.labels), col(Alert.starts_at))
        .where(col(Alert.source) == source, col(Alert.status) == FIRING)
        .order_by(col(Alert.starts_at), col(Alert.id))
    )
    async with db.sessions() as session:
        rows = (await session.execute(query)).all()
    return [FiringAlert(str(fingerprint), dict(labels), starts_at) for fingerprint, labels, starts_at in rows]
