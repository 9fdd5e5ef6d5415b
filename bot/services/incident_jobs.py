"""The incident outbox job kinds and the one-line call each makes (merged into job_runners.RUNNERS)."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.services import incident_slack, incident_timers
from bot.services.incident_policy import POST, POSTMORTEM, REMIND, SETUP, SYNC, TIMER
from bot.services.outbox import ATTEMPT, JobRunner


async def _setup(deps: Deps, payload: dict[str, Any]) -> None:
    await incident_slack.set_up(deps, int(payload["incident_id"]), retried=int(payload.get(ATTEMPT, 1)) > 1)


async def _sync(deps: Deps, payload: dict[str, Any]) -> None:
    await incident_slack.sync(deps, int(payload["incident_id"]))


async def _post(deps: Deps, payload: dict[str, Any]) -> None:
    await incident_slack.post(
        deps,
        int(payload["incident_id"]),
        text=str(payload["text"]),
        announce=bool(payload["announce"]),
        post_id=payload.get("post_id"),
        retried=int(payload.get(ATTEMPT, 1)) > 1,
    )


async def _postmortem(deps: Deps, payload: dict[str, Any]) -> None:
    await incident_slack.upload_postmortem(deps, int(payload["incident_id"]))


async def _timer(deps: Deps, payload: dict[str, Any]) -> None:
    await incident_timers.fire(
        deps,
        int(payload["incident_id"]),
        clock=str(payload["clock"]),
        stage=str(payload["stage"]),
        due=str(payload["due"]),
    )


async def _remind(deps: Deps, payload: dict[str, Any]) -> None:
    await incident_timers.remind(
        deps,
        int(payload["incident_id"]),
        post_id=payload.get("post_id"),
        retried=int(payload.get(ATTEMPT, 1)) > 1,
    )


INCIDENT_RUNNERS: dict[str, JobRunner] = {
    SETUP: _setup,
    SYNC: _sync,
    POST: _post,
    POSTMORTEM: _postmortem,
    TIMER: _timer,
    REMIND: _remind,
}
