"""Throttles: token buckets (a burst, then a steady rate) for socket events, messages, rooms, logins and sign-ups.

Each bucket is kept in this process, or in Redis when processes share one,
so that a limit holds across every instance. ``Throttles`` holds the app's
buckets under names that say what each one limits.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from redis.exceptions import RedisError

log = logging.getLogger("parley.ratelimit")


class RateLimiter(Protocol):
    """A token bucket per key; ``allow`` spends one token, ``take`` several."""

    def allow(self, key: object) -> bool:
        """Spend a token of ``key``'s bucket; False when it is empty."""
        ...

    def take(self, key: object, cost: float, *, into_debt: bool = False) -> bool:
        """Spend ``cost`` tokens; False (nothing spent) if there are fewer, unless ``into_debt``.

        In debt, the bucket refuses until it has refilled past zero: that is how
        work whose size is known only afterwards (a page of history) is charged.
        A bucket's debt never exceeds its burst.
        """
        ...


class LocalRateLimiter:
    """Token buckets kept in this process.

    Each key starts with ``burst`` tokens; one message spends one, and tokens
    come back at ``per_second`` up to ``burst``. A bucket untouched for as long
    as it takes to fill up again is full, which is what a missing bucket means:
    such buckets are dropped, so distinct keys (20,000 made-up usernames) cost
    memory only while they matter.
    """

    def __init__(self, burst: int, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        # From the deepest debt (minus a burst) to full again.
        self.refill_seconds = 2 * burst / per_second if per_second > 0 else float("inf")
        # Oldest-touched first: a touched bucket moves to the end.
        self._buckets: dict[object, tuple[float, float]] = {}

    def allow(self, key: object) -> bool:
        """Spend a token of ``key``'s bucket; False when it is empty."""
        return self.take(key, 1.0)

    def take(self, key: object, cost: float, *, into_debt: bool = False) -> bool:
        """Spend ``cost`` tokens of ``key``'s bucket (see ``RateLimiter.take``)."""
        now = self.clock()
        self._drop_full(now)
        tokens, stamp = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.per_second)
        allowed = tokens >= cost or into_debt
        if allowed:
            tokens = max(tokens - cost, -float(self.burst))
        self._buckets[key] = (tokens, now)
        return allowed

    def _drop_full(self, now: float) -> None:
        # Two at most per call, oldest first: each call adds one bucket at most, so the dict
        # never holds more than the buckets touched within the last refill time (plus one).
        oldest = list(itertools.islice(self._buckets.items(), 2))
        for key, (_tokens, stamp) in oldest:
            if now - stamp < self.refill_seconds:
                return
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


# The same bucket kept in Redis, so a user's limit holds across processes.
# Redis's own clock is used, so processes with skewed clocks still agree.
_SPEND = """
local burst, rate, cost, debt = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local allowed = 0
if tokens >= cost or debt then tokens = math.max(tokens - cost, -burst); allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(2 * burst / rate) + 1)
return allowed
"""


class RedisRateLimiter:
    """Token buckets in Redis. If Redis fails, messages are let through (logged):
    losing the limit for a moment is better than refusing every message."""

    def __init__(self, client: Any, burst: int, per_second: float, prefix: str = "parley") -> None:
        self.burst = burst
        self.per_second = per_second
        self.prefix = prefix
        self._spend = client.register_script(_SPEND)

    def allow(self, key: object) -> bool:
        """Spend a token of ``key``'s bucket in Redis; True while Redis is down."""
        return self.take(key, 1.0)

    def take(self, key: object, cost: float, *, into_debt: bool = False) -> bool:
        """Spend ``cost`` tokens of ``key``'s bucket in Redis (see ``RateLimiter.take``); True while Redis is down."""
        args = [self.burst, self.per_second, cost, "1" if into_debt else "0"]
        try:
            return bool(self._spend(keys=[f"{self.prefix}:rate:{key}"], args=args))
        except RedisError as exc:
            log.warning("rate limit unavailable (Redis: %s); letting the request through", exc)
            return True


class Throttles:
    """The app's buckets: events and messages per user, rooms and direct rooms per creator, logins, sign-ups."""

    def __init__(self, config: dict[str, Any], client: Any | None) -> None:
        prefix = config["SOCKETIO_CHANNEL"]

        def bucket(name: str, burst: int, per_second: float) -> RateLimiter:
            if client is None:
                return LocalRateLimiter(burst, per_second)
            return RedisRateLimiter(client, burst, per_second, f"{prefix}:{name}")

        self.messages = bucket("messages", config["RATE_LIMIT_BURST"], config["RATE_LIMIT_PER_SECOND"])
        # Password guessing: attempts per username and per client address, refilled slowly.
        self.logins = bucket(
            "logins", config["LOGIN_ATTEMPTS_BURST"], config["LOGIN_ATTEMPTS_PER_MINUTE"] / 60
        )
        self.signups = bucket(
            "signups", config["REGISTRATIONS_BURST"], config["REGISTRATIONS_PER_HOUR"] / 3600
        )
        # Rooms (and direct rooms) a user creates, and the /dm/<name> pages they open.
        self.rooms = bucket("rooms", config["ROOMS_BURST"], config["ROOMS_PER_HOUR"] / 3600)
        self.directs = bucket("directs", config["DIRECTS_BURST"], config["DIRECTS_PER_HOUR"] / 3600)
        # Every socket event of a user, by its cost (chat.rooms.sockets), and typing relayed per room.
        self.events = bucket("events", config["EVENTS_BURST"], config["EVENTS_PER_SECOND"])
        self.typing = bucket("typing", 1, 1.0)
        # The Admin UI's password: one bucket for every attempt, 5 at once, then 5 a minute.
        self.admin = bucket("admin", 5, 5 / 60)
