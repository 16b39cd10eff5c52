"""Live state of this process: its sockets, presence and the rate limiter.

Socket state (which rooms a socket joined, whether it is typing) belongs to
the process that holds the socket. Presence and the rate limit are what
every process must agree on: with ``REDIS_URL`` they live in Redis,
otherwise in this process.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from chat import broadcasts
from chat.domain.errors import RATE_LIMITED, ChatError
from chat.extensions import socketio
from chat.presence import LocalPresence, RedisPresence
from chat.ratelimit import LocalRateLimiter, RedisRateLimiter

log = logging.getLogger("parley.realtime")


def redis_options() -> dict[str, object]:
    """Fail fast while Redis is down (one quick retry, no backoff): every message
    waits on these calls, and degrading beats stalling."""
    return {"socket_connect_timeout": 1, "socket_keepalive": True, "retry": Retry(NoBackoff(), 1)}


class Presence(Protocol):
    def arrive(self, room: str, username: str, sid: str) -> bool: ...
    def depart(self, room: str, username: str, sid: str) -> bool: ...
    def online(self, room: str) -> set[str]: ...
    def renew(self, entries: list[tuple[str, str, str]]) -> None: ...
    def sweep(self) -> list[tuple[str, str]]: ...


class RateLimiter(Protocol):
    def allow(self, key: object) -> bool: ...


@dataclass
class SocketState:
    """What one connected socket has done: the rooms it joined, where it is typing."""

    user_id: int
    username: str
    rooms: set[str] = field(default_factory=set)
    typing_in: set[str] = field(default_factory=set)


class Realtime:
    """The live-state holder attached to the app as ``app.extensions["parley"]``."""

    def __init__(self, app: Flask) -> None:
        self.sockets: dict[str, SocketState] = {}
        self._per_user: Counter[int] = Counter()  # open sockets per user, kept with ``sockets``
        self.presence: Presence
        self.limiter: RateLimiter
        config = app.config
        redis_url = config["REDIS_URL"]
        client = redis.Redis.from_url(redis_url, **redis_options(), socket_timeout=2) if redis_url else None
        prefix = config["SOCKETIO_CHANNEL"]

        def bucket(name: str, burst: int, per_second: float) -> RateLimiter:
            if client is None:
                return LocalRateLimiter(burst, per_second)
            return RedisRateLimiter(client, burst, per_second, f"{prefix}:{name}")

        if client is None:
            self.presence = LocalPresence()
        else:
            self.presence = RedisPresence(client, prefix, ttl=config["PRESENCE_TTL_SECONDS"])
        self.limiter = bucket("messages", config["RATE_LIMIT_BURST"], config["RATE_LIMIT_PER_SECOND"])
        # Password guessing: attempts per username and per client address, refilled slowly.
        self.login_attempts = bucket(
            "logins", config["LOGIN_ATTEMPTS_BURST"], config["LOGIN_ATTEMPTS_PER_MINUTE"] / 60
        )
        self.registrations = bucket(
            "signups", config["REGISTRATIONS_BURST"], config["REGISTRATIONS_PER_HOUR"] / 3600
        )
        self.shared = client is not None
        self.renew_every = app.config["PRESENCE_TTL_SECONDS"] / 3
        self.app = app
        self._behind: dict[str, int] = {}  # rooms found behind their stored seq at the last tick
        self._upkeep_started = False
        self._lock = threading.Lock()

    def throttle(self, user_id: int) -> Callable[[], None]:
        """The rate-limit check for one new message of ``user_id`` (``post_message``'s ``throttle``)."""

        def spend_token() -> None:
            if not self.limiter.allow(user_id):
                raise ChatError(RATE_LIMITED, "Slow down: too many messages; try again in a moment.")

        return spend_token

    def connected(self, sid: str, user_id: int, username: str) -> SocketState:
        self._start_upkeep()
        previous = self.sockets.get(sid)
        if previous is not None:
            self._per_user[previous.user_id] -= 1
        state = self.sockets[sid] = SocketState(user_id, username)
        self._per_user[user_id] += 1
        return state

    def rooms_with_sockets(self) -> set[str]:
        """The chat rooms that at least one socket of this process has joined."""
        return {slug for state in list(self.sockets.values()) for slug in state.rooms}

    def socket_count(self, user_id: int) -> int:
        """How many sockets ``user_id`` has open on this process (counted, not scanned, per connect)."""
        return self._per_user[user_id]

    def socket(self, sid: str) -> SocketState | None:
        return self.sockets.get(sid)

    def disconnected(self, sid: str) -> SocketState | None:
        state = self.sockets.pop(sid, None)
        if state is not None:
            self._per_user[state.user_id] -= 1
            if self._per_user[state.user_id] <= 0:
                del self._per_user[state.user_id]
        return state

    def _start_upkeep(self) -> None:
        # Shared presence lapses unless renewed, so each process renews its own
        # sockets and reports the users of dead processes offline.
        if not self.shared or self._upkeep_started:
            return
        with self._lock:
            if not self._upkeep_started:
                self._upkeep_started = True
                socketio.start_background_task(self._upkeep)

    def _upkeep(self) -> None:
        while True:
            socketio.sleep(self.renew_every)
            try:
                self.upkeep_once()
            except Exception:
                log.exception("presence upkeep failed; retrying in %.0f s", self.renew_every)
            try:
                with self.app.app_context():
                    self._behind = broadcasts.reconcile(self._behind)
            except Exception as exc:  # the database may be down; the next tick tries again
                log.warning("reconcile skipped: %s", exc.__class__.__name__)

    def upkeep_once(self) -> None:
        """Renew this process's presence entries; announce users whose presence lapsed."""
        entries = [
            (room, state.username, sid) for sid, state in list(self.sockets.items()) for room in state.rooms
        ]
        self.presence.renew(entries)
        for room, username in self.presence.sweep():
            log.info("presence of %s in %s lapsed (their server went away)", username, room)
            broadcasts.presence_changed(room, username, False)


def init_app(app: Flask) -> None:
    app.extensions["parley"] = Realtime(app)


def realtime() -> Realtime:
    """The current app's live state."""
    state: Realtime = current_app.extensions["parley"]
    return state
