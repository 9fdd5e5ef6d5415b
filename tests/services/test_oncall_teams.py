"""On-call per team with real storage: each team's layers, overrides stored per team and layer, who a
person's App Home names, and who may run raw PromQL (every rotation's members)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.deps import Deps
from bot.errors import Forbidden, UsageError
from bot.services import home, metrics, oncall

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)  # a Tuesday noon, far from any hand-off


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    weekly = {"handoff": "weekly", "start": "2026-11-09"}
    return {
        "oncall": {"members": ["U0DAVE"]},
        "teams": [
            {
                "name": "payments",
                "oncall": {
                    "layers": [
                        {"name": "primary", "members": ["U0ALICE", "U0CAROL"], **weekly},
                        {"name": "secondary", "members": ["U0BOB"], **weekly},
                    ]
                },
            },
            {"name": "search", "oncall": {"members": ["U0CAROL"]}},
        ],
    }


def team(deps: Deps, handle: str) -> Any:
    return deps.settings.team(handle)


async def test_each_team_answers_for_itself_and_an_override_replaces_one_layer(
    deps_at: Callable[[datetime], Deps],
) -> None:
    deps = deps_at(NOW)
    payments, search = team(deps, "payments"), team(deps, "search")
    assert (await oncall.who_is_on_call(deps, payments))[0].user == "U0ALICE"
    assert (await oncall.who_is_on_call(deps, search))[0].user == "U0CAROL"
    assert (await oncall.who_is_on_call(deps))[0].user == "U0DAVE"  # the default team
    await oncall.hand_over(
        deps, to_user="U0DAVE", duration=timedelta(hours=4), by_user="U0BOB", team=payments, layer="secondary"
    )
    shifts = await oncall.shifts_by_layer(deps, payments)
    assert [(s.layer, s.current.user, s.current.overridden) for s in shifts] == [
        ("primary", "U0ALICE", False),
        ("secondary", "U0DAVE", True),
    ]
    assert (await oncall.who_is_on_call(deps, payments, layer="secondary"))[0].user == "U0DAVE"
    assert (await oncall.who_is_on_call(deps, search))[0].user == "U0CAROL"  # another team's: untouched
    assert (await oncall.who_is_on_call(deps))[0].user == "U0DAVE" and not (
        await oncall.who_is_on_call(deps)
    )[0].overridden


async def test_overrides_are_checked_against_the_teams_layers_and_members(
    deps_at: Callable[[datetime], Deps],
) -> None:
    deps = deps_at(NOW)
    payments = team(deps, "payments")
    with pytest.raises(UsageError, match="Team payments has no layer 'tertiary'; its layers: primary, sec"):
        await oncall.hand_over(
            deps,
            to_user="U0BOB",
            duration=timedelta(hours=1),
            by_user="U0ALICE",
            team=payments,
            layer="tertiary",
        )
    with pytest.raises(Forbidden, match="change who is on call for payments"):
        await oncall.hand_over(
            deps, to_user="U0DAVE", duration=timedelta(hours=1), by_user="U0DAVE", team=payments
        )


async def test_the_home_names_the_teams_someone_is_on_call_for_or_their_next_shift(
    deps_at: Callable[[datetime], Deps],
) -> None:
    deps = deps_at(NOW)
    carols = await home.home_view(deps, user_id="U0CAROL")
    assert [(s.team, s.layer) for s in carols.my_on_call] == [("Search", "primary")]
    assert carols.my_next_shift is None
    bobs = await home.home_view(deps, user_id="U0BOB")
    assert [(s.team, s.layer) for s in bobs.my_on_call] == [("Payments", "secondary")]
    assert bobs.on_call_team == "Payments" and bobs.on_call == "U0ALICE"
    nobody = await home.home_view(deps, user_id="U0EVE")
    assert nobody.my_on_call == [] and nobody.my_next_shift is None


async def test_someone_off_duty_sees_their_next_shift(deps_at: Callable[[datetime], Deps]) -> None:
    deps = deps_at(NOW)
    await oncall.hand_over(
        deps, to_user="U0DAVE", duration=timedelta(hours=2), by_user="U0CAROL", team=team(deps, "search")
    )
    carols = await home.home_view(deps, user_id="U0CAROL")
    assert carols.my_on_call == []
    assert carols.my_next_shift is not None
    assert (carols.my_next_shift.team, carols.my_next_shift.starts_at) == ("Search", NOW + timedelta(hours=2))


async def test_raw_promql_is_open_to_every_rotations_members(deps_at: Callable[[datetime], Deps]) -> None:
    deps = deps_at(NOW)
    assert oncall.every_rotation_member(deps.settings) == ("U0DAVE", "U0ALICE", "U0CAROL", "U0BOB")
    await metrics.ensure_may_run_promql(deps, user_id="U0BOB")  # on payments' secondary only
    with pytest.raises(Forbidden):
        await metrics.ensure_may_run_promql(deps, user_id="U0EVE")
