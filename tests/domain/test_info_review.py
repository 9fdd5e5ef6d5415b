"""The daily info review's rules: which groups wait for it, its window since the last one (DST days
included), its claim key, and counts by alert name with their trends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.info_review import (
    NameCounts,
    ReviewWindow,
    Trend,
    claim_key,
    review_window,
    same_time_day_before,
    summarize,
    told_in_review,
    trend_of,
    wall_time,
)

# Fixed instants only: nothing here reads the clock, so the faketime run skips it.
pytestmark = pytest.mark.calendar_free

BERLIN = "Europe/Berlin"


def berlin(month: int, day: int, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(BERLIN), fold=fold).astimezone(UTC)


@pytest.mark.parametrize(
    ("severity", "has_message", "reviews_on", "told"),
    [
        ("info", False, True, True),  # waits for the review
        ("info", True, True, False),  # has a message already: kept up to date
        ("info", False, False, False),  # per_alert, or no digests to review it: a message each
        ("warning", False, True, False),  # raised to warning: its own message now
        ("critical", False, True, False),
    ],
)
def test_only_info_groups_without_a_message_wait_for_the_review(
    severity: str, has_message: bool, reviews_on: bool, told: bool
) -> None:
    assert told_in_review(severity=severity, has_message=has_message, reviews_on=reviews_on) is told


def test_a_review_covers_the_time_since_the_previous_reviews_stored_end() -> None:
    previous = ReviewWindow(berlin(11, 15, 9, 30), berlin(11, 16, 11, 2), berlin(11, 14, 9, 30))
    window = review_window(end=berlin(11, 17, 9, 30), zone=BERLIN, previous=previous)
    assert window.start == berlin(11, 16, 11, 2)  # the last one ran late (or by hand): not "24 h ago"
    assert window.end == berlin(11, 17, 9, 30)
    assert (window.previous_start, window.previous_end) == (berlin(11, 15, 9, 30), berlin(11, 16, 11, 2))


def test_after_downtime_a_review_covers_every_day_since_the_last_one() -> None:
    previous = ReviewWindow(berlin(11, 12, 9, 30), berlin(11, 13, 9, 30), berlin(11, 11, 9, 30))
    window = review_window(end=berlin(11, 17, 9, 30), zone=BERLIN, previous=previous)
    assert window.end - window.start == timedelta(days=4)


def test_a_teams_first_review_covers_the_day_before_and_compares_with_the_day_before_that() -> None:
    window = review_window(end=berlin(11, 17, 9, 30), zone=BERLIN, previous=None)
    assert (window.start, window.previous_start) == (berlin(11, 16, 9, 30), berlin(11, 15, 9, 30))


def test_on_dst_days_the_window_is_a_local_day_of_23_or_25_hours() -> None:
    spring = review_window(end=berlin(3, 29, 9, 30), zone=BERLIN, previous=None)
    assert spring.start == berlin(3, 28, 9, 30) and spring.end - spring.start == timedelta(hours=23)
    autumn = review_window(end=berlin(10, 25, 9, 30), zone=BERLIN, previous=None)
    assert autumn.end - autumn.start == timedelta(hours=25)
    assert same_time_day_before(berlin(3, 30, 9, 30), BERLIN) == berlin(3, 29, 9, 30)


def test_the_claim_key_is_the_local_wall_time_so_both_passes_of_a_dst_fold_claim_once() -> None:
    first, second = berlin(10, 25, 2, 30, fold=0), berlin(10, 25, 2, 30, fold=1)
    assert second - first == timedelta(hours=1)
    assert (
        claim_key("ops", first, BERLIN) == claim_key("ops", second, BERLIN) == "info:ops:2026-10-25T02:30:00"
    )
    assert wall_time(berlin(11, 16, 9, 30), BERLIN) == "2026-11-16T09:30:00"
    assert claim_key("ops", berlin(11, 16, 9, 30), "UTC") == "info:ops:2026-11-16T08:30:00"


@pytest.mark.parametrize(
    ("current", "previous", "trend"),
    [
        (3, 0, Trend.NEW),
        (3, 1, Trend.UP),
        (2, 2, Trend.SAME),
        (1, 4, Trend.DOWN),
        (0, 2, Trend.QUIET),
        (0, 0, None),
    ],
)
def test_trends_against_the_window_before(current: int, previous: int, trend: Trend | None) -> None:
    assert trend_of(current, previous) is trend


def test_the_summary_merges_names_orders_the_busiest_first_and_sets_quiet_names_apart() -> None:
    window = review_window(end=berlin(11, 17, 9, 30), zone=BERLIN, previous=None)
    rows = [
        NameCounts("SignupsLow", fired=1, resolved=1),
        NameCounts("DauTrendDown", fired=3, resolved=2, firing=1, fired_before=1),
        NameCounts("SignupsLow", fired=2, firing=1, fired_before=3),  # the same name from another source
        NameCounts("SlowQueries", firing=2, fired_before=0),  # fired before the window, still firing
        NameCounts("PaymentsFailed", fired_before=4),
        NameCounts("Nothing"),
    ]
    review = summarize(rows, team="ops", zone=BERLIN, window=window)
    assert [n.alertname for n in review.names] == ["DauTrendDown", "SignupsLow", "SlowQueries"]
    assert review.names[1] == NameCounts("SignupsLow", fired=3, resolved=1, firing=1, fired_before=3)
    assert review.names[1].trend is Trend.SAME and review.names[0].trend is Trend.UP
    assert [n.alertname for n in review.quiet] == ["PaymentsFailed"]
    assert (review.fired.current, review.fired.previous) == (6, 8)
    assert (review.resolved, review.firing) == (3, 4)
    assert not review.empty
    assert summarize([NameCounts("Nothing")], team="ops", zone=BERLIN, window=window).empty
