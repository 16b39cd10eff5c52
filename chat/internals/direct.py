"""Engine.IO over gevent-websocket with each frame written where it is made.

python-engineio gives every socket a queue and a writer greenlet: a broadcast
puts one packet per recipient on their queues, and each writer wakes (a
gevent ``Timeout`` armed and cancelled), encodes the packet, frames it and
writes it, one system call per packet. Here a broadcast's WebSocket frame is
built once (cached on the Engine.IO packet every recipient shares) and the
emitting greenlet hands it to each socket's ``FrameWriter``, which writes
everything a socket got during one turn of the event loop with one
non-blocking ``send`` when the turn ends (``DirectBroadcastManager`` is the
loop over a room's sockets). Only a socket that cannot take it then gets a
backlog and, for as long as it has one, a greenlet that waits until the
socket is writable and writes the whole backlog at once; frames for that
socket queue behind it, so each socket keeps its order and a slow reader
never holds up the others. A backlog over ``backlog_limit`` bytes, or a
failed write, shuts the connection down: the client sees a lost connection
and resumes with ``since``.

Idle sockets carry no writer greenlet and no sleeping ping greenlet: pings are
event-loop timers. Polling, and the socket before its upgrade completes,
keep python-engineio's queue as it is.

Written as a subclass an Engine.IO server could offer itself (a socket class
per server); what it relies on is listed in ``chat/internals/__init__.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import engineio.socket
import gevent
import gevent.socket
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from gevent.queue import Empty

from chat.internals.frames import DEFAULT_BACKLOG_LIMIT, PING_FRAME, FrameWriter, websocket_frame
from chat.internals.reader import FrameReader, detach

# Typed as Any: python-engineio's attributes are untyped, and set in its __init__.
EngineIOSocket: Any = engineio.socket.Socket


class DirectSocket(EngineIOSocket):
    """An Engine.IO socket whose WebSocket frames are written by ``FrameWriter`` from the sender.

    Instances start as python-engineio's ``Socket`` (``__class__`` is swapped
    as the server registers them), hence class-level defaults, no ``__init__``.
    """

    closed: bool  # python-engineio's state, set in its __init__
    closing: bool
    connected: bool
    upgraded: bool
    upgrading: bool
    last_ping: float | None
    queue: Any
    writer: FrameWriter | None = None
    backlog_limit = DEFAULT_BACKLOG_LIMIT
    _ping_timer: Any = None

    def send(self, pkt: Any) -> None:
        """Write the packet's frame to the WebSocket now (or behind its backlog); queue it while polling."""
        writer = self.writer
        if writer is None:
            super().send(pkt)
        elif self.check_ping_timeout():
            writer.write(websocket_frame(pkt))

    def queued(self) -> int:
        """Packets and frames waiting to be written to this socket."""
        writer = self.writer
        return writer.pending_frames if writer is not None else int(self.queue.qsize())

    def schedule_ping(self) -> None:
        """The next PING in ``ping_interval``, from an event-loop timer instead of a sleeping greenlet."""
        if self.last_ping:
            self.last_ping = None
            # ``last_ping`` is set only at connect and by a ping sent, so no timer is running here.
            # A new timer each time: a libev timer started again after it fired keeps its spent
            # deadline and fires at once, which made every ping after the first an instant ping-pong.
            if self._ping_timer is not None:
                self._ping_timer.close()
            timer = self._ping_timer = gevent.get_hub().loop.timer(self.server.ping_interval)
            timer.start(self._ping_due)

    def _ping_due(self) -> None:
        """Runs in the event loop: must not block or raise. A write or a queue ``put`` does neither."""
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        writer = self.writer
        if writer is not None:
            writer.write(PING_FRAME)
        else:
            self.queue.put(eio_packet.Packet(eio_packet.PING))

    def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        """Close as python-engineio does; over a WebSocket, without its queue or writer greenlet."""
        if self._ping_timer is not None:
            self._ping_timer.close()
            self._ping_timer = None
        writer = self.writer
        if writer is None:
            super().close(wait=wait, abort=abort, reason=reason)
        elif not self.closed and not self.closing:
            self.closing = True
            self.server._trigger_event(
                "disconnect", self.sid, reason or self.server.reason.SERVER_DISCONNECT, run_async=False
            )
            if not abort:
                writer.write(websocket_frame(eio_packet.Packet(eio_packet.CLOSE)))
            self.closed = True
            writer.end()

    def _websocket_handler(self, ws: Any) -> Any:
        """Upgrade as python-engineio does, then read here while senders write through ``FrameWriter``."""
        websocket = getattr(ws, "_sock", None)  # gevent-websocket's WebSocket under engineio's wrapper
        sock = getattr(getattr(websocket, "handler", None), "socket", None)
        sockets = self.server.sockets
        if (
            websocket is None
            or type(sock) is not gevent.socket.socket
            or sockets.detached >= sockets.max_detached
        ):
            # Not gevent-websocket over plain TCP (TLS), or as many detached as allowed: python-engineio's
            # own way, which keeps the request's greenlet and so counts against the server's pool.
            return super()._websocket_handler(ws)
        if self.connected and not self._upgraded(ws):
            return []
        self.connected = self.upgraded = True
        close_connection, buffered = detach(websocket, sock)
        sockets.detached += 1
        writer = self.writer = FrameWriter(sock, self.backlog_limit)
        self._write_queued(writer)
        self.queue = None  # from here on nothing is queued; python-engineio's queue costs 2.5 KB
        FrameReader(
            sock,
            self._received,
            lambda: self._gone(close_connection),
            writer.write,
            self.server.max_http_buffer_size,
            buffered,
        )
        return []  # the request ends here; the connection lives on

    def _received(self, data: str | bytes) -> bool:
        """One Engine.IO packet from the client (python-engineio's read loop, one turn); False: hang up."""
        try:
            self.receive(eio_packet.Packet(encoded_packet=data))
        except eio_exceptions.UnknownPacketError:
            pass
        except eio_exceptions.SocketIsClosedError:
            return False
        return True

    def _gone(self, close_connection: Callable[[], None]) -> None:
        """The connection is over: close as python-engineio does after its read loop, and let go of it."""
        if self.writer is not None:
            self.writer.uncork()  # what was written this turn (a reply to the client's close) goes first
            self.writer.closed = True  # the client is gone: nothing more to write
        self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
        if self.server.sockets.get(self.sid) is self:
            del self.server.sockets[self.sid]
        self.server.sockets.detached -= 1
        close_connection()

    def _upgraded(self, ws: Any) -> bool:
        """The probe of an upgrade from polling (Engine.IO's PING "probe", then UPGRADE); False if it failed."""
        self.upgrading = True  # packets queue for the last poll until the upgrade completes
        try:
            probe = eio_packet.Packet(encoded_packet=self._wait(ws))
            if probe.packet_type != eio_packet.PING or probe.data != "probe":
                return False
            ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
            self.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the pending poll
            return bool(eio_packet.Packet(encoded_packet=self._wait(ws)).packet_type == eio_packet.UPGRADE)
        finally:
            self.upgrading = False

    def _write_queued(self, writer: FrameWriter) -> None:
        """Packets queued before the WebSocket took over go first, in order."""
        while True:
            try:
                pkt = self.queue.get_nowait()
            except Empty:
                return
            self.queue.task_done()
            if pkt is None:  # closed meanwhile
                writer.end()
                return
            writer.write(websocket_frame(pkt))

    def _wait(self, ws: Any) -> Any:
        data = ws.wait()
        if data and len(data) > self.server.max_http_buffer_size:
            raise ValueError("packet is too large")
        return data


class DirectSockets(dict[str, Any]):
    """An Engine.IO server's ``sockets`` map, making each socket a ``DirectSocket`` as it is registered."""

    backlog_limit = DEFAULT_BACKLOG_LIMIT
    # Detached WebSockets hold no greenlet, so a server's pool (gunicorn's worker_connections) no
    # longer bounds them: this does. ``limit_detached`` sets it to the worker's own bound.
    max_detached = 10_000
    detached = 0

    def __setitem__(self, sid: str, sock: Any) -> None:
        if type(sock) is engineio.socket.Socket:
            sock.__class__ = DirectSocket
            sock.backlog_limit = self.backlog_limit
        super().__setitem__(sid, sock)


def limit_detached(eio_server: Any, most: int) -> None:
    """At most ``most`` WebSockets without a greenlet; more are served as python-engineio serves them."""
    if isinstance(eio_server.sockets, DirectSockets):
        eio_server.sockets.max_detached = most


def write_frames_directly(eio_server: Any, backlog_limit: int = DEFAULT_BACKLOG_LIMIT) -> bool:
    """Make an Engine.IO server's sockets ``DirectSocket``s; False (nothing done) unless it runs on gevent."""
    if eio_server.async_mode != "gevent":
        return False
    sockets = DirectSockets(eio_server.sockets)
    sockets.backlog_limit = backlog_limit
    eio_server.sockets = sockets
    return True
