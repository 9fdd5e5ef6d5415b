"""Render incidents: the pinned header, announcements, checklist, status, list, and the modals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks.ids import ActionId, BlockId, CallbackId
from bot.blocks.limits import BUTTON_TEXT, clip, context, header, message, plain, section, slack_date
from bot.blocks.modals import VALUE, input_block, modal, select_input, text_input
from bot.blocks.text import link, relayed, untrusted
from bot.blocks.tickets import open_ticket_button, ticket_prompt
from bot.domain.durations import humanize_duration
from bot.domain.incident_report import IncidentFacts, action_item_ref
from bot.domain.tickets import SourceKind

EMOJI = {1: ":red_circle:", 2: ":large_orange_circle:", 3: ":large_yellow_circle:", 4: ":white_circle:"}
PLAIN_EMOJI = {1: "🔴", 2: "🟠", 3: "🟡", 4: "⚪"}
STATUS_TEXT = {"open": "Open", "acknowledged": "Acknowledged", "resolved": "Resolved"}


@dataclass(frozen=True)
class LevelChoice:
    level: int
    name: str
    description: str


def _user(user: str | None) -> str:
    return f"<@{user}>" if user else "_unassigned_"


def _title_line(facts: IncidentFacts) -> str:
    mark = "✅" if facts.status == "resolved" else PLAIN_EMOJI.get(facts.level, "")
    return f"{mark} INC-{facts.number} · {facts.label} {facts.level_name} · {facts.title}"


def _target(
    name: str, due: datetime | None, done: datetime | None, verdict: bool | None, now: datetime
) -> str:
    if due is None:
        return f"*{name}*\nno target"
    if done is not None:
        return f"*{name}*\n{'met' if verdict else 'missed'} ({slack_date(due)})"
    if now > due:
        return f"*{name}*\n:warning: overdue since {slack_date(due)}"
    return f"*{name}*\nby {slack_date(due)}"


def render_header(facts: IncidentFacts, *, now: datetime, buttons: bool = True) -> dict[str, Any]:
    """The incident's pinned header: severity, status, roles, elapsed time, targets, and its buttons."""
    status = STATUS_TEXT.get(facts.status, facts.status)
    elapsed = humanize_duration((facts.resolved_at or now) - facts.declared_at)
    fields = [
        f"*Severity*\n{EMOJI.get(facts.level, '')} {facts.label} — {facts.level_name}",
        f"*Status*\n{status}",
        f"*Commander*\n{_user(facts.commander)}",
        f"*Elapsed*\n{elapsed}",
        _target("Respond", facts.respond_due, facts.acked_at, facts.respond_met, now),
        _target("Resolve", facts.resolve_due, facts.resolved_at, facts.resolve_met, now),
    ]
    if facts.service:
        fields.append(f"*Service*\n{clip(untrusted(facts.service), 200)}")
    if facts.comms or facts.scribe:
        fields.append(f"*Comms / Scribe*\n{_user(facts.comms)} / {_user(facts.scribe)}")
    if facts.team:
        fields.append(f"*Team*\n{facts.team}")
    text = f"*{untrusted(facts.title)}*" + (f"\n{relayed(facts.description)}" if facts.description else "")
    blocks = [header(_title_line(facts)), section(text, fields=fields)]
    notes = [f"Declared by <@{facts.declared_by}> {slack_date(facts.declared_at)}"]
    if facts.acked_at:
        took = humanize_duration(facts.acked_at - facts.declared_at)
        notes.append(f"Acknowledged by {_user(facts.acked_by)} after {took}")
    if facts.resolved_at:
        notes.append(f"Resolved after {humanize_duration(facts.resolved_at - facts.declared_at)}")
    blocks.append(context(*notes))
    if facts.summary:
        blocks.append(section(f"*Resolution:* {relayed(facts.summary)}"))
    if facts.alert_link:
        blocks.append(context(f"From {link(facts.alert_link, 'this alert')}"))
    if facts.channel_id and not buttons:
        blocks.append(context(f"Working channel: <#{facts.channel_id}>"))
    actions = _actions(facts) if buttons else []
    if actions:
        blocks.append({"type": "actions", "block_id": BlockId.INCIDENT_ACTIONS, "elements": actions})
    return message(f"INC-{facts.number} {facts.label} {status}: {untrusted(facts.title)}", blocks)


def _actions(facts: IncidentFacts) -> list[dict[str, Any]]:
    if facts.status == "resolved":
        return []
    value = str(facts.number)
    found = []
    if facts.acked_at is None:
        found.append(_button("Acknowledge", ActionId.INCIDENT_ACK, value, style="primary"))
    found.append(_button("Post update", ActionId.INCIDENT_UPDATE, value))
    found.append(_button("Resolve", ActionId.INCIDENT_RESOLVE, value, style="danger"))
    return found


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button = {"type": "button", "action_id": action_id, "text": plain(text, BUTTON_TEXT), "value": value}
    if style:
        button["style"] = style
    return button


def render_announcement(facts: IncidentFacts, *, now: datetime) -> dict[str, Any]:
    """The message in #incidents (and other announcement channels) pointing at the working channel."""
    return render_header(facts, now=now, buttons=False)


def render_checklist(level_label: str, items: Sequence[str]) -> dict[str, Any]:
    """The level's checklist, posted and pinned in the incident channel."""
    lines = "\n".join(f"☐ {untrusted(item)}" for item in items)
    return message(
        f"{level_label} checklist", [section(f"*{level_label} checklist*"), section(lines or "nothing to do")]
    )


def render_status(facts: IncidentFacts, *, now: datetime) -> dict[str, Any]:
    """An incident's state for the person who asked."""
    return render_header(facts, now=now, buttons=False)


def render_list(
    items: Sequence[IncidentFacts], *, scope: str, now: datetime, team: str | None = None
) -> dict[str, Any]:
    """One line per incident, newest first (each with its team when the facts name one); `team`: the
    team the list is for."""
    of_team = f" of {team}" if team else ""
    if not items:
        text = f"No {'open ' if scope == 'open' else ''}incidents{of_team}."
        return message("No incidents", [section(text)])
    lines = []
    for facts in items:
        where = f" · <#{facts.channel_id}>" if facts.channel_id else ""
        where += f" · {facts.team}" if facts.team and not team else ""
        age = humanize_duration((facts.resolved_at or now) - facts.declared_at)
        status = STATUS_TEXT.get(facts.status, facts.status)
        lines.append(
            f"{EMOJI.get(facts.level, '')} *INC-{facts.number}* {facts.label} · {status} · "
            f"{clip(untrusted(facts.title), 120)} · {age}{where}"
        )
    title = ("Open incidents" if scope == "open" else "Incidents") + of_team
    return message(f"{title}: {len(items)}", [section(f"*{title}*"), section("\n".join(lines))])


def declare_modal(
    levels: Sequence[LevelChoice],
    *,
    title: str = "",
    level: int | None = None,
    service: str = "",
    description: str = "",
    teams: Sequence[tuple[str, str]] = (),
    team: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The declaration form: title, severity (each level described), the owning team (a choice of `teams`,
    (handle, name) pairs, shown only when there are several), affected service, description."""
    options = [
        {
            "text": plain(f"SEV{c.level} · {c.name}", 75),
            "value": str(c.level),
            "description": plain(c.description, 75),
        }
        for c in levels
    ]
    severity: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": options}
    chosen = [o for o in options if o["value"] == str(level)]
    if chosen:
        severity["initial_option"] = chosen[0]
    blocks = [
        input_block(BlockId.INCIDENT_TITLE, "Title", text_input(title, max_length=200)),
        input_block(BlockId.INCIDENT_SEVERITY, "Severity", severity),
        *([input_block(BlockId.INCIDENT_TEAM, "Team", select_input(teams, team))] if len(teams) > 1 else []),
        input_block(BlockId.INCIDENT_SERVICE, "Affected service", text_input(service), optional=True),
        input_block(
            BlockId.INCIDENT_DESCRIPTION,
            "What is happening?",
            text_input(description, multiline=True),
            optional=True,
        ),
    ]
    return modal(CallbackId.INCIDENT_DECLARE, "Declare an incident", "Declare", blocks, metadata or {})


def text_modal(number: int, *, resolve: bool) -> dict[str, Any]:
    """A one-field modal: the status update, or the resolution summary."""
    label = "Resolution summary" if resolve else "Status update"
    callback = CallbackId.INCIDENT_RESOLVE if resolve else CallbackId.INCIDENT_UPDATE
    blocks = [input_block(BlockId.INCIDENT_TEXT, label, text_input("", multiline=True))]
    title = f"Resolve INC-{number}" if resolve else f"Update INC-{number}"
    return modal(callback, title, "Resolve" if resolve else "Post", blocks, {"incident": number})


def modal_values(view: dict[str, Any]) -> dict[str, str]:
    """Plain values of a submitted modal, keyed by block id."""
    found: dict[str, str] = {}
    for block_id, entries in (view.get("state") or {}).get("values", {}).items():
        for entry in entries.values():
            selected = entry.get("selected_option") or {}
            found[block_id] = str(entry.get("value") or selected.get("value") or "").strip()
    return found


ACTION_ITEMS_SHOWN = 40  # a message holds at most 50 blocks


def action_items_prompt(facts: IncidentFacts) -> dict[str, Any]:
    """After the postmortem draft: each action item with its own "Open ticket" button, or its ticket."""
    number = facts.number
    if not facts.action_items:
        prompt = ticket_prompt(
            f"Turn an action item of INC-{number} into a ticket:",
            source_kind=SourceKind.INCIDENT,
            source_ref=str(number),
            title=f"Follow-up of INC-{number}: {facts.title}",
        )
        hint = "Record action items with `/incident action <text>`: each then gets its own button here."
        return {**prompt, "blocks": [*prompt["blocks"], context(hint)]}
    text = f"Action items of INC-{number}: open a ticket for each"
    blocks: list[dict[str, Any]] = [section(f"*{text}*")]
    for item in facts.action_items[:ACTION_ITEMS_SHOWN]:
        block = section(f"• {relayed(item.title)}" + (f" — {item.ticket}" if item.ticket else ""))
        if item.ticket is None and item.item_id is not None:
            ref = action_item_ref(number, item.item_id)
            block["accessory"] = open_ticket_button(SourceKind.INCIDENT, ref, item.title)
        blocks.append(block)
    hidden = len(facts.action_items) - ACTION_ITEMS_SHOWN
    if hidden > 0:
        blocks.append(context(f"{hidden} more in the postmortem draft."))
    return message(text, blocks)
