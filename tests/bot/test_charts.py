"""Charts are real PNGs with something drawn on them."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta

import numpy as np
from matplotlib.image import imread

from bot.charts import LINE_COLOUR, TARGET_COLOUR, kpi_chart, query_chart
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


def test_kpi_chart_is_a_valid_png_with_the_line_and_the_target() -> None:
    data = kpi_chart(CPU, [series(40)], subtitle="this host · last 1h")
    assert png_size(data) == (990, 440)
    assert pixels_of(data, LINE_COLOUR) > 1000  # the series
    assert pixels_of(data, TARGET_COLOUR) > 300  # the dashed target line


def test_kpi_chart_with_several_series_and_no_target() -> None:
    load = Kpi(name="load", title="Load", promql="x")
    data = kpi_chart(load, [series(1, mountpoint="/"), series(5, mountpoint="/data")], subtitle="s")
    assert png_size(data) == (990, 440)
    assert pixels_of(data, LINE_COLOUR) > 1000 and pixels_of(data, "#ff7f0e") > 1000  # both series
    assert pixels_of(data, TARGET_COLOUR) == 0  # no target, no target line


def test_query_chart_draws_up_to_ten_series() -> None:
    many = [series(i * 10, job=f"job-{i}") for i in range(14)]
    data = query_chart("sum by (job) (rate(http_requests_total[5m]))", many, subtitle="Prometheus · last 1h")
    assert png_size(data) == (990, 440) and len(data) > 15_000


MATHTEXT_BAIT = r"$\frac{x$ costs $5 ^_ \$"  # with mathtext on, `$\frac{x$` fails the whole chart


def test_dollars_and_backslashes_in_labels_and_titles_are_drawn_as_written() -> None:
    found = [series(10, path=MATHTEXT_BAIT), series(20, path="/var/$^$_")]
    assert png_size(query_chart(f"sum({MATHTEXT_BAIT})", found, subtitle=MATHTEXT_BAIT))[0] > 0
    kpi = Kpi(name="x", title=MATHTEXT_BAIT, promql="x", unit="ms", target=5)
    assert png_size(kpi_chart(kpi, found, subtitle="s"))[0] > 0
