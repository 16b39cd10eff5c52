"""The Redis connection that presence and the throttles share, when ``REDIS_URL`` is set."""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def fail_fast_options() -> dict[str, Any]:
    """Fail fast while Redis is down (one quick retry, no backoff).

    Every message waits on these calls, and degrading beats stalling.
    """
    return {"socket_connect_timeout": 1, "socket_keepalive": True, "retry": Retry(NoBackoff(), 1)}


def connect(url: str | None) -> redis.Redis | None:
    """A client for ``url`` (connecting lazily), or None when processes share nothing."""
    if not url:
        return None
    return redis.Redis.from_url(url, **fail_fast_options(), socket_timeout=2)
