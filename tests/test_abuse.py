"""Anonymous and slow clients against the real server (the Procfile's gunicorn worker).

What the careful tester did, bounded: hundreds of anonymous handshakes, a
refused socket that keeps answering pings, headers sent a byte at a time, a
connection that says nothing, a body that stalls. Each must cost the server
a few seconds at most, while a real WebSocket client stays connected.
"""

from __future__ import annotations

import base64
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import websocket

from tests.support.chat_client import close_websocket, connect
from tests.support.forms import create_users, login_cookie
from tests.support.server import ServerProcess, sqlite_url

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

SLOW_CLIENT_SECONDS = 2.0
# How long past the server's limit a test waits before calling a connection still open.
MARGIN = 3.0


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    """One server with a short slow-client limit and one socket per user; ada's session cookie."""
    directory = tmp_path_factory.mktemp("guarded")
    limits = {"SLOW_CLIENT_SECONDS": str(SLOW_CLIENT_SECONDS), "MAX_SOCKETS_PER_USER": "1"}
    with ServerProcess(sqlite_url(directory), directory, name="guarded", extra_env=limits) as process:
        create_users(process.base_url, "ada")
        yield process, login_cookie(process.base_url, "ada")


def port_of(server: ServerProcess) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def raw_connection(server: ServerProcess) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port_of(server)), timeout=10)
    connection.settimeout(0.2)
    return connection


def seconds_until_closed(connection: socket.socket, pieces: list[bytes], pause: float, limit: float) -> float:
    """Send a piece every ``pause`` s (then nothing); seconds until the server closed, or ``limit``."""
    started = time.monotonic()
    queue = list(pieces)
    while time.monotonic() - started < limit:
        if queue:
            try:
                connection.sendall(queue.pop(0))
            except OSError:
                break
        try:
            if connection.recv(65536) == b"" and not queue:
                break
        except TimeoutError:
            pass
        except OSError:
            break
        time.sleep(max(0.0, pause - 0.2))
    return time.monotonic() - started


def handshake_status(server: ServerProcess, cookie: str | None) -> bytes:
    """The status line a bare Engine.IO WebSocket handshake gets."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n" + (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
    )
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=10) as connection:
        connection.sendall(request.encode())
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(4096)
            if not chunk:
                break
            received += chunk
    return received


def test_anonymous_handshakes_are_refused_with_401_before_engine_io(
    guarded: tuple[ServerProcess, str],
) -> None:
    server, _cookie = guarded
    answers = {handshake_status(server, None).split(b"\r\n", 1)[0] for _ in range(300)}
    assert answers == {b"HTTP/1.1 401 Unauthorized"}
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server.base_url}/socket.io/?EIO=4&transport=polling", timeout=10)
    with refused.value as answer:
        assert answer.code == 401
        assert b"Log in first" in answer.read()


def test_a_refused_socket_is_closed_within_seconds_even_while_it_answers_pings(
    guarded: tuple[ServerProcess, str],
) -> None:
    server, cookie = guarded
    with connect(server.base_url, cookie, ["websocket"]) as kept:  # ada's one allowed socket
        url = server.base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        ws = websocket.create_connection(url, cookie=cookie, timeout=1)
        try:
            assert str(ws.recv()).startswith("0{")
            ws.send("40")
            assert "Too many open connections" in str(ws.recv())
            started = time.monotonic()
            closed_after = None
            while time.monotonic() - started < 10:
                try:
                    frame = ws.recv()
                except websocket.WebSocketTimeoutException:
                    continue
                except (websocket.WebSocketConnectionClosedException, OSError):
                    closed_after = time.monotonic() - started
                    break
                if frame == "2":
                    ws.send("3")  # a client that keeps answering pings
                elif frame in ("", b""):
                    closed_after = time.monotonic() - started
                    break
            assert closed_after is not None, "the refused socket was still open after 10 s"
            assert closed_after < MARGIN
        finally:
            close_websocket(ws)
        assert kept.ask("join", {"room": "general"})["ok"] is True, "the accepted socket is untouched"


def test_slow_heads_idle_connections_and_stalled_bodies_are_dropped(
    guarded: tuple[ServerProcess, str],
) -> None:
    server, _cookie = guarded
    limit = SLOW_CLIENT_SECONDS + MARGIN
    trickle = [b"GET /healthz HTTP/1.1\r\n"] + [f"X-Slow-{n}: x\r\n".encode() for n in range(60)]
    with raw_connection(server) as connection:
        assert seconds_until_closed(connection, trickle, 0.5, 30) < limit, "a header every half second"
    with raw_connection(server) as connection:
        assert seconds_until_closed(connection, [], 0.5, 30) < limit, "a connection that says nothing"
    stalled = [b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nusername=a"]
    with raw_connection(server) as connection:
        assert seconds_until_closed(connection, stalled, 0.5, 30) < limit, "a body that stops"
    with raw_connection(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.5)
        assert connection.recv(4096).startswith(b"HTTP/1.1 200"), "a prompt request is served"
        assert seconds_until_closed(connection, [], 0.5, 30) < limit, "then its idle keep-alive ends"


def test_a_websocket_client_outlives_the_slow_client_limit(guarded: tuple[ServerProcess, str]) -> None:
    server, cookie = guarded
    with connect(server.base_url, cookie, ["websocket"]) as ada:
        time.sleep(3 * SLOW_CLIENT_SECONDS)
        assert ada.ask("join", {"room": "general"})["ok"] is True
