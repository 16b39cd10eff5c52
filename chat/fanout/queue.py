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
    the queue remembers, per room, the newest seq it delivered here, and when
    its subscriber comes back it calls ``on_resubscribed`` with that record to
    re-deliver what was stored since (clients drop seqs they already have).
    It also logs the line an operator looks for after an outage: the
    subscriber is back.
    """

    def __init__(
        self,
        *args: Any,
        on_resubscribed: Callable[[dict[str, int]], None] | None = None,
        on_closed: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.delivered: dict[str, int] = {}  # room slug -> newest seq delivered through this queue
        self.on_resubscribed = on_resubscribed
        self.on_closed = on_closed
        self._subscriptions = 0

    def note_delivered(self, slug: str, seq: int) -> None:
        """Remember that this process's sockets in ``slug`` were sent seq ``seq``."""
        self.delivered[slug] = max(seq, self.delivered.get(slug, 0))

    def on_emit_here(self, event: str, data: Any) -> None:
        """Note the newest seq of every message event that reaches this process."""
        if event == "message" and isinstance(data, dict) and isinstance(data.get("seq"), int):
            self.note_delivered(str(data.get("room")), data["seq"])

    def on_room_closed(self, room: str) -> None:
        """Hand a closed room to ``on_closed`` (a logout's login room)."""
        if self.on_closed is not None:
            self.on_closed(room)

    def on_subscribed(self) -> None:
        """Log the subscription; after a re-subscription, hand ``delivered`` to ``on_resubscribed``."""
        self._subscriptions += 1
        log.info("subscribed to the Redis message queue (channel %r)", self.channel)
        if self._subscriptions > 1 and self.on_resubscribed is not None:
            self.server.start_background_task(self.on_resubscribed, dict(self.delivered))
