"""Chromium for the browser tests: Debian's, started headless once per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, browser_environ
from tests.support.services import require


@pytest.fixture
def chromium() -> str:
    """Debian's chromium: missing, the test skips (and fails under CI=true)."""
    require(CHROMIUM.exists(), "chromium")
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, env=browser_environ()
        )
        yield launched
        await launched.close()
