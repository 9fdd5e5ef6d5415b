"""What /healthz may show of a job's last error: one line, clipped."""

from __future__ import annotations

from bot.services.outbox_health import clip


def test_an_error_is_one_line_of_at_most_two_hundred_characters() -> None:
    long = "SlackApiError: " + "x" * 500 + "\nTraceback line"
    clipped = clip(long)
    assert clipped is not None and len(clipped) == 200 and clipped.endswith("…") and "\n" not in clipped
    assert clip("channel_not_found\n  detail") == "channel_not_found detail"
    assert clip(None) is None
