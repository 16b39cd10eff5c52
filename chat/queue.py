"""The Redis message queue that lets every server process emit to every socket."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import socketio

log = logging.getLogger("parley.queue")


class RedisQueue(socketio.RedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager, plus what a chat needs after a Redis outage.

    Redis pub/sub keeps nothing for a subscriber that is away: messages
    published while this process was cut off never reach its sockets live. So
    the queue remembers, per room, the newest seq it delivered here, and when
    its subscriber comes back it calls ``on_resubscribed`` to re-deliver what
    was stored since (clients drop seqs they already have). It also logs the
    line an operator looks for after an outage: the subscriber is back.
    """

    def __init__(
        self, *args: Any, on_resubscribed: Callable[[dict[str, int]], None] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.delivered: dict[str, int] = {}  # room slug -> newest seq delivered through this queue
        self.on_resubscribed = on_resubscribed
        self._subscriptions = 0

    def note_delivered(self, slug: str, seq: int) -> None:
        self.delivered[slug] = max(seq, self.delivered.get(slug, 0))

    def _handle_emit(self, message: dict[str, Any]) -> None:
        data = message.get("data")
        if isinstance(data, list) and len(data) == 1:  # emit arguments travel as a list
            data = data[0]
        if message.get("event") == "message" and isinstance(data, dict) and isinstance(data.get("seq"), int):
            self.note_delivered(str(data.get("room")), data["seq"])
        super()._handle_emit(message)

    def _handle_close_room(self, message: dict[str, Any]) -> None:
        # Closing a login's room is how a logout reaches every process (broadcasts.login_ended).
        from chat.broadcasts import LOGIN_PREFIX, disconnect_here

        room = message.get("room")
        if isinstance(room, str) and room.startswith(LOGIN_PREFIX):
            disconnect_here(room)
        super()._handle_close_room(message)

    def deliver_here(self, event: str, data: Any, room: str) -> None:
        """Emit to this process's sockets in ``room`` only, bypassing Redis."""
        socketio.manager.Manager.emit(self, event, data, namespace="/", room=room)

    def _redis_connect(self) -> None:
        super()._redis_connect()
        subscribe = self.pubsub.subscribe

        def logged_subscribe(*channels: Any, **kwargs: Any) -> Any:
            result = subscribe(*channels, **kwargs)
            self._subscriptions += 1
            log.info("subscribed to the Redis message queue (channel %r)", self.channel)
            if self._subscriptions > 1 and self.on_resubscribed is not None:
                self.server.start_background_task(self.on_resubscribed, dict(self.delivered))
            return result

        self.pubsub.subscribe = logged_subscribe
