"""Hostile but well-formed webhook payloads are stored and shown, or refused with a 400: never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from bot.server import RunningServer
from tests.support.alertmanager import alert, send


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bot_database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


def nasty(**changes: Any) -> dict[str, Any]:
    return {**alert("Nasty", severity="warning"), **changes}


CASES = {
    "nul bytes": nasty(
        labels={"alertname": "Nul\x00Name", "severity": "warning", "job": "a\x00b"},
        annotations={"summary": "has \x00 inside"},
    ),
    "huge values": nasty(
        labels={"alertname": "H" * 5000, "severity": "warning", "job": "j" * 5000},
        annotations={"summary": "s" * 20000, "description": "d" * 20000},
    ),
    "unicode": nasty(labels={"alertname": "Ünïcødé 🔥 <b>&amp;", "severity": "warning", "service": "a|b<c>"}),
    "extreme times": nasty(startsAt="9999-12-31T23:59:59+14:00", endsAt="0001-01-01T00:00:00Z"),
    "mrkdwn injection": nasty(annotations={"summary": "<!channel> <@U0ALICE> *x* <http://evil|click>"}),
    "many labels": nasty(
        labels={"alertname": "Many", "severity": "warning", **{f"l{i}": "v" for i in range(300)}}
    ),
}


@pytest.mark.parametrize("case", CASES)
async def test_hostile_payloads_never_cause_a_5xx(opsbot: RunningServer, sandbox: Any, case: str) -> None:
    status, body = await send(opsbot.url, CASES[case])
    assert status in (200, 400), body
    if status == 200:
        message = await sandbox.workspace.wait_for_message("ops-alerts", contains="WARNING ·")
        assert "<!channel>" not in message.text
        assert not [t for t in mrkdwn_texts(message.blocks) if "<!channel>" in t]


def mrkdwn_texts(value: Any) -> list[str]:
    """Every mrkdwn text in the blocks: the only places (with the fallback) where Slack renders mentions."""
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [t for item in value.values() for t in mrkdwn_texts(item)]
    if isinstance(value, list):
        return [t for item in value for t in mrkdwn_texts(item)]
    return []
