"""The embedded sandbox is a local tool: loopback only, and its own database whatever is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.embedded import start_embedded_sandbox


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
async def test_the_sandbox_listens_on_loopback_and_the_bot_uses_its_own_file(
    host: str, tmp_path: Path
) -> None:
    settings = load_settings({"OPSBOT_DATABASE_URL": "postgresql://opsbot:pw@db.internal/opsbot"})
    embedded = await start_embedded_sandbox(settings, host=host, bot_port=0, workdir=tmp_path)
    try:
        assert embedded.sandbox.url.startswith("http://127.0.0.1:")
        own = tmp_path / "opsbot-sandbox.db"
        assert embedded.settings.secrets.database_url.get_secret_value() == f"sqlite:///{own}"
        first, second = embedded.message.splitlines()
        assert first.endswith(f"{embedded.sandbox.url}/?key={embedded.sandbox.page_key}")
        assert (
            second == f"  sandbox database: {own} (OPSBOT_DATABASE_URL is not used without SLACK_BOT_TOKEN)"
        )
    finally:
        await embedded.close()


async def test_each_start_has_its_own_page_key(tmp_path: Path) -> None:
    one = await start_embedded_sandbox(load_settings({}), host="127.0.0.1", bot_port=0, workdir=tmp_path)
    two = await start_embedded_sandbox(load_settings({}), host="127.0.0.1", bot_port=0, workdir=tmp_path)
    try:
        assert one.sandbox.page_key != two.sandbox.page_key and len(one.sandbox.page_key) >= 32
        assert "OPSBOT_DATABASE_URL" not in one.message  # nothing configured: nothing to say about it
    finally:
        await one.close()
        await two.close()


async def test_sms_pages_text_the_sandboxs_twilio_never_a_real_account(tmp_path: Path) -> None:
    real = {"OPSBOT_TWILIO_ACCOUNT_SID": "AC" + "9" * 32, "OPSBOT_TWILIO_AUTH_TOKEN": "real-token"}
    embedded = await start_embedded_sandbox(
        load_settings(real), host="127.0.0.1", bot_port=0, workdir=tmp_path
    )
    try:
        settings, twilio = embedded.settings, embedded.sandbox.twilio
        assert settings.sms_enabled
        assert settings.file.paging.sms.api_url == f"{embedded.sandbox.url}/twilio"
        assert (
            settings.secrets.twilio_account_sid is not None and settings.secrets.twilio_auth_token is not None
        )
        assert settings.secrets.twilio_account_sid.get_secret_value() == twilio.account_sid
        assert settings.secrets.twilio_auth_token.get_secret_value() == twilio.auth_token != "real-token"
        assert settings.file.paging.sms.from_number in twilio.numbers
    finally:
        await embedded.close()


async def test_pagerduty_pages_the_sandboxs_stand_in_whatever_is_configured(tmp_path: Path) -> None:
    configured = {"OPSBOT_PAGERDUTY_ROUTING_KEY": "r" * 32, "OPSBOT_PAGERDUTY_WEBHOOK_SECRET": "real"}
    embedded = await start_embedded_sandbox(
        load_settings(configured), host="127.0.0.1", bot_port=0, workdir=tmp_path
    )
    try:
        secrets, paging = embedded.settings.secrets, embedded.settings.file.paging
        assert paging.pagerduty.events_url == f"{embedded.sandbox.url}/pagerduty/v2/enqueue"
        assert secrets.pagerduty_routing_key is not None and secrets.pagerduty_webhook_secret is not None
        routing_key = secrets.pagerduty_routing_key.get_secret_value()
        assert routing_key != "r" * 32 and routing_key in embedded.sandbox.pagerduty.routing_keys
        assert secrets.pagerduty_webhook_secret.get_secret_value() != "real"
        embedded.connect("http://0.0.0.0:3000")
        assert embedded.sandbox.pagerduty.webhook_url == "http://127.0.0.1:3000/pagerduty/webhook"
    finally:
        await embedded.close()
