"""Alertmanager silences for snoozed groups: a snooze in Slack also mutes the group at its source."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.deps import Deps
from bot.domain.alerts import parse_matcher
from bot.domain.silences import group_silence_matchers
from bot.errors import UpstreamError
from storage import alert_groups
from storage.group_transitions import in_channel
from storage.models import Alert, AlertGroup

log = logging.getLogger(__name__)


async def snooze_silence(deps: Deps, group_id: int, *, until: datetime, user_name: str) -> str | None:
    """Silence a snoozed group's alerts in Alertmanager until `until` (when it is configured and the group's
    alerts came from it); the silence's ID, or None when there is none (a failure is logged, not raised)."""
    url = deps.settings.secrets.alertmanager_url
    if not url:
        return None
    from bot.clients.alertmanager import AlertmanagerClient

    async with deps.db.sessions() as session:
        snapshot = await alert_groups.load_group(session, group_id, sample=1)
        if snapshot is None or not snapshot.alerts or snapshot.alerts[0].source != "alertmanager":
            return None
        labels = await _group_labels(session, snapshot.group)
    config = deps.settings.file.alerts
    route_labels = (parse_matcher(m).label for route in config.routes for m in route.match)
    matchers = group_silence_matchers(labels, group_by=config.group_by, route_labels=route_labels)
    client = AlertmanagerClient(base_url=url)
    try:
        return await client.create_silence(
            matchers=matchers,
            ends_at=until,
            created_by=user_name,
            comment=f"Snoozed from Slack by {user_name} via opsbot",
        )
    except UpstreamError as error:
        log.warning("could not create an Alertmanager silence", extra={"error": str(error)})
        return None
    finally:
        await client.close()


async def _group_labels(session: AsyncSession, group: AlertGroup) -> list[dict[str, str]]:
    """The labels of every alert in the group (its key's alerts routed to its channel)."""
    where = (col(Alert.group_key) == group.group_key, in_channel(group.channel))
    return list((await session.execute(select(col(Alert.labels)).where(*where))).scalars())
