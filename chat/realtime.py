"""Live state of this process: its sockets, presence and the rate limiter.

Socket state (which rooms a socket joined, whether it is typing) belongs to
the process that holds the socket. Presence and the rate limit are what
every process must agree on; their stores are chosen here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from chat.domain.errors import RATE_LIMITED, ChatError
from chat.presence import LocalPresence
from chat.ratelimit import LocalRateLimiter


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
        self.presence = LocalPresence()
        self.limiter = LocalRateLimiter(app.config["RATE_LIMIT_BURST"], app.config["RATE_LIMIT_PER_SECOND"])
        self.sockets: dict[str, SocketState] = {}

    def throttle(self, user_id: int) -> Callable[[], None]:
        """The rate-limit check for one new message of ``user_id`` (``post_message``'s ``throttle``)."""

        def spend_token() -> None:
            if not self.limiter.allow(user_id):
                raise ChatError(RATE_LIMITED, "Slow down: too many messages; try again in a moment.")

        return spend_token

    def connected(self, sid: str, user_id: int, username: str) -> SocketState:
        state = self.sockets[sid] = SocketState(user_id, username)
        return state

    def socket(self, sid: str) -> SocketState | None:
        return self.sockets.get(sid)

    def disconnected(self, sid: str) -> SocketState | None:
        return self.sockets.pop(sid, None)


def init_app(app: Flask) -> None:
    app.extensions["parley"] = Realtime(app)


def realtime() -> Realtime:
    """The current app's live state."""
    state: Realtime = current_app.extensions["parley"]
    return state
