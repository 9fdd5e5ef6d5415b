"""Host check rules: a threshold must hold for its duration, and URL checks must stay down long enough."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.alerts import AlertStatus
from bot.domain.hostchecks import (
    HostReading,
    HostRule,
    Probe,
    ProcessUsage,
    RuleState,
    Transition,
    UptimeState,
    counter_rate,
    display_url,
    evaluate,
    evaluate_uptime,
    is_up_status,
    metric_values,
    network_rates,
    reading_series,
    resend_due,
    restored_rule_states,
    restored_uptime_states,
    rule_alert,
    top_of,
    uptime_alert,
    url_instance,
)
from bot.domain.incoming import fingerprint_of

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HIGH_CPU = HostRule("HostHighCpu", "cpu", 80, timedelta(minutes=10), "warning")
DISK_FULL = HostRule("HostDiskFull", "disk", 90, timedelta(0), "critical")
DOWN_AFTER = timedelta(seconds=60)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run(
    rule: HostRule, values: list[tuple[float, float | None]]
) -> tuple[RuleState, list[tuple[float, Transition]]]:
    """Feed (second, value) samples to a rule; return its last state and the transitions with their times."""
    state, seen = RuleState(), []
    for second, value in values:
        state, transition = evaluate(rule, state, value, at(second))
        if transition:
            seen.append((second, transition))
    return state, seen


def every_15s(minutes: float, value: float | None, *, start: float = 0) -> list[tuple[float, float | None]]:
    return [(start + s, value) for s in range(0, int(minutes * 60), 15)]


def test_fires_only_once_the_condition_held_for_the_duration() -> None:
    state, seen = run(HIGH_CPU, [*every_15s(10, 93.0), (600, 93.0), (615, 95.0)])
    assert seen == [(600, Transition.FIRED)]
    assert state == RuleState(pending_since=T0, firing=True)


def test_pending_is_not_firing() -> None:
    state, seen = run(HIGH_CPU, every_15s(9.9, 93.0))
    assert seen == []
    assert state.pending_since == T0 and not state.firing


def test_the_threshold_itself_does_not_count_as_above() -> None:
    assert run(DISK_FULL, [(0, 90.0)])[1] == []


def test_rules_without_a_duration_fire_at_once() -> None:
    state, seen = run(DISK_FULL, [(0, 50.0), (15, 91.0)])
    assert seen == [(15, Transition.FIRED)]
    assert state.pending_since == at(15)


def test_a_dip_below_resets_the_pending_timer() -> None:
    samples = [*every_15s(8, 93.0), (480, 40.0), *every_15s(10, 93.0, start=495)]
    _, seen = run(HIGH_CPU, samples)
    assert seen == []
    _, seen = run(HIGH_CPU, [*samples, (1095, 93.0)])
    assert seen == [(1095, Transition.FIRED)]


def test_resolves_when_the_condition_ends_and_can_fire_again() -> None:
    samples = [*every_15s(10, 93.0), (600, 93.0), (615, 20.0), (630, 25.0)]
    state, seen = run(HIGH_CPU, samples)
    assert seen == [(600, Transition.FIRED), (615, Transition.RESOLVED)]
    assert state == RuleState()
    _, seen = run(DISK_FULL, [(0, 95.0), (15, 80.0), (30, 97.0)])
    assert [t for _, t in seen] == [Transition.FIRED, Transition.RESOLVED, Transition.FIRED]


def test_missing_samples_never_fire() -> None:
    state, seen = run(DISK_FULL, [(0, None), (15, None)])
    assert (state, seen) == (RuleState(), [])
    _, seen = run(HIGH_CPU, [*every_15s(9, 93.0), (540, None), *every_15s(2, 93.0, start=555)])
    assert seen == []


def test_a_series_that_disappears_resolves() -> None:
    _, seen = run(DISK_FULL, [(0, 95.0), (15, None)])
    assert seen == [(0, Transition.FIRED), (15, Transition.RESOLVED)]


def probe_run(probes: list[tuple[float, bool]]) -> tuple[UptimeState, list[tuple[float, Transition]]]:
    state, seen = UptimeState(), []
    for second, up in probes:
        state, transition = evaluate_uptime(state, up=up, now=at(second), down_after=DOWN_AFTER)
        if transition:
            seen.append((second, transition))
    return state, seen


def test_a_url_down_for_the_down_after_time_fires() -> None:
    state, seen = probe_run([(0, True), (60, False), (90, False), (120, False), (180, False)])
    assert seen == [(120, Transition.FIRED)]
    assert state == UptimeState(down_since=at(60), firing=True)


def test_a_short_outage_does_not_fire() -> None:
    assert probe_run([(0, False), (30, False), (45, True), (60, False)])[1] == []


def test_a_url_that_answers_again_resolves() -> None:
    state, seen = probe_run([(0, False), (60, False), (120, True), (180, True)])
    assert seen == [(60, Transition.FIRED), (120, Transition.RESOLVED)]
    assert state == UptimeState()


def test_down_after_zero_fires_on_the_first_failure() -> None:
    _, transition = evaluate_uptime(UptimeState(), up=False, now=T0, down_after=timedelta(0))
    assert transition is Transition.FIRED


@pytest.mark.parametrize(
    ("status", "up"),
    [
        (200, True),
        (204, True),
        (301, True),
        (399, True),
        (404, False),
        (429, False),
        (500, False),
        (503, False),
        (100, False),
    ],
)
def test_2xx_and_3xx_are_up(status: int, up: bool) -> None:
    assert is_up_status(status) is up


def test_firing_alerts_are_repeated_every_five_minutes() -> None:
    assert resend_due(last_sent=None, now=T0)
    assert not resend_due(last_sent=T0, now=at(299))
    assert resend_due(last_sent=T0, now=at(300))


def test_counter_rates() -> None:
    assert counter_rate(1000, 4000, 15) == 200
    assert counter_rate(4000, 1000, 15) is None  # the counter was reset (reboot, wrap)
    assert counter_rate(1000, 1000, 0) is None


def test_a_firing_cpu_alert_reads_like_the_page_it_is() -> None:
    alert = rule_alert(HIGH_CPU, hostname="host-a", key="", value=93.2, since=T0, now=at(600), firing=True)
    assert alert.status is AlertStatus.FIRING
    assert alert.labels == {
        "alertname": "HostHighCpu",
        "severity": "warning",
        "instance": "host-a",
        "job": "opsbot-host",
    }
    assert alert.fingerprint == fingerprint_of(alert.labels)
    assert alert.annotations["summary"] == "CPU at 93 % on host-a for 10 min (threshold 80 %)"
    assert (alert.starts_at, alert.ends_at) == (T0, None)


def test_disk_alerts_are_per_mount_and_resolve_with_an_end() -> None:
    root = rule_alert(DISK_FULL, hostname="host-a", key="/", value=95, since=T0, now=T0, firing=True)
    data = rule_alert(DISK_FULL, hostname="host-a", key="/data", value=95, since=T0, now=T0, firing=True)
    assert root.labels["mountpoint"] == "/" and data.labels["mountpoint"] == "/data"
    assert root.fingerprint != data.fingerprint
    assert root.annotations["summary"] == "Disk / at 95 % on host-a (threshold 90 %)"
    resolved = rule_alert(
        DISK_FULL, hostname="host-a", key="/", value=70, since=T0, now=at(120), firing=False
    )
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.fingerprint == root.fingerprint
    assert (resolved.starts_at, resolved.ends_at) == (T0, at(120))
    assert resolved.annotations["summary"] == "Disk / back at 70 % on host-a (threshold 90 %)"


def test_uptime_alert_labels_and_annotations() -> None:
    url = "https://user:secret@shop.example.com:8443/health?token=abc"
    probe = Probe(up=False, status=503)
    alert = uptime_alert(check="shop", url=url, probe=probe, since=T0, now=at(120), firing=True)
    assert alert.labels == {
        "alertname": "UptimeCheckFailed",
        "severity": "critical",
        "check": "shop",
        "url": "https://shop.example.com:8443/health",
        "instance": "shop.example.com:8443",
    }
    assert alert.annotations["summary"] == "shop is down for 2 min: HTTP 503"
    assert "secret" not in str(alert.annotations) and "token" not in str(alert.annotations)
    up = uptime_alert(
        check="shop", url=url, probe=Probe(up=True, status=200), since=T0, now=at(180), firing=False
    )
    assert up.status is AlertStatus.RESOLVED and up.fingerprint == alert.fingerprint
    assert up.ends_at == at(180)


def test_urls_are_shown_without_credentials() -> None:
    assert display_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/"
    assert display_url("http://[::1]:9/x?y=1") == "http://[::1]:9/x"
    assert url_instance("https://example.com/health") == "example.com"
    assert url_instance("http://[::1]:9/") == "[::1]:9"
    assert Probe(up=False, error="timed out after 10 s").reason == "timed out after 10 s"


READING = HostReading(
    cpu_percent=12.5,
    memory_percent=40,
    disks={"/": 50, "/data": 93},
    load=(0.5, 0.4, 0.3),
    net_bytes_sent=1_000,
    net_bytes_recv=5_000,
)


def test_a_reading_becomes_series() -> None:
    assert reading_series(READING) == {
        ("cpu", ""): 12.5,
        ("memory", ""): 40,
        ("load1", ""): 0.5,
        ("load5", ""): 0.4,
        ("load15", ""): 0.3,
        ("disk", "/"): 50,
        ("disk", "/data"): 93,
    }
    assert metric_values("disk", READING) == {"/": 50, "/data": 93}
    assert metric_values("cpu", READING) == {"": 12.5}
    assert metric_values("swap", READING) == {}


def test_network_counters_become_rates() -> None:
    later = HostReading(cpu_percent=0, memory_percent=0, disks={}, net_bytes_sent=4_000, net_bytes_recv=2_000)
    assert network_rates(READING, later, seconds=15) == {("net_sent_bps", ""): 200}  # recv was reset
    assert network_rates(READING, HostReading(cpu_percent=0, memory_percent=0, disks={}), seconds=15) == {}


def test_firing_states_are_restored_from_stored_alerts() -> None:
    host_labels = {
        "alertname": "HostDiskFull",
        "severity": "critical",
        "instance": "host-a",
        "job": "opsbot-host",
    }
    firing = [
        ({**host_labels, "mountpoint": "/data"}, T0),
        ({**host_labels, "mountpoint": "/", "instance": "host-b"}, T0),  # another replica's host
        ({**host_labels, "severity": "warning", "mountpoint": "/"}, T0),  # the rule changed severity since
        ({"alertname": "UptimeCheckFailed", "check": "shop"}, at(60)),
        ({"alertname": "UptimeCheckFailed", "check": "gone"}, at(60)),
    ]
    rules = restored_rule_states([HIGH_CPU, DISK_FULL], firing, hostname="host-a")
    assert rules == {(DISK_FULL, "/data"): RuleState(T0, firing=True)}
    assert restored_uptime_states(["shop"], firing) == {"shop": UptimeState(at(60), firing=True)}


def test_the_busiest_processes() -> None:
    processes = [
        ProcessUsage(1, "init", 0.1, 0.5),
        ProcessUsage(2, "java", 180.0, 30),
        ProcessUsage(3, "pg", 20, 45),
    ]
    top = top_of(processes, limit=2)
    assert [p.name for p in top.by_cpu] == ["java", "pg"]
    assert [p.name for p in top.by_memory] == ["pg", "java"]
