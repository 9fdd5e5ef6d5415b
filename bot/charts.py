"""PNG charts drawn headless with matplotlib's Agg canvas (blocking: use a thread): /metrics line charts here,
and the look every opsbot chart shares (size, fonts, a time axis that is exactly the window asked for)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.kpis import Kpi, format_target
from bot.domain.metric_reports import MAX_SERIES, Series
from bot.domain.units import chart_scale, format_labels

if TYPE_CHECKING:  # matplotlib costs a second and tens of MB: loaded on the first chart, not at start-up
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Slack shows an image in a thread about 500 px wide and full size on a click: a wide figure at a high dpi
# with fonts sized for the shrunken preview reads well in both.
SIZE_INCHES = (10.0, 5.0)
DPI = 150
TITLE_SIZE = 15
SUBTITLE_SIZE = 11
LABEL_SIZE = 12
TICK_SIZE = 11
LEGEND_SIZE = 10
TARGET_COLOUR = "#d62728"
LINE_COLOUR = "#1f77b4"
SUBTITLE_COLOUR = "#555555"
LABEL_LIMIT = 60
FEW_POINTS = 40  # up to this many points a line gets markers: each sample stays visible


def kpi_chart(
    kpi: Kpi, series: Sequence[Series], *, subtitle: str, start: datetime, end: datetime, zone: str
) -> bytes:
    """The KPI's series over [start, end] as PNG bytes (see `draw_kpi`)."""
    return to_png(draw_kpi(kpi, series, subtitle=subtitle, start=start, end=end, zone=zone))


def draw_kpi(
    kpi: Kpi, series: Sequence[Series], *, subtitle: str, start: datetime, end: datetime, zone: str
) -> Figure:
    """Draw a KPI's series (its worst first) over exactly [start, end], with the target as a labelled line."""
    factor, unit = chart_scale(kpi.unit)
    figure, axes = _figure(kpi.title, subtitle)
    for index, one in enumerate(series[:MAX_SERIES]):
        label = format_labels(one.labels) if len(series) > 1 else kpi.title
        colour = LINE_COLOUR if len(series) == 1 else None
        _plot(axes, one, factor, label=label[:LABEL_LIMIT], colour=colour, width=2.5 if index == 0 else 1.6)
    if kpi.target is not None:
        target_line(axes, kpi.target * factor, f"target {format_target(kpi)}")
    axes.set_ylabel(f"{kpi.title} ({unit})" if unit else kpi.title, fontsize=LABEL_SIZE)
    time_axis(axes, start=start, end=end, zone=zone)
    axes.legend(loc="upper left", fontsize=LEGEND_SIZE, framealpha=0.85)
    return figure


def query_chart(
    promql: str, series: Sequence[Series], *, subtitle: str, start: datetime, end: datetime, zone: str
) -> bytes:
    """The query's series over [start, end] as PNG bytes (see `draw_query`)."""
    return to_png(draw_query(promql, series, subtitle=subtitle, start=start, end=end, zone=zone))


def draw_query(
    promql: str, series: Sequence[Series], *, subtitle: str, start: datetime, end: datetime, zone: str
) -> Figure:
    """Draw up to ten series of a raw PromQL query over exactly [start, end], each named by its labels."""
    figure, axes = _figure(promql if len(promql) <= 90 else promql[:89] + "…", subtitle)
    for one in series[:MAX_SERIES]:
        _plot(axes, one, 1.0, label=format_labels(one.labels)[:LABEL_LIMIT], colour=None, width=1.8)
    axes.set_ylabel("value", fontsize=LABEL_SIZE)
    time_axis(axes, start=start, end=end, zone=zone)
    if series:
        axes.legend(loc="upper left", fontsize=LEGEND_SIZE, framealpha=0.85)
    return figure


def new_figure(size: tuple[float, float] = SIZE_INCHES) -> Figure:
    """A headless figure on the Agg canvas (no display, no pyplot state shared between threads)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def style_axes(axes: Axes, *, grid_axis: str = "both") -> None:
    """The tick sizes and grid every opsbot chart uses."""
    axes.tick_params(labelsize=TICK_SIZE)
    axes.grid(True, axis=grid_axis, alpha=0.3)  # type: ignore[arg-type]


def time_axis(axes: Axes, *, start: datetime, end: datetime, zone: str) -> None:
    """Make the x axis exactly [start, end] with date ticks in `zone`, whatever the data spans: with
    autoscaling a single sample stretched the axis over years."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

    tz = ZoneInfo(zone)
    locator = AutoDateLocator(tz=tz, minticks=4, maxticks=9)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=tz))  # type: ignore[no-untyped-call]
    axes.set_xlim(date2num(start), date2num(end))  # type: ignore[no-untyped-call]
    axes.set_xlabel(f"time ({zone})", fontsize=LABEL_SIZE)


def target_line(axes: Axes, value: float, label: str) -> None:
    """A dashed target line with its label written on it at the right end (and in the legend)."""
    from matplotlib.transforms import blended_transform_factory

    axes.axhline(value, color=TARGET_COLOUR, linestyle="--", linewidth=2.0, label=label)
    axes.text(
        0.99,
        value,
        label,
        transform=blended_transform_factory(axes.transAxes, axes.transData),
        ha="right",
        va="bottom",
        color=TARGET_COLOUR,
        fontsize=LABEL_SIZE,
        fontweight="bold",
    )


def to_png(figure: Figure) -> bytes:
    """Lay the figure out and return it as PNG bytes; every text is drawn as written (see `literal_text`)."""
    literal_text(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def literal_text(figure: Figure) -> None:
    """Draw every text of the figure as written: titles, labels and legends carry PromQL, label values and
    ticket titles, where a `$` would start matplotlib's mathtext (and `$\\frac$` would fail the chart)."""
    from matplotlib.text import Text

    for text in figure.findobj(Text):
        text.set_parse_math(False)


def _figure(title: str, subtitle: str) -> tuple[Figure, Axes]:
    figure = new_figure()
    axes = figure.add_subplot()
    figure.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold")
    axes.set_title(subtitle, fontsize=SUBTITLE_SIZE, color=SUBTITLE_COLOUR)
    axes.margins(y=0.12)  # room above the target line for its label
    style_axes(axes)
    return figure, axes


def _plot(axes: Axes, series: Series, factor: float, *, label: str, colour: str | None, width: float) -> None:
    from matplotlib.dates import date2num

    times = [date2num(at) for at, _ in series.points]  # type: ignore[no-untyped-call]
    values = [value * factor for _, value in series.points]
    marker = "o" if len(times) <= FEW_POINTS else None
    axes.plot(times, values, label=label, color=colour, linewidth=width, marker=marker, markersize=5)
