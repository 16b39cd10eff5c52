"""chat/frames.py: one send per frame, and a partial write still delivers every byte in order."""

from __future__ import annotations

import socket

import gevent
from gevent import socket as gsocket

from chat.internals import frame_writer


def test_frames_larger_than_the_socket_buffer_arrive_whole_and_in_order() -> None:
    writer_end, reader_end = gsocket.socketpair()
    writer_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    frames = [bytes([n]) * size for n, size in enumerate([10, 300_000, 7, 1_000_000, 42])]
    expected = b"".join(frames)
    received = bytearray()

    def read() -> None:
        while len(received) < len(expected):
            chunk = reader_end.recv(65536)
            if not chunk:
                return
            received.extend(chunk)

    reader = gevent.spawn(read)
    write = frame_writer(writer_end)
    with gevent.Timeout(20):
        for frame in frames:
            write(frame)
        reader.join()
    writer_end.close()
    reader_end.close()
    assert bytes(received) == expected


def test_a_small_frame_is_one_send() -> None:
    calls: list[str] = []

    class Recording:
        def send(self, data: bytes) -> int:
            calls.append("send")
            return len(data)

        def sendall(self, _data: bytes) -> None:
            calls.append("sendall")

    frame_writer(Recording())(b'42["message",{}]')
    assert calls == ["send"]
