"""CPU cost of handling one `message` event in-process, without sockets or fan-out.

    cd <parley checkout> && python /path/to/benchmarks/handler_cost.py [--messages 2000] [--no-freeze]

Runs Parley's real handler through Flask-SocketIO's test client on a temporary
SQLite database (one sender, one other client in the room), and prints the CPU
(process time) and wall time per message, and two counts that do not depend
on how busy the machine is: Python function calls and SQL statements per
message (one extra run under cProfile). CPU time on a shared VM swings by 2x
from minute to minute; the counts are what to compare patches of the hot path
with, the times only in interleaved runs. It also prints what the cyclic
garbage collector took during the timed runs (count, total and largest
pause); like app.py it freezes the objects that exist once the app is built,
unless ``--no-freeze``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-freeze", action="store_true", help="leave gc.freeze() out (app.py calls it)")
    options = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="parley-handler-")
    os.environ.update(
        DATABASE_URL=f"sqlite:///{tmp}/h.sqlite3",
        SECRET_KEY="h" * 64,
        RATE_LIMIT_BURST="1000000",
        RATE_LIMIT_PER_SECOND="1000000",
        EVENTS_BURST="1000000",
        EVENTS_PER_SECOND="1000000",
        LOGIN_ATTEMPTS_BURST="100000",
        LOG_LEVEL="WARNING",
    )
    from sqlalchemy import event

    from chat import create_app
    from chat.domain import accounts, rooms
    from chat.extensions import db, socketio

    app = create_app({"WTF_CSRF_ENABLED": False, "TESTING": True})
    if not options.no_freeze:
        gc.freeze()
    with app.app_context():
        db.create_all()
        rooms.ensure_room("bench")
        accounts.register_user("ada", "password-ada")
        accounts.register_user("bob", "password-bob")
    clients = []
    for name in ("ada", "bob"):
        http = app.test_client()
        http.post("/login", data={"username": name, "password": f"password-{name}"})
        sio = socketio.test_client(app, flask_test_client=http)
        assert sio.is_connected(), name
        assert sio.emit("join", {"room": "bench"}, callback=True)["ok"]
        clients.append(sio)
    ada, bob = clients
    sent = 0

    def send(count: int) -> None:
        nonlocal sent
        for _ in range(count):
            sent += 1
            ack = ada.emit(
                "message", {"room": "bench", "text": "x" * 100, "client_id": f"c{sent}"}, callback=True
            )
            assert ack["ok"], ack
            if sent % 50 == 0:  # the test client keeps what bob receives; an unread pile slows each emit
                bob.get_received()
        bob.get_received()

    statements = 0

    def count_statement(*_args: object) -> None:
        nonlocal statements
        statements += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count_statement)
    send(50)  # warm caches before counting
    counted = 200
    statements = 0
    profiler = cProfile.Profile()
    profiler.runcall(send, counted)
    calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
    if os.environ.get("HANDLER_COST_DUMP"):
        profiler.dump_stats(os.environ["HANDLER_COST_DUMP"])
    per_message = {
        "python_calls": round(calls / counted),
        "sql_statements": round(statements / counted, 2),
    }
    pauses = GcPauses()
    figures = []
    for _ in range(options.repeat):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        with pauses:
            send(options.messages)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        figures.append(
            {
                "cpu_ms_per_message": round(cpu * 1000 / options.messages, 3),
                "wall_ms_per_message": round(wall * 1000 / options.messages, 3),
            }
        )
    best = min(figures, key=lambda f: f["cpu_ms_per_message"])
    print(
        json.dumps(
            {
                "app": str(Path.cwd()),
                "per_message": per_message,
                "messages": options.messages,
                "runs": figures,
                "best": best,
                "gc": pauses.summary(),
            }
        )
    )


class GcPauses:
    """The cyclic collector's pauses while inside ``with``: how many, how long in all, the largest."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __enter__(self) -> None:
        gc.callbacks.append(self._observe)

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._observe)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def summary(self) -> dict[str, object]:
        full = [seconds for generation, seconds in self.pauses if generation == 2]
        return {
            "frozen_objects": gc.get_freeze_count(),
            "collections": len(self.pauses),
            "total_ms": round(sum(seconds for _, seconds in self.pauses) * 1000, 1),
            "largest_ms": round(max((seconds for _, seconds in self.pauses), default=0) * 1000, 1),
            "full_collections": len(full),
            "largest_full_ms": round(max(full, default=0) * 1000, 1),
        }


if __name__ == "__main__":
    main()
