"""The Redis message queue that lets every server process emit to every socket.

This adapter imports nothing of the app: what the chat does when the queue
comes back or a room closes is handed in as callbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chat.internals import ObservedRedisManager

log = logging.getLogger("parley.queue")


class RedisQueue(ObservedRedisManager):
    """python-socketio's Redis manager, plus what a chat needs after a Redis outage.

    Redis pub/sub keeps nothing for a subscriber that is away: messages
    published while this process was cut off never reach its sockets live. So
    the queue remembers, per room, the newest seq and rev it delivered here, and when
    its subscriber comes back it calls ``on_resubscribed`` with that record to
    re-deliver what was stored since (clients drop seqs they already have).
    It also logs the line an operator looks for after an outage: the
    subscriber is back.
    """

    def __init__(
        self,
        *args: Any,
        on_resubscribed: Callable[[dict[str, Delivered]], None] | None = None,
        on_closed: Callable[[str], None] | None = None,
        on_command: Callable[[str, Any], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.delivered: dict[str, Delivered] = {}  # rooms joined here -> how far their events reached
        self.on_resubscribed = on_resubscribed
        self.on_closed = on_closed
        self.command_handler = on_command
        self._subscriptions = 0

    def joined_at(self, slug: str, seq: int, rev: int) -> None:
        """A socket here joined ``slug`` standing at ``seq`` and ``rev``: start following the room there."""
        self.delivered.setdefault(slug, Delivered(seq, rev))

    def on_emit_here(self, event: str, data: Any) -> None:
        """Note the seq and rev of every message event (new or changed) of a room followed here."""
        if event in ("message", "message_changed") and isinstance(data, dict):
            position = self.delivered.get(str(data.get("room")))
            seq, rev = data.get("seq"), data.get("rev")
            if position is not None and isinstance(seq, int) and isinstance(rev, int):
                position.note(seq if event == "message" else 0, rev)

    def on_command(self, event: str, data: Any) -> None:
        """Hand a server-only emit to the app's handler."""
        if self.command_handler is not None:
            self.command_handler(event, data)

    def on_room_closed(self, room: str) -> None:
        """Hand a closed room to ``on_closed`` (a logout's login room)."""
        if self.on_closed is not None:
            self.on_closed(room)

    def on_subscribed(self) -> None:
        """Log the subscription; after a re-subscription, hand ``delivered`` to ``on_resubscribed``."""
        self._subscriptions += 1
        log.info("subscribed to the Redis message queue (channel %r)", self.channel)
        if self._subscriptions > 1 and self.on_resubscribed is not None:
            snapshot = {slug: position.copy() for slug, position in self.delivered.items()}
            self.server.start_background_task(self.on_resubscribed, snapshot)


# Revs that arrive ahead of a missing one are kept (events from several processes
# overtake each other); past this many per room, repair is due anyway.
MAX_EARLY_REVS = 1000


class Delivered:
    """How far a room's events reached this process.

    ``seq`` is the newest seq sent here. ``rev`` is contiguous: every rev up
    to it was sent here (or superseded by a later change that was), so a
    change whose publish was lost shows as ``rev`` stuck below the room's.
    """

    __slots__ = ("early", "rev", "seq")

    def __init__(self, seq: int = 0, rev: int = 0) -> None:
        self.seq = seq
        self.rev = rev
        self.early: set[int] = set()

    def note(self, seq: int, rev: int) -> None:
        """An event of ``seq`` (0 for a change) and ``rev`` was sent here."""
        self.seq = max(self.seq, seq)
        if rev == self.rev + 1:
            self.caught_up(rev)
        elif rev > self.rev and len(self.early) < MAX_EARLY_REVS:
            self.early.add(rev)

    def caught_up(self, rev: int, seq: int = 0) -> None:
        """Everything up to ``rev`` (and seq ``seq``) was sent here, from the database or in order."""
        self.seq = max(self.seq, seq)
        self.rev = max(self.rev, rev)
        self.early = {early for early in self.early if early > self.rev}
        while self.rev + 1 in self.early:
            self.rev += 1
            self.early.discard(self.rev)

    def copy(self) -> Delivered:
        """The position as it stands, for repair to start from."""
        return Delivered(self.seq, self.rev)
