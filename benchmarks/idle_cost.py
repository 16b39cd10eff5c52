"""Memory of idle authenticated WebSockets: RSS of one server process at N sockets, and where it goes.

    cd <parley checkout> && python benchmarks/idle_cost.py [--at 1000,5000,10000] [--stock] [--breakdown] [--hold 60]

Serves Parley in this process the way the Procfile's worker does (gevent,
gevent-websocket with ``chat.internals.GuardedHandler``, the app's own
``create_app``) on a temporary SQLite database, and opens the sockets from a
child process: bare WebSockets with one user's session cookie that complete
Engine.IO's and Socket.IO's handshakes, answer pings and then stay idle. At
each mark it prints the server's RSS (``VmRSS``) and its CPU per socket so far. ``--stock`` serves with
python-engineio's own socket (a queue and writer greenlet per socket);
``--breakdown`` also prints the greenlets' saved stacks and the largest
Python allocations per socket (tracemalloc, which slows connecting);
``--hold`` then keeps the sockets open that many seconds and prints the share
of a core the server spends on them idle (Engine.IO's pings and its check of
every socket's ping timeout). RSS does not depend on how busy the machine is;
connect times do.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - after monkey-patching, as gunicorn's gevent worker does
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import greenlet  # noqa: E402
from gevent import pywsgi  # noqa: E402
from gevent import socket as gsocket  # noqa: E402

sys.path.insert(0, str(Path.cwd()))

LIMITS = {"MAX_SOCKETS_PER_USER": "100000", "MAX_SOCKETS_PER_ADDRESS": "100000", "LOG_LEVEL": "WARNING"}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve(options: argparse.Namespace) -> tuple[Any, Any, str]:
    """The app under gevent's WSGI server with the Procfile worker's handler; its socketio and a cookie."""
    tmp = tempfile.mkdtemp(prefix="parley-idle-")
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp}/idle.sqlite3", SECRET_KEY="i" * 64, **LIMITS)
    from chat import create_app
    from chat.domain import accounts
    from chat.extensions import db, socketio
    from chat.internals import GuardedHandler
    from chat.security import handshake_gate

    app = create_app({"WTF_CSRF_ENABLED": False})
    if options.stock:
        socketio.server.eio.sockets = {}  # python-engineio's own Socket for every connection
    with app.app_context():
        db.create_all()
        accounts.register_user("idle", "password-idle")
    http = app.test_client()
    http.post("/login", data={"username": "idle", "password": "password-idle"})
    cookie = http.get_cookie("session")
    assert cookie is not None, "login failed"
    handler = type(
        "Handler", (GuardedHandler,), {"refuses_upgrade": staticmethod(handshake_gate(app).refuses)}
    )
    server = pywsgi.WSGIServer(("127.0.0.1", 0), app, handler_class=handler, log=None, backlog=4096)
    server.start()
    return server, socketio, f"session={cookie.value}"


def breakdown(sockets: int) -> dict[str, Any]:
    """Greenlets and their saved stacks, and the top Python allocations, per socket."""
    gc.collect()
    greenlets = [g for g in gc.get_objects() if isinstance(g, greenlet.greenlet)]
    stacks = sum(getattr(g, "_stack_saved", 0) for g in greenlets)
    result: dict[str, Any] = {
        "greenlets_per_socket": round(len(greenlets) / sockets, 2),
        "saved_stack_bytes_per_socket": round(stacks / sockets),
    }
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot()
        top = snapshot.statistics("lineno")[:40]
        result["traced_bytes_per_socket"] = round(
            sum(s.size for s in snapshot.statistics("filename")) / sockets
        )
        result["top_bytes_per_socket"] = [
            f"{round(s.size / sockets)} {s.traceback[0].filename.split('site-packages/')[-1]}:{s.traceback[0].lineno}"
            for s in top
        ]
    return result


def measure(options: argparse.Namespace) -> None:
    server, socketio, cookie = serve(options)
    marks = sorted(int(m) for m in options.at.split(","))
    gc.collect()
    print(json.dumps({"sockets": 0, "rss_mb": round(rss_mb(), 1), "stock": options.stock}), flush=True)
    if options.breakdown:
        tracemalloc.start()
    child = subprocess.Popen(
        [sys.executable, __file__, "--client", str(server.server_port), cookie, str(marks[-1])],
        stdout=subprocess.DEVNULL,
    )
    started, cpu = time.monotonic(), time.process_time()
    try:
        for mark in marks:
            deadline = time.monotonic() + options.max_seconds
            while len(socketio.server.eio.sockets) < mark and time.monotonic() < deadline:
                gevent.sleep(0.2)
            gevent.sleep(2)  # let the last handshakes settle
            gc.collect()
            connected = len(socketio.server.eio.sockets)
            figures = {
                "sockets": connected,
                "rss_mb": round(rss_mb(), 1),
                "seconds": round(time.monotonic() - started),
                # CPU of this process per socket connected so far (connects, and pings answered meanwhile)
                "server_cpu_ms_per_socket": round((time.process_time() - cpu) * 1000 / max(connected, 1), 2),
            }
            print(json.dumps(figures), flush=True)
        if options.hold:
            # Idle but for Engine.IO's heartbeat: a ping per socket per PING_INTERVAL_SECONDS (25), answered.
            idle_cpu, idle_started = time.process_time(), time.monotonic()
            gevent.sleep(options.hold)
            held = time.monotonic() - idle_started
            print(
                json.dumps(
                    {
                        "sockets": len(socketio.server.eio.sockets),
                        "held_seconds": round(held),
                        "idle_server_cpu_share": round((time.process_time() - idle_cpu) / held, 3),
                    }
                ),
                flush=True,
            )
        if options.breakdown:
            print(json.dumps(breakdown(len(socketio.server.eio.sockets))), flush=True)
    finally:
        child.kill()
        child.wait()
        server.stop(timeout=1)


def client(port: int, cookie: str, count: int) -> None:
    """``count`` bare WebSockets that connect, answer pings and otherwise stay idle (in a child process)."""
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
    ).encode()

    def send(sock: Any, text: bytes) -> None:
        sock.sendall(bytes((0x81, 0x80 | len(text))) + b"\0\0\0\0" + text)  # masked with a zero key

    def one() -> None:
        sock = gsocket.create_connection(("127.0.0.1", port))
        sock.sendall(request)
        reader = sock.makefile("rb")
        while reader.readline() not in (b"\r\n", b""):
            pass
        while True:
            head = reader.read(2)
            if len(head) < 2:
                return
            size = head[1] & 0x7F
            if size == 126:
                size = int.from_bytes(reader.read(2), "big")
            payload = reader.read(size)
            if payload.startswith(b"0{"):
                send(sock, b"40")
            elif payload == b"2":
                send(sock, b"3")

    pool = []
    for n in range(count):
        pool.append(gevent.spawn(one))
        if n % 100 == 99:
            gevent.sleep(0.05)  # a steady connect rate, not a SYN flood
    gevent.joinall(pool)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--at", default="1000,5000,10000")
    parser.add_argument("--stock", action="store_true", help="python-engineio's own socket, for comparison")
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument(
        "--hold",
        type=float,
        default=0,
        help="then hold the sockets this many seconds: the CPU share while idle",
    )
    parser.add_argument("--max-seconds", type=float, default=300)
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
