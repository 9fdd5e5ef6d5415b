"""Stale hosts: which alerts belong to a host, when a host counts as stopped, and the resolve that says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.alerts import AlertStatus
from bot.domain.incoming import fingerprint_of
from bot.domain.stale_hosts import STALE_ANNOTATION, alert_host, claim_key, is_stale, stale_alert

T0 = datetime(2026, 11, 23, 9, 4, 30, tzinfo=UTC)
TEN_MIN = timedelta(minutes=10)
LABELS = {"alertname": "HostHighMemory", "severity": "warning", "instance": "web-1", "job": "opsbot-host"}


def test_only_host_rule_alerts_belong_to_a_host() -> None:
    assert alert_host(LABELS) == "web-1"
    assert alert_host({"alertname": "UptimeCheckFailed", "instance": "shop.example:443"}) is None
    assert alert_host({"alertname": "NodeDown", "instance": "web-1", "job": "node"}) is None


def test_a_host_is_stale_once_its_newest_sample_is_old_enough() -> None:
    assert not is_stale(T0, now=T0 + TEN_MIN - timedelta(seconds=1), after=TEN_MIN)
    assert is_stale(T0, now=T0 + TEN_MIN, after=TEN_MIN)
    assert is_stale(None, now=T0, after=TEN_MIN)  # no sample kept at all (purged, or before migration 0011)


def test_each_silence_of_a_host_is_claimed_once() -> None:
    assert claim_key("web-1", T0) == "2026-11-23T09:04:30+00:00|web-1"
    assert claim_key("web-1", None) == "never|web-1"
    assert claim_key("web-1", T0) != claim_key("web-1", T0 + TEN_MIN)  # back, then silent again: a new one
    assert len(claim_key("h" * 300, T0)) == 255


def test_the_stale_resolve_says_why_and_is_the_same_from_every_replica() -> None:
    started = T0 - timedelta(hours=1)
    fingerprint = fingerprint_of(LABELS)
    resolve = stale_alert(
        fingerprint=fingerprint,
        labels=LABELS,
        starts_at=started,
        host="web-1",
        last_seen=T0,
        after=TEN_MIN,
        now=T0 + timedelta(minutes=17),
    )
    assert (resolve.fingerprint, resolve.status, resolve.labels) == (
        fingerprint,
        AlertStatus.RESOLVED,
        LABELS,
    )
    assert (resolve.starts_at, resolve.ends_at) == (started, T0 + TEN_MIN)
    assert resolve.annotations == {
        "summary": "Resolved as stale: web-1 stopped reporting at 09:04 UTC",
        "description": "No sample from web-1 since 2026-11-23 09:04:30 UTC (10 min or more), so its "
        "HostHighMemory alert is resolved. It fires again if web-1 reports again and the condition "
        "still holds.",
        STALE_ANNOTATION: "true",
    }
    later = stale_alert(
        fingerprint=fingerprint,
        labels=LABELS,
        starts_at=started,
        host="web-1",
        last_seen=T0,
        after=TEN_MIN,
        now=T0 + timedelta(minutes=30),
    )
    assert later == resolve  # a second replica's resolve changes nothing it stores


def test_a_host_without_kept_samples_is_resolved_now() -> None:
    resolve = stale_alert(
        fingerprint="f", labels=LABELS, starts_at=T0, host="web-1", last_seen=None, after=TEN_MIN, now=T0
    )
    assert resolve.ends_at == T0
    assert (
        resolve.annotations["summary"]
        == "Resolved as stale: web-1 stopped reporting (no sample of it is kept)"
    )
