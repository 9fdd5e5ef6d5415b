"""The impact × effort matrix as a PNG, drawn headless with matplotlib (blocking: use a thread)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from bot.charts import LABEL_SIZE, SUBTITLE_COLOUR, SUBTITLE_SIZE, TICK_SIZE, TITLE_SIZE, new_figure, to_png
from bot.domain.tickets import Quadrant

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIZE_INCHES = (9.0, 7.0)
# (x, y) of each quadrant's lower-left corner: effort grows to the right, impact upwards
CELLS = {
    Quadrant.QUICK_WIN: (0, 1, "#2ca02c"),
    Quadrant.MAJOR_PROJECT: (1, 1, "#1f77b4"),
    Quadrant.FILL_IN: (0, 0, "#bcbd22"),
    Quadrant.THANKLESS: (1, 0, "#d62728"),
}


def matrix_chart(counts: Mapping[str, int], tops: Mapping[str, Sequence[str]], *, subtitle: str) -> bytes:
    """The matrix as PNG bytes (see `draw_matrix`)."""
    return to_png(draw_matrix(counts, tops, subtitle=subtitle))


def draw_matrix(counts: Mapping[str, int], tops: Mapping[str, Sequence[str]], *, subtitle: str) -> Figure:
    """Draw the 2×2 matrix with each quadrant's count and top titles."""
    from matplotlib.patches import Rectangle

    figure = new_figure(SIZE_INCHES)
    axes = figure.add_subplot()
    figure.suptitle("Impact × effort", fontsize=TITLE_SIZE, fontweight="bold")
    axes.set_title(subtitle, fontsize=SUBTITLE_SIZE, color=SUBTITLE_COLOUR)
    for quadrant, (x, y, colour) in CELLS.items():
        axes.add_patch(Rectangle((x, y), 1, 1, facecolor=colour, alpha=0.18, edgecolor="#444444"))
        count = counts.get(quadrant.value, 0)
        axes.text(
            x + 0.5,
            y + 0.85,
            f"{quadrant.value} ({count})",
            ha="center",
            fontsize=LABEL_SIZE + 2,
            fontweight="bold",
        )
        titles = [t if len(t) <= 38 else t[:37] + "…" for t in tops.get(quadrant.value, ())[:4]]
        axes.text(x + 0.5, y + 0.7, "\n".join(titles) or "—", ha="center", va="top", fontsize=TICK_SIZE)
    axes.set_xlim(0, 2)
    axes.set_ylim(0, 2)
    axes.set_xticks([0.5, 1.5], ["low effort", "high effort"])
    axes.set_yticks([0.5, 1.5], ["low impact", "high impact"])
    axes.tick_params(labelsize=LABEL_SIZE)
    return figure
