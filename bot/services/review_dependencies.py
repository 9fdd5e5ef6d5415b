"""Review checklist findings on opsbot's own dependencies: its lock file against a package index (PEP 691,
as pip reads it), for the monthly dependency updates and the weekly security updates."""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources

from packaging.markers import InvalidMarker, Marker
from packaging.version import InvalidVersion, Version

from bot.blocks.review_dependencies import NO_INDEX, dependency_lines, dependency_summary, security_lines
from bot.clients.package_index import IndexUnavailable, Releases, fetch_all
from bot.config import Settings, Team
from bot.deps import Deps
from bot.domain.dependencies import DependencyReport, Lag, Outdated, Pin, lag_of, pins_of
from bot.domain.digest_periods import Period
from bot.domain.review_checklist import Finding

ITEMS: tuple[str, ...] = ("dependency_updates", "security_updates")
# requirements/service.lock, shipped inside the package (a link in the source tree) so an installed
# opsbot reads the lock it was installed from
LOCK = "service.lock"


async def findings(deps: Deps, team: Team, period: Period) -> Mapping[str, Finding]:
    """Both items from one look at the index; without an index, the line saying what to set."""
    url = index_url(deps.settings, os.environ)
    if url is None:
        missing = Finding((NO_INDEX,), has_data=False, summary="no package index configured")
        return dict.fromkeys(ITEMS, missing)
    report = await dependency_report(deps.settings, lock=packaged_lock(), index=url)
    summary = dependency_summary(report)
    return {
        "dependency_updates": Finding(dependency_lines(report), summary=summary),
        "security_updates": Finding(security_lines(report), summary=summary),
    }


def index_url(settings: Settings, environ: Mapping[str, str]) -> str | None:
    """The index to ask: `digests.dependencies.index_url`, else PIP_INDEX_URL, else none."""
    return settings.file.digests.dependencies.index_url or environ.get("PIP_INDEX_URL") or None


def packaged_lock() -> str:
    """The lock opsbot was installed from."""
    return resources.files("bot").joinpath(LOCK).read_text(encoding="utf-8")


def applies_here(pin: Pin) -> bool:
    """Whether the pin is installed on this interpreter (its marker holds; a marker unread holds)."""
    if not pin.marker:
        return True
    try:
        return Marker(pin.marker).evaluate()
    except InvalidMarker:
        return True


async def dependency_report(settings: Settings, *, lock: str, index: str) -> DependencyReport:
    """The lock's pins that apply here against the index."""
    pins = [pin for pin in pins_of(lock) if applies_here(pin)]
    config = settings.file.digests.dependencies
    names = [pin.name for pin in pins]
    found = await fetch_all(
        index, names, within_seconds=config.timeout_seconds, concurrency=config.concurrency
    )
    outdated, problems = [], []
    for pin in pins:
        releases = found[pin.name]
        if isinstance(releases, IndexUnavailable):
            problems.append((pin.name, str(releases)))
            continue
        checked = compared(pin, releases)
        if checked is not None:
            outdated.append(checked)
    return DependencyReport(len(pins), tuple(outdated), tuple(problems))


def compared(pin: Pin, releases: Releases) -> Outdated | None:
    """The pin against the index's newest release; None when it is current and not yanked."""
    newest, yanked = releases.newest(), releases.is_yanked(pin.version)
    try:
        lag = Lag.CURRENT if newest is None else lag_of(Version(pin.version).release, newest.release)
    except InvalidVersion:
        lag = Lag.CURRENT
    if lag is Lag.CURRENT and not yanked:
        return None
    return Outdated(pin.name, pin.version, str(newest or pin.version), lag, yanked)
