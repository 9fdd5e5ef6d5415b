"""PNG line charts for /metrics, drawn headless with matplotlib's Agg canvas (blocking: use a thread)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.kpis import Kpi, format_target
from bot.domain.metric_reports import MAX_SERIES, Series
from bot.domain.units import chart_scale, format_labels

if TYPE_CHECKING:  # matplotlib costs a second and tens of MB: loaded on the first chart, not at start-up
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SIZE_INCHES = (9.0, 4.0)
DPI = 110
TARGET_COLOUR = "#d62728"
LINE_COLOUR = "#1f77b4"
LABEL_LIMIT = 60


def kpi_chart(kpi: Kpi, series: Sequence[Series], *, subtitle: str) -> bytes:
    """Draw a KPI's series (its worst first) with the target as a dashed line; return PNG bytes."""
    factor, axis_label = chart_scale(kpi.unit)
    figure, axes = _figure(kpi.title, subtitle)
    for index, one in enumerate(series[:MAX_SERIES]):
        label = format_labels(one.labels) if len(series) > 1 else kpi.title
        colour = LINE_COLOUR if len(series) == 1 else None
        _plot(axes, one, factor, label=label, colour=colour, width=2.0 if index == 0 else 1.2)
    if kpi.target is not None:
        axes.axhline(
            kpi.target * factor,
            color=TARGET_COLOUR,
            linestyle="--",
            linewidth=1.5,
            label=f"target {format_target(kpi)}",
        )
    axes.set_ylabel(axis_label)
    return _png(figure, axes, legend=True)


def query_chart(promql: str, series: Sequence[Series], *, subtitle: str) -> bytes:
    """Draw up to ten series of a raw PromQL query, each labelled with its label set; return PNG bytes."""
    figure, axes = _figure(promql if len(promql) <= 90 else promql[:89] + "…", subtitle)
    for one in series[:MAX_SERIES]:
        label = format_labels(one.labels)
        _plot(axes, one, 1.0, label=label[:LABEL_LIMIT], colour=None, width=1.4)
    return _png(figure, axes, legend=bool(series))


def new_figure(size: tuple[float, float] = SIZE_INCHES) -> Figure:
    """A headless figure on the Agg canvas (no display, no pyplot state shared between threads)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


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
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    figure = new_figure()
    axes = figure.add_subplot()
    figure.suptitle(title, fontsize=12, fontweight="bold")
    axes.set_title(subtitle, fontsize=9, color="#555555")
    axes.grid(True, alpha=0.3)
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    return figure, axes


def _plot(axes: Axes, series: Series, factor: float, *, label: str, colour: str | None, width: float) -> None:
    from matplotlib.dates import date2num

    times = [date2num(at) for at, _ in series.points]  # type: ignore[no-untyped-call]
    values = [value * factor for _, value in series.points]
    axes.plot(times, values, label=label, color=colour, linewidth=width)


def _png(figure: Figure, axes: Axes, *, legend: bool) -> bytes:
    if legend:
        axes.legend(loc="best", fontsize=7, framealpha=0.8)
    return to_png(figure)
