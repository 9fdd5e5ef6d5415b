"""PNG charts for the digests (matplotlib Agg, blocking: call through asyncio.to_thread)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.charts import new_figure, to_png
from bot.domain.digests import Buckets

COLOURS = {"critical": "#d62728", "warning": "#ff7f0e", "info": "#1f77b4"}


def alerts_by_severity(buckets: Buckets, *, title: str, label_format: str = "%a %d") -> bytes:
    """Stacked bars of firings per bucket (day or week) by severity."""
    figure = new_figure()
    axes = figure.add_subplot()
    labels = [start.strftime(label_format) for start in buckets.starts]
    positions = list(range(len(labels)))
    bottom = [0] * len(labels)
    for severity in ("critical", "warning", "info"):
        values = list(buckets.counts.get(severity, (0,) * len(labels)))
        axes.bar(positions, values, bottom=bottom, label=severity, color=COLOURS[severity])
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    axes.set_xticks(positions, labels)
    axes.set_ylabel("firings")
    figure.suptitle(title, fontsize=12, fontweight="bold")
    axes.legend(loc="best", fontsize=8)
    axes.grid(True, axis="y", alpha=0.3)
    return to_png(figure)


def monthly_overview(
    buckets: Buckets, incidents: Sequence[int], kpis: Mapping[str, Sequence[float | None]], *, title: str
) -> bytes:
    """Firings and incidents per week, and each KPI's weekly average as a share of its first week."""
    figure = new_figure((9.0, 7.0))
    top, bottom = figure.subplots(2, 1)
    labels = [f"wk {start:%d %b}" for start in buckets.starts]
    positions = list(range(len(labels)))
    totals = [sum(v[i] for v in buckets.counts.values()) for i in positions]
    top.bar([p - 0.2 for p in positions], totals, width=0.4, label="firings", color="#1f77b4")
    twin = top.twinx()
    twin.bar([p + 0.2 for p in positions], list(incidents), width=0.4, label="incidents", color="#d62728")
    top.set_xticks(positions, labels)
    top.set_ylabel("firings")
    twin.set_ylabel("incidents")
    top.set_title("Firings and incidents per week", fontsize=10)
    for name, values in kpis.items():
        base = next((v for v in values if v), None)
        points = [None if v is None or not base else 100 * v / base for v in values]
        bottom.plot(positions, [p if p is not None else float("nan") for p in points], marker="o", label=name)
    bottom.set_xticks(positions, labels)
    bottom.set_ylabel("% of first week")
    bottom.set_title("KPI trends (weekly averages)", fontsize=10)
    if kpis:
        bottom.legend(loc="best", fontsize=7)
    figure.suptitle(title, fontsize=12, fontweight="bold")
    return to_png(figure)
