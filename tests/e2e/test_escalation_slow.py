"""An escalation page Slack carries out but answers too late is not sent twice: the retried job finds the
page in the alert's thread (and the DM) by its marker."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained

pytestmark = pytest.mark.calendar_free


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "server": {"slack_timeout_seconds": 1},
        "alerts": {"pace_per_channel_seconds": 0.05, "escalation": [{"after_minutes": 2 / 60}]},
    }


async def test_a_page_answered_late_is_not_sent_twice(opsbot: RunningServer, sandbox: Any) -> None:
    ws = sandbox.workspace
    status, _ = await send(opsbot.url, alert("PagedSlowly", severity="critical"))
    assert status == 200
    message = await ws.wait_for_message("critical-alerts", contains="PagedSlowly")
    ws.inject_faults(1, kind="slow", methods={"chat.postMessage"}, delay=3)  # the page in the thread
    await ws.wait_for_message("critical-alerts", contains="critical and unacknowledged", timeout=15)
    await ws.wait_for_call("conversations.replies", timeout=15)  # the retry looked for its page
    dms = await ws.wait_until(
        lambda: [c for c in ws.channels.values() if c.is_im] or None, timeout=10, describe=lambda: "no DM"
    )
    await ws.wait_for_message(dms[0].id, contains="needs you", timeout=10)
    await wait_until_drained(opsbot.deps.db)  # the retried page job and the DM job are both done
    thread = ws.thread("critical-alerts", message.ts)
    assert sum("critical and unacknowledged" in ws.message_text(m) for m in thread) == 1
    assert sum("needs you" in ws.message_text(m) for c in dms for m in ws.messages(c.id)) == len(dms)
