"""The sockets this process holds: which user each belongs to, the rooms it joined, where it types.

Socket state belongs to the process that holds the connection and ends with
it: a client that reconnects elsewhere re-joins with ``since``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SocketState:
    """What one connected socket has done: the rooms it joined, where it is typing."""

    user_id: int
    username: str
    address: str = ""
    rooms: set[str] = field(default_factory=set)
    typing_in: set[str] = field(default_factory=set)
    # Rooms told that this socket types (a relayed typing: true), and rooms where one waits to be.
    typing_told: set[str] = field(default_factory=set)
    typing_waiting: set[str] = field(default_factory=set)
    # The rooms the user is a member of, kept as memberships change: told when the user goes offline.
    member_rooms: set[str] = field(default_factory=set)


class SocketRegistry:
    """Every socket of this process by sid, with each user's sids kept alongside."""

    def __init__(self) -> None:
        self._sockets: dict[str, SocketState] = {}
        self._by_user: dict[int, set[str]] = {}  # kept as sockets come and go, never scanned
        self._per_address: Counter[str] = Counter()

    def connected(self, sid: str, user_id: int, username: str, address: str = "") -> SocketState:
        """Record a new socket of ``user_id`` from ``address`` (replacing any stale state under the same sid)."""
        self.disconnected(sid)
        state = self._sockets[sid] = SocketState(user_id, username, address)
        self._by_user.setdefault(user_id, set()).add(sid)
        self._per_address[address] += 1
        return state

    def disconnected(self, sid: str) -> SocketState | None:
        """Forget ``sid``; its state, or None if it was not here."""
        state = self._sockets.pop(sid, None)
        if state is not None:
            sids = self._by_user.get(state.user_id, set())
            sids.discard(sid)
            if not sids:
                self._by_user.pop(state.user_id, None)
            _release(self._per_address, state.address)
        return state

    def sids_of(self, user_id: int) -> list[str]:
        """The sids of ``user_id``'s sockets on this process."""
        return list(self._by_user.get(user_id, ()))

    def get(self, sid: str) -> SocketState | None:
        """The state of socket ``sid``, if this process holds it."""
        return self._sockets.get(sid)

    def count_for(self, user_id: int) -> int:
        """How many sockets ``user_id`` has open on this process."""
        return len(self._by_user.get(user_id, ()))

    def count_from(self, address: str) -> int:
        """How many sockets this process holds from client ``address``."""
        return self._per_address[address]

    def sids(self) -> list[str]:
        """Every socket id held here (a copy: sockets come and go while callers iterate)."""
        return list(self._sockets)

    def states(self) -> list[SocketState]:
        """Every socket's state (a copy)."""
        return list(self._sockets.values())

    def presences(self) -> list[tuple[str, str]]:
        """``(username, sid)`` of every socket here: the presence entries this process keeps alive."""
        return [(state.username, sid) for sid, state in list(self._sockets.items())]

    def rooms_with_sockets(self) -> set[str]:
        """The chat rooms that at least one socket of this process has joined."""
        return {slug for state in self.states() for slug in state.rooms}

    def __len__(self) -> int:
        return len(self._sockets)


def _release(counter: Counter[Any], key: object) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]
