"""Render the App Home tab: open incidents, unacknowledged alerts, who is on call, tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks.ids import ActionId
from bot.blocks.limits import clip, context, divider, header, plain, section, slack_date
from bot.blocks.text import untrusted
from bot.blocks.tickets import TicketView, open_ticket_button, ticket_line
from bot.domain.incident_report import IncidentFacts
from bot.domain.tickets import SourceKind

HOME_BLOCKS = 100  # Slack's limit for a home tab


@dataclass(frozen=True)
class AlertSummary:
    alertname: str
    severity: str
    first_fired_at: datetime
    channel_id: str | None


@dataclass(frozen=True)
class OnCallSpot:
    """A shift of the viewing user: a team's layer, from when until when."""

    team: str
    layer: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class HomeView:
    """Everything the viewing user's App Home shows."""

    user_id: str
    incidents: Sequence[IncidentFacts]
    alerts: Sequence[AlertSummary]
    on_call_team: str | None  # whose on-call the top line names (None: the only team)
    on_call: str
    next_on_call: str
    next_starts_at: datetime
    my_on_call: Sequence[OnCallSpot]  # the teams (and layers) the user is on call for now
    my_next_shift: OnCallSpot | None  # when they are on call for none: their next shift, if any
    my_tickets: Sequence[TicketView]
    quick_wins: Sequence[TicketView]
    now: datetime


def render_home(view: HomeView) -> dict[str, Any]:
    """The home tab view (type `home`)."""
    blocks: list[dict[str, Any]] = [
        header("opsbot"),
        section(
            f"On call now{_team_note(view)}: <@{view.on_call}> · next: <@{view.next_on_call}> "
            f"from {slack_date(view.next_starts_at)}"
        ),
        section(_my_shifts(view)),
        divider(),
        section(f"*Open incidents* ({len(view.incidents)})"),
        section(_lines([_incident(i) for i in view.incidents[:10]], "No open incidents. 🎉")),
        section(f"*Unacknowledged alerts* ({len(view.alerts)})"),
        section(_lines([_alert(a) for a in view.alerts[:10]], "Nothing waiting for an acknowledgement.")),
        divider(),
        section(f"*Your tickets* ({len(view.my_tickets)})"),
        section(_lines([ticket_line(t) for t in view.my_tickets], "No tickets of yours are open.")),
        section(f"*Quick Wins not yet started* ({len(view.quick_wins)})"),
        section(_lines([ticket_line(t) for t in view.quick_wins], "No Quick Wins waiting.")),
        {"type": "actions", "elements": [_refresh(), open_ticket_button(SourceKind.MANUAL, "", "")]},
        context(f"Updated {slack_date(view.now)} · `/ticket help`, `/incident help`, `/metrics`"),
    ]
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS]}


def _team_note(view: HomeView) -> str:
    return f" ({view.on_call_team})" if view.on_call_team else ""


def _my_shifts(view: HomeView) -> str:
    if view.my_on_call:
        spots = [f"• {s.team} ({s.layer}) until {slack_date(s.ends_at)}" for s in view.my_on_call]
        return "*You are on call for*\n" + "\n".join(spots)
    if view.my_next_shift is not None:
        spot = view.my_next_shift
        starts = slack_date(spot.starts_at)
        return f"_You are not on call. Your next shift: {spot.team} ({spot.layer}) from {starts}._"
    return "_You are not on call and have no shift coming up._"


def _refresh() -> dict[str, Any]:
    return {"type": "button", "action_id": ActionId.HOME_REFRESH, "text": plain("Refresh", 75)}


def _lines(lines: Sequence[str], empty: str) -> str:
    return "\n".join(lines) if lines else f"_{empty}_"


def _incident(facts: IncidentFacts) -> str:
    where = f" · <#{facts.channel_id}>" if facts.channel_id else ""
    return (
        f"• *INC-{facts.number}* {facts.label} · {facts.status} · {clip(untrusted(facts.title), 100)}{where}"
    )


def _alert(alert: AlertSummary) -> str:
    where = f" · <#{alert.channel_id}>" if alert.channel_id else ""
    return (
        f"• *{clip(untrusted(alert.alertname), 100)}* ({alert.severity}) firing since "
        f"{slack_date(alert.first_fired_at)}{where}"
    )
