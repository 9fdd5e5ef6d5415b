"""SMS pages end to end, through the sandbox's Twilio stand-in: a critical alert texts the on-call once (a
re-sent alert, a failed or unanswered Twilio request and its retry still make one SMS), the number comes from
the config or the Slack profile, the hourly cap holds, an escalation step with `sms: true` texts its people,
and what cannot go out is said in the alert's thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import col, select

from bot.config import Settings, deep_merge
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from sandbox.twilio import SANDBOX_NUMBER
from storage.models import OutboxJob, SmsPage
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained

pytestmark = pytest.mark.calendar_free

CAROL = "+15550109999"  # configured in paging.sms.phones
BOB = "+15550100002"  # Bob's Slack profile says "+1 555 010 0002"
STEP_SECONDS = 1.2


@pytest.fixture
def bot_config(request: pytest.FixtureRequest, sandbox: Any) -> dict[str, Any]:
    """Carol is on call; SMS go to the stand-in; a test may merge its own changes (indirect parameter)."""
    base = {
        "oncall": {"members": ["U0CAROL"], "handoff": "daily"},
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "escalation": [{"after_minutes": 600, "target": "oncall"}],  # never within a test
        },
        "paging": {
            "sms": {
                "api_url": sandbox.twilio_url,
                "from_number": SANDBOX_NUMBER,
                "phones": {"U0CAROL": CAROL},
            }
        },
    }
    return deep_merge(base, getattr(request, "param", {}))


@pytest.fixture
async def opsbot(make_settings: Any, sandbox: Any) -> AsyncIterator[RunningServer]:
    """opsbot with the stand-in's Twilio credentials."""
    settings: Settings = make_settings(
        OPSBOT_TWILIO_ACCOUNT_SID=sandbox.twilio.account_sid,
        OPSBOT_TWILIO_AUTH_TOKEN=sandbox.twilio.auth_token,
    )
    server = await start_server(build_deps(settings), host="127.0.0.1", port=0)
    yield server
    await server.close()


async def drained(opsbot: RunningServer) -> None:
    """Every job due now is done (escalation timers for later do not count)."""
    await wait_until_drained(opsbot.deps.db, due_by=datetime.now(UTC))


async def pages(opsbot: RunningServer) -> list[SmsPage]:
    async with opsbot.deps.db.sessions() as session:
        return list((await session.execute(select(SmsPage).order_by(col(SmsPage.id)))).scalars())


async def test_a_critical_alert_texts_the_on_call_once(opsbot: RunningServer, sandbox: Any) -> None:
    ws, twilio = sandbox.workspace, sandbox.twilio
    firing = alert("ApiDown", job="api")
    await send(opsbot.url, firing)
    message = await ws.wait_for_message("critical-alerts", contains="ApiDown")
    [sms] = await twilio.wait_for_sms(to=CAROL)
    permalink = ws.permalink(message.channel, message.ts)
    assert sms.body == f"opsbot CRITICAL: ApiDown {permalink}" and len(sms.body) <= 160
    assert sms.sender == SANDBOX_NUMBER
    await send(opsbot.url, firing)  # Alertmanager repeats a firing alert
    await send(opsbot.url, alert("CacheSlow", severity="warning"))  # warnings page nobody by SMS
    await ws.wait_for_message("ops-alerts", contains="CacheSlow")
    await drained(opsbot)
    assert twilio.messages == [sms]
    [page] = await pages(opsbot)
    assert (page.status, page.sid, page.user_id, page.page) == ("sent", sms.sid, "U0CAROL", "open")


@pytest.mark.parametrize("fault", ["500", "lost_answer"])
async def test_a_retry_after_twilio_failed_or_lost_its_answer_still_texts_once(
    opsbot: RunningServer, sandbox: Any, fault: str
) -> None:
    sandbox.twilio.fail_next(fault)  # "lost_answer": Twilio took it, but the answer never came back
    await send(opsbot.url, alert("DatabaseDown", job="db"))
    await sandbox.twilio.wait_for_sms(to=CAROL)
    await drained(opsbot)
    [page] = await pages(opsbot)
    [sms] = sandbox.twilio.messages
    assert page.status == "sent" and page.sid == sms.sid


@pytest.mark.parametrize(
    "bot_config",
    [
        {
            "alerts": {
                "escalation": [
                    {
                        "after_minutes": STEP_SECONDS / 60,
                        "target": "users",
                        "ids": ["U0BOB", "U0DAVE"],
                        "sms": True,
                    }
                ]
            }
        }
    ],
    indirect=True,
)
async def test_an_escalation_step_with_sms_texts_its_people_from_their_profiles(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws, twilio = sandbox.workspace, sandbox.twilio
    await send(opsbot.url, alert("PaymentsFailing", job="payments"))
    message = await ws.wait_for_message(
        "critical-alerts", contains="PaymentsFailing", predicate=lambda m: m.thread_ts is None
    )
    await twilio.wait_for_sms(to=CAROL)  # the opening page, to the on-call
    [sms] = await twilio.wait_for_sms(to=BOB, timeout=15)  # no phone configured: Bob's Slack profile's
    assert sms.body.startswith("opsbot CRITICAL, unacked ") and "PaymentsFailing" in sms.body
    # Dave's profile phone has no country code: the thread says so instead of staying silent.
    note = await ws.wait_for_message("critical-alerts", contains="No SMS to <@U0DAVE>", timeout=10)
    assert note.thread_ts == message.ts and "international" in ws.message_text(note)
    await drained(opsbot)
    assert sorted(m.to for m in twilio.messages) == sorted([CAROL, BOB])
    assert {(p.user_id, p.page, p.status) for p in await pages(opsbot)} == {
        ("U0CAROL", "open", "sent"),
        ("U0BOB", "step-1", "sent"),
        ("U0DAVE", "step-1", "no_number"),
    }


@pytest.mark.parametrize("bot_config", [{"paging": {"sms": {"max_per_person_per_hour": 2}}}], indirect=True)
async def test_the_hourly_cap_holds_and_the_thread_says_so(opsbot: RunningServer, sandbox: Any) -> None:
    ws, twilio = sandbox.workspace, sandbox.twilio
    for name in ("DiskFull", "MemoryFull"):
        await send(opsbot.url, alert(name, job=name.lower()))
        await ws.wait_for_message("critical-alerts", contains=name)
    await twilio.wait_for_sms(to=CAROL, count=2)
    await send(opsbot.url, alert("AuthErrors", job="auth"))
    third = await ws.wait_for_message(
        "critical-alerts", contains="AuthErrors", predicate=lambda m: m.thread_ts is None
    )
    note = await ws.wait_for_message("critical-alerts", contains="No SMS to <@U0CAROL>", timeout=10)
    assert note.thread_ts == third.ts and "max_per_person_per_hour" in ws.message_text(note)
    await drained(opsbot)
    assert len(twilio.messages) == 2
    assert [p.status for p in await pages(opsbot)] == ["sent", "sent", "capped"]


async def test_a_number_twilio_refuses_is_told_in_the_thread_and_fails_the_job(
    opsbot: RunningServer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    sandbox.twilio.unsubscribed.add(CAROL)  # Carol replied STOP once
    await send(opsbot.url, alert("QueueStuck", job="queue"))
    message = await ws.wait_for_message(
        "critical-alerts", contains="QueueStuck", predicate=lambda m: m.thread_ts is None
    )
    note = await ws.wait_for_message("critical-alerts", contains="SMS to <@U0CAROL> failed", timeout=10)
    assert note.thread_ts == message.ts and "21610" in ws.message_text(note)
    await drained(opsbot)
    async with opsbot.deps.db.sessions() as session:
        failed = (
            await session.execute(select(OutboxJob).where(col(OutboxJob.kind) == "sms.page"))
        ).scalar_one()
    assert failed.status == "failed" and "21610" in (failed.last_error or "")
    assert [r.code for r in sandbox.twilio.refusals] == [21610]  # asked once: a refusal is not retried
    assert not sandbox.twilio.messages
