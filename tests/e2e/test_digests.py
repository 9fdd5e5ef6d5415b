"""Digests end to end: history told through the webhook, a shortened schedule, one post per period through
restarts, replicas on PostgreSQL, and the `opsbot digest` command line."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from bot.deps import build_deps
from bot.server import start_server
from sandbox.blockkit import validate_blocks
from sandbox.model import Message
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.alert_history import AlertHistory, HistoryClock, recording, slack_without_limits

# Weekly every 2 s (the period stays "last week", so it must still post once); monthly and the daily info
# review (tests/e2e/test_info_review.py) far away.
FAST = {
    "enabled": True,
    "cron": {"weekly": {"second": "*/2"}, "monthly": {"year": 2099}, "info_review": {"year": 2099}},
}
# The Monday morning the in-process tests' opsbot lives in: "last week" is 9–15 November 2026 (ISO week 46).
REPORTED_AT = datetime(2026, 11, 16, 9, tzinfo=UTC)
EAST = timezone(timedelta(hours=2))  # the offset this Alertmanager writes its instants in


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"digests": FAST, "alerts": {"escalation": []}}


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def tell(history: AlertHistory) -> None:
    """October: a backup fails in weeks 1, 2 and 4; November: a disk fills three times in week 46 (and once
    the week before), payments go down once (acknowledged), a batch job flaps; the host is sampled daily."""
    for day in range(1, 32):
        if day in (2, 6, 20):
            backup = await history.fire("BackupLate", at=utc(10, day, 3), job="backup")
            await history.resolve(backup, at=utc(10, day, 4))
        await history.sample_host(at=utc(10, day, 12), disk=50 + 0.5 * day)
    for day in range(1, 16):
        if day in (4, 9, 11, 13):
            disk = await history.fire("DiskFull", at=utc(11, day, 8).astimezone(EAST), instance="db-1")
            await history.resolve(disk, at=utc(11, day, 8, 20).astimezone(EAST))
        if day == 10:
            down = await history.fire("PaymentsDown", at=utc(11, 10, 3), severity="critical", job="payments")
            await history.acknowledge(down, at=utc(11, 10, 3, 4))
            await history.resolve(down, at=utc(11, 10, 3, 30))
        if day == 12:
            for hour in (1, 4, 7):
                flappy = await history.fire("BatchSlow", at=utc(11, 12, hour), severity="info", job="batch")
                await history.resolve(flappy, at=utc(11, 12, hour, 1))
        await history.sample_host(at=utc(11, day, 12), disk=65 + 0.5 * day, cpu=20 + day)
    await history.advance(REPORTED_AT - timedelta(hours=1))


async def seed(make_settings: Callable[..., Settings], tmp_path: Path, url: str) -> None:
    """Tell the history to an in-process opsbot on `url` with a Slack of its own (and no digests)."""
    config = tmp_path / "seeding.yml"
    seeding = {"digests": {"enabled": False}, "host_checks": {"enabled": False},
               "alerts": {"escalation": [], "pace_per_channel_seconds": 0.02}}  # fmt: skip
    config.write_text(yaml.safe_dump(seeding))
    async with slack_without_limits(BOT_TOKEN) as slack:
        env = {"SLACK_API_URL": slack.api_url, "OPSBOT_CONFIG": str(config), "OPSBOT_DATABASE_URL": url}
        settings = make_settings(**env)
        async with recording(settings, slack, signing_secret=SIGNING_SECRET, start=utc(10, 1)) as history:
            await tell(history)


def digests_in(sandbox: Any, kind: str = "Weekly review") -> list[Message]:
    ws = sandbox.workspace
    return [m for m in ws.messages("ops-review") if kind in ws.message_text(m)]


async def wait_for_chart(sandbox: Any, parent: Message) -> None:
    ws = sandbox.workspace
    await ws.wait_until(
        lambda: True if any(m.files for m in ws.thread("ops-review", parent.ts)) else None,
        timeout=30,
        describe=lambda: f"no chart in the digest's thread: {ws.thread('ops-review', parent.ts)}",
    )


async def test_the_schedule_posts_the_weekly_review_once_and_a_restart_does_not_repost(
    sandbox: Any, make_settings: Callable[..., Settings], sqlite_url: str, tmp_path: Path
) -> None:
    await seed(make_settings, tmp_path, sqlite_url)
    ws = sandbox.workspace
    ws.inject_faults(3, kind="500", methods={"chat.postMessage"})  # the first attempt fails: retried
    clock = HistoryClock(REPORTED_AT)
    server = await start_server(build_deps(make_settings(), clock=clock), host="127.0.0.1", port=0)
    try:
        message = await ws.wait_for_message(
            "ops-review", contains="Weekly review · ops · week 46", timeout=45
        )
        assert validate_blocks(message.blocks) == []
        text = ws.message_text(message)
        for part in (
            "Firings",
            "System performance",
            "Incidents",
            "Response",
            "Update monitoring thresholds",
            "Identify the top 3 issues",
        ):
            assert part in text
        assert "*Total* 7 (▲ 600 % vs 1 last week)" in text  # DiskFull 3 ×, PaymentsDown, BatchSlow 3 ×
        assert "🔴 critical: 1 (none last week)" in text
        assert "*Fired most:* BatchSlow (3), DiskFull (3), PaymentsDown (1)" in text
        assert "1. 🔴 *PaymentsDown* — 1 firing" in text
        assert "2. 🟠 *DiskFull* — 3 firings, firing 1 h" in text
        assert "7 group firings · 1 acknowledged · 7 resolved" in text
        assert "*BatchSlow*: 100% false positives of 3 group firings" in text  # resolved in a minute, unseen
        assert "Disk usage (fullest file system)* avg" in text and "worst day" in text  # host samples
        assert "No data for API latency p50" in text  # KPIs that need Prometheus are named
        await wait_for_chart(sandbox, message)
        await asyncio.sleep(2.5)  # the 2 s trigger fires again: the claim keeps it to one post
        assert len(digests_in(sandbox)) == 1
    finally:
        await server.close()
    clock = HistoryClock(clock())
    restarted = await start_server(build_deps(make_settings(), clock=clock), host="127.0.0.1", port=0)
    try:
        await asyncio.sleep(3)  # catch-up on start and a scheduled fire both find the period claimed
        assert len(digests_in(sandbox)) == 1
    finally:
        await restarted.close()


@pytest.fixture
def serve_config() -> dict[str, Any]:
    """The configuration of the `opsbot` processes `opsbot_serve` starts."""
    return {"digests": FAST, "alerts": {"escalation": []}, "host_checks": {"enabled": False}}


@pytest.fixture
async def opsbot_serve(
    sandbox: Any, tmp_path: Path, serve_config: dict[str, Any]
) -> AsyncIterator[Callable[..., Any]]:
    """Start real `opsbot serve` processes (or run one `opsbot` command) against the sandbox."""
    processes: list[asyncio.subprocess.Process] = []
    (tmp_path / "digests.yml").write_text(yaml.safe_dump(serve_config))

    def environ(url: str) -> dict[str, str]:
        return {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": sandbox.api_url,
            "OPSBOT_DATABASE_URL": url,
            "OPSBOT_CONFIG": str(tmp_path / "digests.yml"),
        }

    async def serve(url: str) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--port", "0", env=environ(url),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(process)
        assert process.stdout is not None
        async with asyncio.timeout(30):
            while line := (await process.stdout.readline()).decode():
                if "opsbot listening on" in line:
                    return line.split("opsbot listening on ")[1].strip()
        raise RuntimeError("opsbot did not start")

    async def command(url: str, *args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env=environ(url),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        async with asyncio.timeout(90):
            out, _ = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode()

    serve.command = command  # type: ignore[attr-defined]
    serve.processes = processes  # type: ignore[attr-defined]
    yield serve
    for process in processes:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def test_a_claimed_digest_survives_kill_9_while_slack_is_down(
    opsbot_serve: Any, sandbox: Any, sqlite_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """`opsbot serve` runs on the real clock: the review of whatever last week is, history or not."""
    await seed(make_settings, tmp_path, sqlite_url)
    ws = sandbox.workspace
    ws.inject_faults(10_000, kind="500", methods={"chat.postMessage"})  # Slack is down
    await opsbot_serve(sqlite_url)
    await ws.wait_until(
        lambda: True if any(c.method == "chat.postMessage" and c.status == 500 for c in ws.calls) else None,
        timeout=30,
        describe=lambda: "the digest was never attempted",
    )
    opsbot_serve.processes[-1].kill()  # claimed, not posted: the claim and its job are in the database
    await opsbot_serve.processes[-1].wait()
    ws.faults.clear()  # Slack is back
    assert digests_in(sandbox) == []
    await opsbot_serve(sqlite_url)
    await ws.wait_for_message("ops-review", contains="Weekly review", timeout=60)  # after the job's lease
    await asyncio.sleep(2.5)
    assert len(digests_in(sandbox)) == 1


@pytest.mark.postgres
async def test_two_opsbot_processes_on_one_postgresql_post_once(
    opsbot_serve: Any, sandbox: Any, postgres_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    await seed(make_settings, tmp_path, postgres_url)
    await asyncio.gather(opsbot_serve(postgres_url), opsbot_serve(postgres_url))
    message = await sandbox.workspace.wait_for_message("ops-review", contains="Weekly review", timeout=60)
    assert validate_blocks(message.blocks) == []
    await wait_for_chart(sandbox, message)
    await asyncio.sleep(3)  # both schedulers keep firing every 2 s
    assert len(digests_in(sandbox)) == 1


async def test_the_command_line_previews_as_text_and_posts_once(
    opsbot_serve: Any, sandbox: Any, sqlite_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    await seed(make_settings, tmp_path, sqlite_url)
    week = ("digest", "weekly", "--for", "2026-11-11")
    code, out = await opsbot_serve.command(sqlite_url, *week, "--dry-run")
    assert code == 0, out
    assert "Weekly review · ops · week 46 (9 Nov – 15 Nov 2026)" in out and "Firings\n-------" in out
    assert "Total 7 (▲ 600 % vs 1 last week)" in out and "Identify the top 3 issues" in out
    assert "*" not in out.split("Identify the top 3 issues")[1].splitlines()[2]  # mrkdwn markers dropped
    assert digests_in(sandbox) == []
    code, out = await opsbot_serve.command(sqlite_url, *week)
    assert code == 0 and "posted weekly digest for ops 2026-W46 to #ops-review" in out, out
    assert len(digests_in(sandbox)) == 1
    code, out = await opsbot_serve.command(sqlite_url, *week)
    assert code == 1 and "already posted weekly digest for ops" in out and "use --force" in out
    assert len(digests_in(sandbox)) == 1
    code, out = await opsbot_serve.command(sqlite_url, "digest", "monthly", "--for", "2026-10-15")
    assert code == 0 and "posted monthly digest for ops 2026-10 to #ops-review" in out, out
    monthly = digests_in(sandbox, "Monthly deep dive")
    assert len(monthly) == 1 and validate_blocks(monthly[0].blocks) == []
    text = sandbox.workspace.message_text(monthly[0])
    assert "*BackupLate* `alertname=BackupLate,service=,job=backup` fired in 3 weeks (3 firings)" in text
    assert "Plan infrastructure scaling" in text and "disk /" in text


# the sandbox's workspace has a payments-oncall channel: the team's review goes there
PAYMENTS_TEAM = {"name": "payments", "match": ["team=payments"], "channels": {"review": "payments-oncall"}}


@pytest.mark.parametrize(
    "serve_config",
    [
        {
            "digests": FAST,
            "alerts": {"escalation": []},
            "host_checks": {"enabled": False},
            "teams": [PAYMENTS_TEAM],
        }
    ],
)
async def test_each_teams_digest_goes_to_its_own_review_channel_with_only_its_own_alerts(
    opsbot_serve: Any, sandbox: Any, sqlite_url: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    config = tmp_path / "two-teams.yml"
    seeding = {"digests": {"enabled": False}, "alerts": {"escalation": []},
               "host_checks": {"enabled": False}, "teams": [PAYMENTS_TEAM]}  # fmt: skip
    config.write_text(yaml.safe_dump(seeding))
    async with slack_without_limits(BOT_TOKEN) as slack:
        env = {
            "SLACK_API_URL": slack.api_url,
            "OPSBOT_CONFIG": str(config),
            "OPSBOT_DATABASE_URL": sqlite_url,
        }
        settings = make_settings(**env)
        async with recording(settings, slack, signing_secret=SIGNING_SECRET, start=utc(11, 9)) as history:
            await history.fire("CardDeclines", at=utc(11, 10, 3), severity="critical", team="payments")
            await history.fire("SearchSlow", at=utc(11, 11, 3), team="search")  # no team's: the default's
    week = ("digest", "weekly", "--for", "2026-11-11")
    code, out = await opsbot_serve.command(sqlite_url, *week, "--team", "payments")
    assert code == 0 and "posted weekly digest for payments 2026-W46 to #payments-oncall" in out, out
    ws = sandbox.workspace
    [payments] = [
        ws.message_text(m) for m in ws.messages("payments-oncall") if "Weekly review" in ws.message_text(m)
    ]
    assert "Weekly review · payments · week 46" in payments
    assert "CardDeclines" in payments and "SearchSlow" not in payments
    code, out = await opsbot_serve.command(sqlite_url, *week)  # the default team
    assert code == 0 and "posted weekly digest for ops 2026-W46 to #ops-review" in out, out
    [ops] = [ws.message_text(m) for m in digests_in(sandbox)]
    assert "SearchSlow" in ops and "CardDeclines" not in ops
    code, out = await opsbot_serve.command(sqlite_url, *week, "--team", "billing")
    assert code == 2 and "There is no team 'billing'; teams: ops, payments." in out, out


async def test_a_retried_post_finds_the_digest_a_crash_left_unrecorded(opsbot: Any, sandbox: Any) -> None:
    """A crash between chat.postMessage and storing its ts: the retry finds the message by its marker."""
    from sqlalchemy import select, update

    from storage import outbox
    from storage.digests import POST_JOB, DigestRun
    from storage.models import OutboxJob

    ws = sandbox.workspace
    first = await ws.wait_for_message("ops-review", contains="Weekly review", timeout=30)
    await wait_for_chart(sandbox, first)
    deps = opsbot.deps
    async with deps.db.transaction() as session:
        run = (await session.execute(select(DigestRun))).scalar_one()
        await session.execute(update(DigestRun).values(ts=None, channel_id=None, posted_at=None))
        await outbox.enqueue(session, kind=POST_JOB, payload={"key": run.key}, now=deps.clock())
        pending = (OutboxJob.kind == POST_JOB) & (OutboxJob.status == outbox.PENDING)
        await session.execute(update(OutboxJob).where(pending).values(attempts=1))  # the crashed try
    deps.wake_outbox()
    await ws.wait_for_call("chat.update", timeout=30)
    await asyncio.sleep(1)
    assert [m.ts for m in digests_in(sandbox)] == [first.ts]
    async with deps.db.sessions() as session:
        assert (await session.execute(select(DigestRun.ts))).scalar_one() == first.ts
