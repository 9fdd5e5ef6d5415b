"""Digests as Block Kit (within Slack's limits however much history there is) and as terminal text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.blocks.digest_parts import Part, monthly_parts, title_of, weekly_parts
from bot.blocks.limits import SECTION_TEXT, context, divider, header, message, section
from bot.blocks.review_checklist import carried_blocks, item_actions, progress_block
from bot.blocks.tickets import open_ticket_button
from bot.domain.commands import unescape_slack
from bot.domain.digests import MonthlyDigest, WeeklyDigest
from bot.domain.review_ticks import ItemState
from bot.domain.tickets import SourceKind

Digest = WeeklyDigest | MonthlyDigest


def parts_of(digest: Digest) -> list[Part]:
    return weekly_parts(digest) if isinstance(digest, WeeklyDigest) else monthly_parts(digest)


BLOCK_ID_LIMIT = 255


def digest_marker(key: str, run: int) -> str:
    """The header's block_id: finds a run's message again if its ts was lost in a crash."""
    return f"digest-{run}-{key}"[:BLOCK_ID_LIMIT]


def run_key_of(blocks: list[dict[str, Any]]) -> str | None:
    """The run key in a digest message's header block_id (see digest_marker); None for another message."""
    header_id = next((str(b.get("block_id", "")) for b in blocks if b.get("type") == "header"), "")
    found = re.fullmatch(r"digest-\d+-(.+)", header_id)
    return found.group(1) if found else None


def render_digest(
    digest: Digest,
    *,
    marker: str | None = None,
    run_key: str | None = None,
    carried: Sequence[ItemState] = (),
) -> dict[str, Any]:
    """The digest as one Slack message: a header, one section per part, buttons on the top issues.

    With `run_key` (a claimed run) it is a checklist: a progress line, a row of controls under each item
    and the items carried over, all unticked (bot.blocks.review_checklist.apply_states adds the states).
    Dividers then only open the checklist and the carried items, so the worst case stays within 50 blocks.
    """
    title = title_of(digest)
    blocks: list[dict[str, Any]] = [
        header(title, block_id=marker),
        context(f"Team *{digest.team}* · {digest.period.zone}"),
    ]
    if run_key is not None:
        blocks.append(progress_block(()))
    in_checklist = False
    for part in parts_of(digest):
        if run_key is None or (part.item is not None and not in_checklist):
            blocks.append(divider())
        in_checklist = in_checklist or part.item is not None
        if part.issues:
            blocks += _issue_sections(part)
        else:
            blocks.append(section(_clip_lines(f"*{part.title}*", part.lines)))
        if run_key is not None and part.item is not None:
            blocks.append(item_actions(run_key, part.item))
    if run_key is not None and carried:
        blocks += [divider(), *carried_blocks(carried)]
    return message(title, blocks)


def _issue_sections(part: Part) -> list[dict[str, Any]]:
    """One section per top issue, each with its own "Open ticket" button."""
    found = [section(f"*{part.title}*")]
    for line, issue in zip(part.lines, part.issues, strict=False):
        block = section(line)
        block["accessory"] = open_ticket_button(SourceKind.DIGEST, issue.ref, issue.title)
        found.append(block)
    return found


def _clip_lines(title: str, lines: tuple[str, ...]) -> str:
    """Join lines under the title, dropping whole lines (and saying so) past the section limit."""
    text = title
    for index, line in enumerate(lines):
        candidate = f"{text}\n{line}"
        if len(candidate) > SECTION_TEXT - 40:
            return f"{text}\n… {len(lines) - index} more lines"
        text = candidate
    return text


def render_text(digest: Digest, *, carried: Sequence[ItemState] = ()) -> str:
    """The digest as readable terminal text (for `opsbot digest --dry-run`), with the items an earlier
    review left open that it would carry over."""
    title = title_of(digest)
    out = [title, "=" * len(title), f"team {digest.team} · time zone {digest.period.zone}"]
    group = None
    for part in parts_of(digest):
        if part.item is not None and part.item.group != group:
            group = part.item.group
            out += ["", f"## {group}"]
        heading = part.title if part.item is None else f"[ ] {part.title}"
        out += ["", heading, "-" * len(heading)]
        out += [_plain(line) for line in part.lines]
    if carried:
        out += ["", "## Carried over (left open by an earlier review)", ""]
        out += [
            f"[ ] {item.title} (open since {item.carried_since})"
            + (f" — {item.summary}" if item.summary else "")
            for item in carried
        ]
    return "\n".join(out) + "\n"


def _plain(line: str) -> str:
    """Drop Slack mrkdwn markers (and its escaping of &, < and >) for the terminal; a `code` span keeps its
    text as it is (a PromQL example's `*` and `_` are not markers), even inside an italic line."""
    spans = re.findall(r"`([^`]*)`", line)
    masked = re.sub(r"`[^`]*`", "\x00", line)
    plain = re.sub(r"(?<!\w)[*_](.+?)[*_](?!\w)", r"\1", masked)
    plain = re.sub(r"<!date\^[^|>]*\|([^>]*)>", r"\1", plain)  # a date Slack localises: its fallback
    for span in spans:
        plain = plain.replace("\x00", span, 1)
    return unescape_slack(plain)
