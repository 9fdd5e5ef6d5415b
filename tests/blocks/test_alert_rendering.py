"""Whatever an alert says, its message stays within Block Kit limits (checked by the sandbox's validator)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.alerts import AlertLine, GroupView, render_details, render_group, thread_reply
from sandbox.blockkit import validate_blocks
from sandbox.waits import message_text

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
text = st.text(min_size=0, max_size=5000)
labels = st.dictionaries(
    st.sampled_from(["service", "job", "instance", "team", "env", "x" * 300]), text, max_size=6
)


def view(
    *,
    alertname: str,
    annotations: dict[str, str],
    shown: dict[str, str],
    status: str = "firing",
    severity_label: str | None = "critical",
) -> GroupView:
    line = AlertLine(shown, annotations, status, NOW - timedelta(minutes=3), "http://prometheus/graph")
    return GroupView(
        group_id=7,
        alertname=alertname,
        severity="critical",
        severity_label=severity_label,
        status=status,
        firing_count=3,
        alert_count=4,
        first_fired_at=NOW - timedelta(minutes=3),
        resolved_at=NOW if status == "resolved" else None,
        resolved_by="U0ALICE" if status == "resolved" else None,
        acked_by="U0BOB",
        acked_at=NOW - timedelta(minutes=1),
        snoozed_until=NOW + timedelta(hours=1),
        silence_url="http://alertmanager/#/silences/x",
        noise_by=None,
        flapping=True,
        alerts=[line],
        snooze_choices=("1h", "4h", "24h"),
        now=NOW,
    )


@settings(max_examples=150, deadline=None)
@given(
    alertname=text,
    summary=text,
    description=text,
    shown=labels,
    status=st.sampled_from(["firing", "resolved"]),
    severity_label=st.one_of(st.none(), text),
)
def test_any_alert_renders_within_block_kit_limits(
    alertname: str,
    summary: str,
    description: str,
    shown: dict[str, str],
    status: str,
    severity_label: str | None,
) -> None:
    annotations = {"summary": summary, "description": description, "runbook_url": "https://runbooks/x"}
    rendered = render_group(
        view(
            alertname=alertname,
            annotations=annotations,
            shown=shown,
            status=status,
            severity_label=severity_label,
        )
    )
    assert validate_blocks(rendered["blocks"]) == []
    assert len(rendered["text"]) <= 3000


@settings(max_examples=50, deadline=None)
@given(alertname=text, shown=labels)
def test_details_render_within_limits(alertname: str, shown: dict[str, str]) -> None:
    lines = [AlertLine(shown, {}, "firing", NOW, None)] * 20
    assert validate_blocks(render_details(alertname, lines, total=5000)["blocks"]) == []


def test_the_validator_does_catch_a_broken_message() -> None:
    assert validate_blocks([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}])


def test_thread_replies_never_mention_anyone() -> None:
    reply = thread_reply(
        [("resolved_by_hand", {"who": "alice", "after": " after 3 min"}), ("acked", {"who": "bob"})],
        joined=2,
        firing=5,
    )
    assert reply == (
        "+2 new alerts joined (5 firing) · :white_check_mark: Resolved by hand by alice after 3 min"
        " · :eyes: Acknowledged by bob"
    )
    assert "<@" not in (reply or "")
    assert thread_reply([], joined=0, firing=1) is None


@pytest.mark.parametrize(
    ("label", "severity", "note"),
    [
        ("critical", "critical", None),
        ("CRITICAL", "critical", None),
        (" Critical ", "critical", None),
        ("page", "warning", "Severity label `page` is not critical, warning or info: treated as warning."),
        (None, "warning", "No `severity` label: treated as warning."),
    ],
)
def test_the_severity_note_appears_only_when_the_label_was_not_understood(
    label: str | None, severity: str, note: str | None
) -> None:
    shown = dataclasses.replace(
        view(alertname="DiskFull", annotations={}, shown={}, severity_label=label), severity=severity
    )
    text = message_text(render_group(shown))
    notes = [line for line in text.splitlines() if "treated as warning" in line]
    assert notes == ([note] if note else [])


def test_acting_in_pagerduty_is_told_by_name_escaped() -> None:
    acked = dataclasses.replace(
        view(alertname="ApiDown", annotations={}, shown={}), acked_by="pagerduty:Pat <!channel>"
    )
    text = message_text(render_group(acked))
    assert "Acknowledged in PagerDuty by Pat &lt;!channel&gt; after 2 min" in text
    assert "Acknowledge" not in text.replace("Acknowledged", "")  # no button left to acknowledge with
    resolved = dataclasses.replace(acked, status="resolved", resolved_at=NOW, resolved_by="pagerduty:Pat")
    assert "Resolved in PagerDuty by Pat after 3 min" in message_text(render_group(resolved))
    by_hand = dataclasses.replace(resolved, resolved_by="U0ALICE")
    assert "Resolved by hand by <@U0ALICE> after 3 min" in message_text(render_group(by_hand))


def test_thread_replies_say_where_it_was_acknowledged_or_resolved() -> None:
    outside = {"who": "Pat <!here>", "via": "pagerduty", "after": " after 3 min"}
    reply = thread_reply([("acked", outside), ("resolved_by_hand", outside)], joined=0, firing=0)
    assert reply == (
        ":eyes: Acknowledged in PagerDuty by Pat &lt;!here&gt; after 3 min"
        " · :white_check_mark: Resolved in PagerDuty by Pat &lt;!here&gt; after 3 min"
    )
    assert thread_reply([("acked", {"who": "bob", "via": "fax"})], joined=0, firing=0) == (
        ":eyes: Acknowledged by bob"
    )
