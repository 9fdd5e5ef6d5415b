"""Incidents owned by teams, on a fixed clock: the team stored at declaration (named, chosen in the form, or
the alert's), its on-call invited, its time zone for business-day targets, its permissions, and listings
per team."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks.ids import BlockId
from bot.deps import Deps
from bot.domain.incidents import add_business_days
from bot.errors import Forbidden, UsageError
from bot.services import incident_commands, incident_reports, incident_slack, incidents
from storage import incidents as store
from storage.incidents import Incident
from storage.models import AlertGroup

pytestmark = pytest.mark.own_clock

NOW = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # Friday in UTC, already Saturday in Tokyo


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def bot_config() -> dict[str, Any]:
    return {
        "team": {"name": "Search", "handle": "search"},
        "oncall": {"members": ["U0CAROL"]},
        "alerts": {"escalation": []},
        "teams": [
            {
                "name": "payments",
                "title": "Payments",
                "timezone": "Asia/Tokyo",
                "match": ["team=payments"],
                "channels": {"incidents": "payments-incidents"},
                "oncall": {"members": ["U0DAVE"]},
                "permissions": {"incidents": {"declare_sev1": ["U0BOB"], "resolve": ["U0BOB"]}},
            }
        ],
    }


@pytest.fixture
def deps(deps_at: Callable[[datetime], Deps]) -> Deps:
    return deps_at(NOW)


async def declared(
    deps: Deps, level: int, title: str, *, team: str | None = None, user: str = "U0BOB"
) -> int:
    found = deps.settings.team(team)
    assert found is not None
    done = await incidents.declare(deps, user_id=user, level=level, title=title, team=found)
    return done.number


async def test_the_owning_team_is_stored_and_its_time_zone_sets_business_day_targets(deps: Deps) -> None:
    payments = await declared(deps, 4, "Refund report late", team="payments")
    search = await incidents.declare(deps, user_id="U0BOB", level=4, title="Synonyms stale")
    stored = {n: await store.get(deps.db, n) for n in (payments, search.number)}
    assert [i.team for i in stored.values() if i] == ["payments", "search"]
    in_tokyo = add_business_days(NOW, 2, timezone="Asia/Tokyo")
    in_utc = add_business_days(NOW, 2, timezone="UTC")
    assert in_tokyo != in_utc
    assert (stored[payments] and stored[payments].respond_due_at) == in_tokyo
    assert (stored[search.number] and stored[search.number].respond_due_at) == in_utc


async def test_the_owning_teams_on_call_is_wanted_in_the_incident(deps: Deps) -> None:
    payments = await store.get(deps.db, await declared(deps, 1, "Card declines", team="payments"))
    search = await store.get(deps.db, await declared(deps, 2, "Results empty"))
    assert payments is not None and search is not None
    assert "U0DAVE" in await incident_slack.wanted_people(deps, payments, with_oncall=True)
    assert "U0CAROL" not in await incident_slack.wanted_people(deps, payments, with_oncall=True)
    assert "U0CAROL" in await incident_slack.wanted_people(deps, search, with_oncall=True)


async def test_each_team_has_its_own_permissions(deps: Deps) -> None:
    with pytest.raises(Forbidden, match=r"teams\.payments\.permissions\.incidents\.declare_sev1"):
        await declared(deps, 1, "Card declines", team="payments", user="U0ALICE")
    search = await declared(deps, 1, "Index down", user="U0ALICE")  # search's list is empty: everyone
    payments = await declared(deps, 2, "Payouts slow", team="payments", user="U0ALICE")
    with pytest.raises(Forbidden, match=r"teams\.payments\.permissions\.incidents\.resolve"):
        await incidents.resolve(deps, payments, user_id="U0ALICE", summary="fixed")
    assert await incidents.resolve(deps, search, user_id="U0ALICE", summary="reindexed")
    await incidents.ensure_may_resolve(deps, payments, user_id="U0BOB")


async def test_listings_pick_a_teams_incidents(deps: Deps) -> None:
    payments = await declared(deps, 3, "Refunds slow", team="payments")
    search = await declared(deps, 3, "Index lagging")
    async with deps.db.transaction() as session:  # from before teams: the default team's
        old = Incident(title="Old", level=3, declared_by="U0BOB", declared_at=NOW, respond_due_at=NOW)
        older = await store.insert(session, old)
    by_team = {
        handle: [
            f.number
            for f in await incident_reports.listing(deps, scope="open", team=deps.settings.team(handle))
        ]
        for handle in ("payments", "search")
    }
    assert by_team == {"payments": [payments], "search": [older.id, search]}
    everyone = await incident_reports.listing(deps, scope="open")
    assert [(f.number, f.team) for f in everyone] == [
        (older.id, "search"),
        (search, "search"),
        (payments, "payments"),
    ]
    week = await incident_reports.incidents_between(
        deps, start=NOW, end=NOW.replace(day=28), team=deps.settings.team("payments")
    )
    assert [f.number for f in week] == [payments]


async def test_the_forms_team_is_the_chosen_one_else_the_alerts(deps: Deps) -> None:
    async with deps.db.transaction() as session:
        group = AlertGroup(
            group_key="payments/x", channel="critical-alerts", alertname="CardDeclines", severity="critical",
            status="firing", first_fired_at=NOW, last_change_at=NOW, team="payments",
        )  # fmt: skip
        session.add(group)
        await session.flush()
        group_id = group.id
    chosen = {BlockId.INCIDENT_TEAM.value: "search"}
    from_alert = {"alert_group_id": group_id}
    assert (await incident_commands.form_team(deps, values=chosen, metadata=from_alert)).handle == "search"
    assert (await incident_commands.form_team(deps, values={}, metadata=from_alert)).handle == "payments"
    assert (await incident_commands.form_team(deps, values={}, metadata={})).handle == "search"
    with pytest.raises(UsageError, match="There is no team 'billing'; teams: search, payments"):
        await incident_commands.form_team(deps, values={BlockId.INCIDENT_TEAM.value: "billing"}, metadata={})
    form = incident_commands.declaration_form(deps, team=deps.settings.team("payments"))
    team_field = next(b for b in form["blocks"] if b["block_id"] == BlockId.INCIDENT_TEAM)
    assert team_field["element"]["initial_option"]["value"] == "payments"
