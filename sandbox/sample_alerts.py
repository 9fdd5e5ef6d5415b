"""The Simulate panel's sample alerts, as Alertmanager's webhook (v4) sends them (the sandbox's own small
builder: the product must not depend on the tests' one)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

# The sample alerts the Simulate panel fires: (alertname, severity, job, summary).
SAMPLE_ALERTS = {
    "critical": (
        "CheckoutErrorRate",
        "critical",
        "checkout",
        "Checkout error rate is above 5% for 5 minutes",
    ),
    "warning": ("ApiLatencyHigh", "warning", "api", "p95 latency of the API is above 800 ms"),
    "info": ("DeployFinished", "info", "deploy", "Deploy of checkout v2.14.0 finished"),
}


def sample_alert(kind: str, *, resolved: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Build one of the Simulate panel's alerts as Alertmanager sends it."""
    name, severity, job, summary = SAMPLE_ALERTS[kind]
    labels = {"alertname": name, "severity": severity, "job": job, "instance": f"{job}-1"}
    fingerprint = hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]
    now = now or datetime.now(UTC)
    return {
        "status": "resolved" if resolved else "firing",
        "labels": labels,
        "annotations": {"summary": summary, "runbook_url": f"https://runbooks.example/{name}"},
        "startsAt": _stamp(now - timedelta(minutes=1)),
        "endsAt": _stamp(now) if resolved else "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus.example/graph?g0.expr={name}",
        "fingerprint": fingerprint,
    }


def alertmanager_payload(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap alerts in the webhook v4 envelope."""
    firing = any(a["status"] == "firing" for a in batch)
    return {
        "version": "4",
        "groupKey": '{}:{source="opsbot-sandbox"}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "opsbot",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": batch,
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
