"""Which team owns an alert: the first team (in configured order) whose label matchers all match it; and
which teams' matchers overlap (checked by `opsbot check-config`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.domain.alerts import Matcher


class MatchingTeam(Protocol):
    @property
    def handle(self) -> str: ...

    @property
    def matchers(self) -> tuple[Matcher, ...]: ...

    @property
    def is_default(self) -> bool: ...


T = TypeVar("T", bound=MatchingTeam)


def owning_team(labels: Mapping[str, str], teams: Sequence[T]) -> T:
    """The first team other than the default whose matchers all match `labels` (no matchers: every alert),
    else the default team (the first of `teams`)."""
    for team in teams:
        if not team.is_default and all(m.matches(labels) for m in team.matchers):
            return team
    return teams[0]


# --- Overlapping matchers (opsbot check-config) -------------------------------------------------------------

# A regex that is only literal words joined by `|` (optionally in one group) matches a finite set of values,
# so whether it can hold beside other constraints is decided by trying each word.
LITERAL_ALTERNATION = re.compile(r"^(?:\((?:\?:)?)?([\w\- :/@,]+(?:\|[\w\- :/@,]+)*)\)?$")
PROBE = "opsbot-probe"  # a value no matcher is likely to name, for labels only negative matchers constrain


class Verdict(StrEnum):
    DISJOINT = "disjoint"  # no alert can match both
    OVERLAP = "overlap"  # an example alert matches both
    MAY_OVERLAP = "may overlap"  # undecided: neither contradiction nor example found


@dataclass(frozen=True)
class Comparison:
    """Whether two matcher sets can both match one alert; `example` holds labels that match both."""

    verdict: Verdict
    example: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Overlap:
    """Two teams whose matchers both match some alert: `first` (earlier in the config) owns it.

    `shadowed` means every alert `second` matches is `first`'s, so `second` never owns one."""

    first: str
    second: str
    verdict: Verdict
    shadowed: bool = False
    example: Mapping[str, str] | None = None


def compare_matchers(a: Sequence[Matcher], b: Sequence[Matcher]) -> Comparison:
    """Decide whether some alert matches every matcher of `a` and of `b`.

    Labels are independent of each other, so the sets are disjoint exactly when one label's constraints
    contradict; a label's constraints are decided exactly when one of them allows finitely many values
    (`x=a`, `x=~"a|b"`), otherwise by trying likely values (an undecided label makes the answer "may").
    """
    example: dict[str, str] = {}
    undecided = False
    for label in sorted({m.label for m in (*a, *b)}):
        constraints = [m for m in (*a, *b) if m.label == label]
        satisfiable, value = _one_label(constraints)
        if satisfiable is False:
            return Comparison(Verdict.DISJOINT)
        if value is None:
            undecided = True
        elif value:
            example[label] = value
    if undecided:
        return Comparison(Verdict.MAY_OVERLAP)
    return Comparison(Verdict.OVERLAP, example)


def _one_label(constraints: Sequence[Matcher]) -> tuple[bool | None, str | None]:
    """(satisfiable?, a value meeting every constraint); (None, None) when undecided."""
    finite = [values for m in constraints if (values := _finite_values(m)) is not None]
    if finite:
        smallest = min(finite, key=len)
        found = next((v for v in sorted(smallest) if _meets(v, constraints)), None)
        return (found is not None), found
    found = next((v for v in _candidates(constraints) if _meets(v, constraints)), None)
    return (True, found) if found is not None else (None, None)


def _finite_values(matcher: Matcher) -> frozenset[str] | None:
    """The only values `matcher` accepts, when they are few and known; None otherwise."""
    if matcher.op == "=":
        return frozenset({matcher.value})
    if matcher.op == "=~":
        words = LITERAL_ALTERNATION.match(matcher.value)
        if words:
            return frozenset(words.group(1).split("|"))
    return None


def _candidates(constraints: Sequence[Matcher]) -> list[str]:
    """Values worth trying: the empty one (label absent), regexes with their wildcards filled, the values
    other matchers name, and a probe no matcher names."""
    found = [""]
    for m in constraints:
        found += [_filled(m.value, ""), _filled(m.value, "x")] if m.op == "=~" else [m.value]
    return list(dict.fromkeys([*found, PROBE]))


def _filled(pattern: str, filler: str) -> str:
    text = pattern.removeprefix("^").removesuffix("$")
    for wildcard in (".*", ".+", ".?"):
        text = text.replace(wildcard, filler or ("x" if wildcard == ".+" else ""))
    return text.replace("\\.", ".")


def _meets(value: str, constraints: Sequence[Matcher]) -> bool:
    labels = {constraints[0].label: value} if value else {}  # "" is how an absent label matches
    return all(m.matches(labels) for m in constraints)


def overlaps(teams: Sequence[T]) -> list[Overlap]:
    """Every pair of non-default teams (in config order) that can both match an alert, or may: the earlier
    one wins such an alert; a team whose matchers are a subset of a later one's shadows it entirely."""
    candidates = [team for team in teams if not team.is_default]
    found = []
    for index, first in enumerate(candidates):
        for second in candidates[index + 1 :]:
            if set(first.matchers) <= set(second.matchers):
                found.append(Overlap(first.handle, second.handle, Verdict.OVERLAP, shadowed=True))
                continue
            comparison = compare_matchers(first.matchers, second.matchers)
            if comparison.verdict is not Verdict.DISJOINT:
                found.append(
                    Overlap(first.handle, second.handle, comparison.verdict, example=comparison.example)
                )
    return found


def word_clashes(handles: Sequence[str], words: Sequence[str]) -> list[str]:
    """Team handles that are also words `/metrics` knows (KPI names, shortcuts): the team wins there."""
    known = set(words)
    return [handle for handle in handles if handle in known]
