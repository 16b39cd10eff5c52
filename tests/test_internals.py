"""Each reach into a library's internals (``chat/internals/``) still does what it relies on.

One test per reach-in, against the installed libraries: when an upgrade
changes a private method, attribute or behaviour, the test of that reach-in
fails here rather than the chat failing in production.
"""

from __future__ import annotations

import base64
import inspect
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import gevent
import pytest
import redis
import socketio
from flask import Flask, request
from flask_socketio import SocketIO
from gevent import pywsgi
from gevent import socket as gsocket
from geventwebsocket.gunicorn.workers import GeventWebSocketWorker
from geventwebsocket.handler import WebSocketHandler
from geventwebsocket.websocket import WebSocket
from werkzeug.test import Client

from chat import internals
from tests.support.services import REDIS_HOST, REDIS_PORT, port_open, require

REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


class Recording(internals.ObservedRedisManager):
    """Records what the hooks are told, and what is published to Redis."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.emits: list[tuple[str, Any]] = []
        self.closed: list[str] = []
        self.subscriptions = 0
        self.published: list[dict[str, Any]] = []

    def on_emit_here(self, event: str, data: Any) -> None:
        self.emits.append((event, data))

    def on_room_closed(self, room: str) -> None:
        self.closed.append(room)

    def on_subscribed(self) -> None:
        self.subscriptions += 1

    def _publish(self, data: dict[str, Any]) -> Any:  # the test's own spy on what leaves for Redis
        self.published.append(data)
        return super()._publish(data)


@pytest.fixture
def two_processes() -> tuple[Recording, ...]:
    """Two Socket.IO servers on one Redis channel of their own, as two processes would be."""
    require(port_open(REDIS_HOST, REDIS_PORT), f"Redis on {REDIS_HOST}:{REDIS_PORT}")
    channel = f"internals-{uuid.uuid4().hex[:8]}"
    managers = tuple(
        Recording(REDIS_URL, channel=channel, redis_options={"client_name": f"{channel}-{n}"}) for n in (1, 2)
    )
    for manager in managers:
        server = socketio.Server(client_manager=manager, async_mode="threading")
        server.manager_initialized = True
        manager.initialize()  # what the first connect would do: start the subscriber
    assert wait_for(lambda: all(m.subscriptions == 1 for m in managers)), "subscribers never subscribed"
    return managers


def test_the_redis_manager_tells_every_process_of_emits_and_closed_rooms(
    two_processes: tuple[Recording, ...],
) -> None:
    here, there = two_processes
    here.emit("message", {"room": "general", "seq": 7}, namespace="/", room="room:general")
    assert ("message", {"room": "general", "seq": 7}) in here.emits, "the sending process"
    assert wait_for(lambda: ("message", {"room": "general", "seq": 7}) in there.emits), "the other process"
    here.close_room("login:abc", namespace="/")
    assert "login:abc" in here.closed
    assert wait_for(lambda: "login:abc" in there.closed)


def test_emitting_here_only_publishes_nothing(two_processes: tuple[Recording, ...]) -> None:
    here, _there = two_processes
    here.emit("message", {"seq": 1}, namespace="/", room="room:general")
    assert len(here.published) == 1
    here.emit_here("message", {"seq": 2}, "room:general")
    assert len(here.published) == 1, "ignore_queue no longer keeps an emit off Redis"


def test_the_redis_manager_says_when_it_subscribes_again_after_losing_redis(
    two_processes: tuple[Recording, ...],
) -> None:
    here, _there = two_processes
    admin = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        (subscriber,) = [c for c in admin.client_list(_type="pubsub") if c["name"] == f"{here.channel}-1"]
        admin.client_kill_filter(_id=subscriber["id"])
    finally:
        admin.close()
    # python-socketio waits a second before it reconnects the subscriber.
    assert wait_for(lambda: here.subscriptions >= 2), "no re-subscription reported"


def flask_socketio_app() -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "internals"
    return app, SocketIO(app, async_mode="threading")


def test_a_real_disconnect_is_pending_while_its_handler_runs() -> None:
    app, sio = flask_socketio_app()
    seen: list[bool] = []

    def on_disconnect(*_args: object) -> None:
        seen.append(internals.is_pending_disconnect(sio.server, request.sid))  # type: ignore[attr-defined]

    sio.on_event("disconnect", on_disconnect)

    client = sio.test_client(app)
    client.emit("disconnect")  # a client's own event of that name, on a live socket
    client.disconnect()
    assert seen == [False, True]


def test_socket_events_after_connect_carry_flask_socketios_session_copy() -> None:
    app, sio = flask_socketio_app()

    def probe() -> bool:
        return internals.has_socket_session(request.environ)

    sio.on_event("probe", probe)

    client = sio.test_client(app)
    assert client.emit("probe", callback=True) is True
    with app.test_request_context("/"):
        assert internals.has_socket_session(request.environ) is False


def polling_socket(server: socketio.Server) -> tuple[Client, str, str]:
    """A Socket.IO client over long-polling, connected: (HTTP client, Engine.IO sid, Socket.IO sid)."""
    http = Client(socketio.WSGIApp(server))
    opened = http.get("/socket.io/?EIO=4&transport=polling").get_data(as_text=True)
    eio_sid = opened.split('"sid":"')[1].split('"')[0]
    http.post(f"/socket.io/?EIO=4&transport=polling&sid={eio_sid}", data="40")
    sid = server.manager.sid_from_eio_sid(eio_sid, "/")
    assert sid is not None
    return http, eio_sid, sid


def test_unsent_packets_are_counted_and_a_transport_is_aborted_without_a_close_packet() -> None:
    server = socketio.Server(async_mode="threading")
    disconnected: list[str] = []
    server.on("disconnect", lambda sid, *_: disconnected.append(sid))
    _http, eio_sid, sid = polling_socket(server)
    before = internals.queued_packets(server)
    server.emit("hello", {"n": 1}, to=sid)
    assert internals.queued_packets(server) == before + 1
    transport = server.eio.sockets[eio_sid]
    assert internals.abort_transport(server, sid) is True
    assert eio_sid not in server.eio.sockets
    assert transport.closed
    assert disconnected == [sid]
    assert internals.abort_transport(server, sid) is False


def test_gevent_websocket_writes_every_frame_through_raw_write() -> None:
    written: list[bytes] = []
    websocket = WebSocket({}, SimpleNamespace(write=None, read=None), None)
    websocket.raw_write = written.append
    websocket.send("hi")
    assert written == [b"\x81\x02hi"]


def test_an_upgraded_websocket_writes_with_the_frame_writer() -> None:
    def app(environ: dict[str, Any], _start_response: Callable[..., Any]) -> list[bytes]:
        websocket = environ["wsgi.websocket"]
        websocket.send(websocket.raw_write.__qualname__)
        return []

    server = pywsgi.WSGIServer(("127.0.0.1", 0), app, handler_class=internals.FrameWritingHandler, log=None)
    server.start()
    try:
        with gevent.Timeout(10):
            reply = websocket_first_frame(server.server_port)
    finally:
        server.stop()
    assert reply == b"frame_writer.<locals>.write"


def websocket_first_frame(port: int) -> bytes:
    """Open a WebSocket to 127.0.0.1:port with gevent sockets and return the first frame's payload."""
    key = base64.b64encode(os.urandom(16)).decode()
    connection = gsocket.create_connection(("127.0.0.1", port))
    try:
        connection.sendall(
            (
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        received = b""
        while b"\r\n\r\n" not in received:
            received += connection.recv(4096)
        head, _, frame = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        while len(frame) < 2 or len(frame) < 2 + frame[1]:
            frame += connection.recv(4096)
        return frame[2 : 2 + frame[1]]
    finally:
        connection.close()


def test_gunicorns_gevent_websocket_worker_builds_its_servers_from_wsgi_handler() -> None:
    assert GeventWebSocketWorker.wsgi_handler is WebSocketHandler
    # Read when run() builds the servers, which is after the post_worker_init hook.
    assert "handler_class=self.wsgi_handler" in inspect.getsource(GeventWebSocketWorker.run)
    worker = SimpleNamespace(wsgi_handler=GeventWebSocketWorker.wsgi_handler)
    assert internals.install_frame_writer(worker) is True
    assert issubclass(worker.wsgi_handler, internals.FrameWritingHandler)
    assert internals.install_frame_writer(SimpleNamespace(wsgi_handler=None)) is False


def test_sigterm_first_stops_the_worker_accepting_then_hands_off() -> None:
    calls: list[str] = []
    worker = SimpleNamespace(handle_exit=lambda *_: calls.append("stop accepting"))
    previous = signal.getsignal(signal.SIGTERM)
    try:
        internals.on_sigterm(worker, lambda: calls.append("drain"))
        assert threading.current_thread() is threading.main_thread()
        worker.handle_exit(15, None)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert calls == ["stop accepting", "drain"]


def test_a_refused_sockets_transport_is_closed_after_the_pause() -> None:
    server = socketio.Server(async_mode="threading")

    def refuse(sid: str, *_args: object) -> None:
        internals.close_transport_later(server, sid, 0.2)
        raise socketio.exceptions.ConnectionRefusedError("no")

    server.on("connect", refuse)
    http = Client(socketio.WSGIApp(server))
    opened = http.get("/socket.io/?EIO=4&transport=polling").get_data(as_text=True)
    eio_sid = opened.split('"sid":"')[1].split('"')[0]
    http.post(f"/socket.io/?EIO=4&transport=polling&sid={eio_sid}", data="40")
    assert (
        http.get(f"/socket.io/?EIO=4&transport=polling&sid={eio_sid}")
        .get_data(as_text=True)
        .startswith('44{"message":"no"')
    ), "the refusal reaches the client first"
    assert wait_for(lambda: eio_sid not in server.eio.sockets, 5.0), "the transport stayed open"


def without_cookie(environ: dict[str, Any]) -> bool:
    return "HTTP_COOKIE" not in environ


def guarded_server(app: Callable[..., Any], seconds: float) -> pywsgi.WSGIServer:
    settings = {"slow_client_seconds": seconds, "refuses_upgrade": staticmethod(without_cookie)}
    handler = type("Guarded", (internals.GuardedHandler,), settings)
    server = pywsgi.WSGIServer(("127.0.0.1", 0), app, handler_class=handler, log=None, error_log=None)
    server.start()
    return server


def closed_after(port: int, trickle: list[bytes], pause: float, limit: float = 10.0) -> float:
    """Send ``trickle`` a piece every ``pause`` seconds; seconds until the server closed the connection."""
    connection = gsocket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    try:
        with gevent.Timeout(limit):
            for piece in trickle:
                connection.sendall(piece)
                gevent.sleep(pause)
                connection.setblocking(False)
                try:
                    if connection.recv(4096) == b"":
                        break
                except BlockingIOError:
                    pass
                finally:
                    connection.setblocking(True)
            while connection.recv(4096):
                pass
        return time.monotonic() - started
    finally:
        connection.close()


def plain_app(_environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_pywsgi_drops_a_head_that_trickles_and_a_connection_that_idles() -> None:
    server = guarded_server(plain_app, 0.5)
    try:
        trickle = [b"GET / HTTP/1.1\r\n"] + [b"X-Slow: " + b"a" * n + b"\r\n" for n in range(40)]
        assert closed_after(server.server_port, trickle, 0.1) < 2.0, "a header a tenth of a second at a time"
        assert closed_after(server.server_port, [b""], 0.0) < 2.0, "a connection that says nothing"
    finally:
        server.stop()


def test_pywsgi_serves_a_prompt_request_and_then_drops_the_idle_keep_alive() -> None:
    server = guarded_server(plain_app, 0.5)
    try:
        connection = gsocket.create_connection(("127.0.0.1", server.server_port))
        try:
            with gevent.Timeout(10):
                connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert connection.recv(4096).startswith(b"HTTP/1.1 200")
                started = time.monotonic()
                while connection.recv(4096):
                    pass
            assert time.monotonic() - started < 2.0
        finally:
            connection.close()
    finally:
        server.stop()


def websocket_handshake(port: int, cookie: str | None) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    connection = gsocket.create_connection(("127.0.0.1", port))
    try:
        connection.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                + (f"Cookie: {cookie}\r\n" if cookie else "")
                + "\r\n"
            ).encode()
        )
        with gevent.Timeout(10):
            received = b""
            while b"\r\n" not in received:
                received += connection.recv(4096)
        return received.split(b"\r\n", 1)[0]
    finally:
        connection.close()


def test_a_websocket_handshake_the_app_refuses_reaches_it_as_plain_http() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "wsgi.websocket" in environ:
            environ["wsgi.websocket"].send("upgraded")
            return []
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"log in"]

    server = guarded_server(app, 5.0)
    try:
        assert websocket_handshake(server.server_port, None) == b"HTTP/1.1 401 Unauthorized"
        assert websocket_handshake(server.server_port, "session=abc") == b"HTTP/1.1 101 Switching Protocols"
    finally:
        server.stop()


def test_gunicorn_gets_the_guarded_handler_with_the_configured_pause() -> None:
    worker = SimpleNamespace(wsgi_handler=GeventWebSocketWorker.wsgi_handler)
    assert internals.install_frame_writer(worker, 3.0, without_cookie) is True
    assert issubclass(worker.wsgi_handler, internals.GuardedHandler)
    assert worker.wsgi_handler.slow_client_seconds == 3.0
    assert worker.wsgi_handler.refuses_upgrade is without_cookie
    for name in ("read_requestline", "read_request", "_handle_client_error", "handle_one_request"):
        assert callable(getattr(pywsgi.WSGIHandler, name)), f"gevent's pywsgi lost {name}"
