"""The week or month so far: posted at once as a preview, it never takes the period's once-only claim."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.deps import Deps
from bot.domain.digest_periods import DigestKind, claim_key, period_containing
from bot.services import digest_runs
from storage import digests as store

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

WEDNESDAY = datetime(2026, 11, 25, 15, tzinfo=UTC)  # week 48, in November
NEXT_MONDAY = datetime(2026, 11, 30, 9, tzinfo=UTC)  # when the scheduler reports week 48


def review_headers(sandbox: Any) -> list[str]:
    return [m.blocks[0]["text"]["text"] for m in sandbox.workspace.messages("ops-review") if m.blocks]


async def test_the_week_so_far_posts_now_and_the_whole_week_still_posts_once_after_it(
    deps_at: Callable[[datetime], Deps], sandbox: Any
) -> None:
    deps = deps_at(WEDNESDAY)
    said = await digest_runs.run_now(deps, "weekly", so_far=True)
    assert said == "posted weekly digest for ops week 48 so far (23 Nov – 25 Nov 2026) to #ops-review"
    assert review_headers(sandbox) == ["Weekly review · ops · week 48 so far (23 Nov – 25 Nov 2026)"]
    week = period_containing(DigestKind.WEEKLY, WEDNESDAY.date(), "UTC")
    assert await store.get_run(deps.db, claim_key(DigestKind.WEEKLY, "ops", week)) is None

    later = deps_at(NEXT_MONDAY)
    requested = await digest_runs.scheduled(later, "weekly", "ops")
    assert requested.claimed and requested.period.label == "2026-W48"
    await digest_runs.post_run(later, requested.key)
    assert not (await digest_runs.scheduled(later, "weekly", "ops")).claimed
    assert review_headers(sandbox)[1:] == ["Weekly review · ops · week 48 (23 Nov – 29 Nov 2026)"]


async def test_the_month_so_far_is_labelled_and_claims_nothing(
    deps_at: Callable[[datetime], Deps], sandbox: Any
) -> None:
    deps = deps_at(WEDNESDAY)
    said = await digest_runs.run_now(deps, "monthly", so_far=True)
    assert said.endswith("November 2026 so far (1 – 25 Nov) to #ops-review")
    assert review_headers(sandbox)[0].endswith("November 2026 so far (1 – 25 Nov)")
    month = period_containing(DigestKind.MONTHLY, WEDNESDAY.date(), "UTC")
    assert await store.get_run(deps.db, claim_key(DigestKind.MONTHLY, "ops", month)) is None
    files = [f for f in sandbox.workspace.files.values() if "so-far" in f.name]
    assert len(files) == 1  # the chart, in the preview's thread
