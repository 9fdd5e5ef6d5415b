"""opsbot's own dependencies against its lock file: which pins are behind the newest release (major, minor,
patch) and which the index has yanked. Pure rules, standard library only (versions arrive as release tuples;
parsing them is the service's, with `packaging`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

# `name==version ; marker \` opening a block of uv's / pip-compile's output (hashes follow on other lines)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


@dataclass(frozen=True)
class Pin:
    """One pinned package of the lock: its normalized name, version, and environment marker ("" for all)."""

    name: str
    version: str
    marker: str = ""


def normalized(name: str) -> str:
    """A project name as the index knows it (PEP 503): lower case, runs of `-_.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins_of(lock: str) -> list[Pin]:
    """Every `name==version` pin of a lock file, in its order (comments, hashes and options skipped)."""
    found = []
    for line in lock.splitlines():
        match = _PIN.match(line)
        if match:
            name, version, marker = match.groups()
            found.append(Pin(normalized(name), version, (marker or "").strip()))
    return found


class Lag(IntEnum):
    """How far a pin is behind the newest release, worst last."""

    CURRENT = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


def lag_of(pinned: Sequence[int], newest: Sequence[int]) -> Lag:
    """Which part of the release number moved: 1.4.2 → 2.0 is MAJOR, → 1.5 MINOR, → 1.4.3 (or 1.4.2.1)
    PATCH; a pin at or past the newest release is CURRENT."""
    width = max(len(pinned), len(newest), 3)
    old = tuple(pinned) + (0,) * (width - len(pinned))
    new = tuple(newest) + (0,) * (width - len(newest))
    if new <= old:
        return Lag.CURRENT
    if new[0] != old[0]:
        return Lag.MAJOR
    return Lag.MINOR if new[1] != old[1] else Lag.PATCH


@dataclass(frozen=True)
class Outdated:
    """A pin and what the index offers: the newest release, how far behind, and whether the pin is yanked."""

    name: str
    pinned: str
    newest: str
    lag: Lag
    yanked: bool = False


@dataclass(frozen=True)
class DependencyReport:
    """The lock against the index: how many pins were asked about, those behind or yanked, and the
    packages the index could not tell (name and why)."""

    pinned: int
    outdated: tuple[Outdated, ...]
    problems: tuple[tuple[str, str], ...] = ()

    def behind(self, lag: Lag) -> int:
        return sum(1 for o in self.outdated if o.lag is lag)

    @property
    def yanked(self) -> tuple[Outdated, ...]:
        return tuple(o for o in self.outdated if o.yanked)


def ranked(outdated: Iterable[Outdated]) -> list[Outdated]:
    """Most behind first: yanked pins, then by lag (major, minor, patch), then by name."""
    return sorted(outdated, key=lambda o: (not o.yanked, -o.lag, o.name))
