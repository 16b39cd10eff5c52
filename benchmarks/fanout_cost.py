"""What one broadcast costs per recipient: Python calls, kernel writes and CPU per delivery.

    cd <parley checkout> && python benchmarks/fanout_cost.py [--sockets 200] [--broadcasts 200] [--stock]

Serves Parley in this process as ``idle_cost.py`` does (gevent,
gevent-websocket, the app's ``create_app``), opens ``--sockets`` WebSockets
from a child process that reads everything, then emits ``--broadcasts``
message-sized events to all of them, one every 10 ms, and waits until the
writes are done. It prints, per delivery: Python function calls and
``send`` calls on kernel sockets (cProfile, one run), and CPU time (another
run, without the profiler). Counts do not depend on how busy the machine is;
CPU does (compare only interleaved runs). ``--stock`` serves with
python-engineio's own socket (queue and writer greenlet per socket).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - after monkey-patching, as gunicorn's gevent worker does
import cProfile  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path.cwd()))

from benchmarks.idle_cost import serve  # noqa: E402

MESSAGE = {"room": "bench", "seq": 1, "rev": 1, "username": "bench00001", "text": "x" * 60, "id": 1}


def queued(socketio: Any) -> int:
    from chat.internals import queued_packets

    return queued_packets(socketio.server)


def broadcasts(socketio: Any, count: int) -> None:
    """``count`` emits to every socket, 10 ms apart, then until nothing waits to be written."""
    for seq in range(count):
        socketio.emit("message", {**MESSAGE, "seq": seq})
        gevent.sleep(0.01)
    deadline = time.monotonic() + 30
    while queued(socketio) and time.monotonic() < deadline:
        gevent.sleep(0.01)
    gevent.sleep(0.05)  # python-engineio's writers: the last packet taken off the queue, then written


def kernel_sends(stats: pstats.Stats) -> int:
    """Calls of ``send`` on kernel sockets (what gevent's ``send`` and ``sendall`` end in)."""
    return sum(
        row[1]
        for (_file, _line, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if name
        in ("<method 'send' of '_socket.socket' objects>", "<method 'sendall' of '_socket.socket' objects>")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--broadcasts", type=int, default=200)
    parser.add_argument("--stock", action="store_true", help="python-engineio's own socket, for comparison")
    options = parser.parse_args()
    options.at = str(options.sockets)
    server, socketio, cookie = serve(options)
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).parent / "idle_cost.py"),
            "--client",
            str(server.server_port),
            cookie,
            str(options.sockets),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(socketio.server.eio.sockets) < options.sockets and time.monotonic() < deadline:
            gevent.sleep(0.2)
        gevent.sleep(2)
        deliveries = options.broadcasts * len(socketio.server.eio.sockets)
        broadcasts(socketio, 20)  # warm-up
        cpu = time.process_time()
        broadcasts(socketio, options.broadcasts)
        cpu_us = (time.process_time() - cpu) / deliveries * 1e6
        profile = cProfile.Profile()
        profile.enable()
        broadcasts(socketio, options.broadcasts)
        profile.disable()
        stats = pstats.Stats(profile)
        total_calls = stats.total_calls  # type: ignore[attr-defined]
        print(
            json.dumps(
                {
                    "stock": options.stock,
                    "sockets": len(socketio.server.eio.sockets),
                    "broadcasts": options.broadcasts,
                    "python_calls_per_delivery": round(total_calls / deliveries, 1),
                    "kernel_sends_per_delivery": round(kernel_sends(stats) / deliveries, 3),
                    "cpu_us_per_delivery": round(cpu_us, 1),
                }
            ),
            flush=True,
        )
    finally:
        child.kill()
        child.wait()
        server.stop(timeout=1)


if __name__ == "__main__":
    main()
