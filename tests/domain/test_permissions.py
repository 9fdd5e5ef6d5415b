"""The pure permission rules: lists, holders, what a re-grade needs, the override cap, a click's place."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.permissions import (
    Verdict,
    from_its_place,
    judge,
    needed,
    override_problem,
    regrade_right,
)


def test_an_empty_list_without_holders_lets_everyone() -> None:
    assert judge("U0ANY", ()) == Verdict(True)


def test_an_empty_list_with_holders_lets_only_them() -> None:
    assert judge("U0OWNER", (), holders={"U0OWNER"}) == Verdict(True)
    assert judge("U0OTHER", (), holders={"U0OWNER"}) == Verdict(False)
    assert judge("U0OTHER", (), holders=set()) == Verdict(False)  # holders, just none now


def test_a_listed_user_or_a_holder_is_allowed_and_groups_are_left_to_look_up() -> None:
    assert judge("U0A", ("U0A", "S0SRE")) == Verdict(True)
    assert judge("U0B", ("U0A",), holders={"U0B"}) == Verdict(True)
    assert judge("U0B", ("U0A", "S0SRE", "S0OPS")) == Verdict(False, groups=("S0SRE", "S0OPS"))


def test_a_refusal_names_the_holders_and_the_list() -> None:
    assert needed(("U0A", "S0SRE"), holders_named="its owner") == "its owner, <@U0A>, <!subteam^S0SRE>"
    assert needed(()) == "nobody"


@pytest.mark.parametrize(
    ("old", "new", "right"),
    [
        (3, 1, 1),  # raising needs the new level's right (as before)
        (2, 1, 1),
        (4, 2, 2),
        (1, 4, 1),  # lowering needs the old level's right
        (1, 2, 1),
        (2, 3, 2),
        (3, 4, 3),  # SEV3 has no declare list: anyone
    ],
)
def test_a_regrade_needs_the_higher_levels_right(old: int, new: int, right: int) -> None:
    assert regrade_right(old, new) == right


def test_an_override_longer_than_the_maximum_names_it() -> None:
    assert override_problem(timedelta(hours=168), max_hours=168) is None
    problem = override_problem(timedelta(weeks=1000), max_hours=168)
    assert problem is not None and "168 hours" in problem and "oncall.max_override_hours" in problem


def test_a_click_counts_only_from_its_own_place() -> None:
    assert from_its_place("C1", ("C1", None))
    assert not from_its_place("C2", ("C1", None))
    assert not from_its_place("", (None,))  # no place known, or no channel in the payload
