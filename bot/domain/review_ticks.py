"""The state of a posted review's checklist: which items are ticked, by whom, what carries over, and when the
review is done. Pure values and rules; no I/O."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

REF_PREFIX = "review:"
CARRIED_PREFIX = "c-"

# Open items carried into the next review: at most one checkbox element's worth (Slack allows 10 options).
MAX_CARRIED = 10


@dataclass(frozen=True)
class ItemState:
    """One item of a posted review as stored: `carried_since` is the period label of a carried item."""

    key: str
    title: str
    summary: str = ""
    ticked_by: str | None = None
    ticked_name: str | None = None
    ticked_at: datetime | None = None
    owner: str | None = None
    ticket: int | None = None
    carried_since: str | None = None

    @property
    def ticked(self) -> bool:
        return self.ticked_at is not None


@dataclass(frozen=True)
class Progress:
    """How far a review is: ticked of total, and who ticked (first tick first)."""

    ticked: int
    total: int
    names: tuple[str, ...]

    @property
    def done(self) -> bool:
        return self.total > 0 and self.ticked == self.total


@dataclass(frozen=True)
class ReviewDone:
    """What the thread says when every item is ticked: how many, who took part, how long it took."""

    items: int
    names: tuple[str, ...]
    took: timedelta


def progress(states: Sequence[ItemState]) -> Progress:
    """Ticked of all items, and the distinct people who ticked them, in the order of their first tick."""
    ticked = sorted((s for s in states if s.ticked_at is not None), key=lambda s: s.ticked_at or datetime.min)
    names = tuple(dict.fromkeys(s.ticked_name or s.ticked_by or "someone" for s in ticked))
    return Progress(len(ticked), len(states), names)


def review_done(states: Sequence[ItemState]) -> ReviewDone:
    """What "Review done" says: the items, who ticked them, and the time from the first tick to the last
    (from the ticks there are, so an untick just before it is posted still names who took part)."""
    found = progress(states)
    times = [s.ticked_at for s in states if s.ticked_at is not None]
    return ReviewDone(found.total, found.names, max(times) - min(times) if times else timedelta(0))


def review_ref(run_key: str, item_key: str) -> str:
    """The source ref of a ticket opened from an item (`review:weekly:ops:2026-W46:error_logs`)."""
    return f"{REF_PREFIX}{run_key}:{item_key}"


def read_review_ref(ref: str | None) -> tuple[str, str] | None:
    """(run key, item key) of a ticket's source ref opened from a review item, else None (item keys hold no
    colon; run keys do)."""
    if not ref or not ref.startswith(REF_PREFIX):
        return None
    run_key, _, item_key = ref.removeprefix(REF_PREFIX).rpartition(":")
    return (run_key, item_key) if run_key and item_key else None


def weekly_ref_prefix(team: str) -> str:
    """The start of the source ref of every ticket opened from one team's weekly reviews."""
    return f"{REF_PREFIX}weekly:{team}:"


def carried_key(since: str, origin_item: str) -> str:
    """The key of an item carried over: stable however many reviews it is carried through."""
    return f"{CARRIED_PREFIX}{since}-{origin_item}"[:80]


def tick_changes(
    covered: Collection[str], before: Collection[str], after: Collection[str]
) -> dict[str, bool]:
    """What one click changed: the items of the element it was on whose state the person flipped.

    Comparing with what that person saw (`before`), not with the stored state, keeps a concurrent tick of
    another item in the same element from being undone by a stale selection."""
    return {key: key in after for key in covered if (key in before) != (key in after)}
