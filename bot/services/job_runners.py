"""The table of outbox job kinds and the one typed call each makes into a service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.deps import Deps
from bot.services import (
    alert_actions,
    alert_messages,
    alert_storms,
    digest_runs,
    escalation,
    incident_slack,
    incident_timers,
    info_reviews,
    pagerduty,
    review_checklist,
    review_deadlines,
    sms,
    ticket_jobs,
    ticket_measure,
)
from bot.services.jobs import (
    CheckFlapping,
    DeliverTicketWebhook,
    DraftPostmortem,
    EndSnooze,
    EscalateGroup,
    IncidentTimer,
    MeasureAfter,
    MeasureBaseline,
    PostDigest,
    PostInfoReview,
    PostInIncident,
    PostReviewDone,
    RefreshReview,
    RemindIncident,
    RemindReview,
    SendPagerDutyEvent,
    SendSms,
    SetUpIncident,
    SyncGroup,
    SyncIncident,
    SyncRollup,
)
from bot.services.outbox import Runner, runners


async def _sync_group(deps: Deps, job: SyncGroup, attempt: int) -> None:
    await alert_messages.sync_group(deps, job.group_id, attempt=attempt)


async def _sync_rollup(deps: Deps, job: SyncRollup, attempt: int) -> None:
    await alert_storms.sync_rollup(deps, job.rollup_id)


async def _escalate(deps: Deps, job: EscalateGroup, attempt: int) -> None:
    await escalation.escalate(deps, job.group_id, episode_id=job.episode_id, retried=attempt > 1)


async def _remind_review(deps: Deps, job: RemindReview, attempt: int) -> None:
    await review_deadlines.remind(deps, job.group_id, episode_id=job.episode_id, retried=attempt > 1)


async def _send_sms(deps: Deps, job: SendSms, attempt: int) -> None:
    await sms.send_page(deps, job, retried=attempt > 1)


async def _check_flapping(deps: Deps, job: CheckFlapping, attempt: int) -> None:
    await alert_actions.check_flapping(deps, job.group_id)


async def _end_snooze(deps: Deps, job: EndSnooze, attempt: int) -> None:
    await alert_actions.end_snooze(deps, job.group_id)


async def _post_digest(deps: Deps, job: PostDigest, attempt: int) -> None:
    await digest_runs.post_run(deps, job.key, retried=attempt > 1)


async def _post_info_review(deps: Deps, job: PostInfoReview, attempt: int) -> None:
    await info_reviews.post_run(deps, job.key, retried=attempt > 1)


async def _refresh_review(deps: Deps, job: RefreshReview, attempt: int) -> None:
    await review_checklist.refresh(deps, job.key)


async def _post_review_done(deps: Deps, job: PostReviewDone, attempt: int) -> None:
    await review_checklist.post_done(deps, job.key, retried=attempt > 1)


async def _set_up_incident(deps: Deps, job: SetUpIncident, attempt: int) -> None:
    await incident_slack.set_up(deps, job.incident_id, retried=attempt > 1)


async def _sync_incident(deps: Deps, job: SyncIncident, attempt: int) -> None:
    await incident_slack.sync(deps, job.incident_id)


async def _post_in_incident(deps: Deps, job: PostInIncident, attempt: int) -> None:
    await incident_slack.post(
        deps, job.incident_id, text=job.text, announce=job.announce, post_id=job.post_id, retried=attempt > 1
    )


async def _draft_postmortem(deps: Deps, job: DraftPostmortem, attempt: int) -> None:
    await incident_slack.upload_postmortem(deps, job.incident_id)


async def _incident_timer(deps: Deps, job: IncidentTimer, attempt: int) -> None:
    await incident_timers.fire(deps, job.incident_id, clock=job.clock, stage=job.stage, due=job.due)


async def _remind_incident(deps: Deps, job: RemindIncident, attempt: int) -> None:
    await incident_timers.remind(deps, job.incident_id, post_id=job.post_id, retried=attempt > 1)


async def _deliver_ticket_webhook(deps: Deps, job: DeliverTicketWebhook, attempt: int) -> None:
    await ticket_jobs.deliver(deps, job.body)


async def _measure_baseline(deps: Deps, job: MeasureBaseline, attempt: int) -> None:
    await ticket_measure.measure_baseline(deps, job.ticket_id, at=datetime.fromisoformat(job.at))


async def _measure_after(deps: Deps, job: MeasureAfter, attempt: int) -> None:
    await ticket_measure.measure_after(deps, job.ticket_id)


async def _send_pagerduty_event(deps: Deps, job: SendPagerDutyEvent, attempt: int) -> None:
    await pagerduty.send_event(deps, job)


RUNNERS: dict[str, Runner[Any]] = runners(
    Runner(SyncGroup, _sync_group),
    Runner(SyncRollup, _sync_rollup),
    Runner(EscalateGroup, _escalate),
    Runner(RemindReview, _remind_review),
    Runner(SendSms, _send_sms),
    Runner(EndSnooze, _end_snooze),
    Runner(CheckFlapping, _check_flapping),
    Runner(PostDigest, _post_digest),
    Runner(PostInfoReview, _post_info_review),
    Runner(RefreshReview, _refresh_review),
    Runner(PostReviewDone, _post_review_done),
    Runner(SetUpIncident, _set_up_incident),
    Runner(SyncIncident, _sync_incident),
    Runner(PostInIncident, _post_in_incident),
    Runner(DraftPostmortem, _draft_postmortem),
    Runner(IncidentTimer, _incident_timer),
    Runner(RemindIncident, _remind_incident),
    Runner(DeliverTicketWebhook, _deliver_ticket_webhook),
    Runner(MeasureBaseline, _measure_baseline),
    Runner(MeasureAfter, _measure_after),
    Runner(SendPagerDutyEvent, _send_pagerduty_event),
)
