"""Per-user message rate limit: a token bucket (a burst, then a steady rate)."""

from __future__ import annotations

import time
from collections.abc import Callable


class LocalRateLimiter:
    """Token buckets kept in this process.

    Each user starts with ``burst`` tokens; one message spends one, and tokens
    come back at ``per_second`` up to ``burst``.
    """

    def __init__(self, burst: int, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.per_second = per_second
        self._clock = clock
        self._buckets: dict[object, tuple[float, float]] = {}

    def allow(self, key: object) -> bool:
        """Spend a token of ``key``'s bucket; False when it is empty."""
        now = self._clock()
        tokens, stamp = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.per_second)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        return True
