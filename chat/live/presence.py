"""Who is online, counted per person by socket.

A user is online while at least one of their sockets is connected, on any
page and on any process: two tabs make one presence, and closing one of them
changes nothing. Which rooms hear of it is the fan-out's business
(``chat.fanout.presence``); this store only answers "first socket?", "last
socket?" and "who of these is online?", each in one step whatever the number
of rooms the person is in.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from redis.exceptions import RedisError

log = logging.getLogger("parley.presence")
T = TypeVar("T")


class Presence(Protocol):
    """Who is online, by socket; kept in this process or in Redis."""

    def connect(self, username: str, sid: str) -> bool:
        """Record socket ``sid`` of ``username``; True if it is their first socket anywhere."""
        ...

    def disconnect(self, username: str, sid: str) -> bool:
        """Forget ``sid``; True if it was ``username``'s last socket anywhere."""
        ...

    def online_among(self, usernames: Iterable[str]) -> set[str]:
        """Those of ``usernames`` with at least one live socket."""
        ...

    def renew(self, entries: Iterable[tuple[str, str]]) -> list[str]:
        """Keep this process's ``(username, sid)`` entries from lapsing; who was swept as lapsed and is back."""
        ...

    def sweep(self) -> list[str]:
        """Usernames whose presence lapsed (their process went away), each reported once."""
        ...


class LocalPresence:
    """Presence kept in this process: right for one process without Redis."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[str]] = {}

    def connect(self, username: str, sid: str) -> bool:
        """Record socket ``sid`` of ``username``; True if it is their first socket."""
        sids = self._sockets.setdefault(username, set())
        first = not sids
        sids.add(sid)
        return first

    def disconnect(self, username: str, sid: str) -> bool:
        """Forget ``sid``; True if it was ``username``'s last socket."""
        sids = self._sockets.get(username)
        if sids is None or sid not in sids:
            return False
        sids.discard(sid)
        if sids:
            return False
        del self._sockets[username]
        return True

    def online_among(self, usernames: Iterable[str]) -> set[str]:
        """Those of ``usernames`` with at least one socket here."""
        return {name for name in usernames if name in self._sockets}

    def renew(self, entries: Iterable[tuple[str, str]]) -> list[str]:  # noqa: ARG002 (the Presence interface)
        """Nothing lapses in one process: its sockets' entries go when they disconnect."""
        return []

    def sweep(self) -> list[str]:
        """Nothing lapses in one process: an empty list."""
        return []


# Presence shared by every process through Redis.
#
# One sorted set of usernames scored by when their presence lapses, and per
# user a sorted set of socket ids scored the same way. Each process renews
# the entries of its own sockets well before they lapse, so the sockets of a
# process that dies (kill -9) lapse on their own, and ``sweep`` (run by every
# process) reports those users offline exactly once.

_CONNECT = """
local now, deadline = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local first = redis.call('ZCARD', KEYS[2]) == 0
redis.call('ZADD', KEYS[2], deadline, ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[1], 'GT', deadline, ARGV[4])
return first and 1 or 0
"""

_DISCONNECT = """
local now = tonumber(ARGV[1])
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[3])
return 1
"""

# Removes the users whose presence lapsed; returns their names.
_SWEEP = """
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #lapsed > 0 then redis.call('ZREM', KEYS[1], unpack(lapsed)) end
return lapsed
"""


def _tolerant(default: Callable[[], Any]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """While Redis is down, presence degrades (logged) instead of failing the event."""

    def wrap(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def guarded(*args: Any, **kwargs: Any) -> T:
            try:
                return method(*args, **kwargs)
            except RedisError as exc:
                log.warning("presence unavailable (Redis: %s) in %s", exc, method.__name__)
                result: T = default()
                return result

        return guarded

    return wrap


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


class RedisPresence:
    """Presence in Redis, agreed on by every process; entries lapse unless renewed."""

    def __init__(self, client: Any, prefix: str = "parley", ttl: float = 30.0) -> None:
        self.redis = client
        self.prefix = prefix
        self.ttl = ttl
        self._connect = client.register_script(_CONNECT)
        self._disconnect = client.register_script(_DISCONNECT)
        self._sweep = client.register_script(_SWEEP)

    @property
    def _users_key(self) -> str:
        return f"{self.prefix}:online"

    def _sockets_key(self, username: str) -> str:
        return f"{self.prefix}:online:{username}"

    def _now(self) -> float:
        seconds, micros = self.redis.time()  # one clock for every process
        return float(seconds) + float(micros) / 1e6

    @_tolerant(bool)
    def connect(self, username: str, sid: str) -> bool:
        """Record socket ``sid`` of ``username``; True if it is their first live socket anywhere."""
        now = self._now()
        keys = [self._users_key, self._sockets_key(username)]
        args = [now, now + self.ttl, sid, username, int(self.ttl * 2)]
        return bool(self._connect(keys=keys, args=args))

    @_tolerant(bool)
    def disconnect(self, username: str, sid: str) -> bool:
        """Forget ``sid``; True if it was ``username``'s last live socket anywhere."""
        keys = [self._users_key, self._sockets_key(username)]
        return bool(self._disconnect(keys=keys, args=[self._now(), sid, username]))

    @_tolerant(set)
    def online_among(self, usernames: Iterable[str]) -> set[str]:
        """Those of ``usernames`` whose presence has not lapsed (one round trip)."""
        names = list(usernames)
        if not names:
            return set()
        now = self._now()
        scores = self.redis.zmscore(self._users_key, names)
        return {name for name, score in zip(names, scores, strict=True) if score is not None and score > now}

    @_tolerant(list)
    def renew(self, entries: Iterable[tuple[str, str]]) -> list[str]:
        """Push back the lapse time of this process's ``(username, sid)`` entries.

        A process held up longer than the lapse time (a long pause, a starved
        core) finds its users swept and reported offline by another; renewing
        puts them back, and the names it returns are to be reported online again.
        """
        entries = list(entries)
        until = self._now() + self.ttl
        with self.redis.pipeline(transaction=False) as pipe:
            for username, sid in entries:
                pipe.zadd(self._sockets_key(username), {sid: until})
                pipe.expire(self._sockets_key(username), int(self.ttl * 2))
                pipe.zadd(self._users_key, {username: until}, gt=True)  # 1 only if it had been swept
            results = pipe.execute()
        added = results[2::3]
        return sorted({username for (username, _), new in zip(entries, added, strict=True) if new})

    @_tolerant(list)
    def sweep(self) -> list[str]:
        """Remove users whose presence lapsed everywhere; each name once."""
        return [_text(name) for name in self._sweep(keys=[self._users_key], args=[self._now()])]
