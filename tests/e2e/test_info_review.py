"""The daily info review end to end: info alerts through the webhook post nothing of their own; opsbot,
started after the review time, catches up the review once (a restart does not repost) and it lists them
by name; `mode: per_alert` gives each its message again; the page's button and the command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.__main__ import build_parser
from bot.config import Settings
from bot.deps import Deps, build_deps
from bot.digest_cli import run_digest
from bot.errors import UsageError
from bot.server import RunningServer, start_server
from bot.services.info_reviews import run_digest_now
from sandbox.blockkit import validate_blocks
from tests.conftest import SIGNING_SECRET
from tests.support.alert_history import HistoryClock, recording
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained
from tests.support.sandbox_page import post_control

BERLIN = ZoneInfo("Europe/Berlin")
NEVER = {"year": 2099}
LOOPBACK = "127.0.0.1"
DAILY: dict[str, Any] = {
    "team": {"timezone": "Europe/Berlin"},
    "alerts": {"escalation": []},
    "digests": {"enabled": True, "cron": {"weekly": NEVER, "monthly": NEVER}},  # the info review at 09:30
}


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return DAILY


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def reviews(sandbox: Any) -> list[str]:
    ws = sandbox.workspace
    return [ws.message_text(m) for m in ws.messages("ops-info") if "Info review" in ws.message_text(m)]


@pytest.mark.own_clock
async def test_info_alerts_arrive_as_one_daily_review_posted_once_through_restarts(
    make_settings: Callable[..., Settings], sandbox: Any
) -> None:
    ws = sandbox.workspace
    async with recording(
        make_settings(), sandbox, signing_secret=SIGNING_SECRET, start=berlin(16, 9)
    ) as history:
        signups = await history.fire("SignupsLow", at=berlin(16, 10), severity="info", job="signups")
        await history.fire("DauTrendDown", at=berlin(16, 11), severity="info", job="analytics")
        await history.fire("FailedPayments", at=berlin(16, 12), severity="info", job="payments")
        await history.resolve(signups, at=berlin(16, 13))
        await history.fire("ApiSlow", at=berlin(16, 14), severity="warning", job="api")
        await ws.wait_for_message("ops-alerts", contains="ApiSlow")
        await history.advance(berlin(16, 23))  # every post due is out: none of them went to #ops-info
        assert ws.messages("ops-info") == []
    # opsbot was down at 09:30: started at 09:31, it catches the review up
    server = await start_server(
        build_deps(make_settings(), clock=HistoryClock(berlin(17, 9, 31))), host=LOOPBACK, port=0
    )
    try:
        message = await ws.wait_for_message("ops-info", contains="Info review · ops", timeout=30)
    finally:
        await server.close()
    assert validate_blocks(message.blocks) == []
    text = ws.message_text(message)
    assert "Info review · ops · 17 Nov 2026 09:30" in text
    assert "Since the last review: 16 Nov 09:30 – 17 Nov 09:30 (Europe/Berlin)" in text
    assert "*Fired* 3 (none the review before) · *resolved* 1 · *still firing* 2" in text
    for line in ("*DauTrendDown* — fired 1 (new) · 1 still firing", "*FailedPayments* — fired 1 (new)",
                 "*SignupsLow* — fired 1 (new) · resolved 1"):  # fmt: skip
        assert line in text
    assert "ApiSlow" not in text
    restarted = await start_server(
        build_deps(make_settings(), clock=HistoryClock(berlin(17, 9, 40))), host=LOOPBACK, port=0
    )
    try:  # its catch-up finds the review claimed: nothing is queued, nothing more is posted
        await wait_until_drained(restarted.deps.db)
        assert len(reviews(sandbox)) == 1
    finally:
        await restarted.close()


@pytest.mark.parametrize(
    "bot_config", [{**DAILY, "alerts": {"escalation": [], "info_review": {"mode": "per_alert"}}}]
)
async def test_mode_per_alert_gives_each_info_alert_its_own_message(
    opsbot: RunningServer, sandbox: Any
) -> None:
    status, _ = await send(
        opsbot.url, alert("SignupsLow", severity="info"), alert("DauTrendDown", severity="info")
    )
    assert status == 200
    ws = sandbox.workspace
    await ws.wait_for_message("ops-info", contains="SignupsLow")
    await ws.wait_for_message("ops-info", contains="DauTrendDown")
    assert reviews(sandbox) == []


ON_REQUEST = {
    **DAILY,
    "digests": {"enabled": True, "cron": {"weekly": NEVER, "monthly": NEVER, "info_review": NEVER}},
}


@pytest.mark.parametrize(
    "bot_config", [ON_REQUEST]
)  # the real clock: no scheduled review may catch up at start
async def test_the_page_runs_the_info_review_now(opsbot: RunningServer, sandbox: Any) -> None:
    status, _ = await send(opsbot.url, alert("SignupsLow", severity="info"))
    assert status == 200
    await wait_until_drained(opsbot.deps.db)
    assert sandbox.workspace.messages("ops-info") == []
    sandbox.attach_bot(run_digest=partial(run_digest_now, opsbot.deps))
    status, body = await post_control(sandbox, "digest", {"period": "info"})
    assert status == 200 and body["message"].startswith("queued info review for ops until 20"), body
    message = await sandbox.workspace.wait_for_message("ops-info", contains="Info review", timeout=30)
    assert "*SignupsLow* — fired 1 (new) · 1 still firing" in sandbox.workspace.message_text(message)


@pytest.mark.own_clock
async def test_the_command_line_previews_and_posts_a_days_review_once(
    deps_at: Callable[[datetime], Deps], sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deps = deps_at(berlin(18, 12))
    deps.open_http()

    async def command(*words: str) -> tuple[int, str]:
        args: argparse.Namespace = build_parser().parse_args(["digest", "info", *words])
        code = await run_digest(deps, args)
        return code, capsys.readouterr().out

    code, out = await command("--for", "2026-11-17", "--dry-run")
    assert code == 0 and out.startswith("Info review · ops · 17 Nov 2026 09:30\n"), out
    assert "No info alerts fired, resolved or kept firing since the last review." in out
    assert reviews(sandbox) == []
    code, out = await command("--for", "2026-11-17")
    assert (code, out) == (0, "posted info review for ops until 2026-11-17 09:30:00 to #ops-info\n")
    code, out = await command("--for", "2026-11-17")
    assert code == 1 and "already posted info review for ops until 2026-11-17 09:30:00" in out
    code, out = await command()  # the last review due by now: 18 Nov 09:30, since the one of the 17th
    assert code == 0 and "until 2026-11-18 09:30:00" in out
    assert len(reviews(sandbox)) == 2 and "17 Nov 09:30 – 18 Nov 09:30" in reviews(sandbox)[1]
    with pytest.raises(UsageError, match="no info review of team ops was due on 2026-11-19"):
        await command("--for", "2026-11-19")  # tomorrow


@pytest.mark.parametrize("bot_config", [ON_REQUEST])
async def test_a_retried_post_finds_the_review_a_crash_left_unrecorded(
    opsbot: RunningServer, sandbox: Any
) -> None:
    """A crash between chat.postMessage and storing its ts: the retry finds the message by its marker."""
    from sqlalchemy import select, update

    from storage import info_reviews as store
    from storage import outbox
    from storage.models import OutboxJob

    deps, ws = opsbot.deps, sandbox.workspace
    await run_digest_now(deps, "info")
    first = await ws.wait_for_message("ops-info", contains="Info review", timeout=30)
    await wait_until_drained(deps.db)  # its ts is stored
    async with deps.db.transaction() as session:
        key = (await session.execute(select(store.InfoReviewRun.key))).scalar_one()
        await session.execute(update(store.InfoReviewRun).values(ts=None, channel_id=None, posted_at=None))
        await outbox.enqueue(session, kind=store.POST_JOB, payload={"key": key}, now=deps.clock())
        pending = (OutboxJob.kind == store.POST_JOB) & (OutboxJob.status == outbox.PENDING)
        await session.execute(update(OutboxJob).where(pending).values(attempts=1))  # the crashed try
    deps.wake_outbox()
    await ws.wait_for_call("chat.update", timeout=30)
    await wait_until_drained(deps.db)
    assert [m.ts for m in ws.messages("ops-info")] == [first.ts]
    run = await store.get_run(deps.db, key)
    assert run is not None and run.ts == first.ts
