"""Hostile webhook input: the parser either returns alerts or says what is wrong, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import load_settings
from bot.domain.incoming import PayloadError, parse_alertmanager
from bot.services.alerts import plan

RECEIVED = datetime(2026, 11, 9, 10, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
label_text = st.text(max_size=3000)
times = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.sampled_from(
        ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-12:00", "", "soon"]
    ),
)
alerts = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["firing", "resolved", "bogus"]),
        "labels": st.dictionaries(
            st.sampled_from(["alertname", "severity", "job", "service", "team"]),
            label_text,
            min_size=0,
            max_size=5,
        ),
        "annotations": st.dictionaries(st.text(max_size=20), label_text, max_size=3),
        "startsAt": times,
        "endsAt": times,
        "fingerprint": st.one_of(st.none(), st.text(max_size=200)),
    }
)


@settings(max_examples=300, deadline=None)
@given(payload=st.dictionaries(st.sampled_from(["version", "alerts", "status"]), json_values))
def test_arbitrary_json_never_escapes_as_anything_but_a_payload_error(payload: dict[str, Any]) -> None:
    try:
        parse_alertmanager(payload, received_at=RECEIVED)
    except PayloadError as error:
        assert str(error)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(alerts, min_size=1, max_size=5))
def test_alert_shaped_input_parses_or_names_the_field(items: list[dict[str, Any]]) -> None:
    try:
        parsed = parse_alertmanager({"version": "4", "alerts": items}, received_at=RECEIVED)
    except PayloadError as error:
        assert str(error).startswith(("alerts[", "version", "alerts:"))
        return
    for alert in parsed:
        assert alert.starts_at.tzinfo is not None and alert.starts_at.utcoffset() is not None
        assert alert.starts_at.astimezone(UTC) <= datetime.max.replace(tzinfo=UTC)
    for planned in plan(parsed, load_settings({})):
        assert planned.severity in {"critical", "warning", "info"}
        assert planned.channels
