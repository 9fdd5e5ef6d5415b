"""Alert rules: severity, routing to channels (Alertmanager-style), grouping and flapping."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe; a group takes the rank of its worst firing alert."""
        return {Severity.CRITICAL: 3, Severity.WARNING: 2, Severity.INFO: 1}[self]


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class SeverityReading:
    severity: Severity
    label: str | None

    @property
    def was_unknown(self) -> bool:
        """True when the label was missing or not one of ours (the alert is then treated as warning)."""
        return self.label is None or self.label.strip().lower() != self.severity.value


def read_severity(labels: Mapping[str, str]) -> SeverityReading:
    """Take the severity from the `severity` label; anything else counts as warning."""
    label = labels.get("severity")
    try:
        return SeverityReading(Severity((label or "").strip().lower()), label)
    except ValueError:
        return SeverityReading(Severity.WARNING, label)


MATCHER = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*\"?(.*?)\"?\s*$")


@dataclass(frozen=True)
class Matcher:
    """One label matcher in Alertmanager's syntax: name=value, name!=value, name=~regex, name!~regex."""

    label: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


def parse_matcher(text: str) -> Matcher:
    """Parse `team=payments` or `service=~"pay.*"`; raise ValueError naming what is wrong."""
    found = MATCHER.match(text)
    if not found:
        raise ValueError(
            f"{text!r} is not a label matcher (use name=value, name!=value, name=~regex, name!~regex)"
        )
    label, op, value = found.groups()
    if op in {"=~", "!~"}:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"{text!r}: bad regular expression: {error}") from None
    return Matcher(label, op, value)


@dataclass(frozen=True)
class Route:
    """Alerts whose labels match every matcher go to `channel`; `continue_` keeps looking further down."""

    matchers: tuple[Matcher, ...]
    channel: str
    continue_: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


def route_channels(
    labels: Mapping[str, str], severity: Severity, routes: Sequence[Route], defaults: Mapping[Severity, str]
) -> tuple[str, ...]:
    """Return an alert's channels: matching routes in order (first wins unless continue), else by severity."""
    channels: list[str] = []
    for candidate in routes:
        if candidate.matches(labels):
            if candidate.channel not in channels:
                channels.append(candidate.channel)
            if not candidate.continue_:
                break
    return tuple(channels) or (defaults[severity],)


GROUP_KEY_LIMIT = 512


def group_key(labels: Mapping[str, str], group_by: Iterable[str]) -> str:
    """Alerts sharing the values of `group_by` labels form one group, and so one Slack message.

    Keys longer than the column keep a hash of the whole key, so they stay distinct.
    """
    key = ",".join(f"{name}={labels.get(name, '')}" for name in group_by)
    if len(key) <= GROUP_KEY_LIMIT:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: GROUP_KEY_LIMIT - 17]}#{digest}"


def key_labels(key: str) -> str:
    """The labels of a group key besides the alertname, for telling apart groups of one alertname."""
    pairs = (pair.partition("=") for pair in key.split(","))
    return " ".join(f"{name}={value}" for name, _, value in pairs if value and name != "alertname")


def is_flapping(changes: Sequence[datetime], *, now: datetime, window: timedelta, threshold: int) -> bool:
    """A group that fired or resolved `threshold` times within `window` is flapping."""
    return sum(1 for at in changes if now - at <= window) >= threshold


def recent_changes(changes: Sequence[datetime], *, now: datetime, window: timedelta) -> list[datetime]:
    """Keep only the state changes that still matter for flapping."""
    return [at for at in changes if now - at <= window]


def worst(severities: Iterable[Severity]) -> Severity:
    """The most severe of several severities (info when there are none)."""
    return max(severities, key=lambda s: s.rank, default=Severity.INFO)
