"""Every reach into a library's internals, in one place.

Parley uses a few things its libraries do not offer as public API. Each one
is here, with what it relies on and the pinned version it was checked
against (``pyproject.toml``); ``tests/test_internals.py`` has a test per
reach-in that fails when an upgrade changes what it relies on. Code elsewhere
calls these functions and classes, never the private names.

| reach-in | library (pinned) | relies on |
| --- | --- | --- |
| ``ObservedRedisManager`` | python-socketio 5.18.1 | ``PubSubManager._handle_emit`` and ``_handle_close_room`` run for every emit and close_room, local or from another process (so an emit can carry a command to every process); ``RedisManager._redis_connect`` sets ``self.pubsub`` before each (re)subscription |
| ``is_pending_disconnect`` | python-socketio 5.18.1 | a real disconnect is marked pending (``is_connected`` false) before the handler runs |
| ``abort_transport``, ``queued_packets`` | python-engineio 4.15.1 | ``Server.sockets`` maps Engine.IO sids to sockets; ``Socket.close(abort=True)`` drops without a close packet; ``Socket.queue`` holds unsent packets |
| ``has_socket_session`` | Flask-SocketIO 5.7.0 | after connect, each event's environ carries ``saved_session``, the socket's copy of the session |
| ``FrameWritingHandler`` | gevent-websocket 0.10.1 | ``WebSocket.raw_write`` writes every frame; ``WebSocketHandler.upgrade_websocket`` sets ``self.websocket`` |
| ``install_frame_writer``, ``on_sigterm`` | gunicorn 27.0.1 | the gevent worker builds its servers from ``wsgi_handler`` after ``post_worker_init``; ``handle_exit`` is its SIGTERM handler |
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Mapping
from typing import Any

import socketio
from geventwebsocket.handler import WebSocketHandler

log = logging.getLogger("parley.internals")

# Emits named with this prefix are commands from one process to every process (through the
# queue, as any emit travels), handled by ``on_command`` and never delivered to a socket.
COMMAND_PREFIX = "parley:"


class ObservedRedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, telling a subclass what reaches this process.

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
    transport = server.eio.sockets.pop(eio_sid, None) if eio_sid is not None else None
    if transport is None:
        return False
    transport.close(wait=False, abort=True)
    return True


def queued_packets(server: socketio.Server) -> int:
    """Packets queued for this process's sockets but not yet written."""
    return sum(transport.queue.qsize() for transport in list(server.eio.sockets.values()))


def has_socket_session(environ: Mapping[str, Any]) -> bool:
    """True for a socket event after connect: Flask-SocketIO swaps in its own copy of the session."""
    return "saved_session" in environ


def frame_writer(sock: Any) -> Callable[[bytes], None]:
    """Write ``data`` to the gevent socket ``sock``: one ``send``, ``sendall`` only for a remainder.

    gevent's ``sendall`` first asks the kernel for the send-buffer size
    (``getsockopt``) to size its chunks; for a chat frame that lookup costs as
    much as the write, once per recipient of every broadcast (11 % of the
    server's CPU in the S1 profile). A plain ``send`` writes the whole frame
    whenever the kernel's buffer has room, which is nearly always.
    """
    send, sendall = sock.send, sock.sendall

    def write(data: bytes) -> None:
        sent = send(data)
        if sent < len(data):
            sendall(memoryview(data)[sent:])

    return write


class FrameWritingHandler(WebSocketHandler):
    """gevent-websocket's handler, its upgraded sockets writing frames with ``frame_writer``."""

    def upgrade_websocket(self) -> Any:
        """Upgrade as gevent-websocket does, then swap in ``frame_writer`` for the socket's writes."""
        refusal = super().upgrade_websocket()
        websocket = getattr(self, "websocket", None)
        if websocket is not None:
            websocket.raw_write = frame_writer(self.socket)
        return refusal


def install_frame_writer(worker: Any) -> bool:
    """Make a gunicorn gevent-websocket worker use ``FrameWritingHandler``; False for other workers."""
    if worker.wsgi_handler is not WebSocketHandler:
        return False
    worker.wsgi_handler = FrameWritingHandler  # read when the worker builds its servers, after this hook
    return True


def on_sigterm(worker: Any, then: Callable[[], None]) -> None:
    """On SIGTERM, let the gunicorn worker stop accepting, then call ``then``."""
    stop_accepting = worker.handle_exit

    def handle(signum: int, frame: Any) -> None:
        stop_accepting(signum, frame)
        then()

    worker.handle_exit = handle
    signal.signal(signal.SIGTERM, handle)


def wsgi_flask_app(worker: Any) -> Any:
    """The Flask app a gunicorn worker serves (``app:app``), unwrapped if a middleware wraps it."""
    app = worker.wsgi
    return getattr(app, "flask_app", app)
