"""The write path through the real server (the Procfile's gunicorn worker): each frame written by its sender.

A client that stops reading is cut off once its backlog passes
``SOCKET_BACKLOG_BYTES`` while everyone else gets every message in order;
clients that hang up in the middle of a burst cost nobody anything; long
polling and the upgrade from it keep working. The write path's rules on
bare sockets are in ``tests/test_direct_writes.py``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import websocket

from tests.support.chat_client import ChatClient, Recorder, close_websocket, connect
from tests.support.forms import create_users, login_cookie
from tests.support.server import ServerProcess, sqlite_url

pytestmark = [pytest.mark.server, pytest.mark.timeout(90)]

BACKLOG_BYTES = 64 * 1024
TEXT = "x" * 4000  # the longest message the contract allows
ROOMY = {
    "SOCKET_BACKLOG_BYTES": str(BACKLOG_BYTES),
    "RATE_LIMIT_BURST": "10000",
    "RATE_LIMIT_PER_SECOND": "10000",
    "EVENTS_BURST": "10000",
    "EVENTS_PER_SECOND": "10000",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """A Procfile server with a 64 KiB backlog bound and no rate limits in the way; three cookies."""
    directory = tmp_path_factory.mktemp("writes")
    with ServerProcess(sqlite_url(directory), directory, name="writes", extra_env=ROOMY) as process:
        create_users(process.base_url, "ada", "bob", "carol")
        yield process, {name: login_cookie(process.base_url, name) for name in ("ada", "bob", "carol")}


def raw_member(base_url: str, cookie: str, receive_buffer: int | None = None) -> websocket.WebSocket:
    """A bare Engine.IO WebSocket that connects Socket.IO and joins general, then reads only when told."""
    url = base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
    options = [(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)] if receive_buffer else []
    ws = websocket.create_connection(url, cookie=cookie, origin=base_url, timeout=10, sockopt=options)
    assert str(ws.recv()).startswith("0{")  # Engine.IO open
    ws.send("40")
    assert str(ws.recv()).startswith("40{")  # Socket.IO connected
    ws.send('420["join",{"room":"general"}]')
    for _ in range(50):  # its ack, after presence and whatever else is live
        if str(ws.recv()).startswith("430"):
            return ws
    raise AssertionError("the join was never acknowledged")


def post(ada: ChatClient, count: int) -> list[int]:
    """``count`` messages from ada into general, each acknowledged; their seqs."""
    seqs = []
    for _ in range(count):
        ack = ada.ask("message", {"room": "general", "text": TEXT, "client_id": uuid.uuid4().hex})
        assert ack["ok"] is True, ack
        seqs.append(ack["message"]["seq"])
    return seqs


def messages_until_closed(ws: websocket.WebSocket, seconds: float) -> tuple[list[int], bool]:
    """The seqs of the messages ``ws`` still receives, and whether the server ended the connection."""
    seqs: list[int] = []
    deadline = time.monotonic() + seconds
    ws.settimeout(1)
    while time.monotonic() < deadline:
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return seqs, True
        if not frame:
            return seqs, True
        if str(frame).startswith('42["message"'):
            seqs.append(json.loads(str(frame)[2:])[1]["seq"])
    return seqs, False


@contextlib.contextmanager
def ada_and_bob_in_general(
    process: ServerProcess, cookies: dict[str, str], bob_sees: Recorder
) -> Iterator[ChatClient]:
    """Ada and Bob on WebSockets, both in general (Bob's events go to ``bob_sees``); Ada's client."""
    with (
        connect(process.base_url, cookies["ada"], ["websocket"]) as ada,
        connect(process.base_url, cookies["bob"], ["websocket"], recorder=bob_sees) as bob,
    ):
        assert ada.ask("join", {"room": "general"})["ok"] is True
        assert bob.ask("join", {"room": "general"})["ok"] is True
        yield ada


def live_seqs(recorder: Recorder) -> list[int]:
    return [m["seq"] for m in recorder.of("message")]


def test_a_client_that_stops_reading_is_cut_off_and_the_others_get_everything_in_order(
    server: tuple[ServerProcess, dict[str, str]],
) -> None:
    process, cookies = server
    bob_sees = Recorder("bob")
    stalled = raw_member(process.base_url, cookies["carol"], receive_buffer=4096)
    try:
        with ada_and_bob_in_general(process, cookies, bob_sees) as ada:
            # Carol reads nothing from here on: ~2 MB of messages against a 64 KiB bound plus
            # what the kernel buffers hold.
            seqs = post(ada, 500)
            bob_sees.wait_for(lambda r: len(live_seqs(r)) >= len(seqs), timeout=30, what="every message")
            assert live_seqs(bob_sees) == seqs, "bob missed messages or got them out of order"
            carol_got, cut_off = messages_until_closed(stalled, seconds=20)
            assert cut_off, (
                f"the server never dropped the reader that stopped reading ({len(carol_got)} read)"
            )
            assert carol_got == seqs[: len(carol_got)], "what carol got before the cut is not in order"
            assert len(carol_got) < len(seqs)
    finally:
        close_websocket(stalled)


def test_clients_hanging_up_in_the_middle_of_a_burst_cost_the_others_nothing(
    server: tuple[ServerProcess, dict[str, str]],
) -> None:
    process, cookies = server
    bob_sees = Recorder("bob")
    leaving = [raw_member(process.base_url, cookies["carol"]) for _ in range(5)]
    try:
        with ada_and_bob_in_general(process, cookies, bob_sees) as ada:
            seqs = post(ada, 20)
            for ws in leaving:  # gone without a close frame, as a lost connection goes
                assert ws.sock is not None
                ws.sock.shutdown(socket.SHUT_RDWR)
            seqs += post(ada, 40)
            bob_sees.wait_for(lambda r: len(live_seqs(r)) >= len(seqs), timeout=30, what="every message")
            assert live_seqs(bob_sees) == seqs
    finally:
        for ws in leaving:
            close_websocket(ws)


@pytest.mark.parametrize("transports", [["polling"], None], ids=["polling", "upgrade"])
def test_long_polling_and_the_upgrade_from_it_deliver_in_order(
    server: tuple[ServerProcess, dict[str, str]], transports: list[str] | None
) -> None:
    process, cookies = server
    bob_sees = Recorder("bob")
    with (
        connect(process.base_url, cookies["ada"], ["websocket"]) as ada,
        connect(process.base_url, cookies["bob"], transports, recorder=bob_sees) as bob,
    ):
        assert bob.ask("join", {"room": "general"})["ok"] is True
        assert ada.ask("join", {"room": "general"})["ok"] is True
        first = post(ada, 10)  # while the upgrade (if any) may still be under way
        expected = "polling" if transports else "websocket"
        deadline = time.monotonic() + 10
        while bob.transport() != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert bob.transport() == expected
        seqs = first + post(ada, 30)
        bob_sees.wait_for(lambda r: len(live_seqs(r)) >= len(seqs), timeout=20, what="every message")
        assert live_seqs(bob_sees) == seqs


def test_websockets_past_the_workers_bound_take_a_greenlet_and_the_pool_bounds_them(tmp_path: Path) -> None:
    """Detached WebSockets hold no greenlet of gunicorn's pool; at most ``worker_connections`` are detached."""
    bounded = {**ROOMY, "GUNICORN_CMD_ARGS": "--worker-connections 2"}
    with ServerProcess(sqlite_url(tmp_path), tmp_path, name="bounded", extra_env=bounded) as process:
        create_users(process.base_url, "ada")
        cookie = login_cookie(process.base_url, "ada")
        # Two detached, then two served as python-engineio serves them: each holds one of the pool's two.
        held = [raw_member(process.base_url, cookie) for _ in range(4)]
        try:
            url = process.base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
            try:  # the pool is full: the fifth is not even accepted
                fifth = websocket.create_connection(url, cookie=cookie, origin=process.base_url, timeout=3)
            except (websocket.WebSocketTimeoutException, TimeoutError):
                pass
            else:
                held.append(fifth)
                raise AssertionError("a fifth WebSocket was served past the worker's bound")
        finally:
            for ws in held:
                close_websocket(ws)


def test_a_connection_is_pinged_once_per_interval_however_fast_it_answers(tmp_path: Path) -> None:
    """A client that answers each PING at once gets the next one a whole interval later, not at once."""
    quick = {**ROOMY, "PING_INTERVAL_SECONDS": "0.4"}
    with ServerProcess(sqlite_url(tmp_path), tmp_path, name="pings", extra_env=quick) as process:
        create_users(process.base_url, "ada")
        ws = raw_member(process.base_url, login_cookie(process.base_url, "ada"))
        pings = 0
        try:
            ws.settimeout(0.5)
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline and pings < 100:
                try:
                    frame = str(ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                if frame == "2":  # Engine.IO PING: answered at once, as browsers do
                    pings += 1
                    ws.send("3")
        finally:
            close_websocket(ws)
    assert 4 <= pings <= 9, f"{pings} pings in 3 s at one per 0.4 s"
