"""Paging beyond Slack: which destinations a group pages when it opens, and who acted from outside Slack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum


class Destination(StrEnum):
    """A place a group pages besides its Slack channel (paging.destinations)."""

    PAGERDUTY = "pagerduty"
    SMS = "sms"

    @property
    def display_name(self) -> str:
        """The name people know it by, for messages."""
        return {Destination.PAGERDUTY: "PagerDuty", Destination.SMS: "SMS"}[self]


def destinations_for(
    severity: str, table: Mapping[str, Sequence[str]], *, configured: frozenset[Destination]
) -> list[Destination]:
    """The destinations a group of `severity` pages when it opens: those its severity lists, in order, once
    each, skipping any whose credentials are not set (`configured` holds the ones that are)."""
    chosen: list[Destination] = []
    for name in table.get(severity, ()):
        destination = Destination(name)
        if destination in configured and destination not in chosen:
            chosen.append(destination)
    return chosen


# Who acted on a group is a Slack user ID, or a person in a paging destination: "pagerduty:<their name>".
# Slack IDs never hold a colon, so the two cannot be mistaken for each other.
ACTOR_SEPARATOR = ":"
ACTOR_LIMIT = 64  # the width of the columns that keep who acknowledged or resolved


def outside_actor(destination: Destination, name: str) -> str:
    """How a person who acted in `destination` is stored (their name there, clipped to the column)."""
    prefix = f"{destination.value}{ACTOR_SEPARATOR}"
    return prefix + (name.strip() or destination.display_name)[: ACTOR_LIMIT - len(prefix)]


def read_outside_actor(actor: str | None) -> tuple[Destination, str] | None:
    """(destination, name) when `actor` acted outside Slack, None for a Slack user (or nobody)."""
    if not actor or ACTOR_SEPARATOR not in actor:
        return None
    prefix, _, name = actor.partition(ACTOR_SEPARATOR)
    try:
        return Destination(prefix), name
    except ValueError:
        return None
