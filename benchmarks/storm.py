"""The reconnect storm: 1,000 clients in one room, their server restarted, all back at once.

    make bench-storm
    .venv/bin/python benchmarks/storm.py --clients 1000 --restart term    # or --restart kill (a crash)

Parley (the Procfile's command, one gunicorn gevent worker, SQLite) runs on CPU 0, the clients
(benchmarks/storm.mjs, the official socket.io-client with its default reconnection) on CPU 1.
Every client joins the room ``bench`` and holds its messages; then the server is stopped
(SIGTERM, as a deploy does, or kill -9) and started again on the same port, and every client
reconnects and resumes with ``since`` while one of them keeps posting. Printed: the seconds until
every client had joined again (from the first client's reconnect, when the new server serves, and
from the drop), the CPU the new worker spent from the first reconnect until then (its startup
apart) and until everyone caught up, and the messages missing anywhere at the end (loss).
Target (issue 17): all back within 10 s, no loss. The figures also go to
``benchmarks/results/storm-<UTC timestamp>.json``, with the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.run import BENCH_ENV, LOADGEN_CPU, PASSWORD, children, log, pinned
from deploy.launcher import WebProcess, free_port, server_environment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_SECONDS = 10.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_of(server: WebProcess, timeout: float = 10.0) -> int:
    """The gunicorn worker's pid (the master, the process started, only supervises)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = children(server.pid)
        if workers:
            return workers[0]
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker appeared")


def prepare(tmp: Path, users: int) -> dict[str, str]:
    """A fresh SQLite database with the benchmark users and room; the server environment."""
    env = server_environment(
        f"sqlite:///{tmp / 'parley.sqlite3'}",
        secrets.token_hex(32),
        base={k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        extra=BENCH_ENV,
    )
    for args in (
        ["-m", "flask", "--app", "app", "db", "upgrade"],
        [str(HERE / "provision.py"), "--users", str(users), "--password", PASSWORD],
    ):
        subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
        )
    return env


def node(script: str, args: list[str], **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["taskset", "-c", LOADGEN_CPU, "node", str(HERE / script), *args], text=True, **popen
    )


def login(url: str, users: int, out: Path) -> None:
    args = ["login", "--url", url, "--users", str(users), "--password", PASSWORD, "--out", str(out)]
    done = node("load.mjs", args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, _ = done.communicate(timeout=600)
    log("login:", stdout.strip().splitlines()[-1] if stdout.strip() else "(nothing)")


def next_line(stream: IO[str], want: str) -> dict[str, Any]:
    """The clients' next JSON line; fails on an error line or a closed stream."""
    for raw in stream:
        line = json.loads(raw)
        if "error" in line:
            raise RuntimeError(f"storm clients failed: {line['error']}")
        phase = line.get("phase", "figures")
        if phase == want:
            return dict(line)
        raise RuntimeError(f"the storm clients said {phase!r} before {want!r}")
    raise RuntimeError(f"the storm clients ended before {want!r}")


def profile(py_spy: str, pid: int, tmp: Path) -> subprocess.Popen[bytes]:
    """py-spy on the worker for the storm's first 60 s; the collapsed stacks go to results/."""
    out = HERE / "results" / f"profile-storm-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.txt"
    args = [
        "record",
        "--pid",
        str(pid),
        "--duration",
        "60",
        "--rate",
        "100",
        "--format",
        "raw",
        "-o",
        str(out),
    ]
    return subprocess.Popen([py_spy, *args], stdout=subprocess.DEVNULL, stderr=(tmp / "py-spy.log").open("w"))


def storm(options: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="parley-storm-"))
    env = prepare(tmp, options.clients)
    port = free_port()
    server = WebProcess(port, env, tmp / "server-1.log", wrapper=pinned([])).start(timeout=120)
    clients: subprocess.Popen[str] | None = None
    try:
        login(server.url, options.clients, tmp / "cookies.json")
        args = [
            "--url",
            server.url,
            "--cookies",
            str(tmp / "cookies.json"),
            "--clients",
            str(options.clients),
        ]
        clients = node("storm.mjs", args, stdout=subprocess.PIPE)
        assert clients.stdout is not None
        next_line(clients.stdout, "ready")
        log(f"{options.clients} clients joined; restarting the server ({options.restart})")
        server.kill() if options.restart == "kill" else server.stop()
        server = WebProcess(port, env, tmp / "server-2.log", wrapper=pinned([])).start(wait=False)
        next_line(clients.stdout, "first-back")
        worker = worker_of(server)
        cpu_at_up = cpu_seconds(worker)
        profiler = profile(options.py_spy, worker, tmp) if options.py_spy else None
        next_line(clients.stdout, "back")
        cpu_back = cpu_seconds(worker)
        figures = next_line(clients.stdout, "figures")
        cpu_end = cpu_seconds(worker)
        clients.wait(timeout=60)
        if profiler is not None:
            profiler.wait(timeout=120)
    finally:
        if clients is not None and clients.poll() is None:
            clients.kill()
        server.stop()
    return {
        **figures,
        "restart": options.restart,
        "server_cpu_s_startup": round(cpu_at_up, 2),
        "server_cpu_s_storm": round(cpu_back - cpu_at_up, 2),
        "server_cpu_s_until_caught_up": round(cpu_end - cpu_at_up, 2),
        "target": f"all back within {TARGET_SECONDS:.0f} s of the first reconnect, no loss",
        "holds": figures["back_s_from_first"] <= TARGET_SECONDS and figures["missing_deliveries"] == 0,
        "load_average": os.getloadavg(),
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--restart", choices=["term", "kill"], default="term")
    parser.add_argument("--py-spy", default="", help="py-spy's path: profile the new worker in the storm")
    options = parser.parse_args()
    result = storm(options)
    (HERE / "results").mkdir(exist_ok=True)
    path = HERE / "results" / f"storm-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(
        f"{result['clients']} clients back {result['back_s_from_first']} s after the first reconnect "
        f"({result['back_s_from_drop']} s after the drop), server CPU {result['server_cpu_s_storm']} s "
        f"in the storm, {result['missing_deliveries']} deliveries missing; target "
        f"{'holds' if result['holds'] else 'MISSED'} (load average {result['load_average'][0]:.1f})"
    )


if __name__ == "__main__":
    main()
