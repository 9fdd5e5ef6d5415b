"""The review checklist's data: every source (Prometheus queries, Slack channels, opsbot's own records, the
dependency registry) asked side by side for the items it can answer; the rest read "no source configured".

A source is `async (deps, team, period) -> {item key: Finding}`. One that fails or is slow costs its own
items a line saying so, never the digest."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from bot.config import Team
from bot.deps import Deps
from bot.domain.digest_periods import Period
from bot.domain.review_checklist import Finding, ItemSpec, checklist, combined, completed
from bot.services import review_dependencies, review_opsbot, review_prometheus, review_slack

log = logging.getLogger(__name__)
Source = Callable[[Deps, Team, Period], Awaitable[Mapping[str, Finding]]]
# A slow source must not hold the digest's post job past its lease.
SOURCE_TIMEOUT_SECONDS = 15.0
SOURCES: dict[str, tuple[Source, tuple[str, ...]]] = {
    # name: (the source, the items it answers, so a failure is told on each)
    "Prometheus": (review_prometheus.findings, review_prometheus.ITEMS),
    "Slack": (review_slack.findings, review_slack.ITEMS),
    "opsbot": (review_opsbot.findings, review_opsbot.ITEMS),
    "the package registry": (review_dependencies.findings, review_dependencies.ITEMS),
}


def specs(team: Team, period: Period) -> tuple[ItemSpec, ...]:
    """The items of the team's review of the period: the playbook's, then the team's own."""
    return checklist(period.kind, team.review.own_items(period.kind.value))


async def findings(deps: Deps, team: Team, period: Period) -> dict[str, Finding]:
    """A finding for every item of the period's review."""
    answers = await asyncio.gather(*(_ask(name, deps, team, period) for name in SOURCES))
    return completed(combined(answers), specs(team, period))


async def _ask(name: str, deps: Deps, team: Team, period: Period) -> Mapping[str, Finding]:
    source, items = SOURCES[name]
    try:
        async with asyncio.timeout(SOURCE_TIMEOUT_SECONDS):
            return await source(deps, team, period)
    except TimeoutError:
        problem = f"{name} gave no answer within {SOURCE_TIMEOUT_SECONDS:g} s"
    except Exception as error:  # a source's bug or outage must not cost the whole digest
        log.warning("review source failed", extra={"source": name}, exc_info=True)
        problem = f"{name} could not be read ({type(error).__name__})"
    return {key: Finding((f"_⚠️ {problem}._",), has_data=False, summary=problem) for key in items}
