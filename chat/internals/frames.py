"""WebSocket frames for Engine.IO packets, and a writer that never blocks its caller.

``FrameWriter`` collects the frames written to a socket during one turn of
the event loop and, when the turn ends, writes them with one non-blocking
``send`` (nearly always taken whole): a socket that several broadcasts reach
in one turn costs one system call, not one per frame. What the kernel does
not take waits in a backlog that one greenlet, alive only while there is a
backlog, writes as soon as the socket is writable, everything queued
meanwhile in one write. Order is kept: a frame never passes a waiting one.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
from typing import Any

import gevent

log = logging.getLogger("parley.internals")

TEXT, BINARY = 0x81, 0x82  # FIN + opcode
PING_FRAME = bytes((TEXT, 1)) + b"2"  # Engine.IO PING, identical for every socket
CLOSE_FRAME = bytes((0x88, 2)) + struct.pack("!H", 1000)  # WebSocket close, "normal closure"
CLOSE_GRACE_SECONDS = 5.0  # after its close frame, a client has this long to hang up itself
DEFAULT_BACKLOG_LIMIT = 1024 * 1024


def websocket_frame(pkt: Any) -> bytes:
    """The WebSocket frame of an Engine.IO packet, built once per packet object.

    A broadcast hands the same packet to every recipient, so all but the first
    find the frame already built.
    """
    frame: bytes | None = pkt.__dict__.get("websocket_frame")
    if frame is not None:
        return frame
    encoded = pkt.encode()
    if isinstance(encoded, str):
        payload, opcode = encoded.encode("utf-8"), TEXT
    else:
        payload, opcode = bytes(encoded), BINARY
    size = len(payload)
    if size < 126:
        header = bytes((opcode, size))
    elif size <= 0xFFFF:
        header = struct.pack("!BBH", opcode, 126, size)
    else:
        header = struct.pack("!BBQ", opcode, 127, size)
    frame = header + payload
    pkt.websocket_frame = frame
    return frame


class _Turn:
    """The writers written to during this turn of the event loop, flushed together once it ends."""

    __slots__ = ("scheduled", "writers")

    def __init__(self) -> None:
        self.writers: list[FrameWriter] = []
        self.scheduled = False

    def add(self, writer: FrameWriter) -> None:
        self.writers.append(writer)
        if not self.scheduled:
            self.scheduled = True
            # Runs once every greenlet already scheduled (the other handlers of this turn) has run.
            gevent.get_hub().loop.run_callback(self.flush)

    def flush(self) -> None:
        """Runs in the event loop: must not block or raise (``uncork`` does neither)."""
        writers, self.writers, self.scheduled = self.writers, [], False
        for writer in writers:
            try:
                writer.uncork()
            except Exception:  # never leave the others corked behind one that failed
                log.exception("writing a socket's frames failed")
                writer.abort()


_TURN = _Turn()


class FrameWriter:
    """Writes whole frames to one gevent socket, in order, never blocking the caller."""

    __slots__ = (
        "_corked",
        "_pending",
        "_pending_bytes",
        "_send",
        "_sendall",
        "_shutdown",
        "closed",
        "limit",
    )

    def __init__(self, sock: Any, limit: int = DEFAULT_BACKLOG_LIMIT) -> None:
        self._send = sock._sock.send  # the kernel socket under gevent's: non-blocking, never waits
        self._sendall = sock.sendall  # gevent's: waits cooperatively until the socket is writable
        self._shutdown = sock.shutdown
        self._corked: list[bytes] | None = None  # frames written this turn of the event loop, in order
        self._pending: list[bytes] | None = None  # not None while backed up: frames waiting, in order
        self._pending_bytes = 0  # of the backlog: bounded by ``limit``
        self.limit = limit
        self.closed = False

    @property
    def pending_frames(self) -> int:
        """Frames (or remainders) not yet taken by the socket."""
        return len(self._corked or ()) + len(self._pending or ())

    def write(self, frame: bytes) -> None:
        """Queue ``frame`` for the end of this turn (or behind the backlog); never blocks."""
        if self.closed:
            return
        pending = self._pending
        if pending is not None:
            pending.append(frame)
            self._pending_bytes += len(frame)
            if self._pending_bytes > self.limit:
                self.abort()
            return
        corked = self._corked
        if corked is None:
            self._corked = [frame]
            _TURN.add(self)
        else:
            corked.append(frame)

    def uncork(self) -> None:
        """Write this turn's frames in one ``send`` now; what the kernel does not take becomes the backlog.

        Called as the turn ends, and before the socket is closed (a close frame must go out first).
        """
        frames = self._corked
        if frames is None:  # aborted meanwhile
            return
        self._corked = None
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        try:
            sent = self._send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.abort()
            return
        if sent < len(data):
            self._pending = [data[sent:]]
            self._pending_bytes = len(data) - sent
            gevent.spawn(self._flush)

    def _flush(self) -> None:
        """Write the backlog, everything queued meanwhile in one write each time, until none is left."""
        pending = self._pending
        try:
            while pending:
                data = b"".join(pending)
                pending.clear()
                self._pending_bytes = 0
                self._sendall(data)
        except OSError:
            self.abort()
        finally:
            self._pending = None

    def abort(self) -> None:
        """Drop what waits and shut the connection down: its reader sees it end, as if the client left."""
        self.closed = True
        self._corked = self._pending = None
        self._pending_bytes = 0
        with contextlib.suppress(OSError):  # already gone
            self._shutdown(socket.SHUT_RDWR)

    def end(self) -> None:
        """Send a WebSocket close frame after what is queued; hang up if the client has not within the grace."""
        if self.closed:
            return
        self.write(CLOSE_FRAME)
        self.closed = True
        timer = gevent.get_hub().loop.timer(CLOSE_GRACE_SECONDS)
        timer.start(self._hang_up, timer)

    def _hang_up(self, timer: Any) -> None:
        timer.close()
        with contextlib.suppress(OSError):  # the client hung up first, and the server closed the socket
            self._shutdown(socket.SHUT_RDWR)
