"""Who belongs to a room, by name, kept a few seconds per process: what a join lists.

A join lists a room's members with their presence, so it needs every
member's name. When a thousand people of one room reconnect at once, that is
the same thousand names read a thousand times, a million rows. So each
process keeps a room's roster, and uses it while the room's member count
(one indexed count per join) is still its length: someone admitted by any
process makes it read afresh. Memberships are never removed one by one (a
room is deleted whole), so the same count means the same members. A roster
is read afresh after ``ROSTER_SECONDS`` anyway.

Never an access decision: membership is still read from the database on
every join, history read and message.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app

from chat.models import Room

ROSTER_SECONDS = 60.0
# Rooms whose roster is kept at once; past it every roster is read afresh.
MAX_ROSTERS = 1000
EXTENSION = "parley.rosters"


class Rosters:
    """Member names by room id, each with when it was read."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._names: dict[int, tuple[list[str], float]] = {}
        self._clock = clock

    def names(self, room: Room) -> list[str]:
        """The usernames of ``room``'s members, sorted by name in any letter case."""
        now = self._clock()
        kept = self._names.get(room.id)
        if kept is not None and now - kept[1] < ROSTER_SECONDS and len(kept[0]) == room.member_count():
            return kept[0]
        names = room.member_names()
        if len(self._names) >= MAX_ROSTERS:
            self._names.clear()
        self._names[room.id] = (names, now)
        return names


def rosters() -> Rosters:
    """This app's rosters."""
    found: Rosters = current_app.extensions.setdefault(EXTENSION, Rosters())
    return found
