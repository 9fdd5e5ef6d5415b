"""Garbage typed into a slash command: an ack, a helpful ephemeral reply Slack accepts, no errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sandbox.blockkit import validate_blocks

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them

GARBAGE = [
    "frobnicate",
    "declare checkout",  # `declare` and `new` alone open their forms
    "declare sev9 x",
    "new impact=high",
    'new "unterminated impact=maybe',
    "show nine",
    "assign 1 nobody",
    "query",
    "query rate(",
    "override @x forever",
    "sev 7",
    "list everything",
    "x" * 3000,
    "<!channel> <@U0ALICE> *bold*",
    "\u202e\u200b",
]


@pytest.mark.parametrize("command", ["/metrics", "/incident", "/ticket", "/oncall"])
async def test_garbage_gets_a_clear_reply_and_no_error(
    slack: Any, sandbox: Any, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    ws = sandbox.workspace
    caplog.set_level(logging.WARNING)
    for text in GARBAGE:
        before = len(ws.ephemerals)
        response = await slack.slash(command, text, user="carol", channel="general")
        assert response.status == 200, (command, text)
        await ws.wait_until(  # garbage is answered to its sender only
            lambda n=before: True if len(ws.ephemerals) > n else None,
            timeout=10,
            describe=lambda t=text: f"no reply to {command} {t!r}",
        )
    assert ws.messages("general") == []  # garbage declared, opened or changed nothing
    assert len(ws.ephemerals) == len(GARBAGE) and all(e.user == "U0CAROL" for e in ws.ephemerals)
    for reply in ws.ephemerals:
        assert validate_blocks(reply.blocks or []) == [], (command, ws.message_text(reply))
        assert "went wrong on opsbot's side" not in ws.message_text(reply), ws.message_text(reply)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records
    ]
