"""Units for reading: sensible rounding, ms/s, percentages, bytes, label sets."""

from __future__ import annotations

import math
from collections.abc import Mapping

BYTE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def format_number(value: float) -> str:
    """Round sensibly for reading: about three significant digits, no trailing zeros."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    size = abs(value)
    if 0 < size < 0.01:
        return f"{value:.2g}"
    decimals = 0 if size >= 100 else 1 if size >= 10 else 2
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_percent(value: float) -> str:
    """Percentages near 100 keep the digits that matter (99.95 %, not 100 %)."""
    if 99 <= value < 100:
        text = f"{value:.3f}".rstrip("0").rstrip(".")
        return f"{text} %"
    return f"{format_number(value)} %"


def format_bytes(value: float) -> str:
    """Binary multiples shown as KB, MB, GB…"""
    size, index = abs(value), 0
    while size >= 1024 and index < len(BYTE_UNITS) - 1:
        size /= 1024
        index += 1
    sign = "-" if value < 0 else ""
    return f"{sign}{format_number(size)} {BYTE_UNITS[index]}"


def format_value(value: float | None, unit: str) -> str:
    """A value in its unit: 245 ms, 1.2 s, 99.95 %, 3.2 GB, 1,234."""
    if value is None:
        return "–"
    if math.isnan(value) or math.isinf(value):
        return format_number(value)
    if unit == "ms":
        return f"{format_number(value / 1000)} s" if abs(value) >= 1000 else f"{format_number(value)} ms"
    if unit == "s":
        return (
            f"{format_number(value * 1000)} ms" if abs(value) < 1 and value else f"{format_number(value)} s"
        )
    if unit == "%":
        return format_percent(value)
    if unit == "ratio":
        return format_percent(value * 100)
    if unit == "bytes":
        return format_bytes(value)
    if unit in ("", "count"):
        return format_number(value)
    return f"{format_number(value)} {unit}"


def chart_scale(unit: str) -> tuple[float, str]:
    """Factor and axis label to draw values of `unit` with (ratios as percent, bytes as GB)."""
    scales = {"ratio": (100.0, "%"), "bytes": (1 / 1024**3, "GB"), "count": (1.0, ""), "": (1.0, "")}
    return scales.get(unit, (1.0, unit))


def format_labels(labels: Mapping[str, str]) -> str:
    """Prometheus-style label set, `__name__` first: up{job="api"}; `{}` when there are none."""
    name = labels.get("__name__", "")
    rest = ", ".join(f'{key}="{value}"' for key, value in sorted(labels.items()) if key != "__name__")
    return f"{name}{{{rest}}}" if rest or not name else name
