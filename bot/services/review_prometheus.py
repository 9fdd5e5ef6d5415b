"""Review checklist findings from prometheus (helper fills this in)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import Team
from bot.deps import Deps
from bot.domain.digest_periods import Period
from bot.domain.review_checklist import Finding

ITEMS: tuple[str, ...] = ()


async def findings(deps: Deps, team: Team, period: Period) -> Mapping[str, Finding]:
    """TODO(#20): the items this source answers."""
    return {}
