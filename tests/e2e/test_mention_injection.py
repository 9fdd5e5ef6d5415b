"""Mention injection end to end: `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>` and forged `<@U…>`
from alerts, Prometheus and people reach Slack as words, never as notifications (bot/blocks/text.py).

The sandbox parses every message opsbot posts or edits the way Slack does (sandbox/mentions.py): these tests
assert that none would notify a channel or group, and that the only person notified is the one opsbot pages
itself (the on-call engineer)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from bot.services.digest_runs import run_now
from sandbox import SlackPlayer
from tests.support.alertmanager import alert, resolved, send, timestamp
from tests.support.clock import MovableClock
from tests.support.incidents import incident_channel

# opsbot runs on the test's own clock: the faked wall clock of make test-clock never reaches it
pytestmark = pytest.mark.own_clock

# A Monday noon: the alert fires in ISO week 46 and the weekly digest a week later reports that week.
START = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)
ONCALL = "U0BOB"


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "oncall": {"members": [ONCALL], "handoff": "daily"},
        "alerts": {
            "pace_per_channel_seconds": 0.02,
            "escalation": [{"after_minutes": 1 / 60, "target": "oncall"}],
        },
    }


@pytest.fixture
async def served(make_settings: Callable[..., Settings]) -> AsyncIterator[tuple[RunningServer, MovableClock]]:
    clock = MovableClock(START)
    server = await start_server(build_deps(make_settings(), clock=clock), host="127.0.0.1", port=0)
    yield server, clock
    await server.close()


def hostile_alert(clock: MovableClock) -> dict[str, Any]:
    """A critical alert with broadcasts in its name, labels, annotations and every URL it carries."""
    firing = alert(
        "DiskFull<!channel>",
        summary="Disk full <!here> ask <!subteam^S0OPS|@ops> or <@U0CEO>",
        instance="db-1<!everyone>",
        job="<!channel|channel>",
    )
    firing["annotations"].update(
        description="Clean up <!everyone> now",
        runbook_url="https://runbooks.example/disk|<!channel>",
        dashboard_url="javascript:alert('<!here>')",
    )
    firing["generatorURL"] = "http://prometheus.example/graph?g0.expr=up><!everyone"
    firing["startsAt"] = timestamp(clock())
    return firing


def only_the_oncall_is_notified(ws: Any) -> None:
    assert ws.broadcasts() == []
    people = {m for n in ws.notifications if n.user == ws.bot_user_id for m in n.mentions}
    assert people <= {f"@{ONCALL}"}, people


async def test_a_hostile_alert_posted_and_escalated_notifies_only_the_oncall(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    await send(opsbot.url, hostile_alert(clock))
    message = await ws.wait_for_message("critical-alerts", contains="DiskFull")
    page = await ws.wait_for_message("critical-alerts", contains=f"<@{ONCALL}>", timeout=15)
    assert page.thread_ts == message.ts and "DiskFull&lt;!channel&gt;" in page.text
    dm = await ws.wait_until(
        lambda: next((m for c in ws.channels.values() if c.is_im for m in ws.history.get(c.id, [])), None),
        timeout=15,
        describe=lambda: "no escalation DM",
    )
    assert "DiskFull&lt;!channel&gt;" in dm.text and "needs you" in dm.text
    text = ws.message_text(message)
    assert "Disk full &lt;!here&gt;" in text and "db-1&lt;!everyone&gt;" in text  # the words are kept
    assert "<https://runbooks.example/disk%7C%3C!channel%3E|Runbook>" in text  # a link, its URL encoded
    assert "javascript:" in text and "<javascript:" not in text  # shown as text, not as a link
    only_the_oncall_is_notified(ws)


async def test_a_hostile_alert_in_the_weekly_digest_notifies_no_one(
    served: tuple[RunningServer, MovableClock], sandbox: Any
) -> None:
    opsbot, clock = served
    ws = sandbox.workspace
    firing = hostile_alert(clock)
    await send(opsbot.url, firing)
    await ws.wait_for_message("critical-alerts", contains="DiskFull")
    await send(opsbot.url, {**resolved(firing), "endsAt": timestamp(clock())})
    await ws.wait_for_message("critical-alerts", contains="Resolved")
    clock.jump(timedelta(days=7))
    await run_now(opsbot.deps, "weekly")
    digest = await ws.wait_for_message("ops-review", contains="Weekly review", timeout=30)
    assert "DiskFull&lt;!channel&gt;" in ws.message_text(digest)
    only_the_oncall_is_notified(ws)


class FakePrometheus:
    """Answers instant and range queries with one series whose labels carry broadcasts, as a hostile
    exporter could."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/api/v1/query", self.instant)
        self.app.router.add_route("*", "/api/v1/query_range", self.range)

    async def _query(self, request: web.Request) -> str:
        query = request.query.get("query") or (await request.post()).get("query") or ""
        self.queries.append(str(query))
        return str(query)

    async def instant(self, request: web.Request) -> web.Response:
        await self._query(request)
        result = [{"metric": {"instance": "<!channel>"}, "value": [START.timestamp(), "1"]}]
        return web.json_response({"status": "success", "data": {"resultType": "vector", "result": result}})

    async def range(self, request: web.Request) -> web.Response:
        await self._query(request)
        start = float(request.query.get("start", START.timestamp()))
        values = [[start + 60 * i, str(i % 5)] for i in range(30)]
        result = [{"metric": {"instance": "<!channel>"}, "values": values}]
        return web.json_response({"status": "success", "data": {"resultType": "matrix", "result": result}})


@pytest.fixture
async def prometheus() -> AsyncIterator[tuple[FakePrometheus, str]]:
    fake = FakePrometheus()
    runner = web.AppRunner(fake.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def opsbot(
    make_settings: Callable[..., Settings], prometheus: tuple[FakePrometheus, str]
) -> AsyncIterator[RunningServer]:
    server = await start_server(
        build_deps(make_settings(PROMETHEUS_URL=prometheus[1])), host="127.0.0.1", port=0
    )
    yield server
    await server.close()


async def test_metrics_query_echo_in_the_channel_broadcasts_nothing(
    slack: SlackPlayer, sandbox: Any, prometheus: tuple[FakePrometheus, str]
) -> None:
    ws = sandbox.workspace
    # What Slack sends when someone types `up{job="<!here>"} > 0 or vector(1) 1h`: &, < and > escaped.
    typed = 'query up{job="&lt;!here&gt;"} &gt; 0 or vector(1) 1h'
    await slack.slash("/metrics", typed, channel="general", user=ONCALL)  # raw PromQL: the rotation's
    answer = await ws.wait_for_message("general", contains="PromQL query", timeout=30)
    assert prometheus[0].queries[-1] == 'up{job="<!here>"} > 0 or vector(1)'
    text = ws.message_text(answer)
    assert 'up{job="&lt;!here&gt;"} &gt; 0 or vector(1)' in text  # the query, shown as typed
    assert "&lt;!channel&gt;" in text  # Prometheus's labels too
    assert ws.broadcasts() == []


async def test_incident_updates_relayed_to_incidents_keep_words_but_not_broadcasts(
    slack: SlackPlayer, sandbox: Any
) -> None:
    ws = sandbox.workspace
    await slack.slash("/incident", "declare sev2 Orders stuck", user="alice", channel="incidents")
    channel = await incident_channel(ws, 1)
    await slack.slash(
        "/incident", "update 1 Consumers restarted <!everyone> ask <!subteam^S0SRE|@sre> or <@U0BOB|bob>",
        user="alice", channel="incidents",
    )  # fmt: skip
    relayed = await ws.wait_for_message("incidents", contains="Consumers restarted")
    assert relayed.text.endswith(":\nConsumers restarted @everyone ask @sre or <@U0BOB|bob>")
    await ws.wait_for_message(channel.name, contains="Consumers restarted @everyone")
    await slack.slash("/incident", "resolve 1 Fixed <!here> &lt;!channel&gt;", user="alice")
    resolved_note = await ws.wait_for_message("incidents", contains="resolved INC-1")
    assert "Fixed @here &lt;!channel&gt;" in resolved_note.text
    assert ws.broadcasts() == []
    mentioned = {m for n in ws.notifications if n.user == ws.bot_user_id for m in n.mentions}
    assert "@U0BOB" in mentioned  # a person the author named is still told
