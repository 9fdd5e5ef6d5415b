"""Alert storms: when a channel gets so many new alert groups that one message each would flood it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from bot.domain.alerts import Severity

K = TypeVar("K")

# New groups are counted over this window, and a storm stays open until this long passes without one joining.
STORM_WINDOW = timedelta(minutes=1)


def rolls_up(*, severity: Severity, new_groups_last_minute: int, threshold: int, storm_open: bool) -> bool:
    """Whether a group that just started firing joins its channel's roll-up instead of getting a message.

    `new_groups_last_minute` counts the groups that started firing in the channel within STORM_WINDOW, this
    one included; more than `threshold` of them is a storm (0 turns roll-ups off). Once a storm is open,
    every new group joins it until the window passes quietly, so a storm does not flip between a roll-up and
    single messages as its rate wavers. Critical groups are never rolled up: they keep their own message,
    buttons and escalation, so a storm cannot hide a page from on-call.
    """
    if threshold <= 0 or severity == Severity.CRITICAL:
        return False
    return storm_open or new_groups_last_minute > threshold


@dataclass(frozen=True)
class OpenedGroups:
    """How many new groups a source opened within STORM_WINDOW: all of them, and those not critical."""

    total: int
    lesser: int


def groups_to_open(new_groups: Sequence[tuple[K, Severity]], *, opened: OpenedGroups, cap: int) -> list[K]:
    """Which of a source's would-be new groups open now; the rest stay unopened (their alerts stored, told
    in the source's overflow roll-up), so one request or one rogue sender cannot flood Slack and the database
    with groups.

    At most `cap` groups per source open within STORM_WINDOW. Warning and info groups may take only half of
    it, so a storm of them always leaves room for pages that follow; critical ones may take all of it. The
    most severe open first, then in arrival order.
    """
    room = max(0, cap - opened.total)
    lesser_room = max(0, (cap + 1) // 2 - opened.lesser)
    chosen = []
    for i in sorted(range(len(new_groups)), key=lambda i: _RANK[new_groups[i][1]]):
        if room == 0:
            break
        if new_groups[i][1] != Severity.CRITICAL:
            if lesser_room == 0:
                break  # the rest are lesser too: they are ranked last
            lesser_room -= 1
        room -= 1
        chosen.append(i)
    return [new_groups[i][0] for i in sorted(chosen)]


_RANK = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
