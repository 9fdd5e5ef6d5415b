"""PNG charts for the digests (matplotlib Agg, blocking: call through asyncio.to_thread).

Bars stand on a time axis that is exactly the digest's period, each as wide as its day or week, labelled in
the team's time zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.charts import LABEL_LIMIT, LABEL_SIZE, LEGEND_SIZE, TITLE_SIZE, new_figure, style_axes, to_png
from bot.domain.digest_periods import Period
from bot.domain.digests import Buckets

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COLOURS = {"critical": "#d62728", "warning": "#ff7f0e", "info": "#1f77b4"}
MONTHLY_SIZE = (10.0, 8.0)
GAP = 0.15  # of each day or week left between its bars


def alerts_by_severity(buckets: Buckets, *, title: str, period: Period, label_format: str = "%a %d") -> bytes:
    """Stacked bars of firings per bucket (day or week) by severity, as PNG bytes (see `draw_by_severity`)."""
    return to_png(draw_by_severity(buckets, title=title, period=period, label_format=label_format))


def draw_by_severity(buckets: Buckets, *, title: str, period: Period, label_format: str = "%a %d") -> Figure:
    """Stacked bars of firings per bucket by severity over exactly the period."""
    figure = new_figure()
    axes = figure.add_subplot()
    lefts, widths = _bars(buckets.starts, period.end)
    gapped = [x + w * GAP / 2 for x, w in zip(lefts, widths, strict=True)]
    bottom = [0] * len(lefts)
    for severity in ("critical", "warning", "info"):
        values = list(buckets.counts.get(severity, (0,) * len(lefts)))
        axes.bar(gapped, values, width=[w * (1 - GAP) for w in widths], bottom=bottom, align="edge",
                 label=severity, color=COLOURS[severity])  # fmt: skip
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    _period_axis(axes, buckets.starts, period, label_format)
    axes.set_ylabel("firings", fontsize=LABEL_SIZE)
    figure.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold")
    axes.legend(loc="best", fontsize=LEGEND_SIZE)
    style_axes(axes, grid_axis="y")
    return figure


def monthly_overview(
    buckets: Buckets,
    incidents: Sequence[int],
    kpis: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    period: Period,
) -> bytes:
    """The monthly overview as PNG bytes (see `draw_monthly`)."""
    return to_png(draw_monthly(buckets, incidents, kpis, title=title, period=period))


def draw_monthly(
    buckets: Buckets,
    incidents: Sequence[int],
    kpis: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    period: Period,
) -> Figure:
    """Firings and incidents per week, and each KPI's weekly average as a share of its first week."""
    from matplotlib.ticker import MaxNLocator

    figure = new_figure(MONTHLY_SIZE)
    top, bottom = figure.subplots(2, 1)
    lefts, widths = _bars(buckets.starts, period.end)
    totals = [sum(v[i] for v in buckets.counts.values()) for i in range(len(lefts))]
    halves = [w * (1 - GAP) / 2 for w in widths]
    gapped = [x + w * GAP / 2 for x, w in zip(lefts, widths, strict=True)]
    top.bar(gapped, totals, width=halves, align="edge", label="firings", color="#1f77b4")
    twin = top.twinx()
    seconds = [x + h for x, h in zip(gapped, halves, strict=True)]
    twin.bar(seconds, list(incidents), width=halves, align="edge", label="incidents", color="#d62728")
    top.set_ylabel("firings", fontsize=LABEL_SIZE)
    twin.set_ylabel("incidents", fontsize=LABEL_SIZE)
    twin.tick_params(labelsize=LABEL_SIZE - 1)
    twin.yaxis.set_major_locator(MaxNLocator(integer=True))  # no 0.25 of an incident
    top.set_title("Firings and incidents per week", fontsize=LABEL_SIZE)
    top.legend(handles=[*top.containers, *twin.containers], loc="best", fontsize=LEGEND_SIZE)
    centres = [x + w / 2 for x, w in zip(lefts, widths, strict=True)]
    for name, values in kpis.items():
        base = next((v for v in values if v), None)
        points = [float("nan") if v is None or not base else 100 * v / base for v in values]
        bottom.plot(centres, points, marker="o", markersize=6, linewidth=2.2, label=name[:LABEL_LIMIT])
    bottom.set_ylabel("% of first week", fontsize=LABEL_SIZE)
    bottom.set_title("KPI trends (weekly averages)", fontsize=LABEL_SIZE)
    if kpis:
        bottom.legend(loc="best", fontsize=LEGEND_SIZE)
    for axes in (top, bottom):
        _period_axis(axes, buckets.starts, period, "wk %d %b")
        style_axes(axes, grid_axis="y")
    figure.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold")
    return figure


def _bars(starts: Sequence[datetime], end: datetime) -> tuple[list[float], list[float]]:
    """Each bucket's left edge and width in matplotlib's date units (days), the last one ending at `end`."""
    from matplotlib.dates import date2num

    edges = [float(date2num(at)) for at in [*starts, end]]  # type: ignore[no-untyped-call]
    return edges[:-1], [right - left for left, right in pairwise(edges)]


def _period_axis(axes: Axes, starts: Sequence[datetime], period: Period, label_format: str) -> None:
    """The x axis is exactly the period; each bucket is labelled under its middle with its local start."""
    from matplotlib.dates import date2num

    lefts, widths = _bars(starts, period.end)
    zone = ZoneInfo(period.zone)
    labels = [start.astimezone(zone).strftime(label_format) for start in starts]
    axes.set_xticks([x + w / 2 for x, w in zip(lefts, widths, strict=True)], labels)
    axes.set_xlim(date2num(period.start), date2num(period.end))  # type: ignore[no-untyped-call]
    axes.set_xlabel(f"{period.label} ({period.zone})", fontsize=LABEL_SIZE)
