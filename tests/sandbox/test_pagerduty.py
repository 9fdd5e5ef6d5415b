"""The PagerDuty stand-in: refuses what the Events API v2 refuses, keeps incidents by dedup_key as PagerDuty
does, and plays PagerDuty's signed v3 webhooks toward a bot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.domain.pagerduty import read_webhook, signature_matches
from sandbox import RunningSandbox

TRIGGER_PAYLOAD = {"summary": "ApiDown: API answers 503", "source": "api-1", "severity": "critical"}


@pytest.fixture
def key(sandbox: RunningSandbox) -> str:
    return sandbox.pagerduty.add_routing_key()


async def post(
    sandbox: RunningSandbox, body: Any, *, raw: bytes | None = None, **headers: str
) -> tuple[int, Any]:
    data = raw if raw is not None else json.dumps(body).encode()
    content = {"Content-Type": "application/json", **headers}
    async with (
        aiohttp.ClientSession() as http,
        http.post(sandbox.pagerduty_events_url, data=data, headers=content) as response,
    ):
        return response.status, await response.json(content_type=None)


def trigger(key: str, **changes: Any) -> dict[str, Any]:
    return {"routing_key": key, "event_action": "trigger", "dedup_key": "ops/k", "payload": TRIGGER_PAYLOAD,
            **changes}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"routing_key": None}, "'routing_key' is missing or blank"),
        ({"routing_key": "short"}, "Routing key is the wrong length (should be 32 characters)"),
        ({"routing_key": "f" * 32}, "Invalid routing key"),
        (
            {"event_action": "snooze"},
            "'event_action' is invalid (must be one of trigger, acknowledge, resolve)",
        ),
        ({"event_action": None}, "'event_action' is missing or blank"),
        ({"dedup_key": "k" * 256}, "'dedup_key' is too long (at most 255 characters)"),
        ({"payload": None}, "'payload' is missing or not an object"),
        ({"payload": {**TRIGGER_PAYLOAD, "summary": ""}}, "'payload.summary' is missing or blank"),
        ({"payload": {**TRIGGER_PAYLOAD, "source": None}}, "'payload.source' is missing or blank"),
        ({"payload": {**TRIGGER_PAYLOAD, "severity": "page"}}, "'payload.severity' is invalid"),
        ({"payload": {**TRIGGER_PAYLOAD, "summary": "s" * 1025}}, "'payload.summary' is too long"),
        ({"payload": {**TRIGGER_PAYLOAD, "timestamp": "noon"}}, "'payload.timestamp' is not a valid"),
        ({"links": [{"text": "no href"}]}, "'links[0].href' is missing or blank"),
        ({"event_action": "resolve", "dedup_key": None}, "'dedup_key' is missing or blank"),
    ],
)
async def test_a_malformed_event_is_refused_as_pagerduty_does(
    sandbox: RunningSandbox, key: str, change: dict[str, Any], error: str
) -> None:
    body = {k: v for k, v in trigger(key, **change).items() if v is not None}
    status, answer = await post(sandbox, body)
    assert status == 400
    assert answer["status"] == "invalid event" and answer["message"] == "Event object is invalid"
    assert any(e.startswith(error) for e in answer["errors"]), answer["errors"]
    assert sandbox.pagerduty.incidents == [] and sandbox.pagerduty.events[-1].status == 400
    assert "routing_key" not in sandbox.pagerduty.events[-1].event  # a secret: never shown on the page


async def test_a_body_that_is_not_a_json_event_is_refused(sandbox: RunningSandbox, key: str) -> None:
    assert (await post(sandbox, None, raw=b"routing_key=x"))[0] == 400
    assert (await post(sandbox, [trigger(key)]))[0] == 400
    status, answer = await post(
        sandbox, None, raw=json.dumps(trigger(key)).encode(), **{"Content-Type": "text/plain"}
    )
    assert status == 400 and "Content-Type" in answer["errors"][0]
    big = trigger(key, payload={**TRIGGER_PAYLOAD, "custom_details": {"x": "y" * 600_000}})
    assert (await post(sandbox, big))[0] == 400
    assert sandbox.pagerduty.incidents == []


async def test_events_open_acknowledge_and_resolve_an_incident_by_dedup_key(
    sandbox: RunningSandbox, key: str
) -> None:
    assert await post(sandbox, trigger(key)) == (
        202, {"status": "success", "message": "Event processed", "dedup_key": "ops/k"},
    )  # fmt: skip
    assert (await post(sandbox, trigger(key)))[0] == 202  # the same alert again: deduplicated
    follow = {"routing_key": key, "dedup_key": "ops/k"}
    assert (await post(sandbox, {**follow, "event_action": "acknowledge"}))[0] == 202
    assert (await post(sandbox, {**follow, "event_action": "resolve"}))[0] == 202
    [incident] = sandbox.pagerduty.incidents
    assert incident.status == "resolved" and incident.log == [
        "triggered",
        "trigger",
        "acknowledge",
        "resolve",
    ]
    assert [e.outcome for e in sandbox.pagerduty.events] == [
        "created #1", "deduplicated into #1", "acknowledged #1", "resolved #1",
    ]  # fmt: skip
    assert (await post(sandbox, {**follow, "event_action": "resolve"}))[0] == 202  # accepted, and dropped
    assert sandbox.pagerduty.events[-1].outcome == "dropped: no open incident has this dedup_key"
    await post(sandbox, trigger(key))  # after a resolve, the same key opens a new incident
    assert [i.number for i in sandbox.pagerduty.incidents] == [1, 2]


async def test_a_trigger_without_a_dedup_key_gets_one(sandbox: RunningSandbox, key: str) -> None:
    body = trigger(key)
    del body["dedup_key"]
    status, answer = await post(sandbox, body)
    assert status == 202 and len(answer["dedup_key"]) == 32


async def test_faults_throttle_or_lose_the_answer(sandbox: RunningSandbox, key: str) -> None:
    sandbox.pagerduty.inject_faults(1, kind="429")
    sandbox.pagerduty.inject_faults(1, kind="lost_answer")
    assert (await post(sandbox, trigger(key)))[0] == 429  # not taken
    assert sandbox.pagerduty.incidents == []
    assert (await post(sandbox, trigger(key)))[0] == 500  # taken, answer lost
    assert (await post(sandbox, trigger(key)))[0] == 202  # the sender's retry: deduplicated
    assert len(sandbox.pagerduty.incidents) == 1


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, asyncio.Queue[tuple[dict[str, str], bytes]]]]:
    got: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()

    async def handle(request: web.Request) -> web.Response:
        await got.put((dict(request.headers), await request.read()))
        return web.json_response({"status": "resolved"})

    app = web.Application()
    app.router.add_post("/pagerduty/webhook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/pagerduty/webhook", got
    await runner.cleanup()


async def test_acting_in_pagerduty_sends_a_signed_v3_webhook(
    sandbox: RunningSandbox, key: str, receiver: tuple[str, asyncio.Queue[tuple[dict[str, str], bytes]]]
) -> None:
    url, got = receiver
    sandbox.pagerduty.connect_bot(url, signing_secrets=["old-secret", "new-secret"])
    await post(sandbox, trigger(key))
    delivery = await sandbox.pagerduty.act(1, "resolve", user="Tenex Engineer")
    headers, body = got.get_nowait()
    assert delivery.status == 200 and headers["User-Agent"] == "PagerDuty-Webhook/V3.0"
    for secret in ("old-secret", "new-secret"):  # one signature per secret, comma-separated
        assert signature_matches(secret, body, headers["X-PagerDuty-Signature"])
    event = read_webhook(json.loads(body))  # what opsbot reads of it
    assert event is not None and event.change == "incident.resolved" and event.agent == "Tenex Engineer"
    assert event.incident_key == "ops/k" and sandbox.pagerduty.incident(1).status == "resolved"
    await sandbox.pagerduty.replay(delivery)  # PagerDuty delivers at least once: the same bytes again
    again, replayed = got.get_nowait()
    assert replayed == body and again["X-Webhook-Id"] == headers["X-Webhook-Id"]
    with pytest.raises(ValueError, match="resolved already"):
        await sandbox.pagerduty.act(1, "acknowledge")
