"""The outbox's health for operators (issue #14: never stuck, never silently dropped): gauges set at each
/metrics scrape, and a short report in /healthz that names failed and overdue jobs."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import Any

from bot.deps import Deps
from storage import outbox_admin
from storage.outbox import DONE, FAILED, PENDING, SENDING
from storage.outbox_admin import JobSummary, OutboxHealth

log = logging.getLogger(__name__)
STATUSES = (PENDING, SENDING, FAILED, DONE)
EXAMPLES = 5  # jobs named per trouble in /healthz: enough to start looking, small enough for a probe
ERROR_CHARS = 200
# A probe must answer even when the database hangs; the ping before it has the same bound.
READ_TIMEOUT_SECONDS = 2.0


async def read(deps: Deps, *, examples: int = 0) -> OutboxHealth:
    """Read the outbox's health as of the app clock, bounded in time."""
    async with asyncio.timeout(READ_TIMEOUT_SECONDS):
        return await outbox_admin.read_health(deps.db, now=deps.clock(), examples=examples)


async def refresh_gauges(deps: Deps) -> None:
    """Set the outbox gauges from the database; when it cannot be read they become unknown (no series, NaN)
    rather than stale, and the rest of /metrics is still served."""
    telemetry = deps.telemetry
    try:
        health = await read(deps)
    except Exception as error:
        log.warning("outbox gauges unknown: cannot read the outbox", extra={"error": type(error).__name__})
        telemetry.outbox_jobs.clear()
        telemetry.outbox_overdue.set(math.nan)
        return
    for status in STATUSES:
        telemetry.outbox_jobs.labels(status).set(health.count(status))
    telemetry.outbox_overdue.set(health.overdue)


@dataclass(frozen=True)
class HealthSection:
    """The "outbox" object of /healthz and whether it makes the replica degraded (never unavailable: a
    restart would not bring a given-up job back)."""

    degraded: bool
    body: dict[str, Any]


async def health_section(deps: Deps) -> HealthSection:
    """Counts of pending, failed and overdue jobs, naming a few of each trouble; degraded when any."""
    try:
        health = await read(deps, examples=EXAMPLES)
    except Exception as error:
        log.warning("cannot read the outbox for /healthz", extra={"error": type(error).__name__})
        return HealthSection(
            degraded=True, body={"error": f"cannot read the outbox ({type(error).__name__})"}
        )
    body: dict[str, Any] = {status: health.count(status) for status in (PENDING, SENDING, FAILED)}
    body["overdue"] = health.overdue
    if health.failed_examples:
        body["failed_jobs"] = [_job(job) for job in health.failed_examples]
    if health.overdue_examples:
        oldest = health.oldest_overdue_due_at
        body["oldest_overdue_due_at"] = oldest.isoformat() if oldest else None
        body["overdue_jobs"] = [_job(job) for job in health.overdue_examples]
    return HealthSection(degraded=health.troubled, body=body)


def _job(job: JobSummary) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "lane": job.lane,
        "attempts": job.attempts,
        "due_at": job.due_at.isoformat(),
        "last_error": clip(job.last_error),
    }


def clip(text: str | None, limit: int = ERROR_CHARS) -> str | None:
    """One line of at most `limit` characters: last_error is opsbot's own text, but may quote long replies."""
    if text is None:
        return None
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
