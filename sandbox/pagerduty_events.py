"""What PagerDuty's Events API v2 refuses: the checks the stand-in makes on every event, with the errors
PagerDuty answers (400 `{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}`).

From https://developer.pagerduty.com/docs/events-api-v2/trigger-events/: routing_key (the integration's
32-character key) and event_action (trigger, acknowledge, resolve) are required; dedup_key is at most 255
characters and names the alert an acknowledge or resolve acts on; a trigger needs payload.summary (at most
1024 characters), payload.source and payload.severity (critical, error, warning, info); payloads are at most
512 KB; links need an href, images a src."""

from __future__ import annotations

from datetime import datetime
from typing import Any

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
ROUTING_KEY_LENGTH = 32
DEDUP_KEY_LIMIT = 255
SUMMARY_LIMIT = 1024
MAX_EVENT_BYTES = 512 * 1024


def problems(event: Any, *, known_keys: set[str]) -> list[str]:
    """Everything PagerDuty would refuse in `event` (empty when it accepts it)."""
    if not isinstance(event, dict):
        return ["Event object must be a JSON object"]
    found = _routing_key(event.get("routing_key"), known_keys)
    action = event.get("event_action")
    if not isinstance(action, str) or not action:
        found.append("'event_action' is missing or blank")
    elif action not in ACTIONS:
        found.append(f"'event_action' is invalid (must be one of {', '.join(ACTIONS)})")
    found += _dedup_key(event.get("dedup_key"), required=action in ("acknowledge", "resolve"))
    if action == "trigger":
        found += _payload(event.get("payload"))
        found += _context(event.get("links"), "links", "href") + _context(
            event.get("images"), "images", "src"
        )
    return found


def _routing_key(key: Any, known: set[str]) -> list[str]:
    if not isinstance(key, str) or not key:
        return ["'routing_key' is missing or blank"]
    if len(key) != ROUTING_KEY_LENGTH:
        return [f"Routing key is the wrong length (should be {ROUTING_KEY_LENGTH} characters)"]
    return [] if key in known else ["Invalid routing key"]


def _dedup_key(key: Any, *, required: bool) -> list[str]:
    if key is None or key == "":
        return ["'dedup_key' is missing or blank"] if required else []
    if not isinstance(key, str):
        return ["'dedup_key' must be a string"]
    return (
        [f"'dedup_key' is too long (at most {DEDUP_KEY_LIMIT} characters)"]
        if len(key) > DEDUP_KEY_LIMIT
        else []
    )


def _payload(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object"]
    found = []
    for name in ("summary", "source"):
        if not isinstance(payload.get(name), str) or not payload[name].strip():
            found.append(f"'payload.{name}' is missing or blank")
    if isinstance(payload.get("summary"), str) and len(payload["summary"]) > SUMMARY_LIMIT:
        found.append(f"'payload.summary' is too long (at most {SUMMARY_LIMIT} characters)")
    if payload.get("severity") not in SEVERITIES:
        found.append(f"'payload.severity' is invalid (must be one of {', '.join(SEVERITIES)})")
    if "timestamp" in payload and not _is_timestamp(payload["timestamp"]):
        found.append("'payload.timestamp' is not a valid ISO 8601 timestamp")
    if "custom_details" in payload and not isinstance(payload["custom_details"], dict | str):
        found.append("'payload.custom_details' must be an object")
    return found


def _is_timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _context(items: Any, name: str, required: str) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list):
        return [f"'{name}' must be a list"]
    bad = [i for i, item in enumerate(items) if not isinstance(item, dict) or not item.get(required)]
    return [f"'{name}[{i}].{required}' is missing or blank" for i in bad]


def invalid_event(errors: list[str]) -> dict[str, Any]:
    """PagerDuty's answer to an event it refuses (HTTP 400)."""
    return {"status": "invalid event", "message": "Event object is invalid", "errors": errors}


def accepted(dedup_key: str) -> dict[str, Any]:
    """PagerDuty's answer to an event it accepts (HTTP 202)."""
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
