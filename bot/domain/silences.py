"""Which alerts a snooze's Alertmanager silence may cover: exactly its group's, never a sibling's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SEVERITY_LABEL = "severity"


def group_silence_matchers(
    alert_labels: Iterable[Mapping[str, str]], *, group_by: Iterable[str], route_labels: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """Label -> the values the group's alerts carry, for every label that decides which group an alert joins.

    Those are the `group_by` labels (the group key), `severity` and every label a route tests (together they
    pick the channel, the other half of a group's identity). A label the group's alerts lack is pinned to ""
    (Alertmanager: absent), so a sibling that carries it with any value stays unsilenced.
    """
    seen = list(alert_labels)
    names = dict.fromkeys((*group_by, SEVERITY_LABEL, *route_labels))
    return {name: tuple(sorted({labels.get(name, "") for labels in seen})) for name in names}
