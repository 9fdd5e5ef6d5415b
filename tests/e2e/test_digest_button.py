"""The sandbox page's "Run weekly/monthly digest" buttons call the embedding bot in-process."""

from __future__ import annotations

from functools import partial
from typing import Any

from bot.server import RunningServer
from bot.services.info_reviews import run_digest_now
from sandbox.blockkit import validate_blocks
from tests.support.sandbox_page import post_control


async def test_the_page_runs_a_digest_now_through_the_bot(opsbot: RunningServer, sandbox: Any) -> None:
    sandbox.attach_bot(run_digest=partial(run_digest_now, opsbot.deps))
    status, body = await post_control(sandbox, "digest", {"period": "weekly"})
    assert status == 200 and body["ok"], body
    assert body["message"].startswith("queued weekly digest for ops 20")
    message = await sandbox.workspace.wait_for_message("ops-review", contains="Weekly review", timeout=30)
    assert validate_blocks(message.blocks) == []
    status, body = await post_control(sandbox, "digest", {"period": "monthly"})
    assert status == 200 and body["message"].startswith("queued monthly digest for ops 20")
    await sandbox.workspace.wait_for_message("ops-review", contains="Monthly deep dive", timeout=30)
    status, body = await post_control(sandbox, "digest", {"period": "weekly", "so_far": True})
    assert status == 200 and " so far (" in body["message"], body
    message = await sandbox.workspace.wait_for_message("ops-review", contains=" so far (", timeout=30)
    assert message.text.startswith("Weekly review") and validate_blocks(message.blocks) == []


async def test_the_info_review_has_no_so_far(opsbot: RunningServer, sandbox: Any) -> None:
    sandbox.attach_bot(run_digest=partial(run_digest_now, opsbot.deps))
    status, body = await post_control(sandbox, "digest", {"period": "info", "so_far": True})
    assert status == 400 and "only for weekly or monthly" in body["error"]


async def test_without_a_bot_callback_the_page_says_digests_are_not_available(sandbox: Any) -> None:
    status, body = await post_control(sandbox, "digest", {"period": "weekly"})
    assert status == 501 and body["ok"] is False
