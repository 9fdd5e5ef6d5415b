"""Every slash-command parser, fed anything, returns a value or a ValueError with a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.alerts import parse_matcher
from bot.domain.commands import parse_command_text
from bot.domain.durations import parse_duration
from bot.domain.incident_commands import parse_incident_command
from bot.domain.kpis import parse_query_text, parse_range
from bot.domain.tickets import parse_ticket_command

WORDS = [
    "declare",
    "sev1",
    "sev9",
    "update",
    "#3",
    "12",
    "new",
    "impact=high",
    "effort=9",
    "area=db",
    "list",
    "mine",
    "assign",
    "<@U0ALICE|alice>",
    "<@>",
    "done",
    "drop",
    "query",
    "rate(x[5m])",
    "7d",
    "0h",
    "-1",
    '"',
    "'",
    "\\",
    "=",
    "==",
    "📈",
    "\x00",
    "a" * 300,
]
text = st.one_of(st.text(max_size=400), st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join))


def must_explain(parse: Callable[[], Any]) -> None:
    try:
        parse()
    except ValueError as error:
        assert str(error).strip(), "a ValueError must say what is wrong"


@settings(max_examples=400, deadline=None)
@given(raw=text, in_incident=st.booleans())
def test_incident_and_ticket_parsers(raw: str, in_incident: bool) -> None:
    parsed = parse_command_text(raw)
    must_explain(
        lambda: parse_incident_command(parsed.subcommand, parsed.args, parsed.rest, in_incident=in_incident)
    )
    must_explain(lambda: parse_ticket_command(parsed.subcommand, parsed.args, user_id="U0ALICE"))


@settings(max_examples=300, deadline=None)
@given(raw=text)
def test_metrics_and_duration_parsers(raw: str) -> None:
    must_explain(lambda: parse_query_text(raw))
    must_explain(lambda: parse_range(raw))
    must_explain(lambda: parse_duration(raw))
    must_explain(lambda: parse_matcher(raw))


@pytest.mark.parametrize("raw", ["", "   ", "help", "\x00", "💥" * 2000])
def test_command_text_always_splits(raw: str) -> None:
    parsed = parse_command_text(raw)
    assert parsed.subcommand == parsed.subcommand.lower()
