"""Which incidents were performance degradations: words in their title or their alert's name and labels."""

from __future__ import annotations

import pytest

from bot.domain.degradations import DEGRADATION_WORDS, is_degradation, words_of


@pytest.mark.parametrize(
    "texts",
    [
        ["Checkout is slow"],
        ["Search slowness since the deploy"],
        ["Payments down", "HighLatencyP99"],
        ["Payments down", "ApiErrorRateHigh"],
        ["Payments down", "api_p95_seconds"],
        ["Gateway timeouts on EU"],
        ["Degraded performance in reporting"],
        ["DB CPU saturation"],
    ],
)
def test_incidents_naming_a_degradation_word_are_degradations(texts: list[str]) -> None:
    assert is_degradation(texts)


@pytest.mark.parametrize(
    "texts",
    [
        ["Payments down"],
        ["Database unreachable", "PostgresDown", "critical", "db-1"],
        ["Islow-pay outage"],  # a word only matches at a word's start
        ["Allowed list wrong"],
        [],
    ],
)
def test_other_incidents_are_not(texts: list[str]) -> None:
    assert not is_degradation(texts)


def test_the_words_are_configurable() -> None:
    assert is_degradation(["Queue backlog growing"], ["backlog"])
    assert not is_degradation(["Checkout is slow"], ["backlog"])
    assert not is_degradation(["Checkout is slow"], [])


def test_words_are_read_across_camel_and_snake_case() -> None:
    assert words_of("HTTPErrorRate_p99-API") == "http error rate p99 api"
    assert "error rate" in DEGRADATION_WORDS
