"""Delivery rules: which job goes first, how long a failing one waits, when it is given up.

Each Slack channel is a lane (one job at a time across all replicas, paced at Slack's per-channel rate);
within a lane and among laneless jobs, the lower priority number runs first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum


class Priority(IntEnum):
    PAGE = 0  # critical alerts and escalation pages: someone must wake up
    INCIDENT = 10  # incident set-up, timers, reminders and posts
    WARNING = 20
    INFO = 30
    DIGEST = 40
    BACKGROUND = 50  # tickets' webhooks and measurements


BY_SEVERITY = {"critical": Priority.PAGE, "warning": Priority.WARNING}
UNPACED_PREFIX = "~"  # lanes that do not post to Slack (a webhook, Prometheus): ordered, but not paced
TICKET_WEBHOOKS = UNPACED_PREFIX + "ticket-webhooks"
TICKET_MEASUREMENTS = UNPACED_PREFIX + "ticket-measurements"


# A pending job due this long ago is stuck, not merely queued: the worker polls every second and a lane posts
# about once a second, so a minute past due means a lane is held or the worker is not running.
OVERDUE_AFTER = timedelta(seconds=60)


def alert_priority(severity: str) -> Priority:
    """A group's posts and updates: critical first, then warnings, then everything else."""
    return BY_SEVERITY.get(severity, Priority.INFO)


def backoff(attempts: int, *, cap: timedelta) -> timedelta:
    """1 s, 2 s, 4 s … after each failed attempt, never longer than `cap`."""
    return min(cap, timedelta(seconds=2 ** min(max(0, attempts - 1), 30)))


def next_post_at(lane: str | None, *, now: datetime, pace: timedelta) -> datetime | None:
    """When a lane may run its next job: Slack allows about one post per second per channel."""
    if lane is None or lane.startswith(UNPACED_PREFIX) or pace <= timedelta(0):
        return None
    return now + pace


def gives_up(created_at: datetime, *, now: datetime, horizon: timedelta) -> bool:
    """A job is retried for a time, not a number of attempts: a Slack outage of hours loses nothing."""
    return now - created_at >= horizon


# Slack errors that mean the route itself is broken: retrying the same post cannot succeed.
BROKEN_ROUTE_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "restricted_action",
        "missing_scope",
        "method_not_supported_for_channel_type",
        "ekm_access_denied",
    }
)


def broken_route(slack_error: str) -> str | None:
    """The reason to report when a post failed because its channel cannot take it, else None (retry)."""
    return slack_error if slack_error in BROKEN_ROUTE_ERRORS else None
