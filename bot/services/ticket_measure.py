"""Measured impact: a ticket's metric averaged before work starts and after it is done (outbox jobs),
and the ticket events queued for the outbound webhook."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.deps import Deps
from bot.domain.delivery import TICKET_MEASUREMENTS, TICKET_WEBHOOKS, Priority
from bot.domain.kpis import Comparison, Kpi
from bot.domain.tickets import Impact, change
from bot.errors import UsageError
from bot.services.jobs import DeliverTicketWebhook, MeasureAfter, MeasureBaseline, queue
from bot.services.metrics import check_promql, ensure_may_run_promql, metric_source
from storage import tickets as store
from storage.tickets import Ticket

log = logging.getLogger(__name__)


def metric_of(deps: Deps, metric: str) -> tuple[Kpi, bool]:
    """The KPI (or raw query) a ticket's metric names, and whether lower values are better."""
    kpi = metric_source(deps).resolve(metric)
    if kpi.is_raw_query:
        return kpi, deps.settings.file.tickets.raw_query_lower_is_better
    return kpi, kpi.comparison is Comparison.BELOW


async def check_metric(deps: Deps, metric: str | None, *, user_id: str) -> None:
    """Before a ticket keeps a metric: raw PromQL (re-run daily) needs the right to run it and must stay
    within the `prometheus` caps; KPI and built-in names are open to everyone."""
    if not metric:
        return
    kpi, _ = metric_of(deps, metric)
    if kpi.is_raw_query:
        await ensure_may_run_promql(deps, user_id=user_id)
        check_promql(deps, kpi.promql)


def impact_of(deps: Deps, ticket: Ticket) -> Impact | None:
    """Before, after and the change of the ticket's metric, as far as measured."""
    if not ticket.metric:
        return None
    kpi, lower = metric_of(deps, ticket.metric)
    before, after = ticket.baseline_value, ticket.after_value
    return Impact(
        metric=ticket.metric,
        metric_title=ticket.metric if kpi.is_raw_query else kpi.title,
        unit=kpi.unit,
        lower_is_better=lower,
        before=before,
        after=after,
        after_final=ticket.after_final,
        change=change(before, after, lower_is_better=lower)
        if before is not None and after is not None
        else None,
    )


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    """The ticket as the webhook sends it."""
    dumped = ticket.model_dump(mode="json", exclude={"request_key"})
    dumped["number"] = dumped.pop("id")
    return dumped


async def queue_event(
    deps: Deps, session: AsyncSession, ticket: Ticket, event: str, *, actor: str | None
) -> None:
    """Queue the webhook delivery of a ticket change in the caller's transaction (when configured)."""
    if not deps.settings.file.tickets.webhook_url:
        return
    await session.flush()
    now = deps.clock()
    body = {
        "id": str(uuid.uuid4()),
        "event": event,
        "occurred_at": now.isoformat(),
        "actor": actor,
        "team": deps.settings.team_of(ticket.team).handle,  # a row from before teams: the default team
        "ticket": ticket_json(ticket),
    }
    webhook = DeliverTicketWebhook(body=body)
    await queue(session, webhook, now=now, lane=TICKET_WEBHOOKS, priority=Priority.BACKGROUND)


Measurement = type[MeasureBaseline] | type[MeasureAfter]


async def queue_measurement(
    session: AsyncSession, ticket: Ticket, measurement: Measurement, *, at: datetime, due_at: datetime
) -> None:
    """Queue a measurement of the ticket's metric (one pending per ticket and kind)."""
    assert ticket.id is not None
    await queue(
        session,
        measurement(ticket_id=ticket.id, at=at.isoformat()),
        now=at,
        lane=TICKET_MEASUREMENTS,
        priority=Priority.BACKGROUND,
        key=f"{measurement.kind}:{ticket.id}",
        due_at=due_at,
    )


async def queue_after(deps: Deps, session: AsyncSession, ticket: Ticket, *, now: datetime) -> None:
    """Schedule the next after-measurement: one refresh from now, at the latest when the window ends."""
    assert ticket.done_at is not None
    config = deps.settings.file.tickets
    end = ticket.done_at + timedelta(seconds=config.after_window_seconds)
    due = min(now + timedelta(seconds=config.refresh_seconds), end)
    await queue_measurement(session, ticket, MeasureAfter, at=ticket.done_at, due_at=due)


async def measure_baseline(deps: Deps, ticket_id: int, *, at: datetime) -> None:
    """Record the metric's average over the window before `at` (work started)."""
    ticket = await store.get(deps.db, ticket_id)
    if ticket is None or not ticket.metric:
        return
    window = timedelta(seconds=deps.settings.file.tickets.baseline_window_seconds)
    value, problem = await _average(deps, ticket.metric, start=at - window, end=at)
    async with deps.db.transaction() as session:
        fresh = await store.lock(session, ticket_id)
        if fresh is None:
            return
        fresh.baseline_value, fresh.baseline_at, fresh.measure_error = value, deps.clock(), problem
        fresh.updated_at = deps.clock()
        await queue_event(deps, session, fresh, "measured", actor=None)
    deps.wake_outbox()


async def measure_after(deps: Deps, ticket_id: int) -> None:
    """Record the average since the ticket was done; reschedule until the after window has passed."""
    ticket = await store.get(deps.db, ticket_id)
    if ticket is None or not ticket.metric or ticket.done_at is None or ticket.status != "done":
        return
    now = deps.clock()
    end = ticket.done_at + timedelta(seconds=deps.settings.file.tickets.after_window_seconds)
    value, problem = await _average(deps, ticket.metric, start=ticket.done_at, end=min(now, end))
    async with deps.db.transaction() as session:
        fresh = await store.lock(session, ticket_id)
        if fresh is None:
            return
        if value is not None:
            fresh.after_value = value
        fresh.after_at, fresh.after_final, fresh.measure_error = now, now >= end, problem
        fresh.updated_at = now
        await queue_event(deps, session, fresh, "measured", actor=None)
        if not fresh.after_final:
            await queue_after(deps, session, fresh, now=now)
    deps.wake_outbox()


async def _average(
    deps: Deps, metric: str, *, start: datetime, end: datetime
) -> tuple[float | None, str | None]:
    """The average, or None and why; a source that is away raises so the outbox retries later."""
    kpi, _ = metric_of(deps, metric)
    try:
        value = await metric_source(deps).average(kpi, start=start, end=end)
    except UsageError as error:  # a bad query or no Prometheus: retrying will not help
        log.warning("ticket metric cannot be measured", extra={"metric": metric[:200]})
        return None, str(error)[:500]
    return value, None if value is not None else "no data in the window"
