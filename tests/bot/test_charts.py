"""Charts are real PNGs with something drawn on them, over exactly the window asked for."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta

import numpy as np
from matplotlib.axes import Axes
from matplotlib.dates import num2date
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.lines import Line2D

from bot.charts import LINE_COLOUR, TARGET_COLOUR, draw_kpi, draw_query, kpi_chart, query_chart, to_png
from bot.domain.kpis import Kpi
from bot.domain.metric_reports import Series

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CPU = Kpi(name="cpu", title="CPU usage", promql="x", unit="%", target=80, host_metric="cpu")


def series(offset: float, **labels: str) -> Series:
    return Series(labels, tuple((START + timedelta(minutes=i), offset + (i % 13)) for i in range(120)))


def png_size(data: bytes) -> tuple[int, int]:
    """Check the signature and every chunk's CRC; return (width, height) from IHDR."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, kinds = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc
        kinds.append(kind)
        position += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def pixels_of(data: bytes, colour: str) -> int:
    """How many pixels have (nearly) this colour."""
    image = imread(io.BytesIO(data), format="png")[:, :, :3]
    wanted = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(image - wanted).max(axis=2) < 0.02).sum())


WINDOW = (START, START + timedelta(hours=2))


def window_chart(kpi: Kpi, found: list[Series], *, zone: str = "UTC") -> Figure:
    return draw_kpi(kpi, found, subtitle="this host · last 2h", start=WINDOW[0], end=WINDOW[1], zone=zone)


def lines_drawn(axes: Axes) -> list[Line2D]:
    """The data lines: every Line2D with two points or more, the target line aside."""
    return [line for line in axes.get_lines() if len(line.get_xdata()) >= 2 and line.get_linestyle() != "--"]


def x_window(axes: Axes) -> tuple[datetime, datetime]:
    left, right = axes.get_xlim()
    return num2date(left), num2date(right)


def test_kpi_chart_is_a_valid_png_with_the_line_and_the_target() -> None:
    data = kpi_chart(
        CPU, [series(40)], subtitle="this host · last 1h", start=WINDOW[0], end=WINDOW[1], zone="UTC"
    )
    assert png_size(data) == (1500, 750)
    assert pixels_of(data, LINE_COLOUR) > 2000  # the series
    assert pixels_of(data, TARGET_COLOUR) > 600  # the dashed target line and its label


def test_the_time_axis_is_the_window_asked_for_even_for_two_samples() -> None:
    two = Series({}, ((START + timedelta(minutes=50), 30.0), (START + timedelta(minutes=51), 35.0)))
    axes = window_chart(CPU, [two]).axes[0]
    assert x_window(axes) == WINDOW  # not the minute between the samples, nor years around them
    (line,) = lines_drawn(axes)
    assert list(line.get_ydata()) == [30.0, 35.0] and line.get_marker() == "o" and line.get_linewidth() >= 2


def test_the_target_is_a_labelled_line_and_the_axes_name_their_units() -> None:
    axes = window_chart(CPU, [series(40)]).axes[0]
    (target,) = [line for line in axes.get_lines() if line.get_linestyle() == "--"]
    assert list(target.get_ydata()) == [80, 80] and target.get_label() == "target < 80 %"
    assert [text.get_text() for text in axes.texts] == ["target < 80 %"]  # written on the line itself
    assert axes.get_ylabel() == "CPU usage (%)" and axes.get_xlabel() == "time (UTC)"
    (line,) = lines_drawn(axes)
    assert len(line.get_xdata()) == 120 and line.get_marker() in (None, "None")  # many points: no markers


def test_time_labels_are_in_the_team_zone() -> None:
    figure = window_chart(CPU, [series(40)], zone="Europe/Berlin")
    to_png(figure)  # lays the ticks out
    axes = figure.axes[0]
    labels = [label.get_text() for label in axes.get_xticklabels()]
    assert "10:00" in labels and "08:00" not in labels  # 08:00–10:00 UTC is 09:00–11:00 in Berlin
    assert axes.get_xlabel() == "time (Europe/Berlin)" and x_window(axes) == WINDOW


def test_kpi_chart_with_several_series_and_no_target() -> None:
    load = Kpi(name="load", title="Load", promql="x")
    figure = window_chart(load, [series(1, mountpoint="/"), series(5, mountpoint="/data")])
    data = to_png(figure)
    assert png_size(data) == (1500, 750)
    assert pixels_of(data, LINE_COLOUR) > 1000 and pixels_of(data, "#ff7f0e") > 1000  # both series
    assert pixels_of(data, TARGET_COLOUR) == 0 and not figure.axes[0].texts  # no target, no target line
    assert len(lines_drawn(figure.axes[0])) == 2 and figure.axes[0].get_ylabel() == "Load"


def test_query_chart_draws_up_to_ten_series_over_the_window() -> None:
    many = [series(i * 10, job=f"job-{i}") for i in range(14)]
    promql = "sum by (job) (rate(http_requests_total[5m]))"
    figure = draw_query(
        promql, many, subtitle="Prometheus · last 2h", start=WINDOW[0], end=WINDOW[1], zone="UTC"
    )
    axes = figure.axes[0]
    assert x_window(axes) == WINDOW and len(lines_drawn(axes)) == 10 and axes.get_ylabel() == "value"
    data = query_chart(promql, many, subtitle="s", start=WINDOW[0], end=WINDOW[1], zone="UTC")
    assert png_size(data) == (1500, 750) and len(data) > 15_000


MATHTEXT_BAIT = r"$\frac{x$ costs $5 ^_ \$"  # with mathtext on, `$\frac{x$` fails the whole chart


def test_dollars_and_backslashes_in_labels_and_titles_are_drawn_as_written() -> None:
    found = [series(10, path=MATHTEXT_BAIT), series(20, path="/var/$^$_")]
    window = {"start": WINDOW[0], "end": WINDOW[1], "zone": "UTC"}
    assert png_size(query_chart(f"sum({MATHTEXT_BAIT})", found, subtitle=MATHTEXT_BAIT, **window))[0] > 0
    kpi = Kpi(name="x", title=MATHTEXT_BAIT, promql="x", unit="ms", target=5)
    assert png_size(kpi_chart(kpi, found, subtitle="s", **window))[0] > 0
