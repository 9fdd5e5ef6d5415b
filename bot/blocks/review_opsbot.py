"""The lines of the review items opsbot answers from its own records: performance degradation incidents
and proposed thresholds."""

from __future__ import annotations

from collections.abc import Sequence

from bot.blocks.digest_parts import incident_line
from bot.blocks.text import untrusted
from bot.domain.digests import Change
from bot.domain.incident_report import IncidentFacts
from bot.domain.threshold_proposals import Move, Proposal


def degradation_lines(now: Sequence[IncidentFacts], before: int, *, versus: str) -> tuple[str, ...]:
    """The period's degradation incidents, one line each, after their count against the period before."""
    if not now and not before:
        return ("No performance degradation incidents.",)
    count = f"*Total* {Change(len(now), before).describe(versus)}"
    return (count, *(incident_line(i) for i in now)) if now else (count, "None in this period.")


def _number(value: float) -> str:
    return f"{value:g}"


def proposal_line(p: Proposal) -> str:
    """One rule's proposal: the new threshold and what it would have changed, or why there is none."""
    rule = f"*{untrusted(p.rule)}*"
    if p.move is Move.NONE and not p.observed:
        return f"↳ {rule}: no values observed — add a `value` annotation to the rule"
    if p.move is Move.NONE and not p.false_observed:
        return f"↳ {rule}: no value observed on its false firings — keep the threshold"
    if p.move is Move.NONE or p.suggested is None:
        return f"↳ {rule}: the observed values do not set its false firings apart from its real ones"
    side = "above" if p.fires_above else "below"
    assumed = " (assuming it fires above its threshold)" if p.assumed_direction else ""
    effect = (
        f"{p.false_observed - p.false_kept} of {p.false_observed} false firings gone, "
        f"{p.real_lost} real ones lost"
    )
    if p.move is Move.KEEP:
        return f"↳ {rule}: keep firing {side} {_number(p.suggested)}{assumed} — {effect}"
    current = f" from {_number(p.current)}" if p.current is not None else ""
    return f"↳ {rule}: {p.move.value}{current} to fire {side} {_number(p.suggested)}{assumed} — {effect}"


def proposal_summary(proposals: Sequence[Proposal]) -> str:
    """The one line kept when the item is carried into a later review."""
    moves = sum(1 for p in proposals if p.move in (Move.RAISE, Move.LOWER))
    return f"{moves} threshold change{'s' if moves != 1 else ''} proposed"
