"""Retention: once a day, on one replica, delete what has been kept long enough."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.services.pagerduty_webhooks import CLAIM_SCOPE as PAGERDUTY_SCOPE
from storage import retention as store
from storage.claims import claim
from storage.digests import CLAIM_SCOPE as DIGEST_SCOPE

log = logging.getLogger(__name__)
SCOPE = "retention"
# Claims whose loss can repeat nothing: Slack retries an event and a form within minutes, PagerDuty a webhook
# within about 20, and a digest period stays claimed by its digest_runs row. Incident timer claims are kept:
# a reopened incident re-arms its timers for the same targets, and only the claim makes them look for the
# notice before posting again.
PRUNABLE_CLAIM_SCOPES = ("slack-event", "incident-update", DIGEST_SCOPE, SCOPE, PAGERDUTY_SCOPE)


@dataclass(frozen=True)
class Pruned:
    """What one day's run did: `claimed` False when another replica (or an earlier run) had the day."""

    day: str
    claimed: bool
    rows: dict[str, int] = field(default_factory=dict)


def day_key(deps: Deps) -> str:
    """The day a run belongs to, in the team's zone, where the daily run time is set."""
    zone = ZoneInfo(deps.settings.file.team.timezone)
    return deps.clock().astimezone(zone).date().isoformat()


async def prune(deps: Deps) -> Pruned:
    """Claim today's run and, on the one replica that gets it, delete what retention allows.

    A run that fails half way is not tried again today; tomorrow's finishes it (every delete is idempotent).
    """
    day = day_key(deps)
    now = deps.clock()
    if not await claim(deps.db, scope=SCOPE, key=day, now=now):
        log.info("retention already ran today", extra={"day": day})
        return Pruned(day, claimed=False)
    rows = await _delete(deps, now)
    for table, count in rows.items():
        deps.telemetry.pruned_rows.labels(table).inc(count)
    log.info("retention pruned", extra={"day": day, "pruned": rows})
    return Pruned(day, claimed=True, rows=rows)


async def _delete(deps: Deps, now: datetime) -> dict[str, int]:
    """Delete from each table by its own keeping time; return how many rows went from each."""
    config = deps.settings.file.retention
    episodes = now - timedelta(days=config.episodes_days)
    db = deps.db
    return {
        "alert_events": await store.prune_alert_events(db, before=episodes),
        "alert_group_episodes": await store.prune_group_episodes(db, before=episodes),
        "alert_episodes": await store.prune_alert_episodes(db, before=episodes),
        "sms_pages": await store.prune_sms_pages(db, before=episodes),
        "info_reviews": await store.prune_info_reviews(db, before=episodes),
        "outbox": await store.prune_outbox(db, before=now - timedelta(days=config.outbox_days)),
        "claims": await store.prune_claims(
            db, before=now - timedelta(days=config.claims_days), scopes=PRUNABLE_CLAIM_SCOPES
        ),
    }
