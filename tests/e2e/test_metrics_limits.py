"""Raw PromQL is bounded: only `metrics.permissions.query` may run it (by /metrics query or a ticket's
metric=), too-fine subqueries and too-wide answers are refused, Prometheus is given the deadline, and label
values with `$` chart as written. Prometheus here is a stand-in that records what reached it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.deps import build_deps
from bot.server import RunningServer, start_server
from tests.support.fake_prometheus import FakePrometheus, fake_prometheus

pytestmark = pytest.mark.calendar_free  # refusals and limits: no date or time of day reaches them

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SERIES = 500  # the packaged `prometheus.max_series`
# `metrics.permissions.query` is empty by default: only the rotation (alice, bob, carol); dave is not on it.


@pytest.fixture
async def prometheus() -> AsyncIterator[FakePrometheus]:
    async with fake_prometheus() as fake:
        yield fake


@pytest.fixture
async def opsbot(
    make_settings: Callable[..., Settings], prometheus: FakePrometheus
) -> AsyncIterator[RunningServer]:
    server = await start_server(
        build_deps(make_settings(PROMETHEUS_URL=prometheus.url)), host="127.0.0.1", port=0
    )
    yield server
    await server.close()


async def test_raw_promql_needs_the_permission_kpis_do_not(
    slack: Any, sandbox: Any, prometheus: FakePrometheus
) -> None:
    ws = sandbox.workspace
    await slack.slash(
        "/metrics", "query sum(rate(secret_requests_total[5m]))", user="dave", channel="general"
    )
    refusal = ws.message_text(await ws.wait_for_ephemeral(user="dave", contains="You may not", timeout=10))
    assert "raw PromQL" in refusal and "metrics.permissions.query" in refusal
    assert "secret_requests_total" not in " ".join(prometheus.queries())
    assert not ws.messages("general")
    await slack.slash("/metrics", "uptime", user="dave", channel="general")  # a KPI: open to everyone
    await ws.wait_for_message("general", contains="Uptime", timeout=10)
    await slack.slash("/metrics", "query up", user="alice")  # on the rotation
    await ws.wait_for_ephemeral(user="alice", contains="series for up", timeout=10)


async def test_a_ticket_metric_in_raw_promql_needs_the_permission_too(
    slack: Any, sandbox: Any, prometheus: FakePrometheus
) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", "new Cache the search impact=high effort=low metric=sum(up)", user="dave")
    refusal = ws.message_text(await ws.wait_for_ephemeral(user="dave", contains="You may not", timeout=10))
    assert "metrics.permissions.query" in refusal
    await slack.slash("/ticket", "new Cache the search impact=high effort=low metric=uptime", user="dave")
    await ws.wait_for_message("general", contains="opened TKT-1", timeout=10)


async def test_a_too_fine_subquery_is_refused_before_prometheus(
    slack: Any, sandbox: Any, prometheus: FakePrometheus
) -> None:
    ws = sandbox.workspace
    await slack.slash("/metrics", "query max_over_time(up[30d:1s])", user="alice")
    refusal = ws.message_text(
        await ws.wait_for_ephemeral(user="alice", contains="points per series", timeout=10)
    )
    assert "2,592,000 points" in refusal and "prometheus.max_points" in refusal and "[30d:44m]" in refusal
    await slack.slash("/ticket", "new Trim the cache impact=high effort=low metric=max_over_time(up[30d:1s])")
    await ws.wait_for_ephemeral(user="alice", contains="prometheus.max_points", timeout=10)
    assert prometheus.requests == []


async def test_prometheus_gets_the_deadline_and_too_many_series_are_refused(
    slack: Any, sandbox: Any, prometheus: FakePrometheus
) -> None:
    ws = sandbox.workspace
    await slack.slash("/metrics", "query up 30d", user="alice", channel="general")
    await ws.wait_for_message("general", contains="series for up", timeout=10)
    (asked,) = prometheus.requests
    assert asked["timeout"] == "10" and asked["limit"] == str(MAX_SERIES + 1)
    assert (float(asked["end"]) - float(asked["start"])) / float(asked["step"].removesuffix("s")) <= 1000
    prometheus.series = [{"__name__": "up", "instance": f"web-{i}"} for i in range(MAX_SERIES + 5)]
    await slack.slash("/metrics", "query up", user="alice")
    refusal = ws.message_text(await ws.wait_for_ephemeral(user="alice", contains="more than", timeout=10))
    assert f"more than {MAX_SERIES} series" in refusal and "prometheus.max_series" in refusal


async def test_a_label_with_dollars_charts_as_written(
    slack: Any, sandbox: Any, prometheus: FakePrometheus
) -> None:
    ws = sandbox.workspace
    prometheus.series = [
        {"__name__": "disk_free", "path": r"$HOME/$\frac{x$"},
        {"__name__": "disk_free", "path": "/var/$^$_"},
    ]
    await slack.slash("/metrics", "query disk_free 1h", user="alice", channel="general")
    shared = await ws.wait_for_message("general", predicate=lambda m: bool(m.files), timeout=10)
    file = ws.files[shared.files[0]["id"]]
    assert file.content.startswith(PNG_SIGNATURE)
    assert not [e for e in ws.ephemerals if "Something went wrong" in ws.message_text(e)]


async def test_the_ticket_form_shows_the_refusal_next_to_the_metric(
    slack: Any, sandbox: Any, prometheus: FakePrometheus
) -> None:
    ws = sandbox.workspace
    await slack.slash("/ticket", "", user="dave", channel="general")
    form = await ws.wait_for_view(user="dave", callback_id="ticket_new")
    answers = {"ticket_title": "Cache the search", "ticket_area": "api", "ticket_impact": "high"}
    await slack.submit_view(form, {**answers, "ticket_effort": "low", "ticket_metric": "sum(up)"})
    errors = (await ws.wait_for_event("view_errors"))["errors"]
    assert "metrics.permissions.query" in errors["ticket_metric"]
    assert not ws.messages("general") and prometheus.requests == []
