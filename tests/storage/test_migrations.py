"""Migration 0010 on a database with history: every alert and group gets its episode, and pending
escalation jobs move to the group episode's id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from storage.db import sync_url
from storage.migrate import alembic_config, upgrade
from tests.support import databases

T0 = "2026-11-09 10:00:00+00:00"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = databases.create_empty()
    yield databases.url_for(name)
    databases.drop(name)


def run(url: str, statements: list[tuple[str, dict[str, object]]]) -> list[tuple[object, ...]]:
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            found: list[tuple[object, ...]] = []
            for sql, params in statements:
                result = connection.execute(text(sql), params)
                if result.returns_rows:
                    found += [tuple(row) for row in result.all()]
            return found
    finally:
        engine.dispose()


def alert(fingerprint: str, *, status: str, key: str) -> tuple[str, dict[str, object]]:
    return (
        "INSERT INTO alerts (fingerprint, source, alertname, severity, status, group_key, labels,"
        " annotations, starts_at, ends_at, received_at, updated_at)"
        " VALUES (:fp, 'alertmanager', 'DiskFull', 'critical',"
        " :status, :key, '{}', '{}', :t0, NULL, :t0, :t0)",
        {"fp": fingerprint, "status": status, "key": key, "t0": T0},
    )


def group(channel: str, *, key: str, status: str, resolved_by: str | None) -> tuple[str, dict[str, object]]:
    return (
        "INSERT INTO alert_groups (group_key, channel, alertname, severity, status, firing_count,"
        " alert_count, first_fired_at, last_change_at, resolved_at, resolved_by, flapping, changes,"
        " escalation_level, announced_firing, created_at)"
        " VALUES (:key, :channel, 'DiskFull', 'critical', :status, 1, 1, :t0, :t0, :resolved_at,"
        " :resolved_by, false, '[]', 0, 0, :t0)",
        {
            "key": key, "channel": channel, "status": status, "t0": T0, "resolved_by": resolved_by,
            "resolved_at": T0 if status == "resolved" else None,
        },
    )  # fmt: skip


def test_history_gets_its_episodes_and_pending_escalations_their_episode(empty_url: str) -> None:
    upgrade(empty_url, "0009")
    old_job = json.dumps({"group_id": 1, "level": 0, "episode": "2026-11-09T10:00:00+00:00"})
    run(
        empty_url,
        [
            alert("fp-a", status="firing", key="alertname=DiskFull"),
            alert("fp-b", status="resolved", key="alertname=Other"),
            group("critical-alerts", key="alertname=DiskFull", status="firing", resolved_by=None),
            group("ops-alerts", key="alertname=Other", status="resolved", resolved_by="U0ALICE"),
            (
                "INSERT INTO outbox (kind, payload, status, attempts, due_at, created_at, priority,"
                " dedupe_key) VALUES ('alert_group.escalate', :payload, 'pending', 0, :t0, :t0, 0,"
                " 'escalate:1')",
                {"payload": old_job, "t0": T0},
            ),
        ],
    )
    upgrade(empty_url)
    episodes = run(empty_url, [("SELECT alert_id, end_reason FROM alert_episodes ORDER BY alert_id", {})])
    assert episodes == [(1, None), (2, "resolved")]
    groups = run(
        empty_url,
        [
            (
                "SELECT g.id, g.episode_id, e.number, e.end_reason, e.ended_by FROM alert_groups g"
                " JOIN alert_group_episodes e ON e.id = g.episode_id ORDER BY g.id",
                {},
            )
        ],
    )
    assert [(g[0], g[2], g[3], g[4]) for g in groups] == [(1, 1, None, None), (2, 1, "by_hand", "U0ALICE")]
    channels = run(empty_url, [("SELECT fingerprint, channels FROM alerts ORDER BY id", {})])
    assert channels == [("fp-a", ",critical-alerts,"), ("fp-b", ",ops-alerts,")]
    [(payload, key)] = run(empty_url, [("SELECT payload, dedupe_key FROM outbox", {})])
    moved = payload if isinstance(payload, dict) else json.loads(str(payload))
    assert moved == {"group_id": 1, "episode_id": groups[0][1]}
    assert key == f"escalate:1:{groups[0][1]}"  # an acknowledgement now cancels it by the new key


def test_0012_scopes_fingerprints_per_source_on_a_database_with_history(empty_url: str) -> None:
    upgrade(empty_url, "0011")
    run(empty_url, [alert("fp-a", status="firing", key="alertname=DiskFull")])
    upgrade(empty_url)
    host_copy = alert("fp-a", status="firing", key="alertname=DiskFull")
    run(empty_url, [(host_copy[0].replace("'alertmanager'", "'hostcheck'"), host_copy[1])])
    found = run(empty_url, [("SELECT source, fingerprint FROM alerts ORDER BY id", {})])
    assert found == [("alertmanager", "fp-a"), ("hostcheck", "fp-a")]
    with pytest.raises(IntegrityError):
        run(empty_url, [alert("fp-a", status="resolved", key="alertname=DiskFull")])
    [(held,)] = run(
        empty_url,
        [
            (
                "INSERT INTO alert_rollups (channel, opened_at, last_joined_at) VALUES ('c', :t0, :t0)",
                {"t0": T0},
            ),
            ("SELECT held FROM alert_rollups", {}),
        ],
    )
    assert (held if isinstance(held, dict) else json.loads(str(held))) == {}
    run(empty_url, [("DELETE FROM alerts WHERE source = 'hostcheck'", {})])
    command.downgrade(alembic_config(empty_url), "0011")
    with pytest.raises(IntegrityError):
        run(empty_url, [alert("fp-a", status="resolved", key="alertname=DiskFull")])


def test_0013_leaves_earlier_firings_without_a_review_deadline_and_downgrades(empty_url: str) -> None:
    upgrade(empty_url, "0012")
    run(
        empty_url,
        [
            alert("fp-a", status="firing", key="alertname=DiskFull"),
            group("ops-alerts", key="alertname=DiskFull", status="firing", resolved_by=None),
            (
                "INSERT INTO alert_group_episodes (group_id, number, group_key, channel, alertname, severity,"
                " started_at, opened_at, escalation_level) VALUES (1, 1, 'alertname=DiskFull', 'ops-alerts',"
                " 'DiskFull', 'warning', :t0, :t0, 0)",
                {"t0": T0},
            ),
        ],
    )
    upgrade(empty_url, "0013")
    columns = "review_due_at, reviewed_at, reviewed_by, reminded_at"
    assert run(empty_url, [(f"SELECT {columns} FROM alert_group_episodes", {})]) == [(None,) * 4]
    command.downgrade(alembic_config(empty_url), "0012")
    assert run(empty_url, [("SELECT alertname FROM alert_group_episodes", {})]) == [("DiskFull",)]
