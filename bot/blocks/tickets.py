"""Render tickets: one ticket, lists, the matrix, the registry, the new-ticket form and "Open ticket"."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.blocks.ids import ActionId, BlockId, CallbackId
from bot.blocks.limits import (
    BUTTON_TEXT,
    BUTTON_VALUE,
    clip,
    context,
    header,
    message,
    plain,
    section,
    slack_date,
)
from bot.blocks.modals import input_block, modal, select_input, text_input
from bot.blocks.text import is_web_url, link, relayed, untrusted
from bot.domain.tickets import Area, Impact, Quadrant, RegistryEntry, SourceKind, Verdict
from bot.domain.units import format_number, format_value

QUADRANT_EMOJI = {
    Quadrant.QUICK_WIN: "⚡",
    Quadrant.MAJOR_PROJECT: "🏔️",
    Quadrant.FILL_IN: "🧩",
    Quadrant.THANKLESS: "🪨",
}
STATUS_EMOJI = {"open": "🆕", "in progress": "🔧", "done": "✅", "dropped": "🗑️"}
VERDICT_MARK = {Verdict.BETTER: "✅ better", Verdict.WORSE: "🔴 worse", Verdict.UNCHANGED: "➖ unchanged"}
SOURCE_TEXT = {"alert": "alert group", "incident": "incident", "digest": "digest", "manual": "manual"}
LEVELS = (("high", "High"), ("low", "Low"), *((str(n), f"Score {n}") for n in range(5, 0, -1)))


@dataclass(frozen=True)
class TicketView:
    """What a ticket message shows; built by the service from the stored ticket."""

    number: int
    title: str
    description: str
    area: str
    team: str | None  # None when only one team is configured: nothing to tell apart
    impact: str
    effort: str
    quadrant: str
    status: str
    owner: str | None
    created_by: str
    source_kind: str
    source_link: str | None
    metric: str | None
    measured: Impact | None
    measure_error: str | None
    note: str
    created_at: datetime
    updated_at: datetime


def ticket_name(number: int) -> str:
    return f"TKT-{number}"


def quadrant_label(name: str) -> str:
    return f"{QUADRANT_EMOJI.get(Quadrant(name), '')} {name}" if name in set(Quadrant) else name


def _user(user: str | None) -> str:
    return f"<@{user}>" if user else "_unassigned_"


def impact_text(impact: Impact | None) -> str:
    """Before → after and the change, marked better or worse by the metric's direction."""
    if impact is None or (impact.before is None and impact.after is None):
        return "not measured yet (the baseline is taken when work starts)"
    before = format_value(impact.before, impact.unit) if impact.before is not None else "not measured"
    if impact.after is None:
        return f"before {before} · after: measured once the ticket is done"
    after = format_value(impact.after, impact.unit)
    running = "" if impact.after_final else " (so far)"
    found = impact.change
    if found is None:
        return f"before {before} · after {after}{running}"
    percent = (
        ""
        if found.percent is None
        else f" {'+' if found.percent >= 0 else ''}{format_number(found.percent)} %"
    )
    return f"before {before} → after {after}{running}:{percent} {VERDICT_MARK[found.verdict]}"


def _source(kind: str, source_link: str | None) -> str:
    shown = SOURCE_TEXT.get(kind, kind)
    return link(source_link, shown) if source_link and is_web_url(source_link) else untrusted(shown)


def render_ticket(view: TicketView, *, headline: str | None = None) -> dict[str, Any]:
    """One ticket: title, quadrant, status, owner, area, impact/effort, source, metric and its impact."""
    fields = [
        f"*Quadrant*\n{quadrant_label(view.quadrant)}",
        f"*Status*\n{STATUS_EMOJI.get(view.status, '')} {view.status}",
        f"*Impact / effort*\n{view.impact} / {view.effort}",
        f"*Area*\n{view.area}",
        f"*Owner*\n{_user(view.owner)}",
        f"*Source*\n{_source(view.source_kind, view.source_link)}",
    ]
    if view.team:
        fields.append(f"*Team*\n{view.team}")
    if view.metric:
        title = view.measured.metric_title if view.measured else view.metric
        fields.append(f"*Metric*\n`{clip(untrusted(title), 200)}`")
    blocks = []
    if headline:
        blocks.append(section(headline))
    blocks.append(header(f"{ticket_name(view.number)} · {view.title}"))
    text = f"*{untrusted(view.title)}*" + (f"\n{relayed(view.description)}" if view.description else "")
    blocks.append(section(text, fields=fields))
    if view.metric:
        blocks.append(section(f"*Measured impact:* {impact_text(view.measured)}"))
        if view.measure_error:
            blocks.append(context(f":warning: Last measurement failed: {untrusted(view.measure_error)}"))
    if view.note:
        blocks.append(section(f"*Note:* {relayed(view.note)}"))
    notes = [f"Created by <@{view.created_by}> {slack_date(view.created_at)}"]
    if view.updated_at != view.created_at:
        notes.append(f"updated {slack_date(view.updated_at)}")
    blocks.append(context(" · ".join(notes)))
    fallback = f"{ticket_name(view.number)} ({view.quadrant}, {view.status}): {untrusted(view.title)}"
    return message(f"{headline}\n{fallback}" if headline else fallback, blocks)


def ticket_line(view: TicketView) -> str:
    """One line per ticket, for lists and App Home."""
    owner = f" · {_user(view.owner)}" if view.owner else ""
    team = f" · team {view.team}" if view.team else ""
    return (
        f"{QUADRANT_EMOJI.get(Quadrant(view.quadrant), '')} *{ticket_name(view.number)}* "
        f"{clip(untrusted(view.title), 120)} · {view.status} · {view.area}{team}{owner}"
    )


def render_list(views: Sequence[TicketView], *, label: str) -> dict[str, Any]:
    """Tickets newest first under the filter's label."""
    if not views:
        return message(f"{label}: none", [section(f"*{label}*: none.")])
    lines = "\n".join(ticket_line(v) for v in views)
    return message(f"{label}: {len(views)}", [section(f"*{label}* ({len(views)})"), section(lines)])


def render_matrix(counts: Mapping[str, int], tops: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The 2×2 matrix of active tickets: count and top titles per quadrant."""

    def cell(quadrant: Quadrant) -> str:
        titles = "\n".join(f"• {clip(untrusted(t), 80)}" for t in tops.get(quadrant.value, ())[:3])
        return f"*{quadrant_label(quadrant.value)}* ({counts.get(quadrant.value, 0)})\n{titles or '_none_'}"

    blocks = [
        header("Impact × effort matrix"),
        context("Active tickets (open and in progress); ↑ high impact, → high effort"),
        section("*High impact*", fields=[cell(Quadrant.QUICK_WIN), cell(Quadrant.MAJOR_PROJECT)]),
        section("*Low impact*", fields=[cell(Quadrant.FILL_IN), cell(Quadrant.THANKLESS)]),
        context("Left: low effort · right: high effort. Start with the Quick Wins."),
    ]
    summary = ", ".join(f"{q.value} {counts.get(q.value, 0)}" for q in Quadrant)
    return message(f"Impact × effort matrix: {summary}", blocks)


def registry_line(entry: RegistryEntry) -> str:
    """A done ticket and its measured impact (the digests use this line too)."""
    owner = f" · {_user(entry.owner)}" if entry.owner else ""
    measured = (
        f"`{clip(untrusted(entry.impact.metric_title), 80)}` {impact_text(entry.impact)}"
        if entry.impact
        else "no metric"
    )
    return (
        f"✅ *{ticket_name(entry.number)}* {clip(untrusted(entry.title), 100)} · {entry.quadrant}{owner} · "
        f"done {slack_date(entry.done_at)}\n      {measured}"
    )


def render_registry(entries: Sequence[RegistryEntry]) -> dict[str, Any]:
    """Done tickets, newest first, with before / after / change."""
    if not entries:
        return message("Optimization registry: empty", [section("No done tickets yet.")])
    lines = [registry_line(e) for e in entries]
    chunks = ["\n".join(lines[i : i + 10]) for i in range(0, len(lines), 10)]
    return message(
        f"Optimization registry: {len(entries)} done",
        [header("Optimization registry"), *(section(chunk) for chunk in chunks)],
    )


def open_ticket_button(source_kind: SourceKind | str, source_ref: str, title: str) -> dict[str, Any]:
    """An "Open ticket" button for any message (alert, incident, digest): opens the pre-filled form."""
    value = {"k": str(source_kind), "r": source_ref[:255], "t": title[:300]}
    return {
        "type": "button",
        "action_id": ActionId.TICKET_OPEN,
        "text": plain("Open ticket", BUTTON_TEXT),
        "value": clip(json.dumps(value), BUTTON_VALUE),
    }


def ticket_prompt(text: str, *, source_kind: SourceKind | str, source_ref: str, title: str) -> dict[str, Any]:
    """A short message with an "Open ticket" button (after a postmortem, in a digest)."""
    button = open_ticket_button(source_kind, source_ref, title)
    return message(text, [section(text), {"type": "actions", "elements": [button]}])


def read_open_ticket_value(value: str) -> tuple[str, str, str]:
    """(source kind, source ref, title) from an "Open ticket" button's value."""
    try:
        found = json.loads(value)
        return str(found["k"]), str(found.get("r", "")), str(found.get("t", ""))
    except (ValueError, KeyError, TypeError):
        return SourceKind.MANUAL.value, "", ""


def ticket_modal(
    *,
    title: str = "",
    description: str = "",
    source_kind: str = SourceKind.MANUAL.value,
    source_link: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    teams: Sequence[str] = (),
    team: str | None = None,
) -> dict[str, Any]:
    """The new-ticket form: title, description, area, impact, effort, metric, and the team (`team` chosen)
    when there are several `teams`; the source as a note."""
    blocks: list[dict[str, Any]] = []
    if source_kind != SourceKind.MANUAL.value:
        blocks.append(context(f"From {_source(source_kind, source_link)}"))
    blocks += [
        input_block(BlockId.TICKET_TITLE, "Title", text_input(title, max_length=200)),
        input_block(
            BlockId.TICKET_DESCRIPTION, "Description", text_input(description, multiline=True), optional=True
        ),
        input_block(
            BlockId.TICKET_AREA, "Area", select_input([(a.value, a.value) for a in Area], Area.OTHER.value)
        ),
        input_block(BlockId.TICKET_IMPACT, "Impact", select_input(LEVELS, "high")),
        input_block(BlockId.TICKET_EFFORT, "Effort", select_input(LEVELS, "low")),
        input_block(
            BlockId.TICKET_METRIC,
            "Metric to move (KPI name or PromQL)",
            text_input("", max_length=2000),
            optional=True,
        ),
    ]
    if len(teams) > 1:
        blocks.append(input_block(BlockId.TICKET_TEAM, "Team", select_input([(t, t) for t in teams], team)))
    return modal(CallbackId.TICKET_NEW, "New ticket", "Create", blocks, metadata or {})
