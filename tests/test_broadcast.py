"""A broadcast written to its room in one loop (``chat/internals/broadcast.py``).

A real python-socketio server on gevent with the direct write path: sockets
stand in for connections (what the loop reads of them: ``closed``,
``writer``, ``last_ping``, ``send``). The loop must do what the library's
path did for each kind of recipient; through real connections the same
rules are in ``tests/test_server_writes.py``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import socketio
from engineio import packet as eio_packet

from chat.internals import DirectBroadcastManager, write_frames_directly
from chat.internals.frames import websocket_frame


class Recorded:
    """What one recipient was handed: frames by the loop, packets through ``send``."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, frame: bytes) -> None:
        self.frames.append(frame)


class StandIn:
    """An Engine.IO socket as the loop sees it."""

    def __init__(self, *, websocket: bool = True, last_ping: float | None = None) -> None:
        self.closed = False
        self.last_ping = last_ping
        self.writer: Recorded | None = Recorded() if websocket else None
        self.sent: list[Any] = []

    def send(self, pkt: Any) -> None:
        self.sent.append(pkt)

    @property
    def frames(self) -> list[bytes]:
        """The frames the loop wrote to this socket."""
        return self.writer.frames if self.writer is not None else []


@pytest.fixture
def server() -> socketio.Server:
    sio = socketio.Server(async_mode="gevent", client_manager=DirectBroadcastManager())
    assert write_frames_directly(sio.eio)
    sio.manager.initialize()
    return sio


def member(sio: socketio.Server, room: str, sock: StandIn) -> str:
    """A connected Socket.IO client in ``room`` over ``sock``; its sid."""
    eio_sid = sio.eio.generate_id()
    sio.eio.sockets[eio_sid] = sock
    sid: str = sio.manager.pre_connect(eio_sid, "/")
    sio.manager.connect(sid, "/")
    sio.manager.enter_room(sid, "/", room)
    return sid


def library_frame(event: str, data: Any) -> bytes:
    """The frame python-socketio's own path writes for this emit."""
    encoded = socketio.packet.Packet(socketio.packet.EVENT, namespace="/", data=[event, data]).encode()
    return websocket_frame(eio_packet.Packet(eio_packet.MESSAGE, encoded))


def test_each_websocket_in_the_room_gets_the_same_frame_but_the_skipped_one(server: socketio.Server) -> None:
    socks = [StandIn() for _ in range(3)]
    sids = [member(server, "room:a", sock) for sock in socks]
    elsewhere = StandIn()
    member(server, "room:b", elsewhere)
    server.emit("message", {"seq": 1, "text": "hi"}, to="room:a", skip_sid=sids[0])
    expected = library_frame("message", {"seq": 1, "text": "hi"})
    assert [sock.frames for sock in socks] == [[], [expected], [expected]]
    assert elsewhere.frames == []
    assert not any(sock.sent for sock in socks)


def test_polling_and_silent_clients_go_through_their_sockets_send(server: socketio.Server) -> None:
    polling = StandIn(websocket=False)
    silent = StandIn(last_ping=time.time() - server.eio.ping_timeout - 1)  # pinged, never answered
    answering = StandIn(last_ping=time.time())  # pinged just now
    for sock in (polling, silent, answering):
        member(server, "room:a", sock)
    server.emit("typing", {"room": "a"}, to="room:a")
    assert [pkt.packet_type for pkt in polling.sent] == [eio_packet.MESSAGE]
    assert len(silent.sent) == 1, "a client past its ping timeout is handed to send, which closes it"
    assert silent.frames == []
    assert len(answering.frames) == 1


def test_a_closed_socket_is_forgotten_and_gets_nothing(server: socketio.Server) -> None:
    gone, live = StandIn(), StandIn()
    member(server, "room:a", gone)
    member(server, "room:a", live)
    gone.closed = True
    server.emit("message", {"seq": 2}, to="room:a")
    assert gone not in server.eio.sockets.values()
    assert gone.frames == []
    assert gone.sent == []
    assert len(live.frames) == 1


def test_several_rooms_at_once_reach_each_socket_once(server: socketio.Server) -> None:
    both = StandIn()
    sid = member(server, "room:a", both)
    server.manager.enter_room(sid, "/", "activity:a")
    server.emit("presence", {"room": "a", "changes": []}, to=["room:a", "activity:a"])
    assert len(both.frames) == 1


def test_binary_data_and_callbacks_take_the_librarys_path(server: socketio.Server) -> None:
    sock = StandIn()
    member(server, "room:a", sock)
    server.emit("file", b"\x00\x01", to="room:a")  # a binary attachment: two Engine.IO packets
    assert sock.frames == []
    assert len(sock.sent) == 2, "binary data went through the socket's send, packet by packet"
