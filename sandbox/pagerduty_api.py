"""The PagerDuty stand-in's routes: the Events API v2 at `POST /pagerduty/v2/enqueue` (what opsbot's
`paging.pagerduty.events_url` points at), and the page's controls under `/_sandbox/pagerduty_*`."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from sandbox.common import WORKSPACE_KEY
from sandbox.page_actions import PageError, _handler, _text
from sandbox.pagerduty import PagerDutyStandIn, ReceivedEvent
from sandbox.pagerduty_events import MAX_EVENT_BYTES, accepted, invalid_event, problems

PAGERDUTY_KEY: web.AppKey[PagerDutyStandIn] = web.AppKey("sandbox_pagerduty", PagerDutyStandIn)
ENQUEUE_PATH = "/pagerduty/v2/enqueue"
THROTTLED = {"status": "throttle exceeded", "message": "Requests for this service are arriving too quickly."}


def mount_pagerduty(app: web.Application) -> None:
    """Serve the stand-in (for the app's workspace) on the sandbox app."""
    app[PAGERDUTY_KEY] = PagerDutyStandIn(app[WORKSPACE_KEY])
    app.router.add_post(ENQUEUE_PATH, enqueue)
    app.router.add_post("/_sandbox/pagerduty_act", _handler(act))
    app.router.add_post("/_sandbox/pagerduty_faults", _handler(faults))


async def enqueue(request: web.Request) -> web.Response:
    """Take one event as PagerDuty does: 202 with its dedup_key, or 400 naming what is wrong with it."""
    pagerduty = request.app[PAGERDUTY_KEY]
    fault = pagerduty.next_fault()
    if fault is not None and fault.kind != "lost_answer":
        return _answer(pagerduty, None, 429 if fault.kind == "429" else 500, outcome=f"fault: {fault.kind}")
    raw = await request.read()
    event, errors = _read(raw, request.content_type, pagerduty)
    if errors:
        return _answer(pagerduty, event, 400, outcome="refused: " + "; ".join(errors), errors=errors)
    assert event is not None
    dedup_key = event.get("dedup_key") or uuid.uuid4().hex
    outcome, number = pagerduty.apply(event, dedup_key)
    if fault is not None:  # taken, but the answer is lost: the sender cannot tell it from a failure
        return _answer(
            pagerduty, event, 500, outcome=f"{outcome} (answer lost)", dedup_key=dedup_key, number=number
        )
    return _answer(pagerduty, event, 202, outcome=outcome, dedup_key=dedup_key, number=number)


def _read(
    raw: bytes, content_type: str, pagerduty: PagerDutyStandIn
) -> tuple[dict[str, Any] | None, list[str]]:
    if len(raw) > MAX_EVENT_BYTES:
        return None, [f"Event is over the size limit of {MAX_EVENT_BYTES} bytes"]
    if content_type != "application/json":
        return None, [f"Content-Type must be application/json, not {content_type!r}"]
    try:
        event = json.loads(raw)
    except ValueError:
        return None, ["Event object is not valid JSON"]
    found = problems(event, known_keys=set(pagerduty.routing_keys))
    return (event if isinstance(event, dict) else None), found


def _answer(
    pagerduty: PagerDutyStandIn,
    event: dict[str, Any] | None,
    status: int,
    *,
    outcome: str,
    errors: list[str] | None = None,
    dedup_key: str | None = None,
    number: int | None = None,
) -> web.Response:
    shown = {k: v for k, v in (event or {}).items() if k != "routing_key"}  # a secret: never shown
    action = shown.get("event_action") if isinstance(shown.get("event_action"), str) else None
    key = dedup_key or (shown.get("dedup_key") if isinstance(shown.get("dedup_key"), str) else None)
    seq = len(pagerduty.events) + 1
    service = pagerduty.routing_keys.get(str((event or {}).get("routing_key")))
    pagerduty.record(ReceivedEvent(seq, status, action, key, shown, outcome, errors or [], number, service))
    if status == 202 and dedup_key is not None:
        return web.json_response(accepted(dedup_key), status=202)
    if status == 400:
        return web.json_response(invalid_event(errors or []), status=400)
    if status == 429:
        return web.json_response(THROTTLED, status=429)
    return web.json_response({"status": "error", "message": "internal error"}, status=500)


async def act(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Acknowledge or resolve an incident "in PagerDuty" as a person, and send the bot the webhook."""
    number = data.get("number")
    if not isinstance(number, int):
        raise PageError("number must be an incident number")
    delivery = await app[PAGERDUTY_KEY].act(
        number, _text(data, "action"), user=str(data.get("user_name") or "Pat Oncall")
    )
    if not 200 <= delivery.status < 300:
        raise PageError(
            f"opsbot answered the webhook with {delivery.status}: {delivery.answer[:200]}", status=502
        )
    return {"status": delivery.status}


async def faults(app: web.Application, data: dict[str, Any]) -> dict[str, Any]:
    """Make PagerDuty answer the next two events with 429, to watch the bot retry them."""
    app[PAGERDUTY_KEY].inject_faults(2, kind="429")
    return {"message": "PagerDuty will answer the next 2 events with 429 Too Many Requests."}


def paged_state(app: web.Application) -> dict[str, Any]:
    """The page's "Paged" section: what each paging stand-in received."""
    return {"pagerduty": app[PAGERDUTY_KEY].snapshot()}
