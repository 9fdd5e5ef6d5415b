"""Injected failures and Slack's per-channel posting rate limit, so tests can exercise retries."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

# "timeout": nothing happens and no answer comes; "slow": the call takes effect but is answered only after
# `delay` seconds, as when Slack posts a message and the client gives up waiting for the answer.
FaultKind = Literal["500", "429", "timeout", "slow"]


@dataclass
class Fault:
    """The next `remaining` calls matching `methods` (all when None) fail as `kind`."""

    remaining: int
    kind: FaultKind
    methods: frozenset[str] | None = None
    retry_after: int = 1
    delay: float = 10.0

    def matches(self, method: str) -> bool:
        """Tell whether this fault applies to a call of `method`."""
        return self.remaining > 0 and (self.methods is None or method in self.methods)


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class ChannelRateLimiter:
    """A token bucket per channel: `rate` messages per second with a small `burst`."""

    rate: float = 1.0
    burst: int = 2
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def acquire(self, channel: str) -> int | None:
        """Take one token for `channel`; return the Retry-After seconds when none is left."""
        now = self.clock()
        bucket = self._buckets.setdefault(channel, _Bucket(tokens=float(self.burst), updated=now))
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))
