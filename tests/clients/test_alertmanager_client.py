"""AlertmanagerClient against the real Alertmanager binary, and its errors when Alertmanager misbehaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.clients.alertmanager import AlertmanagerClient
from bot.errors import UpstreamError
from tests.support.prom import RunningService, free_port, running_alertmanager


@pytest.fixture
async def alertmanager(tmp_path: Path) -> AsyncIterator[RunningService]:
    async with running_alertmanager(tmp_path, webhook_url="http://127.0.0.1:9/unused") as am:
        yield am


@pytest.fixture
async def client(alertmanager: RunningService) -> AsyncIterator[AlertmanagerClient]:
    async with AlertmanagerClient(alertmanager.url) as am_client:
        yield am_client


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A loopback server that accepts connections and never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()
    await server.wait_closed()


@pytest.mark.prometheus
async def test_create_get_and_expire_a_silence(client: AlertmanagerClient) -> None:
    ends_at = datetime.now(UTC) + timedelta(hours=1)
    silence_id = await client.create_silence(
        matchers={"alertname": "HostHighCpu", "instance": "web-1:9100"},
        ends_at=ends_at,
        created_by="opsbot (U0ALICE)",
        comment="Snoozed from Slack for 1h",
    )

    silence = await client.get_silence(silence_id)
    assert silence["status"]["state"] == "active"
    assert silence["createdBy"] == "opsbot (U0ALICE)" and silence["comment"] == "Snoozed from Slack for 1h"
    assert sorted((m["name"], m["value"], m["isRegex"], m["isEqual"]) for m in silence["matchers"]) == [
        ("alertname", "HostHighCpu", False, True),
        ("instance", "web-1:9100", False, True),
    ]
    assert abs(datetime.fromisoformat(silence["endsAt"]) - ends_at) < timedelta(seconds=1)

    await client.expire_silence(silence_id)
    assert (await client.get_silence(silence_id))["status"]["state"] == "expired"


@pytest.mark.prometheus
async def test_a_silence_starting_later_is_pending(client: AlertmanagerClient) -> None:
    starts_at = datetime.now(UTC) + timedelta(hours=1)
    silence_id = await client.create_silence(
        matchers={"service": "checkout"},
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        created_by="opsbot",
        comment="maintenance window",
    )
    assert (await client.get_silence(silence_id))["status"]["state"] == "pending"


@pytest.mark.prometheus
async def test_an_unknown_silence_is_an_upstream_error_naming_the_status(
    client: AlertmanagerClient, alertmanager: RunningService
) -> None:
    with pytest.raises(UpstreamError) as caught:
        await client.get_silence("00000000-0000-0000-0000-000000000000")
    assert f"Alertmanager at {alertmanager.url} answered 404" in str(caught.value)


@pytest.mark.prometheus
async def test_alertmanager_rejecting_a_silence_is_an_upstream_error(client: AlertmanagerClient) -> None:
    now = datetime.now(UTC)
    with pytest.raises(UpstreamError, match="answered 400 to POST /api/v2/silences"):
        await client.create_silence(
            matchers={"alertname": "X"},
            starts_at=now,
            ends_at=now - timedelta(hours=1),
            created_by="a",
            comment="-",
        )


async def test_a_refused_connection_names_the_url_but_not_the_password() -> None:
    port = free_port()
    async with AlertmanagerClient(f"http://opsbot:s3cret@127.0.0.1:{port}/") as client:
        with pytest.raises(UpstreamError) as caught:
            await client.get_silence("abc")
    message = str(caught.value)
    assert message == f"Alertmanager at http://127.0.0.1:{port} could not be reached: Connection refused"
    assert "s3cret" not in message


async def test_a_silent_alertmanager_times_out_with_a_clear_message(silent_server: str) -> None:
    async with AlertmanagerClient(silent_server, timeout=0.3) as client:
        with pytest.raises(UpstreamError) as caught:
            await client.expire_silence("abc")
    assert str(caught.value) == (
        f"Alertmanager at {silent_server} did not answer in 0.3 s (DELETE /api/v2/silence/abc)"
    )


async def test_silence_links_point_at_the_web_ui_without_credentials() -> None:
    client = AlertmanagerClient("https://ops:pw@alertmanager.example.com:9093/")
    assert client.silence_url("a1b2") == "https://alertmanager.example.com:9093/#/silences/a1b2"
    await client.close()


async def test_a_session_passed_in_stays_open_after_close() -> None:
    async with aiohttp.ClientSession() as session:
        client = AlertmanagerClient("http://127.0.0.1:9", session=session)
        await client.close()
        assert not session.closed


async def test_naive_times_are_refused_before_any_request() -> None:
    async with AlertmanagerClient("http://127.0.0.1:9") as client:
        with pytest.raises(ValueError, match="timezone-aware"):
            await client.create_silence(
                matchers={"alertname": "X"}, ends_at=datetime(2030, 1, 1), created_by="a", comment="b"
            )


@pytest.mark.prometheus
async def test_several_values_become_one_anchored_alternation_of_literals(client: AlertmanagerClient) -> None:
    silence_id = await client.create_silence(
        matchers={"alertname": "X", "severity": ("critical", "page.1"), "service": ""},
        ends_at=datetime.now(UTC) + timedelta(hours=1),
        created_by="opsbot",
        comment="-",
    )
    silence = await client.get_silence(silence_id)
    assert sorted((m["name"], m["value"], m["isRegex"]) for m in silence["matchers"]) == [
        ("alertname", "X", False),
        ("service", "", False),
        ("severity", r"critical|page\.1", True),
    ]
