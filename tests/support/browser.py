"""Open the sandbox page in Debian's chromium, on the tests' clock (tests/browser)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from playwright.async_api import Browser, Page, expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def browser_environ() -> dict[str, str]:
    """Our environment without libfaketime: chromium hangs at start-up under it (tests/faketime_run.py).

    The page still runs on the tests' clock: `open_page` sets it from the test process's time.
    """
    kept = [p for p in os.environ.get("LD_PRELOAD", "").split() if "libfaketime" not in p]
    return {**os.environ, "LD_PRELOAD": " ".join(kept)}


@asynccontextmanager
async def open_page(browser: Browser, url: str) -> AsyncIterator[Page]:
    """The page at `url`, connected to its bot; a script error on the page fails the test at the end."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    await context.clock.set_system_time(datetime.now(UTC))  # the page's Date runs on the tests' clock
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    await opened.goto(url)
    await expect(opened.get_by_text("opsbot connected")).to_be_visible()
    try:
        yield opened
        assert not errors, f"the page raised: {errors}"
    finally:
        await context.close()
