"""Hostile webhook payloads: odd but valid ones are stored whole and shown safely (200); invalid ones are
refused with a 400 that names the field, and then nothing of the payload is stored or posted. Never a 5xx."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.server import RunningServer
from storage.models import Alert, AlertGroup, OutboxJob
from tests.support.alertmanager import alert, send
from tests.support.outbox import wait_until_drained

pytestmark = pytest.mark.calendar_free


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bot_database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


def nasty(**changes: Any) -> dict[str, Any]:
    return {**alert("Nasty", severity="warning"), **changes}


# case: (payload, what is stored: alertname column, labels, annotations, starts_at, text the message shows)
ACCEPTED: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "nul bytes": (
        nasty(
            labels={"alertname": "Nul\x00Name", "severity": "warning", "job": "a\x00b"},
            annotations={"summary": "has \x00 inside"},
        ),
        {  # NUL is valid JSON but no text column holds it: dropped, the rest kept
            "alertname": "NulName",
            "labels": {"alertname": "NulName", "severity": "warning", "job": "ab"},
            "annotations": {"summary": "has  inside"},
            "shows": "WARNING · NulName",
        },
    ),
    "huge values": (
        nasty(
            labels={"alertname": "H" * 5000, "severity": "warning", "job": "j" * 5000},
            annotations={"summary": "s" * 20000, "description": "d" * 20000},
        ),
        {  # the alertname column is clipped to its 255 characters; labels and annotations stay whole
            "alertname": "H" * 255,
            "labels": {"alertname": "H" * 5000, "severity": "warning", "job": "j" * 5000},
            "annotations": {"summary": "s" * 20000, "description": "d" * 20000},
            "shows": "WARNING · HHHHHHHHHH",
        },
    ),
    "unicode": (
        nasty(labels={"alertname": "Ünïcødé 🔥 <b>&amp;", "severity": "warning", "service": "a|b<c>"}),
        {
            "alertname": "Ünïcødé 🔥 <b>&amp;",
            "labels": {"alertname": "Ünïcødé 🔥 <b>&amp;", "severity": "warning", "service": "a|b<c>"},
            "shows": "a|b&lt;c&gt;",
        },
    ),
    "extreme times": (
        nasty(startsAt="9999-12-31T23:59:59+14:00", endsAt="0001-01-01T00:00:00Z"),
        {  # stored as the source said (in UTC); the zero endsAt means "no end yet"
            "starts_at": datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC),
            "ends_at": None,
            "shows": "WARNING · Nasty",
        },
    ),
    "mrkdwn injection": (
        nasty(annotations={"summary": "<!channel> <@U0ALICE> *x* <http://evil|click>"}),
        {
            "annotations": {"summary": "<!channel> <@U0ALICE> *x* <http://evil|click>"},
            "shows": "&lt;!channel&gt; &lt;@U0ALICE&gt; *x* &lt;http://evil|click&gt;",
        },
    ),
    "many labels": (
        nasty(labels={"alertname": "Many", "severity": "warning", **{f"l{i}": "v" for i in range(300)}}),
        {
            "labels": {"alertname": "Many", "severity": "warning", **{f"l{i}": "v" for i in range(300)}},
            "shows": "WARNING · Many",
        },
    ),
}


@pytest.mark.parametrize("case", ACCEPTED)
async def test_odd_but_valid_payloads_are_stored_whole_and_shown_safely(
    opsbot: RunningServer, sandbox: Any, case: str
) -> None:
    sent, expected = ACCEPTED[case]
    status, body = await send(opsbot.url, sent)
    assert (status, body) == (200, {"status": "accepted", "alerts": 1, "groups": 1})
    (stored,) = await rows(opsbot, Alert)
    assert (stored.severity, stored.status) == ("warning", "firing")
    for column in ("alertname", "labels", "annotations", "starts_at", "ends_at"):
        if column in expected:
            assert getattr(stored, column) == expected[column], column
    ws = sandbox.workspace
    message = await ws.wait_for_message("ops-alerts", contains=expected["shows"])
    await wait_until_drained(opsbot.deps.db)
    assert [m.ts for m in ws.messages("ops-alerts")] == [message.ts]  # one group, one message
    assert [(g.channel, g.slack_ts) for g in await rows(opsbot, AlertGroup)] == [("ops-alerts", message.ts)]
    texts = [message.text or "", *mrkdwn_texts(message.blocks)]
    assert not [t for t in texts if "<!channel>" in t or "<@U0ALICE>" in t]  # escaped: no one is pinged
    assert "9999" not in ws.message_text(message)  # a future start shows as received, not as year 9999


REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "a label that is a number": (
        nasty(labels={"alertname": "X", "severity": 5}),
        "alerts[1].labels.severity: expected a string, got int",
    ),
    "no labels at all": (nasty(labels={}), "alerts[1].labels: must not be empty"),
    "a time that is not a time": (
        nasty(startsAt="yesterday"),
        "alerts[1].startsAt: 'yesterday' is not an RFC 3339 time",
    ),
    "a time past the year 9999 in UTC": (
        nasty(startsAt="9999-12-31T23:59:59-14:00"),
        "alerts[1].startsAt: '9999-12-31T23:59:59-14:00' is outside the years 1 to 9999 in UTC",
    ),
    "a fingerprint too long to store": (
        nasty(fingerprint="f" * 200),
        "alerts[1].fingerprint: expected a string of at most 128 characters",
    ),
    "annotations that are a list": (
        nasty(annotations=["x"]),
        "alerts[1].annotations: expected an object of strings",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
async def test_invalid_payloads_are_refused_whole_with_the_reason(
    opsbot: RunningServer, sandbox: Any, case: str
) -> None:
    sent, reason = REFUSED[case]
    status, body = await send(opsbot.url, alert("Fine", severity="warning"), sent)
    assert (status, body) == (400, {"error": reason})
    # The answer comes after the one transaction: nothing stored means nothing queued, so nothing to post.
    assert await rows(opsbot, Alert) == []
    assert await rows(opsbot, AlertGroup) == []
    assert await rows(opsbot, OutboxJob) == []
    assert not [c for c in sandbox.workspace.calls if c.method.startswith("chat.")]


async def rows(opsbot: RunningServer, table: Any) -> list[Any]:
    async with opsbot.deps.db.sessions() as session:
        return list((await session.execute(select(table))).scalars().all())


def mrkdwn_texts(value: Any) -> list[str]:
    """Every mrkdwn text in the blocks: the only places (with the fallback) where Slack renders mentions."""
    if isinstance(value, dict):
        own = [value["text"]] if value.get("type") == "mrkdwn" else []
        return own + [t for item in value.values() for t in mrkdwn_texts(item)]
    if isinstance(value, list):
        return [t for item in value for t in mrkdwn_texts(item)]
    return []
