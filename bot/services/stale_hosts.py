"""Resolve the host alerts of hosts that stopped reporting, once across all replicas.

A host's own checker resolves its alerts when their conditions end; a host that is gone (replaced, renamed,
scaled down, or dead) never will. Every checker looks for other hosts whose alerts still fire but whose
newest sample is `host_checks.stale_after_minutes` old, and resolves those alerts with an annotation that
says why. A claim per silence makes one replica do it; a claim left for RETRY_AFTER (its replica died
mid-send, or ingest failed) is taken over.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.domain import stale_hosts as domain
from bot.domain.hostchecks import HOST_SOURCE as SOURCE
from bot.services.alerts import ingest
from storage import host_samples
from storage.claims import claim_or_take_over, forget_claims
from storage.host_alerts import firing_alerts

log = logging.getLogger(__name__)

CLAIM_SCOPE = "host-stale"
# Every sampling round stores CPU, so its newest sample is when the host last reported.
HEARTBEAT_METRIC = "cpu"
RETRY_AFTER = timedelta(minutes=5)


async def resolve_stale_hosts(deps: Deps, *, own_host: str, now: datetime) -> int:
    """Resolve the firing alerts of every other host silent for `stale_after_minutes`; return how many."""
    after = timedelta(minutes=deps.settings.file.host_checks.stale_after_minutes)
    hosts = {domain.alert_host(alert.labels) for alert in await firing_alerts(deps.db, source=SOURCE)}
    resolved = 0
    for host in sorted(h for h in hosts if h is not None and h != own_host):
        newest = await host_samples.latest(deps.db, host=host, metric=HEARTBEAT_METRIC)
        last_seen = newest[0] if newest else None
        if domain.is_stale(last_seen, now=now, after=after):
            owner = own_host[:128]  # the claims table's limit; the owner is only for people reading it
            resolved += await _resolve_host(deps, host, last_seen, after=after, now=now, owner=owner)
    return resolved


async def _resolve_host(
    deps: Deps, host: str, last_seen: datetime | None, *, after: timedelta, now: datetime, owner: str
) -> int:
    key = domain.claim_key(host, last_seen)
    stale_before = now - RETRY_AFTER
    if not await claim_or_take_over(
        deps.db, scope=CLAIM_SCOPE, key=key, now=now, stale_before=stale_before, owner=owner
    ):
        return 0  # another replica resolves (or resolved) this silence
    # Read again under the claim: what was resolved meanwhile (the host's own last round) is not re-sent.
    alerts = [
        domain.stale_alert(
            fingerprint=alert.fingerprint,
            labels=alert.labels,
            starts_at=alert.starts_at,
            host=host,
            last_seen=last_seen,
            after=after,
            now=now,
        )
        for alert in await firing_alerts(deps.db, source=SOURCE)
        if domain.alert_host(alert.labels) == host
    ]
    await ingest(deps, alerts, source=SOURCE)
    log.info(
        "host alerts resolved as stale",
        extra={"host": host, "last_seen": last_seen and last_seen.isoformat(), "alerts": len(alerts)},
    )
    return len(alerts)


async def forget_old_claims(deps: Deps, *, older_than: datetime) -> int:
    """Drop claims of silences long past (their samples are purged too); return how many."""
    return await forget_claims(deps.db, scope=CLAIM_SCOPE, older_than=older_than)
