"""Alert rules: severity, routing to channels (Alertmanager-style), grouping and flapping."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

# RE2 (google-re2), not `re`: matching takes time linear in the label value, so a pattern such as `(a+)+$`
# cannot hang the process on a long label; it is also the syntax Alertmanager's own matchers use (Go's
# regexp is RE2). A pure engine without I/O, the one non-standard import of the domain.
import re2


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
MAX_REGEX_LENGTH = 1000
REGEX_MAX_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern; larger programs are refused


class LabelPattern(Protocol):
    def fullmatch(self, text: str) -> object | None: ...


def compile_label_regex(text: str) -> LabelPattern:
    """Compile a matcher's regex with RE2; ValueError when it is too long or not valid RE2 syntax."""
    if len(text) > MAX_REGEX_LENGTH:
        raise ValueError(f"regular expression is {len(text)} characters long; at most {MAX_REGEX_LENGTH}")
    options = re2.Options()
    options.log_errors = False  # RE2 would print each rejected pattern to stderr; the error says it
    options.max_mem = REGEX_MAX_MEMORY
    try:
        compiled: LabelPattern = re2.compile(text, options)
    except re2.error as error:
        reason = error.args[0].decode(errors="replace") if error.args else "invalid"
        raise ValueError(f"bad regular expression (RE2 syntax): {reason}") from None
    return compiled


@dataclass(frozen=True)
class Matcher:
    """One label matcher in Alertmanager's syntax: name=value, name!=value, name=~regex, name!~regex."""

    label: str
    op: str
    value: str
    pattern: LabelPattern | None = field(default=None, compare=False, repr=False)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        pattern = self.pattern or compile_label_regex(self.value)
        found = pattern.fullmatch(actual) is not None
        return found if self.op == "=~" else not found


def parse_matcher(text: str) -> Matcher:
    """Parse `team=payments` or `service=~"pay.*"`; raise ValueError naming what is wrong."""
    found = MATCHER.match(text)
    if not found:
        raise ValueError(
            f"{text!r} is not a label matcher (use name=value, name!=value, name=~regex, name!~regex)"
        )
    label, op, value = found.groups()
    if op not in {"=~", "!~"}:
        return Matcher(label, op, value)
    try:
        return Matcher(label, op, value, compile_label_regex(value))
    except ValueError as error:
        raise ValueError(f"{text[:80]!r}: {error}") from None


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


def group_key(labels: Mapping[str, str], group_by: Iterable[str], *, team: str | None = None) -> str:
    """Alerts sharing the values of `group_by` labels form one group, and so one Slack message; an alert of
    a team other than the default one (`team`) has its key start with "<team>/", so two teams sharing a
    channel never share a group.

    Keys longer than the column keep a hash of the whole key, so they stay distinct.
    """
    key = ",".join(f"{name}={labels.get(name, '')}" for name in group_by)
    if team is not None:
        key = f"{team}/{key}"
    if len(key) <= GROUP_KEY_LIMIT:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: GROUP_KEY_LIMIT - 17]}#{digest}"


def key_labels(key: str) -> str:
    """The labels of a group key besides the alertname, for telling apart groups of one alertname."""
    owner, slash, rest = key.partition("/")
    if slash and "=" not in owner:
        key = rest
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
