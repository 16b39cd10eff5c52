"""Frames written where they are made (``chat/internals/frames.py``, ``direct.py``), on real sockets.

``FrameWriter`` on a gevent socket pair: what it relies on of gevent (a
non-blocking kernel socket under ``_sock``), and the rules of the write path:
a write never blocks the sender, a backed-up socket keeps its order and gets
its backlog in one write, a socket past the bound or gone is cut off quietly
while the others go on. The same rules through the real server are in
``tests/test_server_writes.py``.
"""

from __future__ import annotations

import _socket
import socket
from typing import Any

import gevent
import gevent.event
import pytest
from engineio import packet as eio_packet
from gevent import socket as gsocket
from geventwebsocket.websocket import Header

from chat.internals.frames import FrameWriter, websocket_frame
from chat.internals.reader import FrameReader, unmask

SMALL_BUFFER = 4096


class CountedSendall:
    """A gevent socket as ``FrameWriter`` sees it, counting the backlog's writes (``sendall``)."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock._sock
        self.shutdown = sock.shutdown
        self._sendall = sock.sendall
        self.sendalls = 0

    def sendall(self, data: bytes) -> None:
        self.sendalls += 1
        self._sendall(data)


def pair() -> tuple[Any, Any]:
    """A connected gevent socket pair with small buffers, so that a few frames fill them."""
    writer_end, reader_end = gsocket.socketpair()
    writer_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)
    reader_end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER)
    return writer_end, reader_end


def read_all(sock: Any, limit: int, seconds: float = 10.0) -> bytes:
    """Everything ``sock`` receives until its peer closes, or ``limit`` bytes, or ``seconds``."""
    received = bytearray()
    with gevent.Timeout(seconds, False):
        while len(received) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received.extend(chunk)
    return bytes(received)


def numbered(count: int, size: int) -> list[bytes]:
    return [f"{n:06d}".encode() * (size // 6) for n in range(count)]


def test_the_writer_takes_gevents_kernel_socket_non_blocking() -> None:
    writer_end, reader_end = gsocket.socketpair()
    try:
        assert isinstance(writer_end._sock, _socket.socket)
        assert writer_end._sock.gettimeout() == 0.0, "gevent no longer keeps its kernel socket non-blocking"
    finally:
        writer_end.close()
        reader_end.close()


def test_a_backed_up_socket_keeps_its_order_and_gets_its_backlog_in_one_write() -> None:
    writer_end, reader_end = pair()
    counted = CountedSendall(writer_end)
    writer = FrameWriter(counted, limit=10 * 1024 * 1024)
    frames = numbered(200, 1200)
    try:
        for frame in frames:  # nobody reads yet: the buffers fill and the rest waits
            writer.write(frame)
        assert writer.pending_frames > 50, "the kernel took everything: the test's buffers are too large"
        assert counted.sendalls == 0, "a write waited for the socket instead of returning"
        received = read_all(reader_end, sum(map(len, frames)))
    finally:
        writer_end.close()
        reader_end.close()
    assert received == b"".join(frames)
    assert counted.sendalls == 1, "frames queued behind a backlog did not go out in one write"
    assert writer.pending_frames == 0


class CountedKernel:
    """A gevent socket as ``FrameWriter`` sees it, counting its non-blocking kernel ``send``s."""

    def __init__(self, sock: Any) -> None:
        self._sock = self
        self._kernel = sock._sock
        self.sendall = sock.sendall
        self.shutdown = sock.shutdown
        self.sends: list[bytes] = []

    def send(self, data: bytes) -> int:
        self.sends.append(data)
        sent: int = self._kernel.send(data)
        return sent


def test_frames_written_in_one_turn_of_the_event_loop_go_out_in_one_send_when_it_ends() -> None:
    writer_end, reader_end = gsocket.socketpair()
    counted = CountedKernel(writer_end)
    writer = FrameWriter(counted)
    try:
        for frame in (b"one", b"two", b"three"):  # one handler's broadcasts, say, before it yields
            writer.write(frame)
        assert counted.sends == [], "a frame was written before the turn ended"
        assert writer.pending_frames == 3
        gevent.sleep(0)  # the turn ends
        assert counted.sends == [b"onetwothree"]
        writer.write(b"four")
        gevent.sleep(0)
        assert counted.sends == [b"onetwothree", b"four"]
        assert read_all(reader_end, 15, seconds=2) == b"onetwothreefour"
    finally:
        writer_end.close()
        reader_end.close()


def test_uncork_writes_this_turns_frames_at_once_and_only_once() -> None:
    """Before a socket is closed, what was written this turn (a reply to the client's close) goes out."""
    writer_end, reader_end = gsocket.socketpair()
    counted = CountedKernel(writer_end)
    writer = FrameWriter(counted)
    try:
        writer.write(b"bye")
        writer.uncork()
        assert counted.sends == [b"bye"]
        gevent.sleep(0)  # the end of the turn finds nothing left to write
        assert counted.sends == [b"bye"]
        assert read_all(reader_end, 3, seconds=2) == b"bye"
    finally:
        writer_end.close()
        reader_end.close()


def test_a_reader_that_stops_reading_is_cut_off_past_the_bound_while_the_others_get_everything() -> None:
    stalled_end, stalled_peer = pair()
    live_end, live_peer = pair()
    stalled = FrameWriter(stalled_end, limit=64 * 1024)
    live = FrameWriter(live_end, limit=10 * 1024 * 1024)
    frames = numbered(300, 1200)
    reader = gevent.spawn(read_all, live_peer, sum(map(len, frames)))
    try:
        with gevent.Timeout(10):
            for frame in frames:  # one broadcast after another, to both
                stalled.write(frame)
                live.write(frame)
                gevent.sleep(0)  # let the live reader read, as a busy server would between messages
            received = reader.get()
        assert stalled.closed, "a backlog past the bound did not end the connection"
        stalled.write(b"after")  # dropped quietly
        got = read_all(stalled_peer, 10 * 1024 * 1024, seconds=5)  # what it got, then the end
    finally:
        for sock in (stalled_end, stalled_peer, live_end, live_peer):
            sock.close()
    assert received == b"".join(frames)
    assert got == b"".join(frames)[: len(got)], "the stalled socket got frames out of order"
    assert len(got) < len(b"".join(frames))


def test_a_socket_closed_by_its_client_mid_broadcast_is_dropped_quietly() -> None:
    gone_end, gone_peer = gsocket.socketpair()
    live_end, live_peer = gsocket.socketpair()
    gone, live = FrameWriter(gone_end), FrameWriter(live_end)
    frames = numbered(40, 600)
    try:
        for n, frame in enumerate(frames):
            if n == 10:
                gone_peer.close()  # the client hangs up in the middle of the messages
            gone.write(frame)
            live.write(frame)
        received = read_all(live_peer, sum(map(len, frames)))
        assert gone.closed, "a write to a closed connection did not end it"
    finally:
        for sock in (gone_end, live_end, live_peer):
            sock.close()
    assert received == b"".join(frames)


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_a_packets_frame_is_built_once_and_reads_back_as_gevent_websocket_writes_it(size: int) -> None:
    pkt = eio_packet.Packet(eio_packet.MESSAGE, data="x" * size)
    frame = websocket_frame(pkt)
    assert websocket_frame(pkt) is frame, "the frame is built again for each recipient"
    writer_end, reader_end = gsocket.socketpair()
    try:
        sending = gevent.spawn(writer_end.sendall, frame)
        with reader_end.makefile("rb") as stream:
            header = Header.decode_header(stream)
            assert (header.fin, header.opcode, header.length) == (True, 1, size + 1)
            assert stream.read(size + 1) == b"4" + b"x" * size
        sending.get(timeout=5)
    finally:
        writer_end.close()
        reader_end.close()
    binary = websocket_frame(eio_packet.Packet(eio_packet.MESSAGE, data=b"\x00\x01"))
    assert binary == b"\x82\x02\x00\x01"


def client_frame(opcode: int, payload: bytes, final: bool = True, mask: bytes = b"\x01\x02\x03\x04") -> bytes:
    """A client's frame: masked, as RFC 6455 requires of clients."""
    head = bytes(((0x80 if final else 0) | opcode,))
    size = len(payload)
    length = bytes((0x80 | size,)) if size < 126 else bytes((0x80 | 126,)) + size.to_bytes(2, "big")
    return head + length + mask + unmask(payload, mask)


class Reading:
    """A ``FrameReader`` on one end of a socket pair; the test writes frames to the other end."""

    def __init__(self, max_size: int = 1 << 20) -> None:
        self.server_end, self.client_end = gsocket.socketpair()
        self.messages: list[str | bytes] = []
        self.written: list[bytes] = []
        self.ended = gevent.event.Event()
        FrameReader(self.server_end, self.received, self.ended.set, self.written.append, max_size)

    def received(self, message: str | bytes) -> bool:
        self.messages.append(message)
        gevent.sleep(0.01)  # a handler that waits (the database): frames after it wait their turn
        return True

    def close(self) -> None:
        self.server_end.close()
        self.client_end.close()


def test_frames_are_read_as_they_arrive_in_order_and_a_close_is_answered() -> None:
    reading = Reading()
    try:
        reading.client_end.sendall(client_frame(0x1, b"40") + client_frame(0x1, "é".encode() * 100))
        reading.client_end.sendall(client_frame(0x9, b"ping?"))  # a WebSocket ping, answered at once
        reading.client_end.sendall(client_frame(0x1, b'42["mess', final=False)[:5])  # half a header
        gevent.sleep(0.05)
        rest = client_frame(0x1, b'42["mess', final=False)[5:] + client_frame(0x0, b'age"]')
        reading.client_end.sendall(rest + client_frame(0x2, b"\x00\xff") + client_frame(0x8, b"\x03\xe8"))
        assert reading.ended.wait(5), "a close frame did not end the connection"
    finally:
        reading.close()
    assert reading.messages == ["40", "é" * 100, '42["message"]', b"\x00\xff"]
    assert reading.written == [b"\x8a\x05ping?", b"\x88\x02\x03\xe8"]


@pytest.mark.parametrize(
    "frame",
    [
        bytes((0x81, 2)) + b"40",  # unmasked: clients must mask
        client_frame(0x1, b"x" * 200),  # larger than the server takes
        client_frame(0x0, b"more"),  # a continuation with nothing to continue
        client_frame(0x1, b"\xff\xfe"),  # text that is not UTF-8
    ],
    ids=["unmasked", "too-large", "stray-continuation", "not-utf8"],
)
def test_a_broken_frame_ends_the_connection(frame: bytes) -> None:
    reading = Reading(max_size=100)
    try:
        reading.client_end.sendall(frame)
        assert reading.ended.wait(5)
    finally:
        reading.close()
    assert reading.messages == []


def test_a_client_that_hangs_up_ends_the_connection() -> None:
    reading = Reading()
    try:
        reading.client_end.sendall(client_frame(0x1, b"40"))
        reading.client_end.close()
        assert reading.ended.wait(5)
    finally:
        reading.server_end.close()
    assert reading.messages == ["40"]
