"""The lines of the review items on opsbot's own dependencies: updates behind the lock, and yanked pins."""

from __future__ import annotations

from bot.blocks.text import untrusted
from bot.domain.dependencies import DependencyReport, Lag, Outdated, ranked

MAX_LISTED = 8
MAX_PROBLEMS = 5
NO_INDEX = (
    "No package index configured — set `digests.dependencies.index_url` (a PEP 691 simple index, as pip "
    "reads it) or the PIP_INDEX_URL environment variable."
)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _outdated_line(o: Outdated) -> str:
    flag = " ⚠️ *yanked*" if o.yanked else ""
    if o.lag is Lag.CURRENT:
        return f"• `{o.name}` {untrusted(o.pinned)}{flag}"
    return f"• `{o.name}` {untrusted(o.pinned)} → {untrusted(o.newest)} ({o.lag.name.lower()}){flag}"


def dependency_lines(r: DependencyReport) -> tuple[str, ...]:
    """How many pins, how many behind (major / minor / patch), the most behind listed, yanked pins flagged,
    and the packages the index could not tell about."""
    behind = [o for o in r.outdated if o.lag is not Lag.CURRENT]
    counts = f"{r.behind(Lag.MAJOR)} major · {r.behind(Lag.MINOR)} minor · {r.behind(Lag.PATCH)} patch"
    head = f"*{_plural(r.pinned, 'pinned package')}* · {len(behind)} behind ({counts})"
    if r.yanked:
        head += f" · ⚠️ {len(r.yanked)} yanked"
    listed = ranked(r.outdated)
    lines = [head, *(_outdated_line(o) for o in listed[:MAX_LISTED])]
    if len(listed) > MAX_LISTED:
        lines.append(f"… and {len(listed) - MAX_LISTED} more")
    if not r.outdated and not r.problems:
        lines.append("Every pin is on its newest release.")
    return (*lines, *_problem_lines(r))


def _problem_lines(r: DependencyReport) -> list[str]:
    if not r.problems:
        return []
    named = ", ".join(f"`{name}` ({untrusted(why)})" for name, why in r.problems[:MAX_PROBLEMS])
    more = f" and {len(r.problems) - MAX_PROBLEMS} more" if len(r.problems) > MAX_PROBLEMS else ""
    return [f"_The index could not tell about {_plural(len(r.problems), 'package')}: {named}{more}._"]


def security_lines(r: DependencyReport) -> tuple[str, ...]:
    """Major releases and yanked pins only: no vulnerability is claimed without a feed."""
    majors, yanked = r.behind(Lag.MAJOR), r.yanked
    line = f"{_plural(majors, 'pinned package')} {'has' if majors == 1 else 'have'} newer major versions; "
    line += f"{len(yanked)} {'is' if len(yanked) == 1 else 'are'} yanked"
    if yanked:
        line += ": " + ", ".join(f"`{o.name}` {untrusted(o.pinned)}" for o in yanked[:MAX_PROBLEMS])
    return (f"{line} (opsbot's own dependencies).", *_problem_lines(r))


def dependency_summary(r: DependencyReport) -> str:
    """The one line kept when the item is carried into a later review."""
    behind = sum(1 for o in r.outdated if o.lag is not Lag.CURRENT)
    return f"{behind} of {r.pinned} pinned packages behind, {len(r.yanked)} yanked"
