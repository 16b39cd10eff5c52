"""The web server's reach-ins: gunicorn's gevent worker, gevent's pywsgi and gevent-websocket.

What each relies on, and the pinned version, is in the table of ``chat/internals/__init__.py``;
``tests/test_internals.py`` tests each one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

import gevent
from geventwebsocket.handler import WebSocketHandler


def frame_writer(sock: Any) -> Callable[[bytes], None]:
    """Write ``data`` to the gevent socket ``sock``: one ``send``, ``sendall`` only for a remainder.

    gevent's ``sendall`` first asks the kernel for the send-buffer size
    (``getsockopt``) to size its chunks; for a chat frame that lookup costs as
    much as the write, once per recipient of every broadcast (11 % of the
    server's CPU in the S1 profile). A plain ``send`` writes the whole frame
    whenever the kernel's buffer has room, which is nearly always.
    """
    send, sendall = sock.send, sock.sendall

    def write(data: bytes) -> None:
        sent = send(data)
        if sent < len(data):
            sendall(memoryview(data)[sent:])

    return write


class FrameWritingHandler(WebSocketHandler):
    """gevent-websocket's handler, its upgraded sockets writing frames with ``frame_writer``."""

    def upgrade_websocket(self) -> Any:
        """Upgrade as gevent-websocket does, then swap in ``frame_writer`` for the socket's writes."""
        refusal = super().upgrade_websocket()
        websocket = getattr(self, "websocket", None)
        if websocket is not None:
            websocket.raw_write = frame_writer(self.socket)
        return refusal


class SlowClient(socket.timeout):
    """A client that did not send its request's line and headers in time (or sent nothing at all)."""


class GuardedHandler(FrameWritingHandler):
    """``FrameWritingHandler`` that also refuses what costs a connection and gives nothing back.

    - **Slow or idle heads.** The request line and headers must arrive within
      ``slow_client_seconds`` in all (a keep-alive connection waiting for its
      next request counts too); a body may pause that long between reads.
      The connection is then closed without an answer, and nothing is logged.
    - **Refused WebSocket handshakes.** gevent-websocket upgrades before the
      app sees the request, so the app could only close an upgraded socket.
      A handshake that ``refuses_upgrade(environ)`` says the app will refuse
      (no valid session: ``chat.security.HandshakeGate``) is not upgraded, and
      the app answers it over plain HTTP with its 401.
    - **A stopping worker** (``shutdown``): a connection waiting for a request
      is closed, and one under way gets its answer but no further request.
    """

    slow_client_seconds = 10.0
    refuses_upgrade: Callable[[dict[str, Any]], bool] | None = None
    shutdown: WorkerShutdown | None = None
    requests_read = 0  # on this connection

    def handle_one_request(self) -> Any:
        """One request, its head under a deadline (cancelled however the head ends)."""
        self._head_deadline: gevent.Timeout | None = None
        try:
            return super().handle_one_request()
        finally:
            if self._head_deadline is not None:
                self._head_deadline.close()

    def read_requestline(self) -> Any:
        """The request line, read once the head's deadline runs and reads time out.

        Once the worker stops, a connection's first request is still served (it
        was accepted before), a later one is not: pywsgi closes the connection on
        an empty line, and the keep-alive client asks another instance.
        """
        waiting = set() if self.shutdown is None else self.shutdown.waiting
        if self.shutdown is not None and self.shutdown.stopping and self.requests_read:
            return ""
        self.requests_read += 1
        self.socket.settimeout(self.slow_client_seconds)
        self._head_deadline = gevent.Timeout.start_new(self.slow_client_seconds, SlowClient("slow head"))
        waiting.add(self)
        try:
            return super().read_requestline()
        finally:
            waiting.discard(self)

    def read_request(self, raw_requestline: str) -> Any:
        """The headers, then the head's deadline ends (the body's reads keep their timeout)."""
        try:
            return super().read_request(raw_requestline)
        finally:
            if self._head_deadline is not None:
                self._head_deadline.close()

    def _handle_client_error(self, ex: BaseException) -> Any:
        if isinstance(ex, OSError):  # too slow, or gone: close quietly (gevent would print a traceback)
            return None
        return super()._handle_client_error(ex)

    def upgrade_websocket(self) -> Any:
        """Upgrade as gevent-websocket does, unless the app will refuse it; upgraded, reads wait on."""
        if self.refuses_upgrade is not None and self.refuses_upgrade(self.environ):
            return None
        refusal = super().upgrade_websocket()
        if getattr(self, "websocket", None) is not None:
            self.socket.settimeout(None)  # frames come when they come; Engine.IO's pings find the dead
        return refusal


class WorkerShutdown:
    """How one gunicorn worker stops: no new connection, no further request, out once all are gone.

    gunicorn's gevent worker notices SIGTERM only at its next one-second tick,
    accepting until then, and then waits for every connection in its pools, an
    idle keep-alive one included, until the graceful timeout. ``begin`` closes
    the listeners at once (the kernel resets what waits in their backlog: a new
    connection is refused) and the connections waiting for a request's head;
    ``GuardedHandler`` reads no further request. ``finish`` ends the process as
    soon as the last connection has ended.
    """

    def __init__(self) -> None:
        self.stopping = False
        self.servers: list[Any] = []  # the worker's gevent servers, as it builds them
        self.waiting: set[GuardedHandler] = set()  # connections blocked reading a request's head

    def server_class(self, base: type[Any]) -> type[Any]:
        """``base`` (the worker's server class) recording each server it builds here."""
        servers = self.servers

        def __init__(server: Any, *args: Any, **kwargs: Any) -> None:
            super(recording, server).__init__(*args, **kwargs)
            servers.append(server)

        recording: type[Any] = type(base.__name__, (base,), {"__init__": __init__})
        return recording

    def begin(self) -> None:
        """Stop accepting and close the idle connections (the others end after their request)."""
        self.stopping = True
        for server in self.servers:
            server.close()
        for handler in list(self.waiting):
            with contextlib.suppress(OSError):  # already gone
                handler.socket.shutdown(socket.SHUT_RDWR)

    def finish(self, timeout: float, release: Callable[[], object]) -> None:
        """Once every connection has ended (within ``timeout``): ``release``, then exit with 0 at once.

        Python's own teardown of the worker (collecting its whole heap) costs a
        second of CPU that a stopping process does not need: its log lines are
        already written. Past ``timeout`` gunicorn's graceful timeout ends it.
        """
        deadline = time.monotonic() + timeout
        for server in self.servers:
            if not server.pool.join(timeout=max(0.0, deadline - time.monotonic())):
                return
        release()
        os._exit(0)


def install_frame_writer(
    worker: Any,
    slow_client_seconds: float = GuardedHandler.slow_client_seconds,
    refuses_upgrade: Callable[[dict[str, Any]], bool] | None = None,
) -> WorkerShutdown | None:
    """Make a gunicorn gevent-websocket worker use ``GuardedHandler``; its shutdown (None: other worker)."""
    if worker.wsgi_handler is not WebSocketHandler:
        return None
    shutdown = WorkerShutdown()
    settings: dict[str, object] = {"slow_client_seconds": slow_client_seconds, "shutdown": shutdown}
    if refuses_upgrade is not None:
        settings["refuses_upgrade"] = staticmethod(refuses_upgrade)
    # Both read when the worker builds its servers, after post_worker_init.
    worker.wsgi_handler = type("GuardedHandler", (GuardedHandler,), settings)
    worker.server_class = shutdown.server_class(worker.server_class)
    return shutdown


def on_sigterm(
    worker: Any,
    shutdown: WorkerShutdown | None,
    hand_off: Callable[[], object],
    release: Callable[[], object],
) -> None:
    """On SIGTERM (once, though a group signal and the master's both come): let the gunicorn
    worker stop, ``shutdown.begin()`` at once, ``hand_off()`` the sockets, and once every
    connection has ended ``release()`` and exit. In a greenlet: a signal handler may run in
    gevent's hub, which must not block."""
    stop_accepting = worker.handle_exit
    started = False

    def stop() -> None:
        if shutdown is not None:
            shutdown.begin()
        hand_off()
        if shutdown is not None:
            shutdown.finish(worker.cfg.graceful_timeout, release)

    def handle(signum: int, frame: Any) -> None:
        nonlocal started
        stop_accepting(signum, frame)
        if not started:
            started = True
            gevent.spawn(stop)

    worker.handle_exit = handle
    signal.signal(signal.SIGTERM, handle)


def wsgi_flask_app(worker: Any) -> Any:
    """The Flask app a gunicorn worker serves (``app:app``), unwrapped if a middleware wraps it."""
    app = worker.wsgi
    return getattr(app, "flask_app", app)
