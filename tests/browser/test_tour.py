"""docs/tour.md, walked in a browser: `opsbot serve` without a Slack token (as `make run` starts it) on a
fresh working directory, driven through the sandbox page as a new user would.

With OPSBOT_TOUR_SCREENSHOTS=<dir> (`make tour` sets docs/tour) each step is photographed into
<dir>/NN-<step>.png; without it nothing is written, so the normal run leaves the tracked pictures alone.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from playwright.async_api import Browser, Locator, Page, expect

from tests.support.browser import open_page

pytestmark = pytest.mark.browser

SANDBOX_LINE = "Slack sandbox (no Slack workspace needed): "
SCREENSHOTS = "OPSBOT_TOUR_SCREENSHOTS"
STEP_MS = 30_000  # one step's wait: a fresh opsbot on a shared two-core machine answers within seconds
ESCALATION_SECONDS = 20  # the default is 5 minutes; long enough to acknowledge the first firing by hand
# Only what the tour needs differs from `make run`'s defaults: Alice (the acting user) is the on-call, so the
# escalation's DM shows in her sidebar, and escalation comes after seconds instead of minutes.
TOUR_CONFIG = {
    "oncall": {"members": ["U0ALICE"]},
    "alerts": {"escalation": [{"after_minutes": ESCALATION_SECONDS / 60, "target": "oncall"}]},
    # no catch-up of a scheduled review at start (on a Monday it would post one too): the page's button
    # posts the only weekly review, so the tour's steps never depend on the day
    "digests": {"catch_up_hours": 0},
}


@pytest.fixture
async def page_url(tmp_path: Path) -> AsyncIterator[str]:
    """`opsbot serve` in embedded mode on a new working directory (so a new sandbox database); its page."""
    config = tmp_path / "opsbot.yml"
    config.write_text(yaml.safe_dump(TOUR_CONFIG))
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "OPSBOT_"))}
    log = (tmp_path / "opsbot.log").open("wb")  # a pipe nobody reads would fill and stall the bot's logging
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--port", "0", cwd=tmp_path,
        env={**kept, "OPSBOT_CONFIG": str(config), "OPSBOT_LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE, stderr=log,
    )  # fmt: skip
    try:
        yield await _page_url_once_listening(process)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.communicate()
        log.close()


async def _page_url_once_listening(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    output, url, listening, told = "", None, False, False
    async with asyncio.timeout(60):
        while line := (await process.stdout.readline()).decode():
            output += line
            if SANDBOX_LINE in line:
                url = line.split(SANDBOX_LINE)[1].strip()
            listening = listening or "opsbot listening on" in line
            told = told or "sample history" in line  # told after the bot listens; the page works meanwhile
            if listening and told and url is not None:
                return url
    raise AssertionError(f"embedded opsbot did not start: {output}")


@pytest.fixture
async def page(browser: Browser, page_url: str) -> AsyncIterator[Page]:
    async with open_page(browser, page_url) as opened:
        yield opened


async def test_the_tour_from_a_critical_alert_to_the_weekly_digest(page: Page) -> None:
    alert = await fire_a_critical_alert(page)
    await acknowledge(page, alert)
    await let_it_escalate(page, alert)
    number = await declare_an_incident_from(page, alert)  # after the sample history's incidents
    await post_an_update_and_resolve(page, number)
    await open_a_ticket_from_the_postmortem(page, number)
    await show_the_ticket_matrix(page)
    digest = await run_the_weekly_digest(page)
    await page.locator("#thread-messages img.file-img").scroll_into_view_if_needed()
    await snap(page, "12-weekly-digest")
    await tick_checklist_items(page, digest)


async def test_the_weekly_review_of_the_sample_history_has_numbers_and_a_chart(page: Page) -> None:
    """Needs the sample history a fresh embedded database is filled with (issue #19)."""
    digest = await run_the_weekly_digest(page)
    text = await digest.inner_text()
    total = re.search(r"Total\D*(\d+)", text)
    assert total and int(total.group(1)) > 0, f"no alerts in the weekly review:\n{text}"
    assert "No incidents." not in text and re.search(r"INC-\d+", text), f"no incidents:\n{text}"
    timings = re.search(r"Mean time to acknowledge (\S+).*to resolve (\S+)", text)
    assert timings and "–" not in timings.groups(), f"no MTTA/MTTR:\n{text}"
    assert "Nothing stood out." not in text and re.search(r"\b1\. ", text), f"no top issues:\n{text}"


async def fire_a_critical_alert(page: Page) -> Locator:
    """Simulate → Critical alert, then open #critical-alerts."""
    await page.get_by_test_id("fire-critical").click()
    await expect(page.locator("#sim-status")).to_contain_text("Fired: CheckoutErrorRate")
    await open_channel(page, "critical-alerts")
    alert = page.get_by_test_id("message").filter(has_text="CheckoutErrorRate").first
    await expect(alert).to_contain_text("CRITICAL", timeout=STEP_MS)
    await expect(alert.get_by_role("button", name="Acknowledge")).to_be_visible()
    await snap(page, "01-critical-alert")
    return alert


async def acknowledge(page: Page, alert: Locator) -> None:
    await alert.get_by_role("button", name="Acknowledge").click()
    await expect(alert).to_contain_text("Acknowledged by @alice", timeout=STEP_MS)
    await snap(page, "02-acknowledged")


async def let_it_escalate(page: Page, alert: Locator) -> None:
    """Resolve it, fire it again and leave it: the on-call is paged in its thread and by DM."""
    await page.get_by_test_id("resolve-alerts").click()
    await expect(alert).to_contain_text("RESOLVED", timeout=STEP_MS)
    await page.get_by_test_id("fire-critical").click()
    await expect(alert.get_by_role("button", name="Acknowledge")).to_be_visible(timeout=STEP_MS)
    await alert.locator("button.replies").click()
    paged = page.locator("#thread-messages").get_by_text("critical and unacknowledged")
    await expect(paged).to_be_visible(timeout=STEP_MS + ESCALATION_SECONDS * 1000)
    await snap(page, "03-escalated-in-thread")
    await page.get_by_role("button", name="Close thread").click()
    await page.locator("#dms button").first.click()
    await expect(page.get_by_test_id("messages")).to_contain_text("needs you")
    await snap(page, "04-escalated-dm")


async def declare_an_incident_from(page: Page, alert: Locator) -> int:
    """Declare from the alert; return the incident's number (the sample history's incidents have none of
    the channels, so the one incident channel is this one)."""
    await open_channel(page, "critical-alerts")
    await alert.get_by_role("button", name="Declare incident").click()
    modal = page.get_by_test_id("modal")
    await expect(modal).to_contain_text("Declare an incident")
    await expect(modal.get_by_label("Title")).not_to_have_value("")
    await snap(page, "05-declare-incident")
    await modal.get_by_role("button", name="Declare").click()
    await expect(modal).to_have_count(0)
    channel = page.locator('#channels button[data-channel^="inc-"]')
    await channel.click(timeout=STEP_MS)
    found = re.match(r"inc-(\d+)-", await channel.get_attribute("data-channel") or "")
    assert found, await channel.get_attribute("data-channel")
    number = int(found.group(1))
    await expect(header(page, number)).to_contain_text(f"INC-{number}", timeout=STEP_MS)
    await snap(page, "06-incident-channel")
    return number


async def post_an_update_and_resolve(page: Page, number: int) -> None:
    """The header's Post update and Resolve buttons, and an action item for the postmortem."""
    update = "Rolled back checkout v2.14.0"
    await submit_form(page, header(page, number), "Post update", "Status update", update)
    await expect(page.get_by_test_id("messages")).to_contain_text(update, timeout=STEP_MS)
    await send(page, "/incident action Alert on the checkout error budget, not the raw rate")
    await expect(page.get_by_test_id("ephemeral").last).to_contain_text(f"Action item 1 of INC-{number}")
    await snap(page, "07-incident-update")
    resolved = "A bad deploy; rolled back"
    await submit_form(page, header(page, number), "Resolve", "Resolution summary", resolved)
    await expect(header(page, number)).to_contain_text("Resolved", timeout=STEP_MS)


async def open_a_ticket_from_the_postmortem(page: Page, number: int) -> None:
    draft = page.get_by_test_id("message").filter(has_text=f"Postmortem draft for INC-{number}")
    await expect(draft).to_contain_text(f"INC-{number} postmortem draft", timeout=STEP_MS)
    items = page.get_by_test_id("message").filter(has_text=f"Action items of INC-{number}")
    await expect(items).to_contain_text("checkout error budget", timeout=STEP_MS)
    await draft.scroll_into_view_if_needed()
    await snap(page, "08-postmortem-draft")
    await items.get_by_role("button", name="Open ticket").click()
    modal = page.get_by_test_id("modal")
    await expect(modal.get_by_label("Title")).to_have_value(re.compile("checkout error budget"))
    await snap(page, "09-new-ticket")
    await modal.get_by_role("button", name="Create").click()
    await expect(modal).to_have_count(0)
    opened = page.get_by_test_id("message").filter(has_text=re.compile(r"opened TKT-\d+"))
    await expect(opened).to_contain_text("checkout error budget", timeout=STEP_MS)
    await snap(page, "10-ticket-opened")


async def show_the_ticket_matrix(page: Page) -> None:
    await send(page, "/ticket matrix")
    matrix = page.get_by_test_id("ephemeral").filter(has_text="matrix").last
    await expect(matrix).to_contain_text(re.compile(r"Quick Win \([1-9]\d*\)"), timeout=STEP_MS)
    await matrix.scroll_into_view_if_needed()
    await snap(page, "11-ticket-matrix")


async def run_the_weekly_digest(page: Page) -> Locator:
    """Simulate → Run weekly digest; the review is in #ops-review, its chart in the thread."""
    await page.get_by_test_id("digest-weekly").click()
    await open_channel(page, "ops-review")
    digest = page.get_by_test_id("message").filter(has_text="Weekly").last
    await expect(digest).to_contain_text("Firings", timeout=STEP_MS)
    await digest.locator("button.replies").click(timeout=STEP_MS)
    await expect(page.locator("#thread-messages img.file-img")).to_have_count(1, timeout=STEP_MS)
    return digest


async def tick_checklist_items(page: Page, digest: Locator) -> None:
    """Tick two of the review's items: the message, updated in place, says who ticked them."""
    progress = digest.locator(".bk-context", has_text="ticked")
    await expect(progress).to_contain_text(re.compile(r"0 of \d+ ticked"), timeout=STEP_MS)
    for item in ("error_logs", "degradation_incidents"):
        await digest.locator(f'input[type=checkbox][value="{item}"]').check()
    await expect(progress).to_contain_text(re.compile(r"2 of \d+ ticked · by \S"), timeout=STEP_MS)
    await expect(digest.locator('input[type=checkbox][value="error_logs"]')).to_be_checked()
    await digest.locator('input[type=checkbox][value="degradation_incidents"]').scroll_into_view_if_needed()
    await snap(page, "13-review-checklist")


def header(page: Page, number: int) -> Locator:
    """The incident's header in its channel: the message headed INC-<number>."""
    title = page.locator(".bk-header", has_text=f"INC-{number} ·")
    return page.get_by_test_id("message").filter(has=title).first


async def submit_form(page: Page, message: Locator, button: str, label: str, text: str) -> None:
    await message.get_by_role("button", name=button, exact=True).click()
    modal = page.get_by_test_id("modal")
    await modal.get_by_label(label).fill(text)
    await modal.locator("button[type=submit]").click()
    await expect(modal).to_have_count(0, timeout=STEP_MS)


async def open_channel(page: Page, name: str) -> None:
    await page.locator(f'#channels button[data-channel="{name}"]').click(timeout=STEP_MS)
    await expect(page.locator("#channel-title")).to_have_text(f"#{name}")


async def send(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")


async def snap(page: Page, name: str) -> None:
    """Photograph the page into $OPSBOT_TOUR_SCREENSHOTS/<name>.png, when asked to."""
    folder = os.environ.get(SCREENSHOTS)
    if folder:  # playwright creates the folder
        await page.screenshot(path=Path(folder) / f"{name}.png")
