"""Issue #20's "Done means": with the sandbox's sample history (opsbot's own records and its #user-feedback
and #support channels), a real Prometheus holding the configured series and a package index on loopback,
`opsbot digest weekly --dry-run` and `monthly --dry-run` print every item of both checklists with numbers;
none reads "no source configured"."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config import Settings
from bot.domain.review_checklist import MONTHLY_ITEMS, WEEKLY_ITEMS
from bot.services.sample_history import seed_once
from sandbox.sample_channels import FEEDBACK_CHANNEL, SUPPORT_CHANNEL, seed_review_channels
from storage.migrate import upgrade
from tests.integration.test_review_sources_prometheus import SOURCES, dry_runs, section

pytestmark = [pytest.mark.prometheus, pytest.mark.slow]

# The sample month ends on this Monday morning: it holds October and week 46 (9–15 November), the periods the
# backfilled Prometheus series cover.
NOW = datetime(2026, 11, 16, 8, 30, tzinfo=UTC)
PAYMENT_KPI = {
    "name": "payment_success",
    "title": "Payment success",
    "promql": '100 * sum(rate(payments_total{status="ok"}[1d])) / sum(rate(payments_total[1d]))',
    "target": 99,
    "comparison": ">",
    "unit": "%",
}


@pytest.fixture
async def package_index() -> AsyncIterator[str]:
    """A PEP 691 index on loopback that knows every project, each with a release 99.0."""

    async def project(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        files = [{"filename": f"{name}-99.0.tar.gz", "url": "x", "hashes": {}, "yanked": False}]
        return web.json_response(
            {"meta": {"api-version": "1.0"}, "name": name, "files": files},
            content_type="application/vnd.pypi.simple.v1+json",
        )

    app = web.Application()
    app.router.add_get("/{name}/", project)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
def bot_config(package_index: str) -> dict[str, Any]:
    return {
        "kpis": [PAYMENT_KPI],
        "digests": {
            "enabled": False,
            "sources": SOURCES,
            "feedback_channel": FEEDBACK_CHANNEL,
            "support_channel": SUPPORT_CHANNEL,
            "dependencies": {"index_url": package_index},
        },
    }


async def test_every_item_of_both_checklists_shows_numbers(
    sandbox: Any, make_settings: Callable[..., Settings], sqlite_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(upgrade, sqlite_url)
    assert await seed_once(make_settings(), now=NOW) is not None
    seed_review_channels(sandbox.workspace, now=NOW.timestamp())
    config = tmp_path / "opsbot.yml"  # make_settings wrote it
    weekly, monthly = await dry_runs(
        tmp_path, sandbox_api=sandbox.api_url, database=sqlite_url, config=config
    )
    for out, items in ((weekly, WEEKLY_ITEMS), (monthly, MONTHLY_ITEMS)):
        assert "No source configured" not in out and "⚠️" not in out, out
        for spec in items:
            found = section(out, spec.title)
            assert re.search(r"\d", found), f"{spec.title} shows no numbers:\n{found}"
    assert "Total 2 (" in section(weekly, "Performance degradation incidents")
    assert "↳ *DiskIOWaitHigh*" not in weekly and "↳ DiskIOWaitHigh: raise" in weekly
    assert re.search(r"\d+ \(", section(weekly, "User feedback / complaints"))
    assert "Median time to first reply" in section(weekly, "Support metrics")
    assert "pinned packages" in section(monthly, "Dependency updates")
