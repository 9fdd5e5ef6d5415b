"""Render a command's usage (its help) as an ephemeral message."""

from __future__ import annotations

from typing import Any

from bot.blocks.limits import context, header, message, section
from bot.domain.commands import CommandUsage


def render_usage(usage: CommandUsage, *, problem: str | None = None) -> dict[str, Any]:
    """Return the help message; `problem` (e.g. an unknown subcommand) is said first."""
    lines = [
        f"`{usage.command} {sub.syntax}`".replace(" `", "`") + f" — {sub.summary}"
        for sub in usage.subcommands
    ]
    blocks: list[dict[str, Any]] = []
    if problem:
        blocks.append(section(f":warning: {problem}"))
    blocks.append(header(f"{usage.command} — help"))
    blocks.append(section(usage.summary))
    blocks.append(section("\n".join(lines)))
    if usage.examples:
        blocks.append(context("Examples: " + "  ·  ".join(f"`{e}`" for e in usage.examples)))
    fallback = (f"{problem}\n" if problem else "") + f"{usage.command} help: " + usage.summary
    return message(fallback, blocks)
