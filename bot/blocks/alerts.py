"""Render an alert group as one Slack message, and its changes as short thread replies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks.actors import acted_by, acted_where, user
from bot.blocks.ids import ActionId, BlockId
from bot.blocks.limits import BUTTON_TEXT, clip, context, header, message, plain, section, slack_date
from bot.blocks.text import link, mention, untrusted
from bot.blocks.tickets import open_ticket_button
from bot.domain.durations import humanize_duration
from bot.domain.tickets import SourceKind

EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
SHOWN_LABELS = (
    "service",
    "job",
    "instance",
    "team",
    "env",
    "environment",
    "cluster",
    "namespace",
    "mountpoint",
)
LINKS = (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))


@dataclass(frozen=True)
class AlertLine:
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    status: str
    starts_at: datetime
    generator_url: str | None


@dataclass(frozen=True)
class GroupView:
    """Everything the message shows; built by the service from the stored group."""

    group_id: int
    alertname: str
    severity: str
    severity_label: str | None
    status: str
    firing_count: int
    alert_count: int
    first_fired_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    acked_by: str | None
    acked_at: datetime | None
    snoozed_until: datetime | None
    silence_url: str | None
    noise_by: str | None
    flapping: bool
    alerts: Sequence[AlertLine]
    snooze_choices: Sequence[str]
    now: datetime
    episode_number: int = 1  # which firing of the group this is
    previous_url: str | None = None  # the last firing's message, when this one is new
    incident_id: int | None = None  # declared from this alert


def group_marker(group_id: int) -> str:
    """The header's block_id: finds the group's message again if its ts was lost in a crash."""
    return f"alert-group-{group_id}"


def reply_marker(group_id: int, *, last_event: int, firing: int) -> str:
    """A thread reply's block_id: names what it told, so a retried sync finds it instead of repeating it."""
    return f"alert-group-{group_id}-reply-{last_event}-{firing}"


def render_group(view: GroupView) -> dict[str, Any]:
    """The group's message: header, summary, labels, state, links and the buttons that still make sense."""
    first = view.alerts[0] if view.alerts else None
    resolved = view.status == "resolved"
    emoji = ":white_check_mark:" if resolved else EMOJI.get(view.severity, ":large_orange_circle:")
    state = "RESOLVED" if resolved else view.severity.upper()
    blocks = [
        header(f"{_plain_emoji(emoji)} {state} · {view.alertname}", block_id=group_marker(view.group_id))
    ]
    summary = first.annotations.get("summary") if first else None
    description = first.annotations.get("description") if first else None
    text = "\n".join(
        f for f in (summary and f"*{untrusted(summary)}*", description and untrusted(description)) if f
    )
    blocks.append(section(text or f"*{untrusted(view.alertname)}*", fields=_fields(view, first)))
    blocks.append(context(*_state_lines(view)))
    links = _links(view, first)
    if links:
        blocks.append(context(links))
    if view.severity_label is not None and view.severity_label.strip().lower() != view.severity:
        label = untrusted(view.severity_label)
        note = f"Severity label `{label}` is not critical, warning or info: treated as warning."
        blocks.append(context(note))
    elif view.severity_label is None:
        blocks.append(context("No `severity` label: treated as warning."))
    actions = _actions(view)
    if actions:
        blocks.append({"type": "actions", "block_id": BlockId.ALERT_ACTIONS, "elements": actions})
    # The fallback text notifies too: escaped, so an alert cannot @-mention a whole channel.
    fallback = f"{state}: {untrusted(view.alertname)}" + (f" — {untrusted(summary)}" if summary else "")
    return message(fallback, blocks)


def _plain_emoji(code: str) -> str:
    return {
        ":red_circle:": "🔴",
        ":large_orange_circle:": "🟠",
        ":large_blue_circle:": "🔵",
        ":white_check_mark:": "✅",
    }.get(code, "")


def _fields(view: GroupView, first: AlertLine | None) -> list[str]:
    fields = [f"*Severity*\n{view.severity}"]
    if view.alert_count > 1 or view.firing_count > 1:
        fields.append(f"*Firing alerts*\n{view.firing_count} of {view.alert_count}")
    if first:
        for name in SHOWN_LABELS:
            if first.labels.get(name):
                fields.append(f"*{name}*\n{clip(untrusted(first.labels[name]), 200)}")
    return fields[:10]


def _state_lines(view: GroupView) -> list[str]:
    since = slack_date(view.first_fired_at)
    lines = [f"Firing since {since} ({humanize_duration(view.now - view.first_fired_at)})"]
    if view.status == "resolved" and view.resolved_at:
        by = acted_by(view.resolved_by, slack="by hand ") if view.resolved_by != "source" else "by its source"
        lines = [f"Resolved {by} after {humanize_duration(view.resolved_at - view.first_fired_at)}"]
    if view.acked_by and view.acked_at:
        lines.append(
            f"Acknowledged {acted_by(view.acked_by)} after "
            f"{humanize_duration(view.acked_at - view.first_fired_at)}"
        )
    if view.snoozed_until and view.snoozed_until > view.now:
        silence = f" · {link(view.silence_url, 'silence')}" if view.silence_url else ""
        lines.append(f":zzz: Snoozed for {humanize_duration(view.snoozed_until - view.now)}{silence}")
    if view.flapping:
        lines.append(":repeat: Flapping: firing and resolving repeatedly; updates stay in this message")
    if view.noise_by:
        lines.append(f"Marked as noise by {user(view.noise_by)}")
    if view.incident_id is not None:
        lines.append(f":rotating_light: Incident INC-{view.incident_id} declared from this alert")
    if view.previous_url:
        lines.append(f"Fired before: {link(view.previous_url, 'the last time')}")
    return lines


def _links(view: GroupView, first: AlertLine | None) -> str:
    if first is None:
        return ""
    found = [link(first.annotations[key], name) for key, name in LINKS if first.annotations.get(key)]
    if first.generator_url:
        found.append(link(first.generator_url, "Source"))
    return " · ".join(found)


def _actions(view: GroupView) -> list[dict[str, Any]]:
    value = str(view.group_id)
    more = {
        "type": "overflow",
        "action_id": ActionId.ALERT_MORE,
        "options": [
            _option("Mark as noise", f"noise:{value}"),
            _option("Show alert details", f"details:{value}"),
        ],
    }
    ticket = open_ticket_button(SourceKind.ALERT, value, _ticket_title(view))
    if view.status == "resolved":
        return [ticket, more]
    elements: list[dict[str, Any]] = []
    if not view.acked_by:
        elements.append(_button("Acknowledge", ActionId.ALERT_ACK, value, style="primary"))
    elements.append(_button("Resolve", ActionId.ALERT_RESOLVE, value, style="danger"))
    elements.append(
        {
            "type": "static_select",
            "action_id": ActionId.ALERT_SNOOZE,
            "placeholder": plain("Snooze…", 75),
            "options": [
                _option(f"Snooze {choice}", f"{choice}:{value}") for choice in view.snooze_choices[:100]
            ],
        }
    )
    if view.severity == "critical" and view.incident_id is None:
        elements.append(_button("Declare incident", ActionId.ALERT_DECLARE_INCIDENT, value))
    elements.append(ticket)
    elements.append(more)
    return elements


def _ticket_title(view: GroupView) -> str:
    summary = view.alerts[0].annotations.get("summary") if view.alerts else None
    return f"{view.alertname}: {summary}" if summary else view.alertname


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button = {"type": "button", "action_id": action_id, "text": plain(text, BUTTON_TEXT), "value": value}
    if style:
        button["style"] = style
    return button


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def thread_reply(kinds: Sequence[tuple[str, Mapping[str, Any]]], *, joined: int, firing: int) -> str | None:
    """One quiet thread line for everything that changed since the last sync (no @-mentions but the one
    telling someone their by-hand resolve was undone)."""
    parts = (
        [f"+{joined} new alert{'s' if joined != 1 else ''} joined ({firing} firing)"] if joined > 0 else []
    )
    for kind, detail in kinds:
        said = _THREAD_TEXT.get(kind)
        if said:
            shown = {key: untrusted(v) if isinstance(v, str) else v for key, v in detail.items()}
            defaults = {"who": "someone", "after": "", "nth": ""}
            where = {**acted_where(detail), **_incident(detail), **_mention(detail)}
            parts.append(said.format(**{**defaults, **shown, **where}))
    return " · ".join(parts) or None


def _mention(detail: Mapping[str, Any]) -> dict[str, str]:
    """The person whose by-hand resolve was undone is told (opsbot's own mention of a stored user ID)."""
    return {"who": mention(str(detail["user_id"]))} if detail.get("user_id") else {}


def _incident(detail: Mapping[str, Any]) -> dict[str, str]:
    """An acknowledgement by declaring an incident names it."""
    return {"incident": f" by declaring {detail['incident']}" if detail.get("incident") else ""}


_THREAD_TEXT = {
    "resolved": ":white_check_mark: Resolved{after}",
    "resolved_by_hand": ":white_check_mark: Resolved {how} by {who}{after}",
    "refired": ":red_circle: Fired again ({nth} time today)",
    "reopened": ":red_circle: Reopened: resolved by hand by {who}, but its source still reports it firing",
    "stable": ":white_check_mark: Stable for {minutes} min: no longer flapping",
    "acked": ":eyes: Acknowledged{where} by {who}{after}{incident}",
    "snoozed": ":zzz: Snoozed for {duration} by {who}",
    "snooze_ended": ":alarm_clock: Snooze ended and it is still firing",
    "noise": ":mute: Marked as noise by {who}",
    "flapping": ":repeat: Flapping ({changes} changes within the hour): further updates stay in the message",
}


def escalation_page(mentions: str, alertname: str, *, minutes: int) -> str:
    """The thread reply that pages an escalation step's people (opsbot's own mentions, the alert's name
    escaped)."""
    name = clip(untrusted(alertname), 200)
    return f":rotating_light: {mentions} — *{name}* is critical and unacknowledged for {minutes} min."


def escalation_dm(alertname: str, permalink: str) -> str:
    """The DM that links an escalation step's people to the alert's thread."""
    return f":rotating_light: Critical alert *{clip(untrusted(alertname), 200)}* needs you: {link(permalink)}"


def broken_route_page(alertname: str, *, channel: str, reason: str, firing: int) -> str:
    """The DM that pages the on-call when a critical alert's channel cannot take its message."""
    return (
        f":rotating_light: Critical alert *{clip(untrusted(alertname), 200)}* ({firing} firing) could not be "
        f"posted to #{channel}: Slack said `{reason}`. It pages you here instead; please fix the route "
        "(invite opsbot, unarchive the channel, or change `alerts.routes`)."
    )


def render_details(alertname: str, alerts: Sequence[AlertLine], *, total: int) -> dict[str, Any]:
    """The alerts of a group, one line each with their labels (shown only to the person who asked)."""
    lines = []
    for alert in alerts:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname")
        lines.append(f"• `{alert.status}` {clip(untrusted(labels), 300)}")
    more = [context(f"and {total - len(alerts)} more")] if total > len(alerts) else []
    name = untrusted(alertname)
    return message(
        f"{name}: {total} alerts",
        [
            section(f"*{name}* — {total} alerts"),
            section("\n".join(lines) or "no alerts"),
            *more,
        ],
    )
