"""A broadcast written to its room in one loop.

python-socketio's ``Manager.emit`` encodes a broadcast once, then for each
recipient goes through ``Server._send_eio_packet``, Engine.IO's
``send_packet`` and ``_get_socket`` and the socket's ``send``: five Python
calls before the frame is written. With ``DirectSocket``s the loop here looks
each socket up and hands the frame, built once, straight to its
``FrameWriter``; what it skips it does itself (a closed socket is forgotten,
a socket whose client stopped answering pings is closed). Anything else (a
polling socket, an emit with a callback, binary data, another async mode)
goes the library's way.
"""

from __future__ import annotations

import time
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from chat.internals.direct import DirectSockets
from chat.internals.frames import websocket_frame


class DirectBroadcastManager(socketio.Manager):
    """python-socketio's in-process manager, writing each broadcast's frame to its recipients directly."""

    def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Emit to a room, or to one socket, as ``Manager.emit`` does."""
        room = to or room
        sockets = self.server.eio.sockets
        frame = None
        if callback is None and isinstance(sockets, DirectSockets) and namespace in self.rooms:
            frame = self._frame(event, data, namespace)
        if frame is None:
            super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs)
            return
        pkt, frame_bytes = frame
        skip = skip_sid if isinstance(skip_sid, list) else (skip_sid,)
        now, ping_timeout = time.time(), self.server.eio.ping_timeout
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            sock = sockets.get(eio_sid)
            if sock is None:
                continue
            if sock.closed:  # as Engine.IO's ``_get_socket``: forget it
                sockets.pop(eio_sid, None)
                continue
            writer = sock.writer
            last_ping = sock.last_ping
            if writer is None or (last_ping and now - last_ping > ping_timeout):
                sock.send(pkt)  # polling, upgrading, or a silent client that ``send`` closes
            else:
                writer.write(frame_bytes)

    def _frame(self, event: str, data: Any, namespace: str) -> tuple[Any, bytes] | None:
        """The Engine.IO packet of this event and its WebSocket frame; None for binary data (several packets)."""
        if isinstance(data, tuple):  # as Manager.emit: a tuple is several arguments
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        if isinstance(encoded, list):
            return None
        pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        return pkt, websocket_frame(pkt)
