"""opsbot's own dependencies against a package index: a fake PEP 691 index served on 127.0.0.1 (never a
real registry), with a yanked pin, a pre-release to ignore, a project it does not know, and one it never
answers."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.blocks.review_dependencies import dependency_lines, security_lines
from bot.config import Settings
from bot.deps import build_deps
from bot.domain.dependencies import Lag, pins_of
from bot.domain.digest_periods import DigestKind, period_containing
from bot.services import digest_runs, review_dependencies
from bot.services.review_dependencies import applies_here, dependency_report, index_url, packaged_lock

pytestmark = pytest.mark.calendar_free

LOCK = """aiohttp==3.9.0 \\
    --hash=sha256:00
demo-lib==1.2.0 \\
    --hash=sha256:00
pinned-bad==2.0.1 \\
    --hash=sha256:00
current==5.1 \\
    --hash=sha256:00
ghost==0.1 \\
    --hash=sha256:00
sluggish==1.0 \\
    --hash=sha256:00
windows-only==1.0 ; sys_platform == 'win32' \\
    --hash=sha256:00
"""


def files(project: str, *versions: str, yanked: bool | str = False) -> list[dict[str, Any]]:
    return [
        {"filename": f"{project}-{v}.tar.gz", "url": f"x/{v}", "hashes": {}, "yanked": yanked}
        for v in versions
    ]


PROJECTS: dict[str, list[dict[str, Any]]] = {
    "aiohttp": files("aiohttp", "3.9.0", "3.9.5", "4.0.2") + files("aiohttp", "5.0.0a1"),
    "demo-lib": files("demo_lib", "1.2.0", "1.2.7", "1.3.0rc2"),
    "pinned-bad": files("pinned_bad", "2.0.0", "2.1.0") + files("pinned_bad", "2.0.1", yanked="data loss"),
    "current": files("current", "5.0", "5.1", "6.0.dev1"),
}


@dataclass
class FakeIndex:
    """A PEP 691 index on loopback; `sluggish` is never answered, and it counts requests in flight."""

    url: str = ""
    in_flight: int = 0
    most_in_flight: int = 0
    asked: list[str] = field(default_factory=list)
    accept: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def project(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.asked.append(name)
        self.accept.add(request.headers.get("Accept", ""))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # let the other requests of the round arrive
            if name == "sluggish":
                await self.release.wait()
            if name not in PROJECTS:
                raise web.HTTPNotFound()
            body = {"meta": {"api-version": "1.1"}, "name": name, "files": PROJECTS[name]}
            return web.json_response(body, content_type="application/vnd.pypi.simple.v1+json")
        finally:
            self.in_flight -= 1


@pytest.fixture
async def index() -> AsyncIterator[FakeIndex]:
    fake = FakeIndex()
    app = web.Application()
    app.router.add_get("/simple/{name}/", fake.project)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}/simple"
    yield fake
    fake.release.set()
    await runner.cleanup()


@pytest.fixture
def bot_config(index: FakeIndex) -> dict[str, Any]:
    dependencies = {"index_url": index.url, "timeout_seconds": 0.5, "concurrency": 2}
    return {"digests": {"enabled": False, "dependencies": dependencies}}


async def test_the_lock_against_the_index(make_settings: Callable[..., Settings], index: FakeIndex) -> None:
    report = await dependency_report(make_settings(), lock=LOCK, index=index.url)
    assert report.pinned == 6  # windows-only is not installed here
    by_name = {o.name: o for o in report.outdated}
    assert set(by_name) == {"aiohttp", "demo-lib", "pinned-bad"}
    assert (by_name["aiohttp"].newest, by_name["aiohttp"].lag) == ("4.0.2", Lag.MAJOR)  # not 5.0.0a1
    assert (by_name["demo-lib"].newest, by_name["demo-lib"].lag) == ("1.2.7", Lag.PATCH)  # not 1.3.0rc2
    bad = by_name["pinned-bad"]
    assert bad.yanked and (bad.newest, bad.lag) == ("2.1.0", Lag.MINOR)
    assert dict(report.problems) == {"ghost": "not on the index", "sluggish": "no answer within 0.5 s"}
    assert index.most_in_flight <= 2 and "windows-only" not in index.asked
    assert index.accept == {"application/vnd.pypi.simple.v1+json"}


async def test_the_review_items_read_the_lines(
    make_settings: Callable[..., Settings], index: FakeIndex
) -> None:
    report = await dependency_report(make_settings(), lock=LOCK, index=index.url)
    lines = dependency_lines(report)
    assert lines[0] == "*6 pinned packages* · 3 behind (1 major · 1 minor · 1 patch) · ⚠️ 1 yanked"
    assert lines[1:4] == (
        "• `pinned-bad` 2.0.1 → 2.1.0 (minor) ⚠️ *yanked*",
        "• `aiohttp` 3.9.0 → 4.0.2 (major)",
        "• `demo-lib` 1.2.0 → 1.2.7 (patch)",
    )
    assert lines[4] == (
        "_The index could not tell about 2 packages: `ghost` (not on the index), "
        "`sluggish` (no answer within 0.5 s)._"
    )
    security = security_lines(report)
    assert security[0] == (
        "1 pinned package has newer major versions; 1 is yanked: `pinned-bad` 2.0.1 "
        "(opsbot's own dependencies)."
    )


async def test_both_items_from_the_packaged_lock(
    make_settings: Callable[..., Settings], index: FakeIndex
) -> None:
    deps = build_deps(make_settings())
    try:
        week = period_containing(DigestKind.WEEKLY, date(2026, 11, 18), "UTC")
        found = await review_dependencies.findings(deps, digest_runs.team(deps, None), week)
    finally:
        await deps.close()
    assert set(found) == {"dependency_updates", "security_updates"}
    assert all(f.has_data for f in found.values())
    pinned = len([pin for pin in pins_of(packaged_lock()) if applies_here(pin)])
    assert pinned > 30 and found["dependency_updates"].lines[0].startswith(f"*{pinned} pinned packages* · ")
    assert "aiohttp" in index.asked and "sqlalchemy" in index.asked


def test_the_index_is_the_configured_one_else_pip_s(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    configured = settings.file.digests.dependencies.index_url
    assert configured and index_url(settings, {"PIP_INDEX_URL": "http://127.0.0.1:1/other"}) == configured


@pytest.mark.parametrize("bot_config", [{"digests": {"enabled": False}}])
async def test_without_an_index_both_items_say_what_to_set(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert index_url(settings, {"PIP_INDEX_URL": "http://127.0.0.1:1/simple"}) == "http://127.0.0.1:1/simple"
    deps = build_deps(settings)
    try:
        week = period_containing(DigestKind.WEEKLY, date(2026, 11, 18), "UTC")
        found = await review_dependencies.findings(deps, digest_runs.team(deps, None), week)
    finally:
        await deps.close()
    for finding in found.values():
        assert not finding.has_data and "digests.dependencies.index_url" in finding.lines[0]
        assert "PIP_INDEX_URL" in finding.lines[0]


def test_the_lock_ships_inside_the_package() -> None:
    root = Path(__file__).resolve().parents[2]
    package_data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "service.lock" in package_data["bot"]
    assert packaged_lock() == (root / "requirements" / "service.lock").read_text(encoding="utf-8")
