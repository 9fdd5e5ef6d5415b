"""The embedded sandbox gives the weekly review channels to read: its own #user-feedback and #support
with a past month, unless the configuration names others or `--empty` asks for none."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import load_settings
from bot.config.digests import DigestsConfig
from bot.embedded import start_embedded_sandbox


async def test_the_review_reads_the_sandboxs_channels_which_hold_a_month(tmp_path: Path) -> None:
    embedded = await start_embedded_sandbox(load_settings({}), host="127.0.0.1", bot_port=0, workdir=tmp_path)
    try:
        digests = embedded.settings.file.digests
        assert (digests.feedback_channel, digests.support_channel) == ("user-feedback", "support")
        ws = embedded.sandbox.workspace
        assert len(ws.messages("user-feedback")) >= 35 and len(ws.messages("support")) >= 35
    finally:
        await embedded.close()


async def test_configured_channels_stay_and_empty_starts_with_empty_channels_unmade(tmp_path: Path) -> None:
    config = tmp_path / "opsbot.yml"
    config.write_text("digests: {feedback_channel: '#feedback'}\n")
    settings = load_settings({"OPSBOT_CONFIG": str(config)})
    embedded = await start_embedded_sandbox(
        settings, host="127.0.0.1", bot_port=0, workdir=tmp_path, sample_history=False
    )
    try:
        digests = embedded.settings.file.digests
        assert (digests.feedback_channel, digests.support_channel) == ("feedback", "support")
        names = {c.name for c in embedded.sandbox.workspace.channels.values()}
        assert "support" not in names  # --empty: no sample channels (the review says to create it)
    finally:
        await embedded.close()


def test_a_review_channel_must_be_a_slack_channel_name() -> None:
    assert DigestsConfig(support_channel="#support").support_channel == "support"
    with pytest.raises(ValidationError, match="not a Slack channel name"):
        DigestsConfig(feedback_channel="User Feedback")
