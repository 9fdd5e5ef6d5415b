"""KPI rules: status with the at-risk margin, ranges, statistics, trends, units, query text."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.kpis import (
    Comparison,
    Kpi,
    Status,
    describe_range,
    format_target,
    format_trend,
    known_names,
    parse_query_text,
    parse_range,
    resolve_metric,
    stats_of,
    status_of,
    step_for,
    trend,
    worst,
)
from bot.domain.metric_reports import Sample, Series, average_of, current_of, downsample, top_samples
from bot.domain.units import format_value

CPU = Kpi(name="cpu", title="CPU usage", promql="x", unit="%", target=80, host_metric="cpu")
UPTIME = Kpi(
    name="uptime", title="Uptime", promql="x", unit="%", target=99.9, comparison=Comparison.ABOVE,
    at_risk_margin=0.05,
)  # fmt: skip
LATENCY = Kpi(name="latency_p95", title="API latency p95", promql="x", unit="ms", target=2000)


@pytest.mark.parametrize(
    ("kpi", "value", "expected"),
    [
        (CPU, 50, Status.MET),
        (CPU, 71.9, Status.MET),
        (CPU, 72, Status.AT_RISK),  # default margin: 10 % of the target
        (CPU, 79.99, Status.AT_RISK),
        (CPU, 80, Status.BREACHED),  # "< 80" is not met at 80
        (CPU, 95, Status.BREACHED),
        (UPTIME, 100, Status.MET),
        (UPTIME, 99.96, Status.MET),
        (UPTIME, 99.93, Status.AT_RISK),
        (UPTIME, 99.9, Status.BREACHED),
        (UPTIME, 98, Status.BREACHED),
        (CPU, None, Status.NO_DATA),
        (CPU, math.nan, Status.NO_DATA),
    ],
)
def test_status_against_target_and_margin(kpi: Kpi, value: float | None, expected: Status) -> None:
    assert status_of(kpi, value) is expected


def test_a_metric_without_target_has_no_status() -> None:
    load = resolve_metric("load", [])
    assert load is not None and status_of(load, 3.0) is Status.NO_DATA and format_target(load) == ""


def test_worst_value_depends_on_the_direction() -> None:
    assert worst([10, 90, 40], Comparison.BELOW) == 90
    assert worst([99.99, 99.5, math.nan], Comparison.ABOVE) == 99.5
    assert worst([], Comparison.BELOW) is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        (None, timedelta(hours=1)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("24H", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(days=14)),
    ],
)
def test_parse_range(word: str | None, expected: timedelta) -> None:
    assert parse_range(word) == expected


@pytest.mark.parametrize("word", ["0m", "1y", "abc", "1.5h", "-1h", "60d"])
def test_bad_ranges_say_how(word: str) -> None:
    with pytest.raises(ValueError, match=r"time range|longer than"):
        parse_range(word)


def test_ranges_are_described_as_people_say_them() -> None:
    assert [describe_range(parse_range(w)) for w in ("15m", "1h", "24h", "7d", "90m")] == [
        "15m",
        "1h",
        "24h",
        "7d",
        "90m",
    ]
    assert step_for(timedelta(hours=1)) == timedelta(seconds=15)
    assert step_for(timedelta(minutes=1)) == timedelta(seconds=1)


def test_stats_min_avg_max_p95() -> None:
    stats = stats_of(float(v) for v in range(1, 101))
    assert stats is not None
    assert (stats.count, stats.min, stats.avg, stats.max) == (100, 1, 50.5, 100)
    assert stats.p95 == pytest.approx(95.05)
    one = stats_of([7.0])
    assert one is not None and one.p95 == 7.0
    assert stats_of([]) is None and stats_of([math.nan]) is None


def test_trend_against_the_previous_range() -> None:
    worse = trend(35, 20, Comparison.BELOW)
    assert worse is not None and worse.arrow == "▲" and worse.better is False
    assert format_trend(worse, "%") == "▲ 75 % (worse)"
    better = trend(99.99, 99.5, Comparison.ABOVE)
    assert better is not None and better.better is True and format_trend(better, "%").startswith("▲ 0.49 %")
    assert format_trend(trend(5, 0, Comparison.BELOW), "ms") == "▲ 5 ms (worse)"
    assert format_trend(trend(5, 5, Comparison.BELOW), "ms") == "= unchanged"
    assert format_trend(trend(5, None, Comparison.BELOW), "ms") == "no earlier data"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (245.4, "ms", "245 ms"),
        (2100, "ms", "2.1 s"),
        (0.245, "s", "245 ms"),
        (12.345, "s", "12.3 s"),
        (99.95, "%", "99.95 %"),
        (99.999, "%", "99.999 %"),
        (100.0, "%", "100 %"),
        (12.345, "%", "12.3 %"),
        (0.5, "%", "0.5 %"),
        (0.995, "ratio", "99.5 %"),
        (3.5 * 1024**3, "bytes", "3.5 GB"),
        (512, "bytes", "512 B"),
        (1234567, "count", "1,234,567"),
        (0.8765, "", "0.88"),
        (0.0012, "", "0.0012"),
        (0, "", "0"),
        (12.5, "req/s", "12.5 req/s"),
        (None, "%", "–"),
    ],
)
def test_units_are_formatted_for_reading(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_targets_read_like_the_rule() -> None:
    assert format_target(LATENCY) == "< 2 s"
    assert format_target(UPTIME) == "> 99.9 %"


def test_names_and_shortcuts_resolve() -> None:
    kpis = [CPU, LATENCY, UPTIME]
    latency = resolve_metric("latency", kpis)
    assert latency is LATENCY
    assert resolve_metric("CPU", kpis) is CPU
    assert resolve_metric("errors", kpis) is None  # no error_rate configured
    assert resolve_metric("nonsense", kpis) is None
    assert known_names(kpis)[:4] == ["cpu", "latency_p95", "uptime", "load"]
    assert "latency" in known_names(kpis) and "errors" not in known_names(kpis)


def test_query_text_unescapes_slack_and_splits_a_trailing_range() -> None:
    assert parse_query_text("up &gt; 0") == ("up > 0", None)
    assert parse_query_text("rate(http_requests_total[5m]) 24h") == ("rate(http_requests_total[5m])", "24h")
    assert parse_query_text("1h") == ("1h", None)
    assert parse_query_text("") == ("", None)
    # Only Slack's three entities: nothing else becomes a control character or a new line
    assert parse_query_text("up &amp;#10; &#10;&NewLine;&#0;") == ("up &#10; &#10;&NewLine;&#0;", None)
    assert parse_query_text('up{job="&lt;!here&gt;"}') == ('up{job="<!here>"}', None)


def _series(values: list[float], **labels: str) -> Series:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return Series(labels, tuple((start + timedelta(minutes=i), v) for i, v in enumerate(values)))


def test_several_series_count_by_their_worst() -> None:
    disks = [_series([10, 20], mountpoint="/"), _series([80, 90], mountpoint="/data")]
    assert average_of(disks, Comparison.BELOW) == 85
    assert average_of(disks, Comparison.ABOVE) == 15
    assert average_of([], Comparison.BELOW) is None
    now = [Sample({"mountpoint": "/"}, 20), Sample({"mountpoint": "/data"}, 90)]
    assert current_of(now, Comparison.BELOW) == 90


def test_downsample_averages_per_step() -> None:
    series = _series([1, 3, 5, 7, 9])
    points = downsample(series.points, start=series.points[0][0], step=timedelta(minutes=2))
    assert [v for _, v in points] == [2, 6, 9]


def test_top_samples_keep_ten_and_count_the_rest() -> None:
    samples = [Sample({"i": str(i)}, float(i)) for i in range(15)] + [Sample({}, math.nan)]
    shown, more = top_samples(samples)
    assert [s.value for s in shown] == [14, 13, 12, 11, 10, 9, 8, 7, 6, 5] and more == 6
