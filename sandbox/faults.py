"""Injected failures and Slack's per-channel posting rate limit, so tests can exercise retries."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

# "timeout": nothing happens and no answer comes; "slow": the call takes effect but is answered only after
# `delay` seconds, as when Slack posts a message and the client gives up waiting for the answer;
# "lost_answer": the call takes effect, then the connection drops (`answer="drop"`) or Slack answers 500
# (`answer="500"`) instead of the result -- the client cannot tell it from a call that did nothing.
FaultKind = Literal["500", "429", "timeout", "slow", "lost_answer"]
LostAnswer = Literal["drop", "500"]


@dataclass
class Fault:
    """The next `remaining` calls matching `methods` (all when None) fail as `kind`."""

    remaining: int
    kind: FaultKind
    methods: frozenset[str] | None = None
    retry_after: int = 1
    delay: float = 10.0
    answer: LostAnswer = "drop"

    def matches(self, method: str) -> bool:
        """Tell whether this fault applies to a call of `method`."""
        return self.remaining > 0 and (self.methods is None or method in self.methods)


@dataclass
class _Bucket:
    tokens: float
    updated: float


def _take(buckets: dict[str, _Bucket], key: str, *, rate: float, burst: float, now: float) -> int | None:
    """Take one token from `key`'s bucket (full at first); return Retry-After seconds when none is left."""
    bucket = buckets.setdefault(key, _Bucket(tokens=burst, updated=now))
    bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
    bucket.updated = now
    if bucket.tokens >= 1.0:
        bucket.tokens -= 1.0
        return None
    return max(1, math.ceil((1.0 - bucket.tokens) / rate))


@dataclass
class ChannelRateLimiter:
    """A token bucket per channel: `rate` messages per second with a small `burst`."""

    rate: float = 1.0
    burst: int = 2
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def acquire(self, channel: str) -> int | None:
        """Take one token for `channel`; return the Retry-After seconds when none is left."""
        return _take(self._buckets, channel, rate=self.rate, burst=float(self.burst), now=self.clock())


@dataclass
class TierRateLimiter:
    """Slack's per-method tiers: a token bucket per method holding one minute's quota, refilled steadily.

    "Tier 2: 20+ per minute ... allowing for occasional bursts": a full bucket lets a burst of a minute's
    quota through at once, then calls pass at the tier's steady rate (Tier 2: one every 3 s).
    """

    per_minute: dict[int, int]
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def acquire(self, method: str, tier: int) -> int | None:
        """Take one token for `method` at `tier` (0 = special: not limited here); return Retry-After."""
        quota = self.per_minute.get(tier)
        if quota is None:
            return None
        return _take(self._buckets, method, rate=quota / 60.0, burst=float(quota), now=self.clock())
