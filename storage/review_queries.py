"""What the review checklist reads of opsbot's own records: the alerts incidents were declared from, and the
firings of noisy rules with the alerts that made them (for proposing new thresholds)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlmodel import col

from storage.db import Database
from storage.digest_queries import QUICK_RESOLVE, Scope, rows_of, seconds_between
from storage.incidents import Incident
from storage.models import Alert, AlertEpisode, AlertGroup, AlertGroupEpisode


async def incident_alerts(db: Database, numbers: Collection[int]) -> dict[int, list[str]]:
    """By incident number, the name and label values of the alerts of the group it was declared from."""
    if not numbers:
        return {}
    statement = (
        select(col(Incident.id), col(AlertGroup.alertname), col(Alert.labels))
        .join(AlertGroup, col(AlertGroup.id) == col(Incident.alert_group_id))
        .outerjoin(Alert, col(Alert.group_key) == col(AlertGroup.group_key))
        .where(col(Incident.id).in_(list(numbers)))
    )
    found: dict[int, list[str]] = {}
    for number, alertname, labels in await rows_of(db, statement):
        found.setdefault(int(number), []).extend([str(alertname), *(str(v) for v in (labels or {}).values())])
    return found


@dataclass(frozen=True)
class RuleFiring:
    """One group firing of a rule in the window: when, and whether it was a false positive (marked as noise,
    or over within five minutes with nobody acknowledging: what the threshold review counts)."""

    alertname: str
    group_key: str
    started_at: datetime
    ended_at: datetime | None
    false_positive: bool


async def rule_firings(db: Database, scope: Scope, names: Collection[str]) -> list[RuleFiring]:
    """The group firings of the rules `names` opened in the scope's window, oldest first."""
    if not names:
        return []
    ended, noise_by = col(AlertGroupEpisode.ended_at), col(AlertGroupEpisode.noise_by)
    opened = col(AlertGroupEpisode.opened_at)
    quick = and_(
        ended.is_not(None),
        seconds_between(db, opened, ended) < QUICK_RESOLVE.total_seconds(),
        col(AlertGroupEpisode.acked_at).is_(None),
    )
    statement = (
        select(
            col(AlertGroupEpisode.alertname),
            col(AlertGroupEpisode.group_key),
            col(AlertGroupEpisode.started_at),
            ended,
            or_(noise_by.is_not(None), quick),
        )
        .where(scope.group_firings(), col(AlertGroupEpisode.alertname).in_(list(names)))
        .order_by(opened)
    )
    return [
        RuleFiring(str(name), str(key), started, stopped, bool(false))
        for name, key, started, stopped, false in await rows_of(db, statement)
    ]


@dataclass(frozen=True)
class StatedValue:
    """The value one alert stated when one of its firings began (its `value` annotation)."""

    group_key: str
    alertname: str
    started_at: datetime
    value: float


async def stated_values(
    db: Database, keys: Collection[str], start: datetime, end: datetime
) -> list[StatedValue]:
    """The values the alerts of the groups `keys` stated as their firings began within [start, end)."""
    if not keys:
        return []
    started = col(AlertEpisode.started_at)
    statement = select(
        col(AlertEpisode.group_key), col(AlertEpisode.alertname), started, col(AlertEpisode.value)
    ).where(
        col(AlertEpisode.group_key).in_(list(keys)),
        col(AlertEpisode.value).is_not(None),
        started >= start,
        started < end,
    )
    return [
        StatedValue(str(key), str(name), at, float(value))
        for key, name, at, value in await rows_of(db, statement)
    ]


@dataclass(frozen=True)
class StoredAlert:
    """An alert as last described: its labels and annotations, and when its latest firing started."""

    group_key: str
    alertname: str
    source: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime


async def alerts_of_groups(db: Database, keys: Collection[str]) -> list[StoredAlert]:
    """The alerts of the groups `keys`."""
    if not keys:
        return []
    statement = select(Alert).where(col(Alert.group_key).in_(list(keys)))
    async with db.sessions() as session:
        found = (await session.execute(statement)).scalars().all()
    return [
        StoredAlert(a.group_key, a.alertname, a.source, dict(a.labels), dict(a.annotations), a.starts_at)
        for a in found
    ]
