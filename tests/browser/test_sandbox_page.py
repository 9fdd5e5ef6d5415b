"""The sandbox web page in a real browser: simulate an alert, click its button, slash commands, modals."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
from aiohttp import web
from PIL import Image
from playwright.async_api import Browser, Page, expect

from bot.server import RunningServer
from bot.services.info_reviews import run_digest_now
from tests.conftest import SIGNING_SECRET
from tests.sandbox.fakebot import SECRET as FAKE_SECRET
from tests.sandbox.fakebot import FakeBot
from tests.support.browser import open_page
from tests.support.sandbox_page import post_control


@pytest.fixture
def bot_config(sandbox: Any) -> dict[str, Any]:
    paging = {"pagerduty": {"events_url": sandbox.pagerduty_events_url}}  # paged only with a routing key
    return {"alerts": {"pace_per_channel_seconds": 0.02}, "paging": paging}


@pytest.fixture
def page_url(opsbot: RunningServer, sandbox: Any) -> str:
    """The sandbox page, wired to opsbot the way `opsbot serve` wires the embedded sandbox."""
    player = sandbox.player(bot_url=f"{opsbot.url}/slack/events", signing_secret=SIGNING_SECRET)
    sandbox.attach_bot(player=player, alert_webhook_url=f"{opsbot.url}/alerts/alertmanager")
    return str(sandbox.page_url)


@pytest.fixture
async def page(browser: Browser, page_url: str) -> AsyncIterator[Page]:
    async with open_page(browser, page_url) as opened:
        yield opened


@pytest.fixture
async def fake_bot(sandbox: Any) -> AsyncIterator[FakeBot]:
    """A tiny verifying bot that answers as a test tells it, attached to the sandbox page."""
    bot = FakeBot()
    await bot.start()
    sandbox.attach_bot(player=sandbox.player(bot_url=bot.url, signing_secret=FAKE_SECRET))
    yield bot
    await bot.close()


@pytest.mark.browser
async def test_fire_a_critical_alert_and_acknowledge_it(page: Page) -> None:
    await page.get_by_test_id("fire-critical").click()
    await expect(page.locator("#sim-status")).to_contain_text("Fired: CheckoutErrorRate")
    channel = page.locator('#channels button[data-channel="critical-alerts"]')
    await expect(channel).to_have_class(re.compile(r"\bunread\b"))
    await channel.click()
    alert = page.get_by_test_id("message").filter(has_text="CheckoutErrorRate").first
    await expect(alert).to_contain_text("CRITICAL")
    await alert.get_by_role("button", name="Acknowledge").click()
    await expect(alert).to_contain_text("Acknowledged by @alice")
    await expect(alert).to_contain_text("(edited)")
    await page.get_by_test_id("resolve-alerts").click()
    await expect(alert).to_contain_text("RESOLVED")


@pytest.mark.browser
async def test_slack_rate_limits_from_the_panel_delay_an_alert_but_do_not_lose_it(
    page: Page, sandbox: Any
) -> None:
    await page.get_by_test_id("fault-429").click()
    await expect(page.locator("#sim-status")).to_contain_text("429 (Retry-After 2 s)")
    await page.get_by_test_id("fire-warning").click()
    await page.locator('#channels button[data-channel="ops-alerts"]').click()
    alert = page.get_by_test_id("message").filter(has_text="ApiLatencyHigh")
    await expect(alert).to_have_count(1, timeout=30_000)  # after the 429s, once
    throttled = [c for c in sandbox.workspace.calls if c.status == 429]
    assert throttled and all(c.method in ("chat.postMessage", "chat.update") for c in throttled)


@pytest.mark.browser
async def test_slash_command_reply_is_only_visible_to_you(page: Page) -> None:
    await page.get_by_label("Message", exact=True).fill("/ticket help")
    await page.get_by_label("Message", exact=True).press("Enter")
    reply = page.get_by_test_id("ephemeral").filter(has_text="/ticket — help")
    await expect(reply).to_contain_text("Only visible to you")
    await expect(page.get_by_label("Message", exact=True)).to_have_value("")


@pytest.mark.browser
async def test_a_modal_submits_its_values_and_shows_the_bots_errors(
    browser: Browser, sandbox: Any, fake_bot: FakeBot
) -> None:
    answers = [web.json_response({"response_action": "errors", "errors": {"title": "Say what is slow"}})]
    fake_bot.reply = lambda _: answers.pop(0) if answers else web.Response()
    async with open_page(browser, sandbox.page_url) as page:
        view = sandbox.workspace.open_modal("U0ALICE", DECLARE_VIEW)
        modal = page.get_by_test_id("modal")
        await expect(modal.get_by_label("Severity")).to_have_value("sev2")
        title = modal.get_by_label("Title")
        await expect(title).to_have_value("Checkout slow")
        await title.fill("")
        await modal.get_by_role("button", name="Declare").click()
        await expect(modal).to_contain_text("Please complete this required field.")
        await title.fill("slow")
        await modal.get_by_role("button", name="Declare").click()
        await expect(modal).to_contain_text("Say what is slow")
        await title.fill("Checkout p95 is 4 s")
        await modal.get_by_role("button", name="Declare").click()
        await expect(modal).to_have_count(0)
        values = fake_bot.received[-1].payload["view"]["state"]["values"]
        assert values["title"]["title"]["value"] == "Checkout p95 is 4 s"
        assert values["severity"]["severity"]["selected_option"]["value"] == "sev2"
        assert sandbox.workspace.view(view.id).closed
        sandbox.workspace.open_modal("U0ALICE", DECLARE_VIEW)
        await modal.get_by_role("button", name="Cancel").click()
        await expect(modal).to_have_count(0)


@pytest.mark.browser
async def test_app_home_shows_the_published_view_and_plays_its_buttons(
    browser: Browser, sandbox: Any, fake_bot: FakeBot
) -> None:
    both = asyncio.Event()

    def reply(got: Any) -> web.Response:
        if {r.payload["type"] for r in fake_bot.received} == {"event_callback", "block_actions"}:
            both.set()
        return web.Response()

    fake_bot.reply = reply
    sandbox.workspace.publish_home("U0BOB", HOME_VIEW)
    async with open_page(browser, sandbox.page_url) as page:
        await page.get_by_label("Acting user").select_option("U0BOB")
        await page.get_by_test_id("app-home").click()
        await expect(page.locator("#messages")).to_contain_text("Your open tickets")
        await page.get_by_role("button", name="Refresh").click()
        await asyncio.wait_for(both.wait(), timeout=5)
    received = {r.payload["type"]: r.payload for r in fake_bot.received}
    opened, click = received["event_callback"], received["block_actions"]
    assert opened["event"]["type"] == "app_home_opened" and opened["event"]["user"] == "U0BOB"
    assert click["container"] == {"type": "view", "view_id": sandbox.workspace.home_views["U0BOB"]}
    assert click["user"]["id"] == "U0BOB" and click["actions"][0]["action_id"] == "home_refresh"


@pytest.mark.browser
async def test_both_digest_choices_post_and_their_emoji_are_drawn(
    browser: Browser, opsbot: RunningServer, page_url: str, sandbox: Any
) -> None:
    sandbox.attach_bot(run_digest=partial(run_digest_now, opsbot.deps))
    async with open_page(browser, page_url) as page:
        await page.get_by_test_id("digest-weekly-so-far").click()
        await expect(page.locator("#sim-status")).to_contain_text("so far (")
        await page.get_by_test_id("digest-weekly").click()
        await expect(page.locator("#sim-status")).to_contain_text("queued weekly digest")
        await page.locator('#channels button[data-channel="ops-review"]').click()
        headers = page.get_by_test_id("message").locator(".bk-header")
        await expect(headers).to_have_count(2, timeout=30_000)
        await expect(headers.nth(0)).to_contain_text(" so far (")
        await expect(headers.nth(1)).not_to_contain_text("so far")
        firings = page.get_by_test_id("message").first.locator(".block", has_text="Firings").first
        assert await colored_pixels(firings.locator("b").first) > 20, "🚨 drawn without colour: a blank box?"


async def colored_pixels(text: Any) -> int:
    """How many pixels of the element are clearly coloured: emoji are, text and empty boxes are grey."""
    with Image.open(io.BytesIO(await text.screenshot())) as shot:
        data = shot.convert("RGB").tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    return sum(1 for rgb in pixels if max(rgb) - min(rgb) > 80)


@pytest.mark.browser
async def test_shortcodes_and_unicode_emoji_are_drawn_in_colour(
    browser: Browser, sandbox: Any, fake_bot: FakeBot
) -> None:
    ws = sandbox.workspace
    async with open_page(browser, sandbox.page_url) as page:
        emoji = ":rotating_light: :white_check_mark: :eyes: 🔥 📈 🎫"
        message = ws.add_message("general", text="x", blocks=[section(emoji), section("plain words")])
        shown = page.locator(f'[data-ts="{message.ts}"] .block')
        await expect(shown.first.locator(".emoji")).to_have_count(3)
        assert await page.evaluate("""document.fonts.check('16px "Opsbot Emoji"', '🔥')""")
        assert await colored_pixels(shown.first) > 200
        assert await colored_pixels(shown.nth(1)) == 0


@pytest.mark.browser
async def test_block_kit_and_mrkdwn_render_and_update_live(
    browser: Browser, sandbox: Any, fake_bot: FakeBot
) -> None:
    ws = sandbox.workspace
    async with open_page(browser, sandbox.page_url) as page:
        message = ws.add_message("general", text="fallback", blocks=rich_blocks(ws.channel("ops-alerts").id))
        shown = page.locator(f'[data-ts="{message.ts}"]')
        await expect(shown.locator(".bk-header")).to_have_text("Deploy report")
        await expect(shown.locator("b")).to_have_text(["bold", "Owner"])
        await expect(shown.locator("i")).to_have_text("italics")
        await expect(shown.locator("code")).to_have_text("code")
        await expect(shown.locator("pre")).to_have_text("a block")
        await expect(shown.get_by_role("link", name="the runbook")).to_have_attribute(
            "href", "https://example.com/rb"
        )
        await expect(shown.locator(".mention")).to_have_text(["@bob", "#ops-alerts", "@bob"])
        await expect(shown).to_contain_text("Nov 14 at 10:00")
        await expect(shown.locator('.emoji[title=":red_circle:"]')).to_have_count(1)
        await expect(shown).to_contain_text(":not_an_emoji:")
        await expect(shown.locator(".bk-fields")).to_contain_text("Owner")
        await expect(shown.locator(".bk-context")).to_contain_text("context line")
        await expect(shown.locator("hr.bk-divider")).to_have_count(1)
        await expect(shown.locator(".bk-button.primary")).to_have_text("Approve")
        await expect(shown.locator(".bk-button.danger")).to_have_text("Roll back")
        await shown.locator("select.bk-select").select_option("canary")
        await shown.get_by_role("button", name="More actions").click()
        await shown.get_by_role("button", name="Show logs").click()
        await ws.wait_for_event("block_action", predicate=lambda e: e["action"]["action_id"] == "more")
        chosen = [e["action"] for e in ws.events if e["type"] == "block_action"]
        assert [a["selected_option"]["value"] for a in chosen] == ["canary", "logs"]
        ws.update_message("general", message.ts, text="fallback", blocks=[section("Rolled back")])
        await expect(shown).to_contain_text("Rolled back")
        await expect(shown).to_contain_text("(edited)")
        ws.create_channel("inc-7-checkout-slow")
        await expect(page.locator('#channels button[data-channel="inc-7-checkout-slow"]')).to_be_visible()


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def rich_blocks(channel_id: str) -> list[dict[str, Any]]:
    options = [{"text": {"type": "plain_text", "text": v}, "value": v} for v in ("canary", "everywhere")]
    text = (
        "*bold* _italics_ `code` <https://example.com/rb|the runbook> <@U0BOB> "
        f"<#{channel_id}> <!date^1700000000^{{date_short}} at {{time}}|Nov 14 at 10:00> "
        ":red_circle: :not_an_emoji:\n```a block```"
    )
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Deploy report"}},
        section(text) | {"fields": [{"type": "mrkdwn", "text": "*Owner*\n<@U0BOB>"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "context line"}]},
        {"type": "divider"},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "ok", "style": "primary", "text": plain("Approve")},
                {"type": "button", "action_id": "undo", "style": "danger", "text": plain("Roll back")},
                {"type": "static_select", "action_id": "where", "options": options},
                {"type": "overflow", "action_id": "more", "options": [
                    {"text": plain("Show logs"), "value": "logs"}, {"text": plain("Mute"), "value": "mute"}]},
            ],
        },
    ]  # fmt: skip


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


async def test_the_panel_refuses_an_unknown_slack_fault(sandbox: Any) -> None:
    status, body = await post_control(sandbox, "faults", {"kind": "meteor"})
    assert status == 400 and "unknown fault 'meteor'" in body["error"]


async def test_digests_answer_that_they_are_not_there_yet(sandbox: Any) -> None:
    status, body = await post_control(sandbox, "digest", {"period": "weekly"})
    assert status == 501 and body == {"ok": False, "error": "Digests are not available in this version yet."}


async def test_without_a_bot_the_page_says_how_to_connect_one(sandbox: Any) -> None:
    status, body = await post_control(sandbox, "alerts", {"kind": "critical"})
    assert status == 503 and "--bot-url" in body["error"]
    slash = {"text": "/ticket help", "user": "alice", "channel": "general"}
    status, body = await post_control(sandbox, "slash", slash)
    assert status == 503 and "opsbot serve" in body["error"]
    status, _ = await post_control(sandbox, "message", {"text": "hi", "user": "bob", "channel": "general"})
    assert status == 200 and sandbox.workspace.messages("general")[-1].text == "hi"


SEVERITIES = [{"text": {"type": "plain_text", "text": f"SEV{n}"}, "value": f"sev{n}"} for n in range(1, 5)]
DECLARE_VIEW = {
    "type": "modal",
    "callback_id": "incident_declare",
    "title": {"type": "plain_text", "text": "Declare an incident"},
    "submit": {"type": "plain_text", "text": "Declare"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "title", "initial_value": "Checkout slow"},
        },
        {
            "type": "input",
            "block_id": "severity",
            "label": {"type": "plain_text", "text": "Severity"},
            "element": {
                "type": "static_select",
                "action_id": "severity",
                "options": SEVERITIES,
                "initial_option": SEVERITIES[1],
            },
        },
    ],
}
REFRESH = {"type": "plain_text", "text": "Refresh"}
HOME_VIEW = {
    "type": "home",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Your open tickets*"}},
        {
            "type": "actions",
            "elements": [{"type": "button", "action_id": "home_refresh", "text": REFRESH}],
        },
    ],
}


@pytest.mark.browser
async def test_the_paged_section_shows_pagerduty_and_resolves_there(
    browser: Browser, sandbox: Any, make_settings: Any
) -> None:
    from bot.deps import build_deps
    from bot.server import start_server

    settings = make_settings(
        OPSBOT_PAGERDUTY_ROUTING_KEY=sandbox.pagerduty.add_routing_key(),
        OPSBOT_PAGERDUTY_WEBHOOK_SECRET="whs",
    )
    paging = settings.file.paging.model_copy(
        update={"pagerduty": settings.file.paging.pagerduty.model_copy(
            update={"events_url": sandbox.pagerduty_events_url}
        )}
    )  # fmt: skip
    settings = settings.model_copy(update={"file": settings.file.model_copy(update={"paging": paging})})
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    try:
        sandbox.pagerduty.connect_bot(f"{server.url}/pagerduty/webhook", signing_secrets=["whs"])
        player = sandbox.player(bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET)
        sandbox.attach_bot(player=player, alert_webhook_url=f"{server.url}/alerts/alertmanager")
        async with open_page(browser, sandbox.page_url) as page:
            await page.get_by_test_id("fire-critical").click()
            incident = page.get_by_test_id("pagerduty-incident-1")
            await expect(incident).to_contain_text("PagerDuty #1 · triggered")
            await expect(incident).to_contain_text("CheckoutErrorRate")
            await page.get_by_test_id("pagerduty-resolve-1").click()
            await expect(incident).to_contain_text("PagerDuty #1 · resolved")
            await page.locator('#channels button[data-channel="critical-alerts"]').click()
            alert = page.get_by_test_id("message").filter(has_text="CheckoutErrorRate").first
            await expect(alert).to_contain_text("Resolved in PagerDuty by Alice")
    finally:
        await server.close()
