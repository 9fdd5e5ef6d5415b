"""Build Alertmanager webhook v4 payloads the way Alertmanager sends them, and post them to opsbot."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import aiohttp


def alert(
    name: str,
    *,
    severity: str | None = "critical",
    status: str = "firing",
    summary: str | None = None,
    value: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    **labels: str,
) -> dict[str, Any]:
    """One alert as Alertmanager sends it; it starts now (so escalation delays run from the send) and a
    resolved one ends now, unless told otherwise."""
    all_labels = {"alertname": name, **labels}
    if severity is not None:
        all_labels["severity"] = severity
    fingerprint = hashlib.sha256(repr(sorted(all_labels.items())).encode()).hexdigest()[:16]
    now = datetime.now(UTC)
    return {
        "status": status,
        "labels": all_labels,
        "annotations": {
            "summary": summary or f"{name} is {status}",
            "runbook_url": "https://runbooks.example/x",
            **({"value": value} if value is not None else {}),
        },
        "startsAt": timestamp(starts_at or now),
        "endsAt": timestamp(ends_at or now) if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def timestamp(moment: datetime) -> str:
    """An instant the way Alertmanager writes it (RFC 3339, UTC, `Z`)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def resolved(firing: dict[str, Any]) -> dict[str, Any]:
    """The same alert resolved now, as Alertmanager sends it after the alert clears."""
    return {**firing, "status": "resolved", "endsAt": timestamp(datetime.now(UTC))}


def payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": '{}:{alertname="x"}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "opsbot",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": list(alerts),
    }


async def send(url: str, *alerts: dict[str, Any], token: str | None = None) -> tuple[int, dict[str, Any]]:
    """POST alerts to opsbot's webhook; return (status, JSON body)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/alerts/alertmanager", json=payload(*alerts), headers=headers) as response,
    ):
        return response.status, await response.json()


async def send_with_failover(urls: list[str], first: int, *alerts: dict[str, Any]) -> None:
    """Send like Alertmanager behind a load balancer: to replica `first`, on a dead one to the next."""
    for attempt in range(len(urls)):
        try:
            status, _ = await send(urls[(first + attempt) % len(urls)], *alerts)
            if status == 200:
                return
        except aiohttp.ClientError:
            continue
    raise AssertionError(f"no replica accepted {[a['labels']['alertname'] for a in alerts]}")
