"""The sample story told through opsbot's own use cases: each step a call at its instant on a moved clock.

Alerts arrive as Alertmanager would send them (bot.services.alerts.ingest); people acknowledge, snooze,
mark as noise and resolve through bot.services.alert_actions; incidents and tickets go through their
services. Slack work this queues is discarded afterwards (bot.services.sample_history).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.deps import Deps
from bot.domain.alerts import AlertStatus
from bot.domain.incidents import Role
from bot.domain.incoming import IncomingAlert, fingerprint_of
from bot.domain.sample_history import Firing, IncidentStory, SampleStory, TicketStory
from bot.domain.tickets import Area, NewTicket
from bot.services import alert_actions, escalation, incidents, ticket_measure, tickets
from bot.services.alerts import ingest, plan
from storage import alert_groups

SOURCE = "alertmanager"
NAMES = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol", "U0DAVE": "dave"}
Step = Callable[[], Awaitable[object]]


@dataclass
class StoryClock:
    """The seeding's clock: exactly the instant of the step being told."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Steps:
    """Every step of the story, told in time order whatever order they were added in."""

    items: list[tuple[datetime, int, Step]] = field(default_factory=list)
    groups: dict[tuple[str, str], int] = field(default_factory=dict)  # (group key, channel) -> id

    def at(self, moment: datetime, step: Step) -> None:
        self.items.append((moment, len(self.items), step))

    async def tell(self, clock: StoryClock) -> None:
        for moment, _, step in sorted(self.items, key=lambda item: (item[0], item[1])):
            clock.now = moment
            await step()


def story_steps(deps: Deps, story: SampleStory) -> Steps:
    """The steps of every firing, incident and ticket of the story."""
    steps = Steps()
    for firing in story.firings:
        _firing_steps(deps, steps, firing)
    for incident in story.incidents:
        _incident_steps(deps, steps, incident)
    for ticket in story.tickets:
        _ticket_steps(deps, steps, ticket, now=story.now)
    return steps


def _alerts(firing: Firing, *, resolved: bool) -> list[IncomingAlert]:
    rule = firing.rule
    alerts = []
    for instance in firing.instances:
        labels = {"alertname": rule.name, "severity": rule.severity, "service": rule.service,
                  "job": rule.service, "instance": instance}  # fmt: skip
        alerts.append(
            IncomingAlert(
                fingerprint=fingerprint_of(labels),
                status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
                labels=labels,
                annotations=_annotations(firing),
                starts_at=firing.at,
                ends_at=firing.end if resolved else None,
                generator_url=f"http://prometheus.example/graph?g0.expr={rule.name}",
            )
        )
    return alerts


def _annotations(firing: Firing) -> dict[str, str]:
    rule = firing.rule
    found = {"summary": rule.summary, "runbook_url": f"https://runbooks.example/{rule.name}"}
    if firing.value is not None:
        found["value"] = f"{firing.value:g}"
    return found


def _firing_steps(deps: Deps, steps: Steps, firing: Firing) -> None:
    by = {"user_id": firing.by, "user_name": NAMES.get(firing.by, firing.by), "clicked_channel": None}

    async def group_id() -> int:
        planned = plan(_alerts(firing, resolved=False)[:1], deps.settings)[0]
        key = (planned.group_key, planned.channels[0])
        if key not in steps.groups:
            async with deps.db.sessions() as session:
                found = await alert_groups.id_in_channel(session, group_key=key[0], channel=key[1])
            assert found is not None, f"{firing.rule.name} was never stored"
            steps.groups[key] = found
        return steps.groups[key]

    steps.at(firing.at, lambda: ingest(deps, _alerts(firing, resolved=False), source=SOURCE))
    if firing.escalate_after is not None:
        steps.at(firing.at + firing.escalate_after, lambda: _escalate(deps, group_id))
    if firing.ack_after is not None:
        steps.at(firing.at + firing.ack_after, lambda: _call(alert_actions.acknowledge, deps, group_id, by))
        if firing.snooze:
            later = firing.at + firing.ack_after + (firing.lasts - firing.ack_after) / 2
            snooze = {**by, "choice": "1h"}
            steps.at(later, lambda: _call(alert_actions.snooze, deps, group_id, snooze))
    if firing.noise:
        steps.at(firing.at + firing.lasts / 2, lambda: _call(alert_actions.mark_noise, deps, group_id, by))
    if firing.by_hand:
        steps.at(firing.end, lambda: _call(alert_actions.resolve, deps, group_id, by))
    steps.at(firing.end + (timedelta(seconds=30) if firing.by_hand else timedelta(0)),
             lambda: ingest(deps, _alerts(firing, resolved=True), source=SOURCE))  # fmt: skip


async def _call(
    action: Callable[..., Awaitable[None]],
    deps: Deps,
    group_id: Callable[[], Awaitable[int]],
    by: Mapping[str, object],
) -> None:
    await action(deps, await group_id(), **by)


async def _escalate(deps: Deps, group_id: Callable[[], Awaitable[int]]) -> None:
    await escalation.record_next_step(deps, await group_id())


def _incident_steps(deps: Deps, steps: Steps, story: IncidentStory) -> None:
    number: list[int] = []
    responder = story.commander

    async def declare() -> None:
        declared = await incidents.declare(
            deps, user_id=story.declared_by, level=story.level, title=story.title, service=story.service,
            description=f"Reported by <@{story.declared_by}>; {story.service} is affected.",
        )  # fmt: skip
        number.append(declared.number)

    steps.at(story.at, declare)
    acked = story.at + story.ack_after
    steps.at(acked, lambda: incidents.acknowledge(deps, number[0], user_id=responder))
    steps.at(
        acked + timedelta(seconds=20),
        lambda: incidents.assign(
            deps, number[0], user_id=story.declared_by, role=Role.COMMANDER, assignee=responder
        ),
    )
    for after, text in story.updates:
        steps.at(story.at + after, lambda text=text: incidents.post_update(  # type: ignore[misc]
            deps, number[0], user_id=responder, text=text))  # fmt: skip
    steps.at(story.end, lambda: incidents.resolve(deps, number[0], user_id=responder, summary=story.summary))
    if story.postmortem:
        steps.at(story.end + timedelta(seconds=10),
                 lambda: incidents.request_postmortem(deps, number[0], user_id=responder))  # fmt: skip


def _ticket_steps(deps: Deps, steps: Steps, story: TicketStory, *, now: datetime) -> None:
    number: list[int] = []
    new = NewTicket(
        title=story.title, impact=story.impact, effort=story.effort, area=Area(story.area),
        metric=story.metric, description=f"{story.title}.",
    )  # fmt: skip

    async def create() -> None:
        view, _ = await tickets.create(deps, new, user_id=story.owner)
        number.append(view.number)

    steps.at(story.at, create)
    steps.at(story.at + timedelta(seconds=5),
             lambda: tickets.assign(deps, number[0], user_id=story.owner, assignee=story.owner))  # fmt: skip
    if story.started is not None:
        started = story.started
        steps.at(started, lambda: tickets.start(deps, number[0], user_id=story.owner))
        if story.metric:  # the baseline job runs as soon as work starts
            steps.at(started + timedelta(seconds=5),
                     lambda: ticket_measure.measure_baseline(deps, number[0], at=started))  # fmt: skip
    if story.done is not None:
        done = story.done
        steps.at(done, lambda: tickets.finish(deps, number[0], user_id=story.owner, note=story.note))
        if story.metric:  # the after-measurement, once its window has passed (or as far as it has come)
            window = timedelta(seconds=deps.settings.file.tickets.after_window_seconds)
            steps.at(min(done + window, now - timedelta(seconds=1)),
                     lambda: ticket_measure.measure_after(deps, number[0]))  # fmt: skip
