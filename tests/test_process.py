"""The Procfile's process as an operator sees it: how it stops, and every line it writes.

Each test starts the real command (migration, seed, gunicorn with its gevent
worker) on a free port with a database of its own, and signals it the way a
platform does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.chat_client import ChatClient, Recorder
from tests.support.forms import register_cookie
from tests.support.server import ServerProcess, sqlite_url

pytestmark = [pytest.mark.server, pytest.mark.timeout(90)]

# The Procfile's --graceful-timeout is 10 s: a stop that waits for it is not prompt.
PROMPT_EXIT_SECONDS = 5.0


def chatting(server: ServerProcess, name: str, transport: str) -> tuple[ChatClient, Recorder]:
    """``name``, registered, connected over ``transport`` and in #general."""
    heard = Recorder(name)
    client = ChatClient(server.url, register_cookie(server.url, name), transports=[transport], recorder=heard)
    assert client.connect().ask("join", {"room": "general"})["ok"] is True
    return client, heard


def kept_alive(server: ServerProcess) -> socket.socket:
    """A connection that had its answer and waits, kept alive, for a next request."""
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    response = b""
    for _ in range(100):  # the head and the body may come in separate pieces
        head, _, body = response.partition(b"\r\n\r\n")
        length = next(
            (int(h[15:]) for h in head.lower().split(b"\r\n") if h.startswith(b"content-length:")), -1
        )
        if len(body) == length:
            break
        response += connection.recv(4096)
    assert response.startswith(b"HTTP/1.1 200"), response
    return connection


def connects(port: int) -> bool:
    """Whether a new TCP connection to ``port`` is accepted (not refused or reset)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def test_sigterm_refuses_new_connections_hands_sockets_off_and_exits_at_once(tmp_path: Path) -> None:
    with ServerProcess(sqlite_url(tmp_path), tmp_path, name="stopping") as server:
        ada, ada_heard = chatting(server, "ada", "websocket")
        bob, bob_heard = chatting(server, "bob", "polling")
        idle = kept_alive(server)
        try:
            os.kill(server.pid, signal.SIGTERM)  # to gunicorn's master, as a platform sends it
            signalled = time.monotonic()
            # Until the master has passed the signal on and the worker has closed its copy of
            # the listener, the kernel still completes connections (how long depends on how
            # busy the machine is). From the worker's "draining" line on, none may be accepted.
            accepted, draining_at = [], None
            while not server.exited(0.05) and time.monotonic() - signalled < PROMPT_EXIT_SECONDS + 5:
                if draining_at is None and "draining: asking" in server.log_text():
                    draining_at = round(time.monotonic() - signalled, 2)
                if draining_at is not None and connects(server.port):
                    accepted.append(round(time.monotonic() - signalled, 2))
            took = time.monotonic() - signalled
            assert server.exited(), "still running"
            assert server.process is not None
            assert server.process.wait(5) == 0, server.log_tail()
            assert took < PROMPT_EXIT_SECONDS, f"exited {took:.1f} s after SIGTERM\n{server.log_tail()}"
            assert draining_at is not None, "the worker never said it was draining"
            assert accepted == [], f"connections accepted after draining began at {draining_at} s: {accepted}"
            idle.settimeout(1)
            assert idle.recv(4096) == b"", "the idle keep-alive connection was closed"
            for heard in (ada_heard, bob_heard):
                # A dropped transport, not a Socket.IO disconnect: clients reconnect on their own.
                assert heard.of("disconnect") == ["transport error"], heard.events
        finally:
            idle.close()
            ada.close()
            bob.close()
        log = server.log_text()
        assert "draining: asking 2 sockets to reconnect elsewhere" in log
        assert "stopped: every connection is closed" in log


def test_with_json_logs_every_line_the_process_writes_is_json(tmp_path: Path) -> None:
    with ServerProcess(
        sqlite_url(tmp_path), tmp_path, name="json", extra_env={"LOG_FORMAT": "json"}
    ) as server:
        ada, _ = chatting(server, "ada", "websocket")
        try:
            # A library's own complaint: python-engineio logs an unknown session itself.
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(
                    f"{server.url}/socket.io/?EIO=4&transport=polling&sid=nosuch", timeout=5
                )
        finally:
            ada.close()
    assert server.process is not None
    assert server.process.returncode == 0, server.log_tail()
    lines = server.log_text().splitlines()
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"line {number} of {len(lines)} is not JSON: {line!r}")
    writers = {record["name"] for record in records}
    # The migration's, the seed's, gunicorn's (master and worker), Parley's, a library's.
    for name in (
        "alembic.runtime.migration",
        "parley.cli",
        "gunicorn.error",
        "parley.socket",
        "engineio.server",
    ):
        assert name in writers, f"no line from {name}: {sorted(writers)}"
    messages = [record["message"] for record in records]
    assert "created /r/general" in messages
    assert "Shutting down: Master" in messages
