"""Slash-command text parsing and the usage each command documents."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

HELP_WORDS = frozenset({"help", "-h", "--help", "?"})
# The three entities Slack writes for &, < and > in command text (and nothing else).
SLACK_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_ENTITY_CHARS = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}


def unescape_slack(text: str) -> str:
    """Undo Slack's escaping of &, < and > in command text; no other entity becomes a character."""
    return SLACK_ENTITY.sub(lambda match: _ENTITY_CHARS[match.group(0)], text)


@dataclass(frozen=True)
class Subcommand:
    syntax: str
    summary: str


@dataclass(frozen=True)
class CommandUsage:
    """What a slash command does and how to call it; rendered as the `help` reply."""

    command: str
    summary: str
    subcommands: tuple[Subcommand, ...]
    examples: tuple[str, ...] = ()

    def knows(self, word: str) -> bool:
        """Tell whether `word` is one of this command's subcommands."""
        return any(sub.syntax.split()[0] == word for sub in self.subcommands if sub.syntax)


@dataclass(frozen=True)
class ParsedCommand:
    """A slash command's text split into its subcommand and the words after it."""

    subcommand: str
    args: tuple[str, ...]
    rest: str

    @property
    def wants_help(self) -> bool:
        return self.subcommand in HELP_WORDS


def parse_command_text(text: str) -> ParsedCommand:
    """Split command text: first word (lower-cased) is the subcommand; quotes group words like a shell."""
    stripped = (text or "").strip()
    if not stripped:
        return ParsedCommand(subcommand="", args=(), rest="")
    head, _, rest = stripped.partition(" ")
    try:
        args = tuple(shlex.split(rest))
    except ValueError:
        args = tuple(rest.split())
    return ParsedCommand(subcommand=head.lower(), args=args, rest=rest.strip())
