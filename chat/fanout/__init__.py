"""Live delivery: what leaves (``emit``), the Redis queue (``queue``), and repair (``repair``, ``upkeep``).

Everything the server pushes to sockets leaves through ``chat.fanout.emit``,
after the database commit. With ``REDIS_URL`` the emits travel through the
queue to every process; what the queue loses, ``repair`` re-delivers from the
database.
"""

from __future__ import annotations

from flask import Flask, current_app

from chat.fanout import emit, following, presence, repair
from chat.fanout.queue import RedisQueue
from chat.fanout.upkeep import Upkeep
from chat.internals import DirectBroadcastManager
from chat.live.redis_client import fail_fast_options

EXTENSION = "parley.upkeep"


def init_app(app: Flask) -> RedisQueue | DirectBroadcastManager:
    """Set up this app's upkeep; the client manager to hand to Socket.IO (the Redis queue with ``REDIS_URL``)."""
    app.extensions[EXTENSION] = Upkeep(app)
    app.extensions[presence.EXTENSION] = presence.PresenceTicker(app)
    if not app.config["REDIS_URL"]:
        return DirectBroadcastManager()
    return RedisQueue(
        app.config["REDIS_URL"],
        channel=app.config["SOCKETIO_CHANNEL"],
        # Our own manager, to give its connection the fail-fast options.
        redis_options=fail_fast_options(),
        on_resubscribed=lambda delivered: repair.redeliver(app, delivered),
        on_closed=emit.room_closed,
        on_command=lambda event, data: following.on_command(app, event, data),
    )


def upkeep() -> Upkeep:
    """The current app's upkeep loop."""
    found: Upkeep = current_app.extensions[EXTENSION]
    return found
