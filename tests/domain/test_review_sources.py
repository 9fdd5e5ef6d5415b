"""The review checklist's Prometheus-backed items: the period's length in each query, values with their
change since the period before, several series ordered and capped, totals and what reads when nothing does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.digest_periods import DigestKind
from bot.domain.metric_reports import Sample, Series
from bot.domain.review_sources import (
    Answer,
    SourceQuery,
    change_text,
    item_finding,
    items_answered,
    labels_text,
    source_queries,
    split_points,
    with_range,
)

ERRORS = SourceQuery("error_logs", "sum(x)", "Error log lines")
AI_COST = SourceQuery("ai_api_cost", "sum(c)", "AI API cost", "USD")
AI_REQUESTS = SourceQuery("ai_api_requests", "sum(r)", "AI API requests")
HOSTING = SourceQuery("hosting_cost", "sum(h)", "Hosting cost", "USD")


def one(value: float, **labels: str) -> tuple[Sample, ...]:
    return (Sample(labels, value),)


def test_the_range_becomes_the_periods_length_in_seconds() -> None:
    query = "sum(increase(a[$__range])) / sum(increase(b[$__range]))"
    assert with_range(query, timedelta(days=7)) == "sum(increase(a[604800s])) / sum(increase(b[604800s]))"
    # October 2026 in Berlin: 31 days and the hour summer time gives back
    assert with_range("x[$__range]", timedelta(days=31, hours=1)) == "x[2682000s]"
    assert with_range("up", timedelta(days=7)) == "up"


def test_a_range_answer_splits_into_the_previous_and_the_current_periods_values() -> None:
    start, end = datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC)
    series = [
        Series({"service": "api"}, ((start, 3.0), (end, 5.0))),
        Series({"service": "new"}, ((end, 1.0),)),  # not there a week ago
        Series({"service": "gone"}, ((start, 2.0),)),  # not there now
    ]
    answer = split_points(series, start=start, end=end - timedelta(seconds=1))  # a step truncated to seconds
    assert answer.current == (Sample({"service": "api"}, 5.0), Sample({"service": "new"}, 1.0))
    assert answer.previous == (Sample({"service": "api"}, 3.0), Sample({"service": "gone"}, 2.0))


@pytest.mark.parametrize(
    ("current", "previous", "unit", "expected"),
    [
        (1234.0, 1055.0, "", "▲ 17 % vs 1,055 last week"),
        (98.5, 99.0, "%", "▼ 0.51 % vs 99 % last week"),
        (3.0, 3.0, "", "= last week"),
        (4.0, 0.0, "", "▲ vs 0 last week"),
        (4.0, None, "", "no value last week"),
        (4.0, float("nan"), "", "no value last week"),
    ],
)
def test_a_change_is_told_against_the_period_before(
    current: float, previous: float | None, unit: str, expected: str
) -> None:
    assert change_text(current, previous, unit, versus="last week") == expected


def test_one_series_reads_as_its_value_and_change() -> None:
    found = item_finding("error_logs", [(ERRORS, Answer(one(1234), one(1055)))], versus="last week")
    assert found.lines == ("*Error log lines:* 1,234 (▲ 17 % vs 1,055 last week)",)
    assert found.has_data and found.summary == "Error log lines 1,234"


def test_several_series_are_ordered_by_value_and_capped_at_ten() -> None:
    current = tuple(Sample({"service": f"s{n:02d}"}, float(n)) for n in range(13))
    previous = (Sample({"service": "s12"}, 6.0),)
    found = item_finding("error_logs", [(ERRORS, Answer(current, previous))], versus="last week")
    assert found.lines[0] == "*Error log lines* (13 series):"
    assert found.lines[1] == '• `{service="s12"}` 12 (▲ 100 % vs 6 last week)'
    assert found.lines[2] == '• `{service="s11"}` 11 (no value last week)'
    assert found.lines[10] == '• `{service="s03"}` 3 (no value last week)'
    assert found.lines[11:] == ("… and 3 more",)
    assert found.summary == "Error log lines: 13 series, most 12"


def test_a_long_label_set_is_cut() -> None:
    text = labels_text({"query": "SELECT " + "x, " * 100})
    assert len(text) == 80 and text.startswith('{query="SELECT x, x') and text.endswith("…")


def test_ai_costs_add_the_cost_per_request_and_costs_their_total() -> None:
    cost = Answer(one(50.0), one(40.0))
    requests = Answer(one(2000.0), one(2000.0))
    found = item_finding("ai_api_costs", [(AI_COST, cost), (AI_REQUESTS, requests)], versus="last week")
    assert found.lines == (
        "*AI API cost:* 50 USD (▲ 25 % vs 40 USD last week)",
        "*AI API requests:* 2,000 (= last week)",
        "*Cost per request:* 0.03 USD (▲ 25 % vs 0.02 USD last week)",
    )
    assert found.summary == "AI API cost 50 USD; AI API requests 2,000; Cost per request: 0.03 USD"
    hosting = Answer((Sample({"provider": "a"}, 300.0), Sample({"provider": "b"}, 100.0)), one(380.0))
    found = item_finding("cost_analysis", [(HOSTING, hosting), (AI_COST, cost)], versus="last month")
    assert found.lines[-1] == "*Total:* 450 USD (▲ 7 % vs 420 USD last month)"


def test_no_total_of_costs_in_different_units_nor_of_one_source() -> None:
    euro = SourceQuery("hosting_cost", "sum(h)", "Hosting cost", "EUR")
    cost = Answer(one(50.0), one(40.0))
    found = item_finding("cost_analysis", [(euro, cost), (AI_COST, cost)], versus="last week")
    assert not any("Total" in line for line in found.lines)
    found = item_finding("budget_review", [(HOSTING, cost)], versus="last month")
    assert found.lines == ("*Hosting cost:* 50 USD (▲ 25 % vs 40 USD last month)",)


def test_a_query_without_series_and_a_failing_one_say_so() -> None:
    failed = Answer(problem="Prometheus at http://p did not answer within 10 s.")
    found = item_finding("cost_analysis", [(HOSTING, Answer()), (AI_COST, failed)], versus="last week")
    assert found.lines == (
        "_Hosting cost: the query returned no series (`digests.sources.hosting_cost`)._",
        "_⚠️ AI API cost: Prometheus at http://p did not answer within 10 s._",
    )
    assert not found.has_data and found.summary == "Prometheus at http://p did not answer within 10 s."
    both = item_finding("ai_api_costs", [(AI_COST, failed), (AI_REQUESTS, failed)], versus="last week")
    assert both.lines == (
        "_⚠️ AI API cost, AI API requests: Prometheus at http://p did not answer within 10 s._",
    )


def test_postgres_defaults_without_series_say_how_to_add_postgres_exporter() -> None:
    queries = source_queries({}, with_defaults=True)
    database = (queries["database_connections"], queries["database_cache_hit_ratio"])
    found = item_finding("database_performance", [(q, Answer()) for q in database], versus="last month")
    assert found.lines[0].startswith("_No postgres_exporter series in Prometheus — run postgres_exporter")
    assert not found.has_data
    slow = item_finding("query_optimization", [(queries["slow_statements"], Answer())], versus="last month")
    assert "`--collector.stat_statements`" in slow.lines[0]
    # one default answering: the other says its query found nothing, and which key replaces it
    found = item_finding(
        "database_performance",
        [(database[0], Answer(one(12.0), one(10.0))), (database[1], Answer())],
        versus="last month",
    )
    assert found.lines == (
        "*Connections (average):* 12 (▲ 20 % vs 10 last month)",
        "_Cache hit ratio: the query returned no series (the default query; "
        "`digests.sources.database_cache_hit_ratio` replaces it)._",
    )


def test_configured_queries_override_the_defaults_and_pick_their_items() -> None:
    assert source_queries({}, with_defaults=False) == {}
    queries = source_queries(
        {"database_connections": ("sum(my_conns)", "", ""), "revenue": ("sum(r)", "MRR", "EUR")},
        with_defaults=True,
    )
    assert queries["database_connections"] == SourceQuery(
        "database_connections", "sum(my_conns)", "Connections (average)"
    )
    assert queries["revenue"] == SourceQuery("revenue", "sum(r)", "MRR", "EUR")
    assert queries["slow_statements"].default and queries["slow_statements"].unit == "s"
    monthly = items_answered(DigestKind.MONTHLY, queries)
    assert list(monthly) == ["database_performance", "query_optimization", "revenue"]
    assert items_answered(DigestKind.WEEKLY, queries) == {}
    weekly = items_answered(
        DigestKind.WEEKLY, source_queries({"ai_api_cost": ("c", "", "")}, with_defaults=False)
    )
    assert [(item, [q.name for q in found]) for item, found in weekly.items()] == [
        ("ai_api_costs", ["ai_api_cost"]),
        ("cost_analysis", ["ai_api_cost"]),
    ]
