"""Host check rules: thresholds held for a duration (like Prometheus's `for:`) and URL uptime."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit

from bot.domain.alerts import AlertStatus
from bot.domain.durations import humanize_duration
from bot.domain.incoming import IncomingAlert, fingerprint_of

HOST_SOURCE = "host"  # the source host check alerts are ingested under
HOST_JOB = "opsbot-host"
UPTIME_ALERTNAME = "UptimeCheckFailed"
# Like Alertmanager's repeat: a firing alert is sent again so a lost send does not lose the alert.
REPEAT_EVERY = timedelta(minutes=5)
METRIC_TITLES = {"cpu": "CPU", "memory": "Memory", "disk": "Disk"}
Series = tuple[str, str]  # (metric, key): key is the mount point for disks, "" for host-wide values


class Transition(StrEnum):
    FIRED = "fired"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class HostRule:
    """`metric` above `threshold` (percent) for `for_duration` raises an alert of `severity`."""

    name: str
    metric: str
    threshold: float
    for_duration: timedelta
    severity: str


@dataclass(frozen=True)
class RuleState:
    """Where one rule stands for one series: holding since `pending_since`, and whether it fired."""

    pending_since: datetime | None = None
    firing: bool = False


@dataclass(frozen=True)
class HostReading:
    """One look at the host: percentages, load averages, network byte counters (None when there are none)."""

    cpu_percent: float
    memory_percent: float
    disks: Mapping[str, float]
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    net_bytes_sent: int | None = None
    net_bytes_recv: int | None = None


def metric_values(metric: str, reading: HostReading) -> Mapping[str, float]:
    """The series a rule watches, by key: one for CPU and memory (key ""), one per mount point for disk."""
    if metric == "cpu":
        return {"": reading.cpu_percent}
    if metric == "memory":
        return {"": reading.memory_percent}
    return reading.disks if metric == "disk" else {}


def reading_series(reading: HostReading) -> dict[Series, float]:
    """Every value of a reading worth storing, by (metric, key); network rates need two readings."""
    series = {("cpu", ""): reading.cpu_percent, ("memory", ""): reading.memory_percent}
    series |= {
        (name, ""): value for name, value in zip(("load1", "load5", "load15"), reading.load, strict=True)
    }
    return series | {("disk", mount): value for mount, value in reading.disks.items()}


@dataclass(frozen=True)
class ProcessUsage:
    pid: int
    name: str
    cpu_percent: float
    memory_percent: float


@dataclass(frozen=True)
class TopProcesses:
    """The busiest processes, for answering "what is eating the CPU?"."""

    by_cpu: tuple[ProcessUsage, ...]
    by_memory: tuple[ProcessUsage, ...]


def top_of(processes: Iterable[ProcessUsage], *, limit: int) -> TopProcesses:
    """Pick the `limit` heaviest processes by CPU and by memory."""
    listed = list(processes)
    by_cpu = sorted(listed, key=lambda p: (-p.cpu_percent, p.pid))[:limit]
    by_memory = sorted(listed, key=lambda p: (-p.memory_percent, p.pid))[:limit]
    return TopProcesses(by_cpu=tuple(by_cpu), by_memory=tuple(by_memory))


def evaluate(
    rule: HostRule, state: RuleState, value: float | None, now: datetime
) -> tuple[RuleState, Transition | None]:
    """Advance a rule by one sample; a missing sample (None) counts as the condition not holding."""
    if value is not None and value > rule.threshold:
        since = state.pending_since or now
        if not state.firing and now - since >= rule.for_duration:
            return RuleState(since, firing=True), Transition.FIRED
        return RuleState(since, firing=state.firing), None
    return RuleState(), Transition.RESOLVED if state.firing else None


@dataclass(frozen=True)
class UptimeState:
    """Where one URL check stands: failing since `down_since`, and whether the alert fired."""

    down_since: datetime | None = None
    firing: bool = False


def evaluate_uptime(
    state: UptimeState, *, up: bool, now: datetime, down_after: timedelta
) -> tuple[UptimeState, Transition | None]:
    """Advance a URL check by one probe: down for `down_after` (first to latest failed probe) fires."""
    if up:
        return UptimeState(), Transition.RESOLVED if state.firing else None
    since = state.down_since or now
    if not state.firing and now - since >= down_after:
        return UptimeState(since, firing=True), Transition.FIRED
    return UptimeState(since, firing=state.firing), None


def restored_rule_states(
    rules: Iterable[HostRule], firing: Iterable[tuple[Mapping[str, str], datetime]], *, hostname: str
) -> dict[tuple[HostRule, str], RuleState]:
    """Rebuild this host's firing rule states from alerts stored as firing, so a restart can resolve them."""
    by_labels = {(rule.name, rule.severity): rule for rule in rules}
    states = {}
    for labels, starts_at in firing:
        rule = by_labels.get((labels.get("alertname", ""), labels.get("severity", "")))
        if rule and labels.get("job") == HOST_JOB and labels.get("instance") == hostname:
            states[(rule, labels.get("mountpoint", ""))] = RuleState(starts_at, firing=True)
    return states


def restored_uptime_states(
    checks: Iterable[str], firing: Iterable[tuple[Mapping[str, str], datetime]]
) -> dict[str, UptimeState]:
    """Rebuild the firing URL checks from alerts stored as firing."""
    names = set(checks)
    return {
        labels["check"]: UptimeState(starts_at, firing=True)
        for labels, starts_at in firing
        if labels.get("alertname") == UPTIME_ALERTNAME and labels.get("check") in names
    }


def resend_due(*, last_sent: datetime | None, now: datetime, every: timedelta = REPEAT_EVERY) -> bool:
    """A firing alert is sent again when its last send is `every` old (or never happened)."""
    return last_sent is None or now - last_sent >= every


def is_up_status(status: int) -> bool:
    """A URL is up when it answers 2xx or 3xx; anything else counts as down."""
    return 200 <= status < 400


def counter_rate(previous: float, current: float, seconds: float) -> float | None:
    """Per-second rate of a growing counter; None when there is no interval or the counter was reset."""
    if seconds <= 0 or current < previous:
        return None
    return (current - previous) / seconds


def network_rates(
    previous: HostReading, current: HostReading, *, seconds: float
) -> dict[tuple[str, str], float]:
    """Bytes per second sent and received between two readings; none for a missing or reset counter."""
    pairs = {
        "net_sent_bps": (previous.net_bytes_sent, current.net_bytes_sent),
        "net_recv_bps": (previous.net_bytes_recv, current.net_bytes_recv),
    }
    rates = {}
    for metric, (before, after) in pairs.items():
        rate = None if before is None or after is None else counter_rate(before, after, seconds)
        if rate is not None:
            rates[(metric, "")] = rate
    return rates


def display_url(url: str) -> str:
    """The URL without credentials or query string, fit for labels, messages and logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{_host_port(parts)}{parts.path}"


def redact_url(text: str, url: str) -> str:
    """Rewrite `url` in `text` as display_url does, and mask its password wherever else it appears."""
    text = text.replace(url, display_url(url))
    password = urlsplit(url).password
    return text.replace(password, "********") if password else text


def url_instance(url: str) -> str:
    """The `instance` label of a URL check: its host (and port when one is given)."""
    return _host_port(urlsplit(url))


def _host_port(parts: SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def rule_labels(rule: HostRule, *, hostname: str, key: str) -> dict[str, str]:
    """Labels of a host alert; disk alerts carry their mount point, so each mount is its own alert."""
    labels = {"alertname": rule.name, "severity": rule.severity, "instance": hostname, "job": HOST_JOB}
    if rule.metric == "disk":
        labels["mountpoint"] = key
    return labels


def rule_alert(
    rule: HostRule,
    *,
    hostname: str,
    key: str,
    value: float | None,
    since: datetime,
    now: datetime,
    firing: bool,
) -> IncomingAlert:
    """Describe a host rule's alert, firing (held since `since`) or resolved (at `now`)."""
    labels = rule_labels(rule, hostname=hostname, key=key)
    what = METRIC_TITLES.get(rule.metric, rule.metric) + (f" {key}" if key else "")
    threshold = f"threshold {rule.threshold:g} %"
    if firing:
        held = now - since
        duration = f" for {humanize_duration(held)}" if held >= timedelta(minutes=1) else ""
        shown = "?" if value is None else f"{value:.0f}"
        summary = f"{what} at {shown} % on {hostname}{duration} ({threshold})"
        description = f"{what} has been above {rule.threshold:g} % since {since:%Y-%m-%d %H:%M:%S} UTC."
    elif value is None:
        summary = f"{what} no longer reported on {hostname}"
        description = f"{what} stopped reporting on {hostname}, so the alert is resolved."
    else:
        summary = f"{what} back at {value:.0f} % on {hostname} ({threshold})"
        description = f"{what} went back below {rule.threshold:g} % after {humanize_duration(now - since)}."
    return _alert(labels, summary, description, since=since, now=now, firing=firing)


@dataclass(frozen=True)
class Probe:
    """One HTTP check of a URL: up or not, the status when it answered, the error when it did not."""

    up: bool
    status: int | None = None
    error: str | None = None

    @property
    def reason(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status}" if self.status is not None else "no answer"


def uptime_alert(
    *, check: str, url: str, probe: Probe, since: datetime, now: datetime, firing: bool
) -> IncomingAlert:
    """Describe a failed URL check (critical), firing since `since` or resolved at `now`."""
    shown = display_url(url)
    labels = {
        "alertname": UPTIME_ALERTNAME,
        "severity": "critical",
        "check": check,
        "url": shown,
        "instance": url_instance(url),
    }
    down_for = humanize_duration(now - since)
    if firing:
        summary = f"{check} is down for {down_for}: {probe.reason}"
        description = (
            f"GET {shown} has failed since {since:%Y-%m-%d %H:%M:%S} UTC; last error: {probe.reason}."
        )
    else:
        summary = f"{check} is up again ({probe.reason}) after {down_for}"
        description = f"GET {shown} answers again ({probe.reason}); it was down for {down_for}."
    return _alert(labels, summary, description, since=since, now=now, firing=firing)


def _alert(
    labels: dict[str, str], summary: str, description: str, *, since: datetime, now: datetime, firing: bool
) -> IncomingAlert:
    """A host-check alert, firing since `since` or resolved at `now`."""
    return IncomingAlert(
        fingerprint=fingerprint_of(labels),
        status=AlertStatus.FIRING if firing else AlertStatus.RESOLVED,
        labels=labels,
        annotations={"summary": summary, "description": description},
        starts_at=since,
        ends_at=None if firing else now,
    )
