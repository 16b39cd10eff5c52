"""WebSocket frames read when they arrive: no greenlet waits on an idle socket.

gevent-websocket reads a socket from the greenlet that served its HTTP
upgrade, which then stays suspended for the connection's whole life, holding
its C stack, its Python frames and everything they reference (≈ 20 KB per
idle socket). ``detach`` ends that request without closing the connection
(an open file keeps the socket open past the server's close), and
``FrameReader`` watches the socket from the event loop: when bytes arrive it
starts a greenlet that reads and handles every complete frame, then returns
to watching. Frames of one socket are handled one after another, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent

log = logging.getLogger("parley.internals")

READ, PONG, CLOSE = 1, 0x8A, 0x88
TEXT, BINARY, CONTINUATION = 0x1, 0x2, 0x0
PING_OPCODE, PONG_OPCODE, CLOSE_OPCODE = 0x9, 0xA, 0x8


def detach(websocket: Any, sock: Any) -> tuple[Callable[[], None], bytes]:
    """Keep the upgraded connection open past its HTTP request; how to close it, and what was read of it.

    The socket stays open because a file made from it stays open (a socket
    closes for real when it and all its files are closed), so the server's
    close when the request ends is only a mark. Not a duplicated descriptor:
    epoll would go on reporting the closed one's events.
    """
    handler = websocket.handler
    holder = sock.makefile("rb", buffering=0)
    timeout = sock.timeout
    sock.settimeout(0.0)  # a look at what the request's reader holds, without waiting
    try:
        buffered = handler.rfile.peek(65536)
        handler.rfile.read(len(buffered))
    except OSError:
        buffered = b""
    finally:
        sock.settimeout(timeout)
    handler.rfile.close()  # frees its 8 KiB buffer
    websocket.closed = True  # gevent-websocket writes no close frame as its handler ends
    handler.socket = None  # pywsgi neither drains nor closes it (the server's close is a mark)
    handler.close_connection = True  # and serves no further request on it
    # The socket's environ (python-socketio keeps a copy) still names this WebSocket: let it no
    # longer hold the finished request's handler, headers and buffers.
    websocket.handler = websocket.stream = None

    def close() -> None:
        holder.close()
        sock.close()

    return close, buffered


def unmask(payload: bytes, mask: bytes) -> bytes:
    """A client frame's payload, unmasked (RFC 6455 5.3), a word at a time."""
    size = len(payload)
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(size, "little")


def control_frame(first_byte: int, payload: bytes) -> bytes:
    """A server's control frame (pong, close): unmasked, at most 125 bytes of payload."""
    return bytes((first_byte, len(payload))) + payload


class FrameReader:
    """Reads WebSocket frames from ``sock`` when they arrive and hands each message to ``on_message``.

    ``on_message(text_or_bytes)`` returns False when the connection should
    end; ``write`` sends the control frames that answer pings and closes;
    ``on_end()`` runs once, in a greenlet, when the connection is over (the
    client left, broke the protocol, or the socket was shut down).
    """

    __slots__ = (
        "_buffer",
        "_fragments",
        "_opcode",
        "_recv",
        "_watcher",
        "max_size",
        "on_end",
        "on_message",
        "write",
    )

    def __init__(
        self,
        sock: Any,
        on_message: Callable[[str | bytes], bool],
        on_end: Callable[[], None],
        write: Callable[[bytes], None],
        max_size: int,
        buffered: bytes = b"",
    ) -> None:
        self._recv = sock._sock.recv  # the kernel socket under gevent's: non-blocking
        self._buffer = b""
        self._fragments: list[bytes] = []
        self._opcode = TEXT
        self.on_message, self.on_end, self.write, self.max_size = on_message, on_end, write, max_size
        self._watcher = gevent.get_hub().loop.io(sock.fileno(), READ)
        if buffered:  # frames that came with the upgrade: handled first, then the watching starts
            gevent.spawn(self._read, buffered)
        else:
            self._watcher.start(self._readable)

    def _readable(self) -> None:
        """In the event loop: hand the reading to a greenlet, and stop watching until it is done."""
        self._watcher.stop()
        gevent.spawn(self._read)

    def _read(self, buffered: bytes = b"") -> None:
        try:
            alive = self._handle(buffered) if buffered else True
            alive = alive and self._read_available()
        except Exception:  # a frame the app could not handle ends that connection, not the process
            log.exception("WebSocket read failed")
            alive = False
        if alive:
            self._watcher.start(self._readable)
        else:
            self._watcher.close()
            self.on_end()

    def _read_available(self) -> bool:
        """Read and handle everything that has arrived; False once the connection is over."""
        while True:
            try:
                data = self._recv(65536)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data or not self._handle(self._buffer + data):
                return False

    def _handle(self, buffer: bytes) -> bool:
        """Handle each complete frame in ``buffer``, keep the rest; False on a close or a broken frame."""
        while len(buffer) >= 2:
            first, second = buffer[0], buffer[1]
            size, start = second & 0x7F, 2
            if size == 126:
                size, start = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                size, start = int.from_bytes(buffer[2:10], "big"), 10
            if not second & 0x80 or first & 0x70 or size > self.max_size:  # unmasked, extensions, too large
                return False
            end = start + 4 + size
            if len(buffer) < end:
                break
            payload = unmask(buffer[start + 4 : end], buffer[start : start + 4])
            buffer = buffer[end:]
            if not self._frame(bool(first & 0x80), first & 0x0F, payload):
                return False
        self._buffer = buffer
        return True

    def _frame(self, final: bool, opcode: int, payload: bytes) -> bool:
        if opcode == PING_OPCODE:
            self.write(control_frame(PONG, payload[:125]))
            return True
        if opcode == PONG_OPCODE:
            return True
        if opcode == CLOSE_OPCODE:
            self.write(control_frame(CLOSE, payload[:2]))
            return False
        fragments = self._fragments
        if opcode in (TEXT, BINARY) and not fragments:
            if final:
                return self._deliver(opcode, payload)
            self._opcode = opcode
        elif opcode != CONTINUATION or not fragments:
            return False  # a continuation without a start, a new message inside one, an unknown opcode
        fragments.append(payload)
        if sum(map(len, fragments)) > self.max_size:
            return False
        if not final:
            return True
        message = b"".join(fragments)
        fragments.clear()
        return self._deliver(self._opcode, message)

    def _deliver(self, opcode: int, message: bytes) -> bool:
        if opcode == BINARY:
            return self.on_message(message)
        try:
            text = message.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return self.on_message(text)
