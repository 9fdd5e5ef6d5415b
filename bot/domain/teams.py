"""Which team owns an alert: the first team (in configured order) whose label matchers all match it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeVar

from bot.domain.alerts import Matcher


class MatchingTeam(Protocol):
    @property
    def handle(self) -> str: ...

    @property
    def matchers(self) -> tuple[Matcher, ...]: ...

    @property
    def is_default(self) -> bool: ...


T = TypeVar("T", bound=MatchingTeam)


def owning_team(labels: Mapping[str, str], teams: Sequence[T]) -> T:
    """The first team other than the default whose matchers all match `labels` (no matchers: every alert),
    else the default team (the first of `teams`)."""
    for team in teams:
        if not team.is_default and all(m.matches(labels) for m in team.matchers):
            return team
    return teams[0]
