"""The incident policy from the configuration, and incidents as plain facts for renderers and reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from bot.config import Settings, SevLevelConfig
from bot.domain.incident_report import ActionItem, IncidentFacts, TimelineEntry
from bot.domain.incidents import SevPolicy, Space, Sprints
from bot.errors import ConfigError
from storage.incidents import Incident, IncidentEvent

# Outbox job kinds; each has a one-line runner in bot/services/job_runners.py.
ACTION_ITEM = "action_item"  # the timeline event that records a postmortem action item


def policies(settings: Settings) -> dict[int, SevPolicy]:
    """SEV1–SEV4 as domain values."""
    levels = settings.file.incidents.levels
    if levels is None:
        raise ConfigError("incidents.levels is missing (the packaged defaults define it)")
    configs = {1: levels.sev1, 2: levels.sev2, 3: levels.sev3, 4: levels.sev4}
    return {level: _policy(level, config) for level, config in configs.items()}


def policy(settings: Settings, level: int) -> SevPolicy:
    return policies(settings)[level]


def _policy(level: int, config: SevLevelConfig) -> SevPolicy:
    return SevPolicy(
        level=level,
        name=config.name,
        description=config.description,
        respond=timedelta(minutes=config.respond_minutes),
        respond_business_days=config.respond_business_days,
        resolve=timedelta(minutes=config.resolve_minutes) if config.resolve_minutes else None,
        resolve_next_sprint=config.resolve_next_sprint,
        space=Space(config.space),
        invite_oncall=config.invite.oncall,
        invite_usergroups=config.invite.usergroups,
        invite_users=config.invite.users,
        announce=config.announce,
        reminder=timedelta(minutes=config.reminder_minutes) if config.reminder_minutes else None,
        checklist=config.checklist,
    )


def sprints(settings: Settings) -> Sprints:
    config = settings.file.incidents
    return Sprints(config.sprint_start, config.sprint_days)


def pacing_key(incident_id: int) -> str:
    """The outbox `channel` of an incident's jobs: they run in order, paced like one Slack channel."""
    return f"incident-{incident_id}"


def to_facts(
    settings: Settings,
    incident: Incident,
    events: list[IncidentEvent] | None = None,
    *,
    tickets: Mapping[int, int] | None = None,
) -> IncidentFacts:
    """The incident as plain facts (its team named only when there are several); with `events`, its
    severity history, timeline and action items too (`tickets`: the ticket opened from each action item,
    by item id)."""
    assert incident.id is not None
    events = events or []
    tickets = tickets or {}
    items = tuple(
        ActionItem(
            str(e.detail.get("item", e.text)),
            ticket=f"TKT-{tickets[e.id]}" if e.id is not None and e.id in tickets else None,
            item_id=e.id,
        )
        for e in events
        if e.kind == ACTION_ITEM
    )
    history = tuple(
        (e.at, int(e.detail.get("level", incident.level)), str(e.detail.get("reason", "")))
        for e in events
        if e.kind in ("declared", "severity")
    )
    return IncidentFacts(
        number=incident.id,
        title=incident.title,
        level=incident.level,
        level_name=policy(settings, incident.level).name,
        status=incident.status,
        declared_at=incident.declared_at,
        declared_by=incident.declared_by,
        respond_due=incident.respond_due_at,
        resolve_due=incident.resolve_due_at,
        service=incident.service,
        description=incident.description,
        summary=incident.summary,
        acked_at=incident.acked_at,
        acked_by=incident.acked_by,
        resolved_at=incident.resolved_at,
        commander=incident.commander,
        comms=incident.comms,
        scribe=incident.scribe,
        channel_id=incident.channel_id,
        alert_link=incident.alert_link,
        team=settings.team_of(incident.team).handle if len(settings.teams) > 1 else None,
        severity_history=history,
        timeline=tuple(TimelineEntry(e.at, e.kind, e.text, e.actor) for e in events),
        action_items=items,
    )
