"""A retried incident set-up never makes a second channel: not when Slack created the channel and the answer
was lost (then the client's resend, or the outbox's later retry, meets `name_taken`)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from sandbox import SlackPlayer
from storage import incidents as store
from tests.support.outbox import wait_until_drained

CREATE = {"conversations.create"}


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {"alerts": {"escalation": [{"after_minutes": 60}]}}


def lose_the_answer_as_a_500(ws: Any) -> None:
    """Created, then Slack answers 500: the client resends and meets `name_taken`."""
    ws.inject_faults(1, kind="lost_answer", answer="500", methods=CREATE)


def lose_the_answer_then_fail_the_resends(ws: Any) -> None:
    """Created, answer lost; the client's own resends fail too, so the outbox retries the whole job."""
    ws.inject_faults(1, kind="lost_answer", methods=CREATE)
    ws.inject_faults(3, kind="500", methods=CREATE)


@pytest.mark.parametrize(
    "lose",
    [
        pytest.param(lose_the_answer_as_a_500, id="500"),
        pytest.param(lose_the_answer_then_fail_the_resends, id="job-retried"),
    ],
)
async def test_a_channel_whose_creation_answer_was_lost_is_adopted_not_made_again(
    opsbot: RunningServer, slack: SlackPlayer, sandbox: Any, lose: Any
) -> None:
    ws = sandbox.workspace
    lose(ws)
    await slack.slash("/incident", "declare sev1 Ledger out of balance", user="alice")
    await ws.wait_for_message("incidents", contains="Ledger out of balance", timeout=20)
    await wait_until_drained(opsbot.deps.db, due_by=opsbot.deps.clock(), within=20)
    assert not any(f.remaining for f in ws.faults)  # every fault did hit
    made = [c.name for c in ws.channels.values() if c.name.startswith("inc-1-")]
    assert made == ["inc-1-ledger-out-of-balance"], made
    assert (await store.get(opsbot.deps.db, 1)).channel_id == ws.channel_by_name(made[0]).id
    headers = [m for m in ws.messages(made[0]) if "Declared by" in ws.message_text(m)]
    assert len(headers) == 1
