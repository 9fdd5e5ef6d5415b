"""Which incidents were performance degradations: their title, or the alert they were declared from, names
one of the configured words (latency, slow, p95 …). Pure rules; no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

DEGRADATION_WORDS = (
    "latency",
    "slow",
    "degraded",
    "degradation",
    "timeout",
    "performance",
    "error rate",
    "p95",
    "p99",
    "saturation",
)
# "HighLatencyP99" and "api_error_rate" read as words: split camel case, then treat punctuation as spaces
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[\W_]+")


def words_of(text: str) -> str:
    """`text` as lower-case words separated by single spaces (camel case and snake case split)."""
    return " ".join(_SEPARATORS.sub(" ", _CAMEL.sub(" ", text)).lower().split())


def matcher(words: Sequence[str]) -> re.Pattern[str]:
    """A pattern finding any of `words` at the start of a word ("slow" finds "slowness", "timeout" finds
    "timeouts", "error rate" finds "HighErrorRate"); never matches when `words` is empty."""
    alternatives = [r"\s".join(map(re.escape, words_of(w).split())) for w in words if words_of(w)]
    if not alternatives:
        return re.compile(r"(?!)")
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")")


def is_degradation(texts: Iterable[str], words: Sequence[str] = DEGRADATION_WORDS) -> bool:
    """Whether any of `texts` (an incident's title, its alert's name and label values) names a word of
    `words`."""
    pattern = matcher(words)
    return any(pattern.search(words_of(text)) for text in texts)
