"""Action, block and callback ids shared by the renderers and the handlers."""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    ALERT_ACK = "alert_ack"
    ALERT_RESOLVE = "alert_resolve"
    ALERT_SNOOZE = "alert_snooze"
    ALERT_MORE = "alert_more"


class BlockId(StrEnum):
    ALERT_ACTIONS = "alert_actions"
