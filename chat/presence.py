"""Who is in which room right now, counted by socket.

A user is online in a room while at least one of their sockets has joined it,
so two tabs of one user make one presence, and closing one of them changes
nothing for the others.
"""

from __future__ import annotations

from collections import defaultdict


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
