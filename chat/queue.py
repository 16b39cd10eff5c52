"""The Redis message queue that lets every server process emit to every socket."""

from __future__ import annotations

import logging
from typing import Any

import socketio

log = logging.getLogger("parley.queue")


class RedisQueue(socketio.RedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager, logging each time its subscriber (re)subscribes.

    The library already logs lost connections and retries; this adds the line
    an operator looks for after an outage: the subscriber is back.
    """

    def _redis_connect(self) -> None:
        super()._redis_connect()
        subscribe = self.pubsub.subscribe

        def logged_subscribe(*channels: Any, **kwargs: Any) -> Any:
            result = subscribe(*channels, **kwargs)
            log.info("subscribed to the Redis message queue (channel %r)", self.channel)
            return result

        self.pubsub.subscribe = logged_subscribe
