"""The condition picking one team's rows from a table with a `team` column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_


def owned_by(column: Any, team: str, *, default: bool, configured: Sequence[str]) -> ColumnElement[bool]:
    """Rows of `team`. The default team's include rows naming no team (from before teams) and rows naming a
    team no longer configured: someone still sees them."""
    if not default:
        return column == team  # type: ignore[no-any-return]
    return or_(column == team, column.is_(None), column.not_in(list(configured)))
