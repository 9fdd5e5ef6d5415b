"""The review checklists: every playbook item in its list, own items after them, findings merged."""

from __future__ import annotations

from bot.domain.digest_periods import DigestKind
from bot.domain.review_checklist import (
    MONTHLY_ITEMS,
    WEEKLY_ITEMS,
    Finding,
    checklist,
    combined,
    completed,
    own_item_key,
)


def test_the_lists_hold_every_item_of_the_playbook_once() -> None:
    weekly = [spec.title for spec in WEEKLY_ITEMS]
    assert weekly[:5] == [
        "Error logs from the past week",
        "Performance degradation incidents",
        "User feedback / complaints",
        "Payment success rates",
        "AI API costs",
    ]
    assert {"System performance", "Cost analysis", "Security updates", "Support metrics"} <= set(weekly)
    assert weekly[-3:] == [
        "Identify the top 3 issues",
        "Create optimization tickets",
        "Update monitoring thresholds if needed",
    ]
    monthly = {spec.group: [] for spec in MONTHLY_ITEMS}
    for spec in MONTHLY_ITEMS:
        monthly[spec.group].append(spec.title)
    assert [len(titles) for titles in monthly.values()] == [4, 4, 3]
    assert [spec.owner for spec in MONTHLY_ITEMS].count(True) == 3  # the planning items take an owner
    for specs in (WEEKLY_ITEMS, MONTHLY_ITEMS):
        assert len({spec.key for spec in specs}) == len(specs)


def test_own_items_follow_the_playbook_with_stable_keys() -> None:
    specs = checklist(DigestKind.WEEKLY, ["Check the on-call handbook", "Review *SLOs*"])
    assert specs[: len(WEEKLY_ITEMS)] == WEEKLY_ITEMS
    assert [s.key for s in specs[len(WEEKLY_ITEMS) :]] == [
        "own-check-the-on-call-handbook",
        "own-review-slos",
    ]
    assert own_item_key("!!!") == "own-item"


def test_an_item_no_source_answers_says_how_to_add_one() -> None:
    found = completed({}, WEEKLY_ITEMS)
    assert set(found) == {spec.key for spec in WEEKLY_ITEMS}
    assert not found["error_logs"].has_data
    assert "No source configured — add `digests.sources.error_logs`" in found["error_logs"].lines[0]


def test_two_sources_answering_one_item_are_joined_data_first() -> None:
    feed = Finding(("No source configured.",), has_data=False, summary="no feed")
    outdated = Finding(("3 packages behind",), summary="3 behind")
    found = combined([{"security_updates": feed}, {"security_updates": outdated, "x": outdated}])
    assert found["security_updates"] == Finding(
        ("3 packages behind", "No source configured."), has_data=True, summary="3 behind; no feed"
    )
    assert found["x"] is outdated
