"""WebSocket frames written with one system call each instead of two.

gevent-websocket writes every frame with ``socket.sendall``, and gevent's
``sendall`` first asks the kernel for the socket's send-buffer size
(``getsockopt``) to size its chunks. For a chat frame of a few hundred bytes
that lookup costs as much as the write, and a broadcast pays it once per
recipient: 11 % of the server's CPU in the S1 profile
(docs/performance.md). A plain ``send`` writes the whole frame whenever the
kernel's buffer has room, which is nearly always; only what a partial write
leaves over goes through ``sendall``. Frames and their order are unchanged.

The handler is installed by ``gunicorn.conf.py``, so every way of starting
the Procfile's command gets it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geventwebsocket.handler import WebSocketHandler


def frame_writer(sock: Any) -> Callable[[bytes], None]:
    """Write ``data`` to the gevent socket ``sock``: one ``send``, ``sendall`` only for a remainder."""
    send, sendall = sock.send, sock.sendall

    def write(data: bytes) -> None:
        sent = send(data)
        if sent < len(data):
            sendall(memoryview(data)[sent:])

    return write


class FrameWritingHandler(WebSocketHandler):  # type: ignore[misc]
    """gevent-websocket's handler, its upgraded sockets writing frames with ``frame_writer``."""

    def upgrade_websocket(self) -> Any:
        refusal = super().upgrade_websocket()
        websocket = getattr(self, "websocket", None)
        if websocket is not None:
            websocket.raw_write = frame_writer(self.socket)
        return refusal
