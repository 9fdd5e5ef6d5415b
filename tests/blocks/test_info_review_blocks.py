"""The daily info review's message: totals with their trend, one line per alert name, Slack's limits kept,
alert names escaped; and its terminal text."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.blocks.info_review import render_review, render_text, review_marker
from bot.domain.info_review import InfoReview, NameCounts, ReviewWindow, summarize
from sandbox.blockkit import validate_blocks
from sandbox.waits import message_text

BERLIN = "Europe/Berlin"
# Fixed instants (rendering reads no clock): 16 Nov 09:30 to 17 Nov 09:30 in Berlin.
WINDOW = ReviewWindow(
    start=datetime(2026, 11, 16, 8, 30, tzinfo=UTC),
    end=datetime(2026, 11, 17, 8, 30, tzinfo=UTC),
    previous_start=datetime(2026, 11, 15, 8, 30, tzinfo=UTC),
)


def review(*rows: NameCounts) -> InfoReview:
    return summarize(rows, team="ops", zone=BERLIN, window=WINDOW)


def test_the_review_tells_each_name_with_counts_and_its_trend() -> None:
    rendered = render_review(
        review(
            NameCounts("DauTrendDown", fired=3, resolved=2, firing=1, fired_before=1),
            NameCounts("SignupsLow", fired=1, resolved=1),
            NameCounts("SlowQueries", fired=2, resolved=2, fired_before=2),
            NameCounts("FailedPayments", fired=1, fired_before=4),
            NameCounts("PerfDegraded", firing=1),
            NameCounts("OldNews", fired_before=2),
        ),
        marker=review_marker("info:ops:2026-11-17T09:30:00", 1),
    )
    assert validate_blocks(rendered["blocks"]) == []
    assert rendered["blocks"][0]["block_id"] == "info-review-1-info:ops:2026-11-17T09:30:00"
    text = message_text(rendered)
    assert "Info review · ops · 17 Nov 2026 09:30" in text
    assert "Since the last review: 16 Nov 09:30 – 17 Nov 09:30 (Europe/Berlin)" in text
    assert "*Fired* 7 (▼ 22 % vs 9 the review before) · *resolved* 5 · *still firing* 2" in text
    assert "• *DauTrendDown* — fired 3 (▲ from 1) · resolved 2 · 1 still firing" in text
    assert "• *SlowQueries* — fired 2 (= as before) · resolved 2" in text
    assert "• *SignupsLow* — fired 1 (new) · resolved 1" in text
    assert "• *FailedPayments* — fired 1 (▼ from 4)" in text
    assert "• *PerfDegraded* — still firing 1" in text
    assert "Quiet since the review before: *OldNews* (2)" in text
    assert rendered["text"].startswith("Info review · ops · 17 Nov 2026 09:30: Fired 7")


def test_a_quiet_day_says_so() -> None:
    rendered = render_review(review())
    assert validate_blocks(rendered["blocks"]) == []
    assert "No info alerts fired, resolved or kept firing since the last review." in message_text(rendered)


def test_alert_names_are_outside_text_and_form_no_mention_or_link() -> None:
    rendered = render_review(review(NameCounts("<!channel> <https://evil.example|click>", fired=1)))
    text = message_text(rendered)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<https://evil.example" not in text


def test_hundreds_of_names_stay_one_valid_message_that_counts_the_rest() -> None:
    rows = [NameCounts(f"InfoAlert{i:04d}" + "x" * 120, fired=1 + i % 3) for i in range(800)]
    rows += [NameCounts(f"Quiet{i}", fired_before=1) for i in range(300)]
    rendered = render_review(review(*rows))
    assert validate_blocks(rendered["blocks"]) == []
    assert "more alert names" in message_text(rendered)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.builds(
            NameCounts,
            st.text(min_size=1, max_size=300),
            st.integers(0, 10**6),
            st.integers(0, 10**6),
            st.integers(0, 10**6),
            st.integers(0, 10**6),
        ),
        max_size=80,
    )
)
def test_any_names_and_counts_render_within_slacks_limits(rows: list[NameCounts]) -> None:
    assert validate_blocks(render_review(review(*rows), marker=review_marker("k" * 300, 2))["blocks"]) == []


def test_the_terminal_text_drops_mrkdwn_and_shows_names_as_written() -> None:
    out = render_text(review(NameCounts("A&B <x>", fired=2, fired_before=1)))
    lines = out.splitlines()
    assert lines[0] == "Info review · ops · 17 Nov 2026 09:30" and set(lines[1]) == {"="}
    assert "Fired 2 (▲ 100 % vs 1 the review before) · resolved 0 · still firing 0" in out
    assert "• A&B <x> — fired 2 (▲ from 1)" in out
