"""Digest charts: bars per day or week on a time axis that is exactly the period, in the team's time zone;
the impact × effort matrix."""

from __future__ import annotations

from datetime import date

from matplotlib.axes import Axes
from matplotlib.dates import num2date
from matplotlib.patches import Rectangle

from bot.digest_charts import alerts_by_severity, draw_by_severity, draw_monthly, monthly_overview
from bot.domain.digest_periods import DigestKind, period_containing
from bot.domain.digests import fill_buckets
from bot.ticket_chart import draw_matrix, matrix_chart

PNG = b"\x89PNG\r\n\x1a\n"
WEEK = period_containing(DigestKind.WEEKLY, date(2026, 11, 18), "Europe/Berlin")
MONTH = period_containing(DigestKind.MONTHLY, date(2026, 10, 14), "Europe/Berlin")
DAYS = WEEK.day_boundaries()[:-1]
WEEKS = MONTH.week_boundaries()[:-1]


def bars_of(axes: Axes) -> list[Rectangle]:
    return [patch for container in axes.containers for patch in container]  # type: ignore[attr-defined]


def assert_spans_the_period(axes: Axes, start: object, end: object) -> None:
    left, right = axes.get_xlim()
    assert (num2date(left), num2date(right)) == (start, end)


def test_alerts_per_day_by_severity_span_the_week_in_the_team_zone() -> None:
    buckets = fill_buckets(DAYS, [(0, "critical", 3), (1, "warning", 10), (6, "info", 2)])
    figure = draw_by_severity(buckets, title="Alerts per day", period=WEEK)
    axes = figure.axes[0]
    assert_spans_the_period(axes, WEEK.start, WEEK.end)
    assert [label.get_text() for label in axes.get_xticklabels()] == [
        "Mon 16", "Tue 17", "Wed 18", "Thu 19", "Fri 20", "Sat 21", "Sun 22"
    ]  # fmt: skip
    heights = {(bar.get_x(), bar.get_height()) for bar in bars_of(axes) if bar.get_height()}
    assert len(heights) == 3 and {h for _, h in heights} == {3, 10, 2}
    assert axes.get_ylabel() == "firings" and "Europe/Berlin" in axes.get_xlabel()
    assert alerts_by_severity(fill_buckets(DAYS, []), title="quiet week", period=WEEK).startswith(PNG)


def test_monthly_overview_spans_the_month_with_a_line_per_kpi() -> None:
    buckets = fill_buckets(WEEKS, [(2, "warning", 40)])
    incidents = tuple(i % 2 for i in range(len(WEEKS)))
    kpis = {"latency_p95": tuple([900.0, None, 950.0, 1000.0, 0.0][: len(WEEKS)])}
    figure = draw_monthly(buckets, incidents, kpis, title="October", period=MONTH)
    top, bottom = figure.axes[:2]
    for axes in (top, bottom):
        assert_spans_the_period(axes, MONTH.start, MONTH.end)
    (line,) = bottom.get_lines()
    assert len(line.get_xdata()) == len(WEEKS) >= 2 and line.get_marker() == "o"
    assert max(bar.get_height() for bar in bars_of(top)) == 40
    assert monthly_overview(buckets, incidents, {}, title="October", period=MONTH).startswith(PNG)


def test_the_matrix_draws_four_quadrants_with_counts() -> None:
    figure = draw_matrix({"Quick Win": 2}, {"Quick Win": ["Cache the token"]}, subtitle="active tickets")
    axes = figure.axes[0]
    assert axes.get_xlim() == (0, 2) and len([p for p in axes.patches if isinstance(p, Rectangle)]) == 4
    texts = [text.get_text() for text in axes.texts]
    assert "Quick Win (2)" in texts and "Cache the token" in texts


def test_mathtext_in_names_and_titles_is_drawn_as_written() -> None:
    bait = r"$\frac{x$ for $5"
    buckets = fill_buckets(WEEKS, [(2, "warning", 40)])
    kpis = {bait: tuple(float(i + 1) for i in range(len(WEEKS)))}
    incidents = (1,) * len(WEEKS)
    assert monthly_overview(buckets, incidents, kpis, title=bait, period=MONTH).startswith(PNG)
    assert alerts_by_severity(fill_buckets(DAYS, []), title=bait, period=WEEK).startswith(PNG)
    assert matrix_chart({"Quick Win": 1}, {"Quick Win": [bait]}, subtitle=bait).startswith(PNG)
