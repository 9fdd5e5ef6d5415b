"""The sandbox's sample history as a plan: what fired, who acknowledged, which incidents and tickets, when.

Everything is placed relative to `now` in the team's zone, from the start of the last complete month, so
the first weekly review (last complete week), this week so far and the monthly deep dive all have alerts,
acknowledgements, resolutions and incidents whatever the day. A fixed seed keeps it the same for one `now`.
Nothing here happens after `now`: a story that would run past it is squeezed into the time left.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.digest_periods import local_midnight, month_period, week_period

PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    """An alert rule of the sample services, as Alertmanager would label it."""

    name: str
    severity: str
    service: str
    summary: str
    threshold: float | None = None  # what its expression compares with (None: an event, no value)
    noisy: bool = False  # often marked as noise: the digest's threshold review has something to say


RULES = (
    Rule("CheckoutErrorRate", "critical", "checkout", "Checkout error rate is above 5% for 5 minutes", 5),
    Rule(
        "PaymentsGatewayTimeouts", "critical", "payments", "Payment provider calls time out (>2% of calls)", 2
    ),
    Rule("DatabaseReplicationLag", "critical", "postgres", "Replica lags the primary by more than 60 s", 60),
    Rule("ApiLatencyHigh", "warning", "api", "p95 latency of the API is above 800 ms", 800),
    Rule("QueueBacklogGrowing", "warning", "worker", "The jobs queue has grown for 15 minutes", 1000),
    Rule("PodRestarting", "warning", "search", "A search pod restarted 3 times in 10 minutes", 3, noisy=True),
    Rule("DiskIOWaitHigh", "warning", "postgres", "iowait above 20% on the database host", 20, noisy=True),
    Rule("CertificateExpiringSoon", "warning", "edge", "The TLS certificate expires within 14 days", 14),
    Rule("DeployFinished", "info", "deploy", "Deploy of checkout finished"),
    Rule("BackupCompleted", "info", "backup", "Nightly database backup completed"),
)
STORM_RULE = RULES[5]  # PodRestarting: a crash loop fires on every search pod at once
FLAPPING_RULE = RULES[6]  # DiskIOWaitHigh: its threshold sits just under the database's normal busy hours


@dataclass(frozen=True)
class Firing:
    """One firing of a rule on `instances` hosts, and what people did about it (offsets from `at`)."""

    rule: Rule
    at: datetime
    instances: tuple[str, ...]
    lasts: timedelta
    ack_after: timedelta | None = None
    by: str = PEOPLE[0]
    escalate_after: timedelta | None = None  # nobody answered: the chain's first step paged
    noise: bool = False
    snooze: bool = False
    by_hand: bool = False  # resolved with the Resolve button, not by Alertmanager

    @property
    def end(self) -> datetime:
        return self.at + self.lasts

    @property
    def value(self) -> float | None:
        """The value the rule saw when it fired (its `value` annotation): just past the threshold for a
        false alarm, well past it for a real one; from its own seed, so the rest of the story is unchanged."""
        if self.rule.threshold is None:
            return None
        rng = random.Random(f"{self.rule.name}@{self.at.isoformat()}")
        false_alarm = self.noise or (self.ack_after is None and self.lasts <= 5 * MINUTE)
        past = rng.uniform(1.02, 1.15) if false_alarm else rng.uniform(1.4, 2.5)
        return round(self.rule.threshold * past, 2)


@dataclass(frozen=True)
class IncidentStory:
    level: int
    title: str
    service: str
    at: datetime
    ack_after: timedelta
    updates: tuple[tuple[timedelta, str], ...]
    lasts: timedelta
    summary: str
    declared_by: str
    commander: str
    postmortem: bool

    @property
    def end(self) -> datetime:
        return self.at + self.lasts


@dataclass(frozen=True)
class TicketStory:
    title: str
    impact: str
    effort: str
    area: str
    at: datetime
    owner: str
    metric: str | None = None
    started: datetime | None = None
    done: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class SampleStory:
    start: datetime
    now: datetime
    firings: list[Firing] = field(default_factory=list)
    incidents: list[IncidentStory] = field(default_factory=list)
    tickets: list[TicketStory] = field(default_factory=list)


def history_start(now: datetime, zone: str) -> datetime:
    """The first instant of the history: the start of the last complete month in the team's zone."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return month_period(today.replace(day=1) - DAY, zone).start


def plan_story(now: datetime, zone: str, *, seed: int = 19) -> SampleStory:
    """The whole sample month before `now`: alert firings day by day, incidents and tickets."""
    rng = random.Random(seed)
    start = history_start(now, zone)
    story = SampleStory(start=start, now=now)
    day = start.astimezone(ZoneInfo(zone)).date()
    today = now.astimezone(ZoneInfo(zone)).date()
    while day <= today:
        begins = local_midnight(day, zone)
        span = min(DAY, now - begins)
        recent = now - begins < 15 * DAY  # the weeks people look at first are the busiest
        story.firings.extend(_day_of_firings(rng, begins, span, weekend=day.weekday() >= 5, recent=recent))
        if day.weekday() < 5:
            story.firings.append(_flap(begins, span))
        day += DAY
    this_week = week_period(today, zone).start
    story.incidents.extend(_incidents(start=start, this_week=this_week, now=now))
    story.tickets.extend(_tickets(now))
    return replace(
        story,
        firings=[f for f in (_within(f, now) for f in story.firings) if f is not None],
        incidents=[i for i in (_incident_within(i, now) for i in story.incidents) if i is not None],
    )


def _day_of_firings(
    rng: random.Random, begins: datetime, span: timedelta, *, weekend: bool, recent: bool
) -> list[Firing]:
    """A quiet day (weekends, some weekdays), an ordinary one, or a storm day; the first firing of a day
    is always acknowledged, so even a few minutes of a day count towards MTTA and MTTR."""
    kind = rng.choices(("quiet", "normal", "storm"), weights=(6, 2, 1) if weekend else (2, 6, 1.2))[0]
    count = {"quiet": 1, "normal": rng.randint(2, 4), "storm": rng.randint(3, 5)}[kind] if recent else 2
    firings = []
    for index in range(count):
        at = begins + span * (rng.random() * 0.9 if index else 0.05)
        rule = rng.choice(RULES[:5]) if index == 0 else rng.choice(RULES)
        firings.append(_firing(rng, rule, at, acknowledged=index == 0))
    if kind == "storm":
        at = begins + span * rng.uniform(0.3, 0.7)
        pods = tuple(f"search-{n}" for n in range(rng.randint(8, 14)))
        firings.append(
            Firing(STORM_RULE, at, pods, lasts=rng.randint(40, 150) * MINUTE, ack_after=6 * MINUTE,
                   by=rng.choice(PEOPLE), snooze=True)
        )  # fmt: skip
    return firings


def _flap(begins: datetime, span: timedelta) -> Firing:
    """The disk iowait rule flapping for a few minutes on a weekday, mostly marked as noise: the weekly
    threshold review proposes a new threshold from these firings' values (from its own seed, so the rest of
    the story is unchanged)."""
    rng = random.Random(f"flap@{begins.isoformat()}")
    at = begins + span * rng.uniform(0.2, 0.8)
    return Firing(
        FLAPPING_RULE, at, ("postgres-1",), lasts=rng.randint(2, 4) * MINUTE, noise=rng.random() < 0.6
    )


def _firing(rng: random.Random, rule: Rule, at: datetime, *, acknowledged: bool) -> Firing:
    instance = (f"{rule.service}-{rng.randint(1, 3)}",)
    by = rng.choice(PEOPLE)
    if rule.severity == "info":
        return Firing(rule, at, instance, lasts=rng.randint(2, 20) * MINUTE)
    if rule.noisy and not acknowledged and rng.random() < 0.6:
        return Firing(rule, at, instance, lasts=rng.randint(2, 9) * MINUTE, noise=rng.random() < 0.7, by=by)
    critical = rule.severity == "critical"
    lasts = rng.randint(25, 180 if critical else 240) * MINUTE
    ack = rng.randint(2, 14 if critical else 45) * MINUTE
    escalate = critical and not acknowledged and rng.random() < 0.35
    if escalate:  # the first step pages after the chain's delay, then someone answers
        ack = ack + 6 * MINUTE
    if not acknowledged and rng.random() < (0.1 if critical else 0.3):
        return Firing(rule, at, instance, lasts=lasts, by=by)  # it went away before anyone looked
    return Firing(
        rule, at, instance, lasts=max(lasts, ack + 5 * MINUTE), ack_after=ack, by=by,
        escalate_after=5 * MINUTE if escalate else None, by_hand=rng.random() < 0.15,
    )  # fmt: skip


def _within(firing: Firing, now: datetime) -> Firing | None:
    """The firing as it fits before `now`: dropped if it starts in the last minute, squeezed otherwise."""
    room = now - MINUTE - firing.at
    if room <= timedelta(0):
        return None
    if firing.end <= now - MINUTE:
        return firing
    scale = room / firing.lasts
    return replace(
        firing,
        lasts=room,
        ack_after=None if firing.ack_after is None else firing.ack_after * scale,
        escalate_after=None if firing.escalate_after is None else firing.escalate_after * scale,
    )


def _incident_within(incident: IncidentStory, now: datetime) -> IncidentStory | None:
    room = now - MINUTE - incident.at
    if room <= timedelta(0):
        return None
    if incident.end <= now - MINUTE:
        return incident
    scale = room / incident.lasts
    updates = tuple((after * scale, text) for after, text in incident.updates)
    return replace(incident, lasts=room, ack_after=incident.ack_after * scale, updates=updates)


def _incidents(*, start: datetime, this_week: datetime, now: datetime) -> list[IncidentStory]:
    """SEV1–SEV4 spread over the month, one in the last complete week and one in this week so far."""
    last_week = this_week - 7 * DAY
    so_far = now - this_week
    placed = [
        (start + 3 * DAY + 14 * 60 * MINUTE, 2, "Checkout failures after the card form release", "checkout"),
        (start + 8 * DAY + 10 * 60 * MINUTE, 3, "Search results stale for some users", "search"),
        (start + 12 * DAY + 22 * 60 * MINUTE, 1, "Payments down: provider TLS handshake failing", "payments"),
        (start + 17 * DAY + 9 * 60 * MINUTE, 4, "Status page shows an old maintenance banner", "edge"),
        (start + 23 * DAY + 16 * 60 * MINUTE, 3, "Nightly export job ran twice", "worker"),
        (last_week + 1 * DAY + 11 * 60 * MINUTE, 2, "API latency doubled after the node pool upgrade", "api"),
        (last_week + 3 * DAY + 15 * 60 * MINUTE, 4, "Slow admin reports page", "api"),
        (this_week + so_far * 0.1, 3, "Replica lag delays order confirmations", "postgres"),
    ]
    return [_incident(at, level, title, service, n) for n, (at, level, title, service) in enumerate(placed)]


def _incident(at: datetime, level: int, title: str, service: str, n: int) -> IncidentStory:
    ack = {1: 4, 2: 9, 3: 35, 4: 180}[level] * MINUTE
    lasts = {1: 95, 2: 170, 3: 300, 4: 1500}[level] * MINUTE
    updates = (
        (ack + (lasts - ack) * 0.25, "Cause found; rolling back the change that started it."),
        (ack + (lasts - ack) * 0.6, "Mitigated; error rates are back to normal, watching for an hour."),
    )
    return IncidentStory(
        level=level, title=title, service=service, at=at, ack_after=ack, updates=updates, lasts=lasts,
        summary=f"{title}: rolled back and verified; follow-ups are tickets.",
        declared_by=PEOPLE[n % 4], commander=PEOPLE[(n + 1) % 4], postmortem=level <= 2,
    )  # fmt: skip


def _tickets(now: datetime) -> list[TicketStory]:
    """Tickets in every quadrant; two done more than a week ago with their host metric measured before
    and after (the host samples fall when they were done: see host_levels)."""
    return [
        TicketStory("Fix the memory leak in the image worker", "high", "low", "background jobs",
                    now - 25 * DAY, "U0BOB", "memory", started=now - 21 * DAY, done=MEMORY_FIX.of(now),
                    note="Leak fixed: the worker reuses its buffers."),
        TicketStory("Cache the product catalogue queries", "high", "high", "database", now - 24 * DAY,
                    "U0CAROL", "cpu", started=now - 20 * DAY, done=CPU_FIX.of(now),
                    note="Catalogue served from the cache; the database idles."),
        TicketStory("Alert on certificate expiry 30 days ahead", "high", "low", "infrastructure",
                    now - 9 * DAY, "U0ALICE", started=now - 2 * DAY),
        TicketStory("Move payments to the new provider SDK", "high", "high", "api", now - 6 * DAY, "U0DAVE"),
        TicketStory("Tidy the on-call runbook links", "low", "low", "other", now - 5 * DAY, "U0BOB",
                    started=now - 4 * DAY, done=now - 3 * DAY),
        TicketStory("Rename the staging dashboards", "low", "low", "frontend", now - 3 * DAY, "U0CAROL"),
        TicketStory("Rewrite the legacy billing cron in the worker", "low", "high", "background jobs",
                    now - 14 * DAY, "U0ALICE", started=now - 10 * DAY),
        TicketStory("Archive five-year-old audit logs by hand", "low", "high", "cost", now - 2 * DAY,
                    "U0DAVE"),
    ]  # fmt: skip


@dataclass(frozen=True)
class Fix:
    """When a measured ticket was done, counted back from now; the host samples step down there."""

    days_ago: float

    def of(self, now: datetime) -> datetime:
        return now - timedelta(days=self.days_ago)


MEMORY_FIX, CPU_FIX = Fix(13), Fix(11)
DISK_FROM, DISK_TO = 71.0, 87.0  # "/" fills towards the critical rule's 95 %


def host_levels(at: datetime, *, now: datetime, days: float, noise: float) -> dict[str, float]:
    """cpu, memory and disk (%) of the sample host at `at`: a daily cpu rhythm, both lower after their
    fix tickets were done, and a disk filling steadily over the `days` before now; `noise` in [-1, 1)."""
    hour = at.hour + at.minute / 60
    daytime = max(0.0, 1 - abs(hour - 14) / 8)  # busiest mid-afternoon (UTC)
    cpu = (30 if at >= CPU_FIX.of(now) else 48) + 22 * daytime + 6 * noise
    memory = (57 if at >= MEMORY_FIX.of(now) else 76) + 3 * noise
    elapsed = 1 - (now - at) / timedelta(days=days)
    disk = DISK_FROM + (DISK_TO - DISK_FROM) * elapsed + 0.4 * noise
    return {"cpu": round(cpu, 1), "memory": round(memory, 1), "disk": round(disk, 2)}
