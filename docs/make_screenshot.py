"""Make docs/sandbox.png: opsbot with its embedded Slack sandbox, alerts, an incident channel, a modal open.

Run from anywhere: `python docs/make_screenshot.py [output.png]` (needs Playwright's Python package and
Debian's chromium at /usr/bin/chromium; nothing is downloaded). It starts opsbot on SQLite in a temporary
directory with the sandbox next to it, exactly as `opsbot serve` does without a Slack token.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Page, async_playwright, expect  # noqa: E402
from slack_sdk.web.async_client import AsyncWebClient  # noqa: E402

from bot.config import load_settings  # noqa: E402
from bot.deps import build_deps  # noqa: E402
from bot.embedded import start_embedded_sandbox  # noqa: E402
from bot.server import start_server  # noqa: E402
from bot.services.info_reviews import run_digest_now  # noqa: E402
from sandbox import RunningSandbox  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
OUTPUT = ROOT / "docs" / "sandbox.png"


async def main(output: Path) -> None:
    """Start opsbot with the embedded sandbox, stage a small scene and photograph the page."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "opsbot.yml"
        config.write_text("alerts:\n  pace_per_channel_seconds: 0.05\n")
        settings = load_settings({"OPSBOT_CONFIG": str(config)})
        embedded = await start_embedded_sandbox(settings, host="127.0.0.1", bot_port=0, workdir=Path(tmp))
        server = await start_server(build_deps(embedded.settings), host="127.0.0.1", port=0)
        embedded.connect(server.url, run_digest=partial(run_digest_now, server.deps))
        try:
            await photograph(embedded.sandbox, output)
        finally:
            await server.close()
            await embedded.close()
    print(f"wrote {output}")


async def photograph(sandbox: RunningSandbox, output: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1440, "height": 860})
        await page.goto(sandbox.page_url)
        await expect(page.get_by_text("opsbot connected")).to_be_visible()
        await fire_alerts(page, sandbox)
        await page.locator('#channels button[data-channel="critical-alerts"]').click()
        alert = page.get_by_test_id("message").filter(has_text="CheckoutErrorRate").first
        await alert.get_by_role("button", name="Acknowledge").click()
        await expect(alert).to_contain_text("Acknowledged by")
        await alert.get_by_role("button", name="1 reply").click()
        await expect(page.locator("#thread-messages")).to_contain_text("Acknowledged by alice")
        client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
        channel = await declare_incident(page, client, sandbox)
        await page.locator(f'#channels button[data-channel="{channel}"]').click()
        await open_form(page, client, sandbox)
        modal = page.get_by_test_id("modal")
        await modal.get_by_label("Title").fill("Payments API returns 502s")
        await modal.get_by_label("Severity").select_option(index=1)
        await page.screenshot(path=str(output))
        await browser.close()


async def declare_incident(page: Page, client: AsyncWebClient, sandbox: RunningSandbox) -> str:
    """Declare through the composer; if this version has no /incident, build a look-alike channel."""
    await send(page, "/incident declare sev2 Checkout slow")
    try:
        event = await sandbox.workspace.wait_for_event(
            "channel_created", predicate=lambda e: e["channel"]["name"].startswith("inc-"), timeout=10
        )
        return str(event["channel"]["name"])
    except TimeoutError:
        await incident_channel(client, sandbox)
        return "inc-1-checkout-slow"


async def open_form(page: Page, client: AsyncWebClient, sandbox: RunningSandbox) -> None:
    """Open /incident's declaration form; without one, open a look-alike modal through views.open."""
    await send(page, "/incident")
    try:
        await sandbox.workspace.wait_for_view(user="alice", timeout=5)
    except TimeoutError:
        await open_modal(client, sandbox)
    await expect(page.get_by_test_id("modal")).to_contain_text("Declare an incident")


async def send(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")


async def fire_alerts(page: Page, sandbox: RunningSandbox) -> None:
    for kind, channel in (("critical", "critical-alerts"), ("warning", "ops-alerts")):
        await page.get_by_test_id(f"fire-{kind}").click()
        await expect(page.locator("#sim-status")).to_contain_text("Fired")
        await sandbox.workspace.wait_for_message(channel, contains=kind.upper(), timeout=10)
    await page.get_by_test_id("fire-info").click()  # info alerts wait for the daily info review: run it now
    await expect(page.locator("#sim-status")).to_contain_text("Fired")
    await page.get_by_test_id("digest-info").click()
    await sandbox.workspace.wait_for_message("ops-info", contains="Info review", timeout=10)


async def incident_channel(client: AsyncWebClient, sandbox: RunningSandbox) -> None:
    """An incident-like channel, made through the Web API since /incident is not built yet."""
    created = await client.conversations_create(name="inc-1-checkout-slow")
    channel = created["channel"]["id"]
    await client.conversations_setTopic(channel=channel, topic="SEV2 · Checkout slow · commander @alice")
    started = int(datetime.now(UTC).timestamp())
    await client.chat_postMessage(
        channel=channel,
        text="SEV2 declared: Checkout slow",
        blocks=[
            {
                "type": "header",
                "text": {"type": "plain_text", "text": ":rotating_light: SEV2 — Checkout slow"},
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Commander*\n<@U0ALICE>"},
                    {"type": "mrkdwn", "text": "*Status*\nInvestigating"},
                    {"type": "mrkdwn", "text": f"*Declared*\n<!date^{started}^{{time}}|just now>"},
                    {"type": "mrkdwn", "text": "*Respond within*\n30 min"},
                ],
            },
        ],
    )
    ws = sandbox.workspace
    note = ws.add_message(channel, user="U0BOB", text="Looking at the checkout pods now :eyes:")
    ws.add_reaction(channel, note.ts, "handshake", user="U0ALICE")


async def open_modal(client: AsyncWebClient, sandbox: RunningSandbox) -> None:
    await client.views_open(trigger_id=sandbox.workspace.issue_trigger("alice"), view=_declare_view())


def _declare_view() -> dict[str, Any]:
    severities = [
        {"text": {"type": "plain_text", "text": f"SEV{n}"}, "value": f"sev{n}"} for n in range(1, 5)
    ]
    return {
        "type": "modal",
        "callback_id": "incident_declare",
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("title", "Title", {"type": "plain_text_input", "initial_value": "Checkout slow"}),
            _input("severity", "Severity", {"type": "static_select", "options": severities,
                                            "initial_option": severities[1]}),
            _input("commander", "Commander", {"type": "users_select", "initial_user": "U0ALICE"}),
            _input("summary", "What is happening?", {"type": "plain_text_input", "multiline": True,
                   "placeholder": {"type": "plain_text", "text": "Symptoms, impact, what you tried"}}),
            _input("started", "Started", {"type": "datepicker",
                   "initial_date": datetime.now(UTC).date().isoformat()}),
        ],
    }  # fmt: skip


def _input(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": {"action_id": block_id, **element},
    }


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT))
