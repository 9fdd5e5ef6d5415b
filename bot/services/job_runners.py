"""The table of outbox job kinds and the one-line call each makes into a service."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.services import alert_actions, alert_storms, alerts, digest_runs
from bot.services.incident_jobs import INCIDENT_RUNNERS
from bot.services.outbox import ATTEMPT, JobRunner
from bot.services.ticket_jobs import TICKET_RUNNERS


async def _sync(deps: Deps, payload: dict[str, Any]) -> None:
    await alerts.sync_group(deps, int(payload["group_id"]), attempt=int(payload.get(ATTEMPT, 1)))


async def _sync_rollup(deps: Deps, payload: dict[str, Any]) -> None:
    await alert_storms.sync_rollup(deps, int(payload["rollup_id"]))


async def _escalate(deps: Deps, payload: dict[str, Any]) -> None:
    await alert_actions.escalate(
        deps,
        int(payload["group_id"]),
        level=int(payload["level"]),
        episode=str(payload["episode"]),
        retried=int(payload.get(ATTEMPT, 1)) > 1,
    )


async def _snooze_end(deps: Deps, payload: dict[str, Any]) -> None:
    await alert_actions.end_snooze(deps, int(payload["group_id"]))


RUNNERS: dict[str, JobRunner] = {
    alerts.SYNC: _sync,
    alert_storms.ROLLUP_SYNC: _sync_rollup,
    alerts.ESCALATE: _escalate,
    alerts.SNOOZE_END: _snooze_end,
    digest_runs.POST_JOB: digest_runs.post_run,
    **INCIDENT_RUNNERS,
    **TICKET_RUNNERS,
}
