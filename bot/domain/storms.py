"""Alert storms: when a channel gets so many new alert groups that one message each would flood it."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.alerts import Severity

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
