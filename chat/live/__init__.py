"""Live state: this process's sockets, and the presence and throttles every process agrees on.

Socket state belongs to the process that holds the socket. Presence and the
throttles are what every process must agree on: with ``REDIS_URL`` they live
in Redis, otherwise in this process. ``init_app`` picks the stores once; the
accessors below are the only way to reach them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from chat.live import redis_client
from chat.live.presence import LocalPresence, Presence, RedisPresence
from chat.live.sockets import SocketRegistry, SocketState
from chat.live.throttles import Throttles

__all__ = ["Presence", "SocketRegistry", "SocketState", "Throttles", "presence", "sockets", "throttles"]

EXTENSION = "parley.live"


@dataclass(frozen=True)
class Live:
    """The app's live state, attached once by ``init_app``."""

    sockets: SocketRegistry
    presence: Presence
    throttles: Throttles
    shared: bool  # True when presence and throttles live in Redis


def init_app(app: Flask) -> None:
    """Choose the stores: in this process, or in Redis when ``REDIS_URL`` is set."""
    config = app.config
    client = redis_client.connect(config["REDIS_URL"])
    chosen: Presence = (
        LocalPresence()
        if client is None
        else RedisPresence(client, config["SOCKETIO_CHANNEL"], ttl=config["PRESENCE_TTL_SECONDS"])
    )
    app.extensions[EXTENSION] = Live(SocketRegistry(), chosen, Throttles(config, client), client is not None)


def state(app: Flask | None = None) -> Live:
    """The live state of ``app`` (the current app by default)."""
    found: Live = (app or current_app).extensions[EXTENSION]
    return found


def sockets() -> SocketRegistry:
    """This process's sockets."""
    return state().sockets


def presence() -> Presence:
    """Who is online where (shared by every process with Redis)."""
    return state().presence


def throttles() -> Throttles:
    """The rate limits (shared by every process with Redis)."""
    return state().throttles
