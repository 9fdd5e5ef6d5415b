"""Teams as the use cases need them: which team's rows a query picks, and which team a user names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from bot.config import Settings, Team
from bot.errors import UsageError
from storage.ownership import owned_by


def rows_of(settings: Settings, column: Any, team: Team) -> ColumnElement[bool]:
    """The condition picking `team`'s rows of a table with a `team` column (see storage.ownership)."""
    configured = [found.handle for found in settings.teams]
    return owned_by(column, team.handle, default=team.is_default, configured=configured)


def rotation_teams(settings: Settings, user_id: str) -> list[Team]:
    """The teams whose on-call rotation (any layer) has the person, in configured order."""
    return [team for team in settings.teams if user_id in team.oncall.all_members()]


def named(settings: Settings, handle: str | None) -> Team:
    """The team a user named (None: the default team); a UsageError listing the teams when there is none."""
    found = settings.team(handle.strip().lower().removeprefix("team=") if handle else None)
    if found is None:
        raise UsageError(
            f"There is no team {handle!r}; teams: {', '.join(t.handle for t in settings.teams)}."
        )
    return found
