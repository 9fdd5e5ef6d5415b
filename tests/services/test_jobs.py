"""Job kinds decode from what the outbox stored, rows queued by an earlier release included."""

from __future__ import annotations

import dataclasses

import pytest

from bot.services.job_runners import RUNNERS
from bot.services.jobs import KINDS, EscalateGroup, PostInIncident, RemindIncident, decode


def test_every_kind_has_exactly_one_runner() -> None:
    assert set(RUNNERS) == set(KINDS)
    assert all(RUNNERS[kind].job is cls for kind, cls in KINDS.items())


def test_a_job_round_trips_through_its_payload() -> None:
    job = EscalateGroup(group_id=7, episode_id=3)
    assert decode(EscalateGroup, dataclasses.asdict(job)) == job


def test_rows_of_an_earlier_release_still_decode() -> None:
    """Before typed jobs the worker wrote `_attempt` into payloads, and reminders had no post_id."""
    assert decode(RemindIncident, {"incident_id": 3, "_attempt": 2}) == RemindIncident(incident_id=3)
    stored = {"incident_id": 3, "text": "Mitigated", "announce": True, "post_id": "ab12"}
    assert decode(PostInIncident, stored).text == "Mitigated"


def test_a_payload_missing_a_field_is_refused() -> None:
    with pytest.raises(TypeError):
        decode(EscalateGroup, {"group_id": 7})
