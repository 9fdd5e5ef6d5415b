"""/metrics draws a chart over exactly the report's window, and none for fewer than two samples."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.image import imread

from bot.domain.kpis import Kpi, Status
from bot.domain.metric_reports import MetricReport, QueryResult, Series
from bot.services.metrics import draw_query_chart, draw_report_chart

END = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CPU = Kpi(name="cpu", title="CPU usage", promql="x", unit="%", target=80, host_metric="cpu")


def report_of(points: int) -> MetricReport:
    series = Series({}, tuple((END - timedelta(minutes=5 * i), 30.0 + i) for i in range(points)))
    return MetricReport(
        kpi=CPU, source="this host (web-1)", span=timedelta(hours=1), current=30.0, current_samples=(),
        status=Status.MET, stats=None, trend=None, series=(series,) if points else (), end=END,
        zone="Europe/Berlin",
    )  # fmt: skip


@pytest.mark.parametrize("points", [0, 1])
async def test_fewer_than_two_samples_draw_no_chart(points: int) -> None:
    assert await draw_report_chart(report_of(points)) is None
    one = Series({}, ((END, 1.0),))
    found = QueryResult(promql="up", source="P", span=timedelta(hours=1), series=(one,), end=END)
    assert await draw_query_chart(found) is None


async def test_two_samples_draw_a_readable_chart() -> None:
    png = await draw_report_chart(report_of(2))
    assert png is not None
    height, width, _ = imread(io.BytesIO(png), format="png").shape
    assert (width, height) == (1500, 750)
