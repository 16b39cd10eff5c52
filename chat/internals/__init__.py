"""Every reach into a library's internals, in one place.

Parley uses a few things its libraries do not offer as public API. Each one
is here, with what it relies on and the pinned version it was checked
against (``pyproject.toml``); ``tests/test_internals.py`` has a test per
reach-in that fails when an upgrade changes what it relies on. Code elsewhere
calls these functions and classes, never the private names. The web server's
reach-ins (gunicorn's gevent worker, gevent's pywsgi, gevent-websocket) are in
``chat/internals/worker.py``, re-exported here.

| reach-in | library (pinned) | relies on |
| --- | --- | --- |
| ``ObservedRedisManager`` | python-socketio 5.18.1 | ``PubSubManager._handle_emit`` and ``_handle_close_room`` run for every emit and close_room, local or from another process (so an emit can carry a command to every process); ``RedisManager._redis_connect`` sets ``self.pubsub`` before each (re)subscription |
| ``is_pending_disconnect`` | python-socketio 5.18.1 | a real disconnect is marked pending (``is_connected`` false) before the handler runs |
| ``abort_transport``, ``queued_packets`` | python-engineio 4.15.1 | ``Server.sockets`` maps Engine.IO sids to sockets; ``Socket.close(abort=True)`` drops without a close packet; ``Socket.queue`` holds unsent packets |
| ``has_socket_session`` | Flask-SocketIO 5.7.0 | after connect, each event's environ carries ``saved_session``, the socket's copy of the session |
| ``FrameWritingHandler`` | gevent-websocket 0.10.1 | ``WebSocket.raw_write`` writes every frame; ``WebSocketHandler.upgrade_websocket`` sets ``self.websocket`` |
| ``install_frame_writer``, ``on_sigterm`` | gunicorn 27.0.1 | the gevent worker builds its servers from ``server_class`` and ``wsgi_handler`` after ``post_worker_init``, and exits once their pools are empty; ``handle_exit`` is its SIGTERM handler |
| ``close_transport_later`` | python-socketio 5.18.1, python-engineio 4.15.1 | ``manager.eio_sid_from_sid`` still knows a refused socket while its connect handler runs; then as ``abort_transport`` |
| ``GuardedHandler``, ``WorkerShutdown`` | gevent 26.9.0, gevent-websocket 0.10.1 | pywsgi reads each request's head in ``read_requestline`` (an empty line ends the connection) then ``read_request`` and hands a client error to ``_handle_client_error``; ``close()`` of a server stops accepting and closes its listener, and ``pool.join(timeout)`` waits for its connections; gevent-websocket upgrades in ``upgrade_websocket`` before the app runs, and hands a request it did not upgrade to the app as plain HTTP |
| ``write_frames_directly``, ``DirectSocket`` (``direct.py``) | python-engineio 4.15.1 | ``Server.sockets`` is where ``_handle_connect`` registers each new ``Socket`` before using it; ``Socket`` keeps its state in attributes (its class can be swapped), runs a WebSocket in ``_websocket_handler(ws)``, pings via ``schedule_ping``, closes via ``close``; engineio's gevent wrapper keeps gevent-websocket's ``WebSocket`` as ``_sock`` |
| ``DirectBroadcastManager`` (``broadcast.py``) | python-socketio 5.18.1, python-engineio 4.15.1 | ``Manager.emit`` is where every emit to this process's sockets ends (``PubSubManager`` calls it through ``super()``), with ``get_participants`` yielding ``(sid, eio_sid)``; Engine.IO's ``send_packet`` only finds the socket (forgetting a closed one) and calls its ``send``, which closes a socket whose client stopped answering pings |
| ``FrameWriter``, ``FrameReader`` (``frames.py``, ``reader.py``) | gevent 26.9.0 | a gevent socket's ``_sock`` is the non-blocking kernel socket; ``loop.io``/``loop.timer`` watchers call back in the event loop |
| ``detach`` (``reader.py``) | gevent 26.9.0, gevent-websocket 0.10.1 | gevent-websocket's ``WebSocket.handler`` is pywsgi's handler, whose ``socket``, ``rfile`` and ``close_connection`` it reads; with ``handler.socket`` None pywsgi's ``handle`` neither drains nor closes the connection; a ``WebSocket`` marked ``closed`` writes no close frame when its handler ends |
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import socketio

from chat.internals.broadcast import DirectBroadcastManager
from chat.internals.direct import DirectSocket, limit_detached, write_frames_directly
from chat.internals.worker import (  # re-exported: one module to import every reach-in from
    FrameWritingHandler,
    GuardedHandler,
    SlowClient,
    WorkerShutdown,
    frame_writer,
    install_frame_writer,
    on_sigterm,
    wsgi_flask_app,
)

log = logging.getLogger("parley.internals")

# Emits named with this prefix are commands from one process to every process (through the
# queue, as any emit travels), handled by ``on_command`` and never delivered to a socket.
COMMAND_PREFIX = "parley:"


class ObservedRedisManager(socketio.RedisManager, DirectBroadcastManager):
    """python-socketio's Redis manager, telling a subclass what reaches this process.

    What reaches this process's sockets is written by ``DirectBroadcastManager``
    (next in line after the Redis managers, before python-socketio's ``Manager``).

    Subclasses override the three ``on_*`` hooks; none of them needs to know
    the private methods they are called from.
    """

    def on_emit_here(self, event: str, data: Any) -> None:
        """An emit is about to reach this process's sockets (sent here or by another process)."""

    def on_room_closed(self, room: str) -> None:
        """``close_room(room)`` reached this process, before its sockets leave the room."""

    def on_subscribed(self) -> None:
        """The subscriber (re)subscribed to the queue's channel: after a Redis outage too."""

    def on_command(self, event: str, data: Any) -> None:
        """A server-only event (named ``COMMAND_PREFIX…``) reached this process; no client gets it."""

    def emit_here(self, event: str, data: Any, room: str) -> None:
        """Emit to this process's sockets in ``room`` only, bypassing Redis (public ``ignore_queue``)."""
        self.emit(event, data, namespace="/", room=room, ignore_queue=True)

    def _handle_emit(self, message: dict[str, Any]) -> None:
        data = message.get("data")
        if isinstance(data, list) and len(data) == 1:  # emit arguments travel as a list
            data = data[0]
        event = str(message.get("event"))
        if event.startswith(COMMAND_PREFIX):
            self.on_command(event, data)
            return
        self.on_emit_here(event, data)
        super()._handle_emit(message)

    def _handle_close_room(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        if isinstance(room, str):
            self.on_room_closed(room)
        super()._handle_close_room(message)

    def _redis_connect(self) -> None:
        super()._redis_connect()
        subscribe = self.pubsub.subscribe

        def observed_subscribe(*channels: Any, **kwargs: Any) -> Any:
            result = subscribe(*channels, **kwargs)
            self.on_subscribed()
            return result

        self.pubsub.subscribe = observed_subscribe


def is_pending_disconnect(server: socketio.Server, sid: str) -> bool:
    """True while the disconnect handler of ``sid`` runs for a real disconnect.

    A client may also emit an event named "disconnect" on a live socket; then
    the socket is still connected.
    """
    return not server.manager.is_connected(sid, "/")


def abort_transport(server: socketio.Server, sid: str) -> bool:
    """Drop socket ``sid``'s transport the way a lost connection looks; False if it was gone.

    python-engineio has no public "abort"; a Socket.IO or Engine.IO close would
    tell some clients not to reconnect.
    """
    eio_sid = server.manager.eio_sid_from_sid(sid, "/")
    return eio_sid is not None and _abort(server, eio_sid)


def _abort(server: socketio.Server, eio_sid: str) -> bool:
    transport = server.eio.sockets.pop(eio_sid, None)
    if transport is None:
        return False
    transport.close(wait=False, abort=True)
    return True


def close_transport_later(server: socketio.Server, sid: str, seconds: float) -> None:
    """Close the Engine.IO transport under socket ``sid`` after ``seconds``: call it while refusing a connect.

    python-socketio answers a refused connect with a CONNECT_ERROR packet and
    leaves the transport open for as long as the client answers pings. The
    pause lets that packet reach the client (its pending poll, or the
    WebSocket) first, so it still reads why it was refused; the transport is
    then dropped (an Engine.IO close would wait for a poll that may never come).
    """
    eio_sid = server.manager.eio_sid_from_sid(sid, "/")
    if eio_sid is None:
        return

    def close() -> None:
        server.sleep(seconds)
        _abort(server, eio_sid)

    server.start_background_task(close)


def queued_packets(server: socketio.Server) -> int:
    """Packets (and WebSocket frames) queued for this process's sockets but not yet written."""
    return sum(
        transport.queued() if isinstance(transport, DirectSocket) else transport.queue.qsize()
        for transport in list(server.eio.sockets.values())
    )


def has_socket_session(environ: Mapping[str, Any]) -> bool:
    """True for a socket event after connect: Flask-SocketIO swaps in its own copy of the session."""
    return "saved_session" in environ


__all__ = [
    "COMMAND_PREFIX",
    "DirectBroadcastManager",
    "DirectSocket",
    "FrameWritingHandler",
    "GuardedHandler",
    "ObservedRedisManager",
    "SlowClient",
    "WorkerShutdown",
    "abort_transport",
    "close_transport_later",
    "frame_writer",
    "has_socket_session",
    "install_frame_writer",
    "is_pending_disconnect",
    "limit_detached",
    "on_sigterm",
    "queued_packets",
    "write_frames_directly",
    "wsgi_flask_app",
]
