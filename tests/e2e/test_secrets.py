"""Secrets never reach the log or a reply: a real `opsbot serve` logging at DEBUG is driven through its
flows, including the error paths (bad tokens, bad signatures, Slack refusing the token, Slack failing),
and neither its log nor any HTTP answer holds a secret."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.support.alertmanager import alert, payload, send
from tests.support.processes import OpsbotProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.calendar_free]

WEBHOOK_TOKEN = "am-webhook-token-5f0c2d9e"
TICKET_SECRET = "ticket-webhook-secret-7b1e"
DB_PASSWORD = "db-password-c3a91f"
WRONG_BOT_TOKEN = "xoxb-revoked-token-9d8e7f"


@pytest.fixture
def bot_database_url(postgres_url: str) -> str:
    """PostgreSQL (trust auth ignores the password), so the URL carries a password to leak."""
    return re.sub(r"//([^@/]+)@", rf"//\1:{DB_PASSWORD}@", postgres_url, count=1)


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"pace_per_channel_seconds": 0.02, "escalation": []}}


async def logged_line(log: Path, text: str, *, within: float = 10) -> None:
    """Wait until the replica's log holds `text` (it is another process: polling its file is the signal)."""
    async with asyncio.timeout(within):
        while True:
            if text in await asyncio.to_thread(log.read_text):
                return
            await asyncio.sleep(0.05)


def leaked(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


async def test_no_secret_in_the_log_or_any_answer_whatever_fails(
    opsbot_processes: OpsbotProcesses, sandbox: Any, tmp_path: Path
) -> None:
    log = tmp_path / "opsbot.log"
    env = {
        "OPSBOT_LOG_LEVEL": "DEBUG",
        "OPSBOT_ALERT_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "OPSBOT_TICKET_WEBHOOK_SECRET": TICKET_SECRET,
    }
    good = await opsbot_processes.start(log=log, **env)
    answers: list[str] = []
    ws = sandbox.workspace

    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}):
            async with http.post(
                f"{good.url}/alerts/alertmanager", json=payload(alert("SecretCheck")), headers=headers
            ) as response:
                answers.append(f"{response.status} {await response.text()}")
        async with http.post(
            f"{good.url}/alerts/alertmanager",
            data=b'{"version": "4", "alerts": [{"labels": 7}]}',
            headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}", "Content-Type": "application/json"},
        ) as response:
            answers.append(f"{response.status} {await response.text()}")
        async with http.get(f"{good.url}/metrics") as response:
            answers.append(await response.text())
    assert answers[0].startswith("401") and answers[1].startswith("401") and answers[2].startswith("200")

    async with sandbox.player(bot_url=f"{good.url}/slack/events", signing_secret=SIGNING_SECRET) as slack:
        forged = await slack.slash("/oncall", "", signature="v0=forged")
        answers.append(f"{forged.status} {forged.body}")
        ws.inject_faults(3, kind="500", methods={"chat.postMessage"})
        declared = await slack.slash("/incident", "declare sev2 Token rotation went wrong", user="alice")
        answers.append(f"{declared.status} {declared.body}")
        await ws.wait_for_ephemeral(user="alice", contains="Declared INC-", timeout=15)
        for command, text in (("/ticket", "help"), ("/metrics", ""), ("/oncall", "")):
            response = await slack.slash(command, text)
            answers.append(f"{response.status} {response.body}")
    await ws.wait_for_message("critical-alerts", contains="SecretCheck", timeout=15)

    # A replica whose bot token Slack refuses: every Web API call fails, and says why without the token. The
    # good one stops first (SIGTERM: it finishes its job and lets go of its leases), or it could take the
    # refused replica's post job from the shared outbox and leave nothing to fail.
    good.process.terminate()
    await good.process.wait()
    refused_log = tmp_path / "refused.log"  # its own log, so the wait below sees this replica's failure
    refused = await opsbot_processes.start(log=refused_log, SLACK_BOT_TOKEN=WRONG_BOT_TOKEN, **env)
    status, _ = await send(refused.url, alert("RefusedToken"), token=WEBHOOK_TOKEN)
    assert status == 200
    async with sandbox.player(bot_url=f"{refused.url}/slack/events", signing_secret=SIGNING_SECRET) as slack:
        response = await slack.slash("/oncall", "")
        answers.append(f"{response.status} {response.body}")
    # Its outbox (woken by the webhook) tries to post the alert, Slack refuses the token, it logs that.
    await logged_line(refused_log, "outbox job failed; will retry", within=20)

    secrets = [BOT_TOKEN, SIGNING_SECRET, WEBHOOK_TOKEN, TICKET_SECRET, DB_PASSWORD, WRONG_BOT_TOKEN]
    assert "invalid_auth" in refused_log.read_text(), "the refused token's errors went untested"
    logged = log.read_text() + refused_log.read_text()
    assert "DEBUG" in logged
    assert not leaked(logged, secrets), [line for line in logged.splitlines() if leaked(line, secrets)][:5]
    assert not leaked("\n".join(answers), secrets)
