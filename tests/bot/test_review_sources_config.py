"""digests.sources: a query (or one with its title and unit) per known source name, checked at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.errors import ConfigError

pytestmark = pytest.mark.calendar_free


def settings_with(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "opsbot.yml"
    path.write_text(text)
    return load_settings({"OPSBOT_CONFIG": str(path)})


def test_a_bare_query_and_a_mapping_are_both_read(tmp_path: Path) -> None:
    assert load_settings({}).file.digests.sources == {}
    settings = settings_with(
        tmp_path,
        "digests:\n  sources:\n    churn: ' sum(increase(cancelled_total[$__range])) '\n"
        "    revenue: {promql: 'sum(r)', title: MRR, unit: USD}\n",
    )
    sources = settings.file.digests.sources
    assert (sources["churn"].promql, sources["churn"].title, sources["churn"].unit) == (
        "sum(increase(cancelled_total[$__range]))",
        "",
        "",
    )
    assert (sources["revenue"].promql, sources["revenue"].title, sources["revenue"].unit) == (
        "sum(r)",
        "MRR",
        "USD",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "    revenu: 'sum(r)'\n",
            "digests.sources: unknown source 'revenu'; known: error_logs, payment_success",
        ),
        ("    revenue: '  '\n", "digests.sources.revenue.promql: the query is blank"),
        ("    revenue: {query: 'sum(r)'}\n", "digests.sources.revenue.query: unknown key"),
        (
            f"    revenue: '{'x' * 20_001}'\n",
            "digests.sources.revenue.promql: String should have at most 20000",
        ),
        (
            "    revenue: {promql: 'sum(r)', unit: 'US dollars a day'}\n",
            "digests.sources.revenue.unit: String",
        ),
    ],
)
def test_unknown_names_and_bad_queries_are_refused_naming_the_key(
    tmp_path: Path, text: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        settings_with(tmp_path, "digests:\n  sources:\n" + text)
    assert problem in str(refused.value)
