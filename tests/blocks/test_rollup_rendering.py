"""The storm roll-up's message: every group on a line, Slack's limits kept, outside text escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.alert_rollup import OverflowView, RollupLine, RollupView, render_overflow, render_rollup
from sandbox.blockkit import validate_blocks
from sandbox.waits import message_text

OPENED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a fixed instant: rendering reads no clock


def line(
    name: str, *, labels: str = "job=api", status: str = "firing", severity: str = "warning"
) -> RollupLine:
    return RollupLine(
        name, labels, severity, status, firing_count=0 if status == "resolved" else 3, alert_count=3
    )


def view(groups: list[RollupLine], *, total: int | None = None) -> RollupView:
    firing = sum(g.status == "firing" for g in groups)
    return RollupView(1, groups, total if total is not None else len(groups), firing, 10, OPENED)


def test_each_group_is_a_line_with_its_severity_and_firing_count() -> None:
    rendered = render_rollup(view([line("DiskFull"), line("CpuHigh", status="resolved")]))
    text = message_text(rendered)
    assert "Alert storm · 2 alert groups, 1 firing" in text
    assert "*DiskFull* `job=api` · warning · 3 of 3 firing" in text
    assert "~CpuHigh~ `job=api` · resolved" in text
    assert "No buttons here" in text and "Critical alerts never join a roll-up" in text
    assert rendered["blocks"][0]["block_id"] == "alert-rollup-1"


def test_a_storm_of_thousands_stays_one_valid_message_and_counts_the_rest() -> None:
    groups = [line(f"Name{i}-" + "x" * 140, labels="job=" + "y" * 140) for i in range(5000)]
    rendered = render_rollup(view(groups, total=5000))
    assert validate_blocks(rendered["blocks"]) == []
    shown = message_text(rendered).count("of 3 firing")
    assert 0 < shown <= 100
    assert f"… and {5000 - shown} more" in message_text(rendered)


def test_all_resolved_says_so() -> None:
    rendered = render_rollup(view([line("A", status="resolved")]))
    assert rendered["text"] == "Alert storm: 1 alert group, all resolved"


@settings(max_examples=50, deadline=None)
@given(names=st.lists(st.text(max_size=400), min_size=1, max_size=120), labels=st.text(max_size=400))
def test_any_names_render_escaped_within_limits(names: list[str], labels: str) -> None:
    rendered = render_rollup(view([line(n, labels=labels) for n in names]))
    assert validate_blocks(rendered["blocks"]) == []
    assert len(rendered["text"]) <= 3000
    for block in rendered["blocks"][2:-1]:
        texts = (
            [block["text"]["text"]] if block["type"] == "section" else [e["text"] for e in block["elements"]]
        )
        assert all("<" not in t and "<!" not in t for t in texts)  # no @channel, no links from alert text


def test_an_overflow_counts_held_alerts_by_name_and_says_why() -> None:
    held = {"Flood": 9_000, "<!channel> Other": 900}
    rendered = render_overflow(OverflowView(7, "alertmanager", held, 100, OPENED))
    text = message_text(rendered)
    assert "Alert overflow · 9,900 alerts from alertmanager held back" in text
    assert "more new alert groups within a minute than its cap of 100" in text
    assert "*Flood* × 9,000" in text and "*&lt;!channel&gt; Other* × 900" in text
    assert "<!channel>" not in text
    assert rendered["blocks"][0]["block_id"] == "alert-rollup-7"
    assert validate_blocks(rendered["blocks"]) == []


def test_an_overflow_of_thousands_of_names_stays_one_valid_message() -> None:
    held = {f"Name{i:05d}" * 8: 1 for i in range(5_000)}
    rendered = render_overflow(OverflowView(1, "alertmanager", held, 100, OPENED))
    assert validate_blocks(rendered["blocks"]) == []
    assert "more alertnames" in message_text(rendered)
