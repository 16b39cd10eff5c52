"""Who is in which room right now, counted by socket.

A user is online in a room while at least one of their sockets has joined it,
so two tabs of one user make one presence, and closing one of them changes
nothing for the others.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from redis.exceptions import RedisError

log = logging.getLogger("parley.presence")
T = TypeVar("T")


class Presence(Protocol):
    """Who is online in which room, by socket; kept in this process or in Redis."""

    def arrive(self, room: str, username: str, sid: str) -> bool:
        """Record ``sid`` of ``username`` in ``room``; True if it is the user's first socket there."""
        ...

    def depart(self, room: str, username: str, sid: str) -> bool:
        """Forget ``sid``; True if it was the user's last socket in ``room``."""
        ...

    def online(self, room: str) -> set[str]:
        """Usernames with at least one socket in ``room``."""
        ...

    def renew(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """Keep this process's ``(room, username, sid)`` entries from lapsing."""
        ...

    def sweep(self) -> list[tuple[str, str]]:
        """``(room, username)`` of users whose presence lapsed (their process went away), once each."""
        ...


class LocalPresence:
    """Presence kept in this process: right for one process without Redis."""

    def __init__(self) -> None:
        self._sockets: defaultdict[str, defaultdict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def arrive(self, room: str, username: str, sid: str) -> bool:
        """Record ``sid`` of ``username`` in ``room``; True if it is the user's first socket there."""
        sids = self._sockets[room][username]
        first = not sids
        sids.add(sid)
        return first

    def depart(self, room: str, username: str, sid: str) -> bool:
        """Forget ``sid``; True if it was the user's last socket in ``room``."""
        users = self._sockets.get(room)
        if users is None or sid not in users.get(username, ()):
            return False
        users[username].discard(sid)
        if users[username]:
            return False
        del users[username]
        if not users:
            del self._sockets[room]
        return True

    def online(self, room: str) -> set[str]:
        """Usernames with at least one socket in ``room``."""
        return set(self._sockets.get(room, ()))

    def renew(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """Nothing lapses in one process: its sockets' entries go when they disconnect."""

    def sweep(self) -> list[tuple[str, str]]:
        """Nothing lapses in one process: an empty list."""
        return []


# Presence shared by every process through Redis.
#
# Per room, a sorted set of usernames scored by when their presence lapses,
# and per (room, user) a sorted set of socket ids scored the same way. Each
# process renews the entries of its own sockets well before they lapse, so
# the sockets of a process that dies (kill -9) lapse on their own, and
# ``sweep`` (run by every process) reports those users offline exactly once.

_ARRIVE = """
local now, deadline = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local first = redis.call('ZCARD', KEYS[2]) == 0
redis.call("ZADD", KEYS[2], deadline, ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call("ZADD", KEYS[1], "GT", deadline, ARGV[4])
redis.call('SADD', KEYS[3], ARGV[6])
return first and 1 or 0
"""

_DEPART = """
local now = tonumber(ARGV[1])
if redis.call('ZREM', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[3])
return 1
"""

# Removes the users of one room whose presence lapsed; returns their names.
_SWEEP = """
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #lapsed > 0 then redis.call('ZREM', KEYS[1], unpack(lapsed)) end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
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


class RedisPresence:
    """Presence in Redis, agreed on by every process; entries lapse unless renewed."""

    def __init__(self, client: Any, prefix: str = "parley", ttl: float = 30.0) -> None:
        self.redis = client
        self.prefix = prefix
        self.ttl = ttl
        self._arrive = client.register_script(_ARRIVE)
        self._depart = client.register_script(_DEPART)
        self._sweep = client.register_script(_SWEEP)

    def _users_key(self, room: str) -> str:
        return f"{self.prefix}:presence:{room}"

    def _sockets_key(self, room: str, username: str) -> str:
        return f"{self.prefix}:presence:{room}:{username}"

    @property
    def _rooms_key(self) -> str:
        return f"{self.prefix}:presence-rooms"

    def _now(self) -> float:
        seconds, micros = self.redis.time()  # one clock for every process
        return float(seconds) + float(micros) / 1e6

    @_tolerant(bool)
    def arrive(self, room: str, username: str, sid: str) -> bool:
        """Record ``sid`` of ``username`` in ``room``; True if it is the user's first socket there."""
        now = self._now()
        keys = [self._users_key(room), self._sockets_key(room, username), self._rooms_key]
        args = [now, now + self.ttl, sid, username, int(self.ttl * 2), room]
        return bool(self._arrive(keys=keys, args=args))

    @_tolerant(bool)
    def depart(self, room: str, username: str, sid: str) -> bool:
        """Forget ``sid``; True if it was the user's last socket in ``room``."""
        keys = [self._users_key(room), self._sockets_key(room, username)]
        return bool(self._depart(keys=keys, args=[self._now(), sid, username]))

    @_tolerant(set)
    def online(self, room: str) -> set[str]:
        """Usernames with a live (not lapsed) socket in ``room``."""
        names = self.redis.zrangebyscore(self._users_key(room), self._now(), "+inf")
        return {name.decode() if isinstance(name, bytes) else name for name in names}

    @_tolerant(lambda: None)
    def renew(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """Push back the lapse time of this process's ``(room, username, sid)`` entries."""
        until = self._now() + self.ttl
        with self.redis.pipeline(transaction=False) as pipe:
            for room, username, sid in entries:
                pipe.zadd(self._sockets_key(room, username), {sid: until})
                pipe.expire(self._sockets_key(room, username), int(self.ttl * 2))
                pipe.zadd(self._users_key(room), {username: until}, gt=True)
                pipe.sadd(self._rooms_key, room)
            pipe.execute()

    @_tolerant(list)
    def sweep(self) -> list[tuple[str, str]]:
        """Remove users whose presence lapsed everywhere; ``(room, username)`` of each, once."""
        now = self._now()
        gone: list[tuple[str, str]] = []
        for raw in self.redis.smembers(self._rooms_key):
            room = raw.decode() if isinstance(raw, bytes) else raw
            for name in self._sweep(keys=[self._users_key(room), self._rooms_key], args=[now, room]):
                gone.append((room, name.decode() if isinstance(name, bytes) else name))
        return gone
