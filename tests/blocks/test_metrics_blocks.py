"""/metrics rendering: what people read, and Slack's limits kept whatever the input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.blocks.metrics import render_overview, render_query, render_report
from bot.domain.hostchecks import ProcessUsage, TopProcesses
from bot.domain.kpis import Comparison, Kpi, Stats, Status, raw_query, trend
from bot.domain.metric_reports import (
    HostDetails,
    KpiReading,
    MetricReport,
    Network,
    Overview,
    QueryResult,
    Sample,
    Series,
)
from sandbox.blockkit import validate_blocks
from sandbox.waits import message_text

CPU = Kpi(name="cpu", title="CPU usage", promql="x", unit="%", target=80, host_metric="cpu")
P95 = Kpi(name="latency_p95", title="API latency p95", promql="x", unit="ms", target=2000)
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def valid(payload: dict[str, Any]) -> str:
    assert validate_blocks(payload["blocks"]) == []
    assert len(payload["text"]) <= 3000
    return message_text(payload)


def host() -> HostDetails:
    top = TopProcesses(
        by_cpu=(ProcessUsage(42, "postgres", 55.5, 3.2),), by_memory=(ProcessUsage(7, "java", 1.0, 41.0),)
    )
    return HostDetails(
        hostname="web-1",
        disks={"/": 71.0, "/data": 93.2},
        load=(1.5, 1.2, 0.9),
        network=Network(sent=2048.0, received=3 * 1024**2, per_second=True),
        top=top,
    )


def test_overview_marks_each_kpi() -> None:
    readings = (
        KpiReading(CPU, 75.0, Status.AT_RISK),
        KpiReading(P95, None, Status.NO_DATA, problem="needs Prometheus"),
    )
    text = valid(render_overview(Overview(source="this host (web-1)", readings=readings, host=host())))
    assert "⚠️ *CPU usage*: 75 % · target < 80 % · _at risk_" in text
    assert "⚪ *API latency p95*: needs Prometheus · target < 2 s" in text
    assert "1 at risk · 1 no data · source: this host (web-1)" in text
    assert "`/data` 93.2 %" in text and "Load (1 / 5 / 15 min): 1.5 / 1.2 / 0.9" in text
    assert "sent 2 KB/s, received 3 MB/s" in text
    assert "`postgres` (42) 55.5 %" in text and "`java` (7) 41 %" in text


def test_overview_names_the_team_only_when_there_are_several() -> None:
    readings = (KpiReading(CPU, 75.0, Status.AT_RISK),)
    alone = render_overview(Overview(source="this host (web-1)", readings=readings))
    assert alone["blocks"][0]["text"]["text"] == "KPI overview" and alone["text"].startswith("KPI overview:")
    team = render_overview(Overview(source="this host (web-1)", readings=readings, team="Payments"))
    assert team["blocks"][0]["text"]["text"] == "KPI overview — Payments"
    assert valid(team).startswith("KPI overview — Payments")


def test_overview_of_many_kpis_stays_within_limits() -> None:
    kpis = [
        KpiReading(Kpi(name=f"k{i}", title="T" * 80, promql="x", target=1), 2.0, Status.BREACHED)
        for i in range(300)
    ]
    payload = render_overview(Overview(source="Prometheus at http://p:9090", readings=tuple(kpis)))
    valid(payload)
    assert len(payload["blocks"]) <= 50


def test_report_has_now_target_stats_trend_and_why_no_chart() -> None:
    series = (Series({}, ((NOW, 30.0),)),)
    report = MetricReport(
        kpi=CPU,
        source="this host (web-1)",
        span=timedelta(hours=24),
        current=85.0,
        current_samples=(Sample({}, 85.0),),
        status=Status.BREACHED,
        stats=Stats(count=10, min=30, avg=35, max=40, p95=39.5),
        trend=trend(35, 20, Comparison.BELOW),
        series=series,
        host=host(),
    )
    text = valid(render_report(report, chart_missing="opsbot is not a member of this channel"))
    assert "CPU usage — last 24h" in text and "85 % 🔴 _breached_" in text
    assert "30 % / 35 % / 40 %" in text and "39.5 %" in text and "▲ 75 % (worse)" in text
    assert ":warning: No chart: opsbot is not a member of this channel." in text


def test_report_without_samples_says_so_and_lists_series_now() -> None:
    disk = Kpi(name="disk", title="Disk", promql="x", unit="%", target=90, host_metric="disk")
    samples = tuple(Sample({"mountpoint": f"/m{i}"}, float(i)) for i in range(14))
    report = MetricReport(
        kpi=disk, source="this host (web-1)", span=timedelta(hours=1), current=13.0, current_samples=samples,
        status=Status.MET, stats=None, trend=None,
    )  # fmt: skip
    text = valid(render_report(report))
    assert (
        "No chart: not enough data yet (0 samples) over the last 1h" in text
        and '{mountpoint="/m13"}` 13 %' in text
        and "and 4 more" in text
    )


def test_fewer_than_two_samples_say_not_enough_data_instead_of_a_chart() -> None:
    one = Series({}, ((NOW, 30.0),))
    report = MetricReport(
        kpi=CPU, source="this host (web-1)", span=timedelta(hours=1), current=30.0,
        current_samples=(Sample({}, 30.0),), status=Status.MET,
        stats=Stats(count=1, min=30, avg=30, max=30, p95=30), trend=None, series=(one,),
    )  # fmt: skip
    text = valid(render_report(report))
    assert "No chart: not enough data yet (1 sample) over the last 1h." in text and "30 %" in text
    two = Series({}, ((NOW, 30.0), (NOW + timedelta(minutes=1), 31.0)))
    assert "not enough data" not in valid(render_report(replace(report, series=(two,))))
    found = QueryResult(promql="up", source="P", span=timedelta(hours=1), series=(one,), stats=(None,))
    assert "No chart: not enough data yet (1 sample)." in valid(render_query(found))
    nothing = valid(render_query(QueryResult(promql="up", source="P", span=timedelta(hours=1))))
    assert "No chart: not enough data yet (0 samples)." in nothing


def test_query_table_and_empty_answer() -> None:
    samples = tuple(Sample({"__name__": "up", "job": f"j{i}", "x": "<&>"}, 1.0) for i in range(10))
    text = valid(render_query(QueryResult(promql="up > 0", source="Prometheus", samples=samples, more=3)))
    assert 'up{job="j0", x="&lt;&amp;&gt;"}` → *1*' in text and "and 3 more" in text
    assert "```up &gt; 0```" in text
    empty = valid(render_query(QueryResult(promql='up{job="x"}', source="Prometheus")))
    assert "No data: the query returned nothing." in empty and 'up{job="x"}' in empty


def test_huge_queries_and_labels_stay_within_limits() -> None:
    long = "sum(" * 2000
    samples = tuple(Sample({"l": "v" * 5000}, float(i)) for i in range(10))
    valid(render_query(QueryResult(promql=long, source="Prometheus", samples=samples)))
    series = tuple(Series({"l": "v" * 5000}, ((NOW, 1.0),)) for _ in range(10))
    stats = tuple(None for _ in series)
    found = QueryResult(
        promql=long, source="P", span=timedelta(hours=1), series=series, more_series=5, stats=stats
    )
    assert raw_query(long).is_raw_query
    valid(render_query(found, chart_missing="x" * 4000))
