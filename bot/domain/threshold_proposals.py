"""Proposed thresholds for rules that page too often: from the values observed while each firing fired, the
threshold at which the real firings (acknowledged, not marked as noise) would still have fired and as many
false ones as possible would not. Pure rules; no I/O."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

# The number a `value` annotation states: "1.2", "97 %", "-3e2", "1.2s"; the first one in the text.
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
# The share of false firings a rule with no real one may still fire on (nearest-rank percentile).
FALSE_PERCENTILE = 95


@dataclass(frozen=True)
class Firing:
    """One group firing of a rule: whether it was a real one, and the value observed while it fired (the
    peak for a rule firing above its threshold; None when none was observed)."""

    real: bool
    value: float | None


class Move(StrEnum):
    RAISE = "raise"
    LOWER = "lower"
    KEEP = "keep"
    NONE = "none"  # no value observed, or the values do not tell noise from real firings


@dataclass(frozen=True)
class Proposal:
    """What a rule's threshold could be and what that would have changed over the period."""

    rule: str
    move: Move
    current: float | None = None
    suggested: float | None = None
    fires_above: bool = True
    assumed_direction: bool = False  # no real firing and no known rule: "above" is an assumption
    observed: int = 0  # firings with a value
    false_observed: int = 0
    false_kept: int = 0  # false firings that would still have fired at `suggested`
    real_lost: int = 0  # real firings that would no longer have fired at `suggested`


def value_of(annotations: Mapping[str, str], labels: Mapping[str, str]) -> float | None:
    """The value an Alertmanager alert reports in its `value` annotation (`value: "{{ $value }}"` in the
    rule) or label; None when it states none. A summary's numbers are not taken: a static summary ("error
    rate above 5 %") states the threshold, not what was observed."""
    for text in (annotations.get("value"), labels.get("value")):
        found = NUMBER.search(text or "")
        if found is not None:
            value = float(found.group())
            if math.isfinite(value):
                return value
    return None


def fires_above(firings: Sequence[Firing]) -> bool | None:
    """Whether the rule fires on high values: its real firings' values lie above its false ones (None when
    there are not both to compare)."""
    real = [f.value for f in firings if f.real and f.value is not None]
    false = [f.value for f in firings if not f.real and f.value is not None]
    if not real or not false:
        return None
    return statistics.median(real) >= statistics.median(false)


def propose(
    rule: str, firings: Sequence[Firing], *, current: float | None = None, above: bool | None = None
) -> Proposal:
    """The threshold above which (below which, for a rule firing on low values) only the real firings would
    have fired; with no real firing, the 95th percentile of the false firings' values. `above` is the rule's
    known direction (host checks fire above); otherwise it is read from the values, "above" by default."""
    observed = [f for f in firings if f.value is not None]
    false = [f for f in observed if not f.real]
    if not observed or not false:
        return Proposal(rule, Move.NONE, current, observed=len(observed), false_observed=len(false))
    inferred = fires_above(observed)
    direction = above if above is not None else inferred if inferred is not None else True
    sign = 1.0 if direction else -1.0
    # computed as a rule firing above its threshold: a "below" rule's values are mirrored
    real_values = [sign * f.value for f in observed if f.real and f.value is not None]
    false_values = sorted(sign * f.value for f in false if f.value is not None)
    raw = _separating(real_values, false_values)
    base = Proposal(
        rule,
        Move.NONE,
        current,
        fires_above=direction,
        assumed_direction=above is None and inferred is None,
        observed=len(observed),
        false_observed=len(false),
    )
    if raw is None:
        return base
    ceiling = min(real_values) if real_values else math.inf
    mirrored = sign * current if current is not None else None
    suggested = rounded_up(raw, below=ceiling, floor=mirrored)
    return _measured(base, sign * suggested, real_values, false_values, sign)


def _separating(real: Sequence[float], false: Sequence[float]) -> float | None:
    """The highest false value below every real one; without real ones, the false values' percentile."""
    if not real:
        return percentile(false, FALSE_PERCENTILE)
    below = [v for v in false if v < min(real)]
    return max(below) if below else None


def _measured(
    base: Proposal, suggested: float, real: Sequence[float], false: Sequence[float], sign: float
) -> Proposal:
    mirrored = sign * suggested
    move = Move.KEEP
    if base.current is not None and not math.isclose(suggested, base.current):
        move = Move.RAISE if suggested > base.current else Move.LOWER
    elif base.current is None:
        move = Move.RAISE if sign > 0 else Move.LOWER
    return Proposal(
        base.rule,
        move,
        base.current,
        suggested,
        base.fires_above,
        base.assumed_direction,
        base.observed,
        base.false_observed,
        false_kept=sum(1 for v in false if v > mirrored),
        real_lost=sum(1 for v in real if v <= mirrored),
    )


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of `values` (sorted or not; at least one)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def rounded_up(value: float, *, below: float = math.inf, floor: float | None = None) -> float:
    """`value` rounded up to two significant digits (87.3 → 88, 1234 → 1300), with more digits where the
    rounding would reach `below` (a real firing's value); never under `floor` rounding-wise (a current
    threshold already above the value is kept)."""
    if floor is not None and floor >= value:
        return floor
    for digits in range(2, 8):
        candidate = _ceil_significant(value, digits)
        if candidate < below:
            return candidate
    return value


def _ceil_significant(value: float, digits: int) -> float:
    if value == 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(abs(value))) - digits + 1)
    # rounding the quotient first keeps 88.0 / 1 from reading as 88.00000000001 and stepping to 89
    return float(round(math.ceil(round(value / scale, 9)) * scale, 12))
