"""`teams:` in the configuration: what each team inherits, the older digests.teams, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import ConfigError

TWO_TEAMS = """
team: {timezone: Europe/Berlin}
oncall: {members: [U0DAVE]}
kpis:
  - {name: uptime, title: Uptime, promql: up, target: 99.9, comparison: ">"}
  - {name: error_rate, title: Errors, promql: errors, target: 1}
teams:
  - name: payments
    match: ["team=payments"]
    channels: {critical: payments-critical, review: payments-review}
    oncall: {members: [U0ALICE, U0BOB]}
    escalation: [{after_minutes: 2}]
    permissions: {alerts: {acknowledge: [U0ALICE]}}
    kpis: [uptime, {name: payment_success, title: Payments, promql: pay, target: 95, comparison: ">"}]
    digests: {weekly: {day_of_week: tue, hour: 8}, info_review_at: "08:15"}
  - name: search
    timezone: America/New_York
    match: ["team=search"]
"""


def settings_from(tmp_path: Path, text: str) -> object:
    path = tmp_path / "opsbot.yml"
    path.write_text(text)
    return load_settings({"OPSBOT_CONFIG": str(path)})


def test_without_teams_the_top_level_is_the_one_default_team() -> None:
    settings = load_settings({})
    [only] = settings.teams
    assert only.is_default and only.handle == "ops" and settings.default_team is only
    assert only.channels == settings.file.channels and only.oncall == settings.file.oncall
    assert only.escalation == settings.file.alerts.escalation and only.kpis == settings.file.kpis
    assert settings.team(None) is only and settings.team("nobody") is None
    assert settings.team_of("gone") is only


def test_a_team_takes_what_it_leaves_out_from_the_top_level(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, TWO_TEAMS)
    default, payments, search = settings.teams  # type: ignore[attr-defined]
    assert [t.handle for t in (default, payments, search)] == ["ops", "payments", "search"]
    assert payments.channels.critical == "payments-critical" and payments.channels.warning == "ops-alerts"
    assert payments.channels.review == "payments-review" and payments.channels.incidents == "incidents"
    assert payments.oncall.members == ("U0ALICE", "U0BOB") and search.oncall.members == ("U0DAVE",)
    assert [s.after_minutes for s in payments.escalation] == [2] and search.escalation == default.escalation
    assert payments.alert_permissions.acknowledge == ("U0ALICE",)
    assert search.alert_permissions.acknowledge == ()
    assert [k.name for k in payments.kpis] == ["uptime", "payment_success"]
    assert [k.name for k in search.kpis] == ["uptime", "error_rate"]
    assert payments.digest_schedule("weekly") == {"day_of_week": "tue", "hour": 8}
    assert search.digest_schedule("weekly") == default.digest_schedule("weekly")
    assert payments.info_review_at == "08:15" and search.info_review_at is None
    assert payments.timezone == "Europe/Berlin" and search.timezone == "America/New_York"
    assert payments.title == "Payments"


def test_the_older_digest_teams_still_make_teams(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        "digests:\n  teams:\n    - {name: core, channel: core-review}\n"
        "    - {name: payments, channel: pay-review, match: ['team=payments'], info_channel: pay-info}\n",
    )
    core, payments = settings.teams  # type: ignore[attr-defined]
    assert core.is_default and core.handle == "core" and core.channels.review == "core-review"
    assert payments.channels.review == "pay-review" and payments.channels.info == "pay-info"
    assert payments.channels.critical == "critical-alerts" and payments.match == ("team=payments",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "teams:\n  - {name: ops}\n",
            "team names must be unique (the default team is 'ops', team.handle); repeated: ops",
        ),
        ("teams:\n  - {name: Payments}\n", "teams.0.name: String should match pattern"),
        ("teams:\n  - {name: pay, match: ['team']}\n", "teams.0.match: 'team' is not a label matcher"),
        ("teams:\n  - {name: pay, kpis: [nope]}\n", "teams.pay.kpis: no KPI named 'nope'"),
        ("teams:\n  - {name: pay, channels: {critical: 'Bad Name'}}\n", "is not a Slack channel name"),
        ("teams:\n  - {name: pay, timezone: Mars/Base}\n", "unknown time zone 'Mars/Base'"),
        (
            "teams:\n  - {name: pay}\ndigests:\n  teams:\n    - {name: ops}\n",
            "digests.teams and teams cannot both be set",
        ),
    ],
)
def test_bad_teams_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from(tmp_path, text)
    assert message in str(raised.value)


def test_a_team_s_reviews_read_its_own_channels_and_items_else_the_top_level_s(tmp_path: Path) -> None:
    settings = settings_from(
        tmp_path,
        """
digests: {feedback_channel: feedback, support_channel: "#support", weekly_items: [Check the handbook]}
teams:
  - name: payments
    match: ["team=payments"]
    digests: {feedback_channel: payments-feedback, weekly_items: [], monthly_items: [Review PSP fees]}
  - name: search
    match: ["team=search"]
""",
    )
    default, payments, search = settings.teams  # type: ignore[attr-defined]
    assert (default.review.feedback_channel, default.review.support_channel) == ("feedback", "support")
    assert (
        default.review.own_items("weekly") == ("Check the handbook",) and default.review.monthly_items == ()
    )
    assert (payments.review.feedback_channel, payments.review.support_channel) == (
        "payments-feedback",
        "support",
    )
    assert payments.review.own_items("weekly") == () and payments.review.own_items("monthly") == (
        "Review PSP fees",
    )
    assert search.review == default.review
