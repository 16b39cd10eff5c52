"""Parley's fan-out benchmark: start servers, run the scenarios, write figures and a plot.

    python benchmarks/run.py --quick                  # a few minutes: every scenario, short, once
    python benchmarks/run.py                          # full: S1-S4 and S1 on two instances, twice each
    python benchmarks/run.py --scenarios S1,S2 --targets parley,reference --runs 2

Targets (servers):
  parley           the Procfile's web command (gunicorn, one gevent-websocket worker) on SQLite
  parley-eventlet  ``ASYNC_MODE=eventlet python app.py`` on the same database
  parley-simple-websocket
                   the Procfile's command under gunicorn's plain gevent worker, python-engineio's
                   WebSocket on simple-websocket instead of gevent-websocket (the candidate to
                   replace it: benchmarks/candidates/simple_websocket/sitecustomize.py)
  parley-cluster   two instances of the Procfile command (deploy/cluster.py's Cluster) sharing a
                   PostgreSQL database and a Redis queue; clients split across the instances
  parley-x1, -x2.. N instances of the Procfile command on PostgreSQL and Redis behind the bundled
                   nginx (deploy/nginx.conf.template), the way docs/deploy.md uses every core of a
                   host: instances, Redis and nginx on CPUs 0..N-1, clients through nginx.
                   ``--processes 1,2`` runs the scenarios on parley-x1 and parley-x2 and prints
                   how deliveries/s grow
  reference        bare socket.io 4.8 on Node (benchmarks/reference/server.js, its own lockfile)
  bare-gevent      benchmarks/bare_server.py under the same gunicorn worker as Parley
  bare-eventlet    benchmarks/bare_server.py under eventlet (``python bare_server.py``)

Servers run on CPU 0 (taskset), the load generator (benchmarks/load.mjs, Node) on CPU 1; each
(scenario, target, run) gets a freshly started server. Parley's users are created in bulk
(benchmarks/provision.py) and logged in through the real /login form once; their cookies are
reused. Results: benchmarks/results/<timestamp>.json (every run, medians, the targets) and
<timestamp>.png. Every wait has a deadline; everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script (make bench): the checkout's deploy/ package starts the servers.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deploy.cluster import Cluster, ensure_database
from deploy.launcher import (
    GroupProcess,
    WebProcess,
    free_port,
    python_command,
    server_environment,
    web_command,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SERVER_CPU, LOADGEN_CPU = "0", "1"
BENCH_ENV = {
    # Parley's throttles would refuse a benchmark's logins and its 10 msg/s senders.
    "REGISTRATIONS_BURST": "100000",
    "LOGIN_ATTEMPTS_BURST": "100000",
    "RATE_LIMIT_BURST": "1000000",
    "RATE_LIMIT_PER_SECOND": "1000000",
    # ... and their per-user event budgets and per-address socket caps (every client is on 127.0.0.1).
    "EVENTS_BURST": "1000000",
    "EVENTS_PER_SECOND": "1000000",
    "MAX_SOCKETS_PER_ADDRESS": "1000000",
}
PASSWORD = "bench-password-1"
USERS = 1000

S1 = {
    "clients": 100,
    "senders": 10,
    "rate": 10,
    "duration": 20,
    "quick_duration": 6,
    "targets": [
        "parley",
        "reference",
        "parley-simple-websocket",
        "parley-eventlet",
        "bare-gevent",
        "bare-eventlet",
    ],
}
S2 = {
    "clients": 1000,
    "senders": 10,
    "rate": 5,
    "duration": 20,
    "quick_duration": 6,
    "targets": ["parley", "reference"],
    "drain": 15,
}
# name -> clients, senders, per-sender rate, seconds; steps: total msg/s per step (S3)
SCENARIOS: dict[str, dict[str, Any]] = {
    "S1": S1,
    "S2": S2,
    # S2 with raw-`ws` receivers: the load generator then has CPU to spare (see loadgen_cpu_util)
    "S2lite": {**S2, "client_impl": "lite"},
    "S3": {
        "clients": 200,
        "senders": 10,
        "duration": 8,
        "quick_duration": 4,
        "steps": [25, 50, 100, 150, 200, 250, 300, 400, 600, 800, 1200, 1600, 2400],
        "targets": ["parley", "reference"],
        "client_impl": "lite",
    },
    "S4": {
        "clients": 10000,
        "quick_clients": 2000,
        "senders": 0,
        "rate": 0,
        "duration": 0,
        "rss_at": [1000, 2000, 5000, 10000],
        "targets": ["parley", "reference"],
        "client_impl": "lite",
        "join": False,
        "hold": 5,
    },
    # The Procfile as it is, past 1,000 sockets: shows gunicorn's worker_connections cap.
    "S4cap": {
        "clients": 1200,
        "senders": 0,
        "rate": 0,
        "duration": 0,
        "rss_at": [1000],
        "targets": ["parley"],
        "client_impl": "lite",
        "join": False,
        "connect_timeout": 5000,
    },
    "S1x2": {**S1, "targets": ["parley-cluster"]},
}


def log(*parts: object) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def shown_path(path: Path) -> str:
    """``path`` as results files name it: relative to this checkout when inside it (results files are
    published, and a path of the machine that ran them means nothing to a reader)."""
    path = path.resolve()
    return str(path.relative_to(HERE.parent)) if path.is_relative_to(HERE.parent) else str(path)


def pinned(cmd: list[str]) -> list[str]:
    """``cmd`` run on the server CPU (the load generator has the other one)."""
    return ["taskset", "-c", SERVER_CPU, *cmd]


class Bench:
    """Holds the shared state of one benchmark run: temp dir, Parley database, cookies."""

    def __init__(self, options: argparse.Namespace) -> None:
        self.o = options
        self.app_dir: Path = options.app_dir
        self.python = str(Path(sys.executable))
        self.tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
        self.secret = secrets.token_hex(32)
        self.sqlite_ready = False
        self.cookies: dict[str, Path] = {}
        self.logins: dict[str, Any] = {}
        self.node = shutil.which("node") or "node"

    # ------------------------------------------------------------- environments
    def parley_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """One instance on SQLite, no Redis (the server adds its PORT)."""
        return server_environment(
            f"sqlite:///{self.tmp / 'parley.sqlite3'}",
            self.secret,
            base={k: v for k, v in os.environ.items() if k != "REDIS_URL"},
            extra={**BENCH_ENV, **(extra or {})},
        )

    def prepare_sqlite(self) -> None:
        if self.sqlite_ready:
            return
        env = self.parley_env()
        self.run_py(["-m", "flask", "--app", "app", "db", "upgrade"], env)
        out = self.run_py([str(HERE / "provision.py"), "--users", str(USERS), "--password", PASSWORD], env)
        self.logins["provision"] = json.loads(out.strip().splitlines()[-1])
        self.sqlite_ready = True

    def run_py(self, args: list[str], env: dict[str, str]) -> str:
        done = subprocess.run(
            [self.python, *args], cwd=self.app_dir, env=env, capture_output=True, text=True, timeout=180
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    # ------------------------------------------------------------------ servers
    def start(self, target: str, extra_env: dict[str, str] | None = None) -> Server:
        factory: dict[str, Callable[[], Server]] = {
            "parley": lambda: ParleyServer(self, "gunicorn", extra_env),
            "parley-eventlet": lambda: ParleyServer(self, "eventlet", extra_env),
            "parley-simple-websocket": lambda: ParleyServer(self, "simple-websocket", extra_env),
            "reference": lambda: ReferenceServer(self),
            "bare-gevent": lambda: BareServer(self, "gevent", extra_env),
            "bare-eventlet": lambda: BareServer(self, "eventlet"),
            "parley-cluster": lambda: ClusterServer(self, extra_env),
        }
        scaled = re.fullmatch(r"parley-x([1-9])", target)
        if scaled:
            factory[target] = lambda: ClusterServer(self, extra_env, instances=int(scaled[1]), via_nginx=True)
        server = factory[target]()
        try:
            server.start()
        except BaseException:
            server.stop()  # whatever did start (a server that never answered, Redis, nginx)
            raise
        return server

    def loadgen(self, args: list[str], timeout: float) -> dict[str, Any]:
        cmd = ["taskset", "-c", LOADGEN_CPU, self.node, str(HERE / "load.mjs"), *args]
        cmd += ["--max-seconds", str(int(timeout))]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            return {"error": "loadgen timeout"}
        (self.tmp / "loadgen.log").open("a").write(done.stderr)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not lines:
            return {"error": f"loadgen printed nothing (exit {done.returncode}): {done.stderr[-500:]}"}
        result: dict[str, Any] = json.loads(lines[-1])
        return result

    def login(self, key: str, urls: str, pids: list[int]) -> Path:
        if key in self.cookies:
            return self.cookies[key]
        path = self.tmp / f"cookies-{key}.json"
        result = self.loadgen(
            [
                "login",
                "--url",
                urls,
                "--users",
                str(USERS),
                "--password",
                PASSWORD,
                "--out",
                str(path),
                "--server-pid",
                ",".join(map(str, pids)),
                "--label",
                f"login-{key}",
            ],
            timeout=300,
        )
        log(f"login ({key}):", json.dumps(result))
        if not result.get("logins"):
            raise RuntimeError(f"no user could log in: {result}")
        self.logins[key] = result
        self.cookies[key] = path
        return path


class Server:
    name = "server"
    urls: list[str]
    protocol = "parley"
    cookie_key = "sqlite"

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.proc: GroupProcess | None = None
        self.log_path = bench.tmp / f"{self.name}.log"

    def pids(self) -> list[int]:
        """The processes whose CPU and RSS are the server's (a gunicorn worker, node, ...)."""
        assert self.proc is not None
        return [self.proc.pid]

    def popen(self, cmd: list[str], env: dict[str, str], cwd: Path) -> GroupProcess:
        """``cmd`` on the server CPU, in a process group of its own, output to this server's log."""
        return GroupProcess(pinned(cmd), env=env, log_path=self.log_path, cwd=cwd).start()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


WEBSOCKET_WORKER = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
SIMPLE_WEBSOCKET = HERE / "candidates" / "simple_websocket"


class ParleyServer(Server):
    """Parley on SQLite: ``gunicorn`` (the Procfile), ``eventlet`` (app.py) or ``simple-websocket``."""

    def __init__(self, bench: Bench, runtime: str, extra_env: dict[str, str] | None) -> None:
        self.name = {"gunicorn": "parley", "eventlet": "parley-eventlet"}.get(runtime, f"parley-{runtime}")
        super().__init__(bench)
        self.runtime = runtime
        self.extra_env = extra_env or {}

    def start(self) -> None:
        b = self.bench
        b.prepare_sqlite()
        env = b.parley_env(self.extra_env)
        command = None  # the Procfile's web command
        if self.runtime == "eventlet":
            b.run_py(["-m", "flask", "--app", "app", "rooms", "seed"], env)
            env["ASYNC_MODE"] = "eventlet"
            command = python_command("app.py")
        elif self.runtime == "simple-websocket":
            command = web_command(b.app_dir).replace(WEBSOCKET_WORKER, "gevent")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SIMPLE_WEBSOCKET), env.get("PYTHONPATH")]))
        server = WebProcess(
            free_port(), env, self.log_path, command=command, root=b.app_dir, wrapper=pinned([])
        )
        self.proc = server.start(timeout=90)
        self.urls = [server.url]
        if self.runtime != "eventlet":
            deadline = time.monotonic() + 10
            while not children(self.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        b.login("sqlite", self.urls[0], self.pids())

    def pids(self) -> list[int]:
        assert self.proc is not None
        if self.runtime != "eventlet":
            return children(self.proc.pid)[:1]  # the one worker (the master only supervises)
        return [self.proc.pid]


class ReferenceServer(Server):
    name = "reference"
    protocol = "reference"

    def start(self) -> None:
        ref = self.bench.o.reference_dir
        if not (ref / "node_modules" / "socket.io").exists():  # make bench installs it; a bare run.py too
            log(f"installing the reference server's packages in {ref} (npm ci)")
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ref, check=True, timeout=300)
        port = free_port()
        env = dict(os.environ, PORT=str(port))
        self.proc = self.popen([self.bench.node, "server.js"], env, ref)
        self.urls = [f"http://127.0.0.1:{port}"]
        self.proc.wait_until_serving(
            self.urls[0] + "/socket.io/?EIO=4&transport=polling", 30, any_status=True
        )


class BareServer(Server):
    protocol = "reference"

    def __init__(self, bench: Bench, runtime: str, extra_env: dict[str, str] | None = None) -> None:
        self.name = f"bare-{runtime}"
        super().__init__(bench)
        self.runtime = runtime
        self.extra_env = extra_env or {}

    def start(self) -> None:
        b = self.bench
        port = free_port()
        env = dict(os.environ, PORT=str(port), ASYNC_MODE=self.runtime, **self.extra_env)
        if self.runtime == "gevent":
            cmd = [
                str(Path(b.python).parent / "gunicorn"),
                "-k",
                "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
                "-w",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--no-control-socket",
                "bare_server:app",
            ]
        else:
            cmd = [b.python, "bare_server.py"]
        self.proc = self.popen(cmd, env, HERE)
        self.urls = [f"http://127.0.0.1:{port}"]
        self.proc.wait_until_serving(
            self.urls[0] + "/socket.io/?EIO=4&transport=polling", 60, any_status=True
        )
        if self.runtime == "gevent":
            deadline = time.monotonic() + 10
            while not children(self.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)

    def pids(self) -> list[int]:
        assert self.proc is not None
        return children(self.proc.pid)[:1] if self.runtime == "gevent" else [self.proc.pid]


def without_per_address_limits(config: str) -> str:
    """The bundled nginx configuration without its per-address caps: every benchmark client is 127.0.0.1."""
    for cap in ("limit_conn parley_per_address ", "limit_req zone=parley_requests "):
        lines = config.splitlines(keepends=True)
        kept = [line for line in lines if not line.strip().startswith(cap)]
        if len(kept) == len(lines):
            raise RuntimeError(f"deploy/nginx.conf.template has no {cap.strip()!r} line any more")
        config = "".join(kept)
    return config


class ClusterServer(Server):
    """Procfile instances (deploy.cluster.Cluster) on one PostgreSQL database and our own Redis.

    By default two, the clients split across them (``parley-cluster``, on ``--cluster-cpus``);
    ``via_nginx``: ``instances`` of them behind the cluster's nginx, on CPUs 0..instances-1
    (``parley-xN``).
    """

    cookie_key = "cluster"

    def __init__(
        self, bench: Bench, extra_env: dict[str, str] | None, instances: int = 2, via_nginx: bool = False
    ) -> None:
        self.name = f"parley-x{instances}" if via_nginx else "parley-cluster"
        super().__init__(bench)
        self.instances = instances
        self.via_nginx = via_nginx
        cpus = range(instances) if via_nginx else map(int, bench.o.cluster_cpus.split(","))
        self.cpus = {cpu % (os.cpu_count() or 1) for cpu in cpus}
        self.extra_env = extra_env or {}
        self.redis: GroupProcess | None = None
        self.cluster: Cluster | None = None
        self.workers: list[int] = []
        self.db_url = ""

    def start(self) -> None:
        b = self.bench
        redis_port = free_port()
        self.redis = GroupProcess(
            [
                "taskset",
                "-c",
                ",".join(map(str, sorted(self.cpus))),
                "redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            env=dict(os.environ),
            log_path=self.log_path,
            cwd=b.tmp,
        ).start()
        self.db_url = f"{b.o.postgres}/parley_bench_{os.getpid()}"
        ensure_database(self.db_url)
        env = dict(BENCH_ENV, SOCKETIO_CHANNEL=f"parley-bench-{os.getpid()}", **self.extra_env)
        ports = [free_port() for _ in range(self.instances)]
        self.cluster = Cluster(
            database_url=self.db_url,
            redis_url=f"redis://127.0.0.1:{redis_port}/0",
            workdir=b.tmp / "cluster",
            instances=self.instances,
            port=free_port(),
            instance_ports=ports,
            extra_env=env,
            root=b.app_dir,
            nginx_edit=without_per_address_limits,
        )
        # The instances and nginx inherit this process's CPU affinity: pin them to their CPUs.
        mask = os.sched_getaffinity(0)
        os.sched_setaffinity(0, self.cpus)
        try:
            self.cluster.start()
        finally:
            os.sched_setaffinity(0, mask)
        penv = self.cluster.env()
        out = b.run_py([str(HERE / "provision.py"), "--users", str(USERS), "--password", PASSWORD], penv)
        b.logins.setdefault("provision-cluster", json.loads(out.strip().splitlines()[-1]))
        self.urls = [self.cluster.url] if self.via_nginx else [m.url for m in self.cluster.members]
        for m in self.cluster.members:
            deadline = time.monotonic() + 10
            while not children(m.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.workers += children(m.pid)[:1]
        if self.via_nginx and self.cluster.nginx is not None:
            self.workers += children(self.cluster.nginx.pid)  # its worker process: its CPU counts
        b.cookies.pop("cluster", None)  # a fresh database each run: log in again
        b.login("cluster", ",".join(self.urls), self.workers)

    def pids(self) -> list[int]:
        assert self.redis is not None
        return [*self.workers, self.redis.pid]

    def extra_pids_cmd(self) -> str:
        """A shell command listing the database's backends, re-run by the load generator at each step
        (the connection pools open their PostgreSQL connections while clients join)."""
        name = self.db_url.rsplit("/", 1)[1]
        admin = self.bench.o.postgres + "/postgres"
        # The database name is ours (parley_bench_<pid>), not input.
        query = f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}'"  # noqa: S608
        return f"psql -At '{admin}' -c \"{query}\""

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        if self.redis is not None:
            self.redis.stop()
        if not self.db_url:
            return
        try:
            import psycopg

            name = self.db_url.rsplit("/", 1)[1]
            with psycopg.connect(self.bench.o.postgres + "/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as exc:  # the database is scratch; say so and go on
            log("could not drop the benchmark database:", exc)


# ------------------------------------------------------------------ scenarios
def loadgen_args(name: str, spec: dict[str, Any], server: Server, bench: Bench, quick: bool) -> list[str]:
    clients = spec.get("quick_clients", spec["clients"]) if quick else spec["clients"]
    duration = spec.get("quick_duration", spec["duration"]) if quick else spec["duration"]
    args = [
        "run",
        "--target",
        server.protocol,
        "--url",
        ",".join(server.urls),
        "--clients",
        str(clients),
        "--senders",
        str(spec["senders"]),
        "--rate",
        str(spec.get("rate", 0)),
        "--duration",
        str(duration),
        "--server-pid",
        ",".join(map(str, server.pids())),
        "--label",
        f"{name}/{server.name}",
        "--client-impl",
        spec.get("client_impl", "official"),
        "--drain",
        str(spec.get("drain", 5)),
    ]
    if server.protocol == "parley":
        args += ["--cookies", str(bench.cookies[server.cookie_key])]
    if isinstance(server, ClusterServer):
        args += ["--extra-pids-cmd", server.extra_pids_cmd()]
    if bench.o.duration and spec.get("duration") and not spec.get("profiled"):
        args[args.index("--duration") + 1] = str(bench.o.duration)
    if "steps" in spec:
        args += ["--steps", ",".join(map(str, spec["steps"]))]
    if "rss_at" in spec:
        marks = [m for m in spec["rss_at"] if m <= clients]
        args += ["--rss-at", ",".join(map(str, marks)), "--batch", "200", "--connect-limit-s", "240"]
    if spec.get("join") is False:
        args += ["--no-join"]
    if spec.get("connect_timeout"):
        args += ["--connect-timeout", str(spec["connect_timeout"])]
    if spec.get("hold"):
        args += ["--hold", str(spec["hold"])]
    return args


def scenario_env(name: str, target: str) -> dict[str, str]:
    if name == "S4" and target in ("parley", "parley-cluster", "bare-gevent"):
        # gunicorn's gevent worker accepts at most worker_connections (default 1000) clients at
        # once; the Procfile leaves it at the default. Raised here so S4 measures memory.
        return {"GUNICORN_CMD_ARGS": "--worker-connections 12000"}
    return {}


def one_run(bench: Bench, name: str, target: str, run: int) -> dict[str, Any]:
    spec = SCENARIOS[name]
    extra = scenario_env(name, target)
    log(f"{name} {target} run {run + 1}: starting the server")
    server = bench.start(target, extra)
    try:
        time.sleep(1)
        timeout = 420 if name in ("S3", "S4") else 300
        result = bench.loadgen(loadgen_args(name, spec, server, bench, bench.o.quick), timeout)
        result["server_env"] = extra
        result["server_pids"] = server.pids()
    finally:
        server.stop()
    brief = {
        k: result.get(k)
        for k in (
            "deliveries_per_s",
            "latency_ms",
            "loss_pct",
            "server_cpu_ms_per_1k_deliveries",
            "clients_connected",
            "server_rss_mb_at",
            "error",
        )
    }
    log(f"{name} {target} run {run + 1}:", json.dumps(brief))
    return {"scenario": name, "target": target, "run": run, "result": result}


# ---------------------------------------------------------------- summaries
def med(values: list[Any]) -> Any:
    values = [v for v in values if isinstance(v, int | float)]
    return round(statistics.median(values), 2) if values else None


def s3_best(result: dict[str, Any]) -> dict[str, Any]:
    """The highest step with no loss and p99 < 250 ms (and the first that failed)."""
    best, failed = None, None
    for step in result.get("steps") or []:
        ok = (
            step["loss_pct"] == 0
            and step["latency_ms"]["p99"] is not None
            and step["latency_ms"]["p99"] < 250
        )
        if ok:
            best = step
        elif failed is None:
            failed = step

    def pick(s: dict[str, Any] | None) -> dict[str, Any] | None:
        return (
            None
            if s is None
            else {
                "total_rate": s["total_rate"],
                "deliveries_per_s": s["deliveries_per_s"],
                "p99_ms": s["latency_ms"]["p99"],
                "p50_ms": s["latency_ms"]["p50"],
                "loss_pct": s["loss_pct"],
                "server_cpu_util": s["server_cpu_util"],
                "loadgen_cpu_util": s["loadgen_cpu_util"],
                "server_cpu_ms_per_1k_deliveries": s["server_cpu_ms_per_1k_deliveries"],
            }
        )

    return {"best": pick(best), "first_failed": pick(failed)}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["scenario"], r["target"]), []).append(r["result"])
    out: dict[str, Any] = {}
    for (name, target), results in groups.items():
        ok = [r for r in results if not r.get("error")]
        s: dict[str, Any] = {"runs": len(results), "errors": [r["error"] for r in results if r.get("error")]}
        if name == "S3":
            bests = [s3_best(r) for r in ok]
            s["per_run"] = bests
            s["best_deliveries_per_s"] = med([(b["best"] or {}).get("deliveries_per_s", 0) for b in bests])
            s["best_total_rate"] = med([(b["best"] or {}).get("total_rate", 0) for b in bests])
            s["p99_at_best_ms"] = med([(b["best"] or {}).get("p99_ms") for b in bests])
            s["server_cpu_util_at_best"] = med([(b["best"] or {}).get("server_cpu_util") for b in bests])
            s["loadgen_cpu_util_at_best"] = med([(b["best"] or {}).get("loadgen_cpu_util") for b in bests])
            s["steps"] = [r.get("steps") for r in ok]
        elif name in ("S4", "S4cap"):
            s["clients_connected"] = med([r.get("clients_connected") for r in ok])
            s["connects_per_s"] = med([r.get("connects_per_s") for r in ok])
            marks = sorted(
                {k for r in ok for k in (r.get("server_rss_mb_at") or {})},
                key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0),
            )
            s["rss_mb_at"] = {k: med([(r.get("server_rss_mb_at") or {}).get(k) for r in ok]) for k in marks}
            per_k = []
            for r in ok:
                rss = r.get("server_rss_mb_at") or {}
                top = max((int(k) for k in rss if k.isdigit() and int(k) > 0 and rss[k]), default=0)
                if top and rss.get("0") is not None:
                    per_k.append((rss[str(top)] - rss["0"]) / top * 1000)
            s["rss_mb_per_1k_sockets"] = med(per_k)
            s["connect_failures"] = med([r.get("connect_failures") for r in ok])
        else:
            for key in (
                "deliveries_per_s",
                "loss_pct",
                "server_cpu_ms_per_1k_deliveries",
                "server_cpu_util",
                "loadgen_cpu_util",
                "foreign_cpu_cores",
                "connects_per_s",
                "joins_per_s",
                "clients_connected",
            ):
                s[key] = med([r.get(key) for r in ok])
            for p in ("p50", "p90", "p99", "max"):
                s[f"{p}_ms"] = med([(r.get("latency_ms") or {}).get(p) for r in ok])
                if any(r.get("ack_latency_ms") for r in ok):
                    s[f"ack_{p}_ms"] = med([(r.get("ack_latency_ms") or {}).get(p) for r in ok])
            s["ack_errors"] = [r.get("ack_errors") for r in ok if r.get("ack_errors")]
        out.setdefault(name, {})[target] = s
    return out


def verdicts(summary: dict[str, Any]) -> list[dict[str, Any]]:
    def get(name: str, target: str, key: str) -> Any:
        return (summary.get(name, {}).get(target) or {}).get(key)

    checks = []

    def add(what: str, value: Any, limit: str, holds: bool | None) -> None:
        checks.append({"target": what, "measured": value, "limit": limit, "holds": holds})

    # Issue 17's targets: each figure against the reference's of the same run.
    def versus(name: str, key: str, what: str, limit: float, higher_is_better: bool = False) -> None:
        mine, ref = get(name, "parley", key), get(name, "reference", key)
        ratio = round(mine / ref, 2) if mine and ref else None
        holds = None if ratio is None else (ratio >= limit if higher_is_better else ratio <= limit)
        add(f"{what} vs reference", ratio, f"{'>=' if higher_is_better else '<='} {limit}x", holds)

    versus("S1", "server_cpu_ms_per_1k_deliveries", "S1 server CPU per delivery", 1.5)
    versus("S1", "p99_ms", "S1 p99", 1.5)
    s2 = "S2" if "S2" in summary else "S2lite"
    versus(s2, "p99_ms", "S2 p99", 3.0)
    loss = get(s2, "parley", "loss_pct")
    add("S2 loss", loss, "0 %", None if loss is None else loss == 0)
    versus(
        "S3", "best_deliveries_per_s", "S3 deliveries/s with p99 < 250 ms, 0 loss", 0.7, higher_is_better=True
    )
    s4 = summary.get("S4", {}).get("parley") or {}
    rss10k, connected = (s4.get("rss_mb_at") or {}).get("10000"), s4.get("clients_connected")
    add(
        "S4 10,000 idle sockets RSS",
        {"rss_mb": rss10k, "connected": connected},
        "< 400 MB",
        None if rss10k is None else (rss10k < 400 and (connected or 0) >= 10000),
    )
    p99 = get("S1x2", "parley-cluster", "p99_ms")
    add("S1 on two instances + Redis p99", p99, "<= 50 ms", None if p99 is None else p99 <= 50)
    return checks


def scaling(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Per scenario run on parley-x1 and more instances: the figure per instance count, and its growth."""
    lines = []
    for name, by_target in summary.items():
        counts = sorted(int(t[len("parley-x") :]) for t in by_target if re.fullmatch(r"parley-x\d", t))
        if len(counts) < 2 or counts[0] != 1:
            continue
        key = "best_deliveries_per_s" if name == "S3" else "deliveries_per_s"
        figures = {n: by_target[f"parley-x{n}"].get(key) for n in counts}
        util = "server_cpu_util_at_best" if name == "S3" else "server_cpu_util"
        cpu = {n: by_target[f"parley-x{n}"].get(util) for n in counts}
        top = figures[counts[-1]]
        lines.append(
            {
                "scenario": name,
                "figure": key,
                "by_processes": figures,
                "server_cpu_util": cpu,
                "growth": round(top / figures[1], 2) if top and figures[1] else None,
            }
        )
    return lines


# --------------------------------------------------------------------- plot
def plot(summary: dict[str, Any], path: Path, quick: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    colors = {
        "parley": "tab:blue",
        "reference": "tab:orange",
        "parley-eventlet": "tab:cyan",
        "parley-simple-websocket": "tab:red",
        "bare-gevent": "tab:green",
        "bare-eventlet": "tab:olive",
        "parley-cluster": "tab:purple",
    }
    styles = {"p50": ":", "p90": "--", "p99": "-"}
    # left: latency vs clients (S1 100 clients 100 msg/s, S3's first step 200 clients, S2 1000 clients 50 msg/s)
    for target in ("parley", "reference"):
        points = []
        s1 = summary.get("S1", {}).get(target)
        if s1:
            points.append((100, s1))
        s3 = summary.get("S3", {}).get(target)
        if s3 and s3.get("steps") and s3["steps"][0]:
            first = s3["steps"][0][0]
            points.append((200, {f"{p}_ms": first["latency_ms"][p] for p in styles}))
        s2 = summary.get("S2", {}).get(target)
        if s2:
            points.append((1000, s2))
        for p, ls in styles.items():
            xs = [x for x, s in points if s.get(f"{p}_ms") is not None]
            ys = [s[f"{p}_ms"] for _x, s in points if s.get(f"{p}_ms") is not None]
            if xs:
                left.plot(xs, ys, ls, marker="o", color=colors[target], label=f"{target} {p}")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("clients in the room (S1: 100 msg/s, S3 first step: 25 msg/s, S2: 50 msg/s)")
    left.set_ylabel("send -> receipt latency (ms)")
    left.set_title("Latency vs clients")
    left.axhline(25, color="grey", lw=0.6)
    left.legend(fontsize=7)
    # right: latency vs total message rate (S3, 200 clients), first run
    for target in ("parley", "reference"):
        s3 = summary.get("S3", {}).get(target)
        if not s3 or not s3.get("steps") or not s3["steps"][0]:
            continue
        steps = s3["steps"][0]
        xs = [st["deliveries_per_s"] for st in steps]
        for p, ls in styles.items():
            right.plot(
                xs,
                [st["latency_ms"][p] for st in steps],
                ls,
                marker="o",
                color=colors[target],
                label=f"{target} {p}",
            )
    right.set_xscale("log")
    right.set_yscale("log")
    right.axhline(250, color="grey", lw=0.6)
    right.axvline(50000, color="grey", lw=0.6)
    right.set_xlabel("deliveries/s (S3: 200 clients, rising message rate)")
    right.set_ylabel("latency (ms)")
    right.set_title("Latency vs rate")
    right.legend(fontsize=7)
    fig.suptitle(f"Parley vs Node socket.io reference, fan-out to one room{' (quick mode)' if quick else ''}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------ profile
# S1 after its 100 joins; S2 once its 1,000 clients have joined (11-16 s of joins at 1,000)
PROFILED = {"S1": {"duration": 45, "settle": 6}, "S2": {"duration": 75, "settle": 30}}


def profile(bench: Bench, scenario: str) -> dict[str, Any]:
    """A scenario on Parley with py-spy attached to the worker: an SVG, collapsed stacks, a dump, top functions."""
    pyspy = str(Path(bench.python).parent / "py-spy")
    name = scenario.lower()
    server = bench.start("parley")
    out: dict[str, Any] = {}
    try:
        pid = server.pids()[0]
        spec = dict(SCENARIOS[scenario], duration=PROFILED[scenario]["duration"], profiled=True)
        gen = subprocess.Popen(
            [
                "taskset",
                "-c",
                LOADGEN_CPU,
                bench.node,
                str(HERE / "load.mjs"),
                *loadgen_args(f"{scenario}-profile", spec, server, bench, False),
                "--max-seconds",
                "300",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        time.sleep(PROFILED[scenario]["settle"])
        svg, raw = RESULTS / f"profile-{name}.svg", RESULTS / f"profile-{name}.txt"
        subprocess.run(
            [pyspy, "record", "-d", "15", "--pid", str(pid), "-o", str(svg)], timeout=60, capture_output=True
        )
        subprocess.run(
            [pyspy, "record", "-d", "15", "--pid", str(pid), "-f", "raw", "-o", str(raw)],
            timeout=60,
            capture_output=True,
        )
        dump = subprocess.run([pyspy, "dump", "--pid", str(pid)], timeout=60, capture_output=True, text=True)
        (RESULTS / f"profile-{name}-dump.txt").write_text(dump.stdout + dump.stderr)
        top = subprocess.run(
            [bench.python, str(HERE / "profile_summary.py"), str(raw), "--top", "30"],
            timeout=60,
            capture_output=True,
            text=True,
        )
        (RESULTS / f"profile-{name}-top.txt").write_text(top.stdout + top.stderr)
        stdout, _ = gen.communicate(timeout=360)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        out = {
            "files": [
                str(p.relative_to(HERE.parent)) for p in (svg, raw, RESULTS / f"profile-{name}-top.txt")
            ],
            "run_under_profiler": json.loads(lines[-1]) if lines else None,
        }
        log("profile written:", ", ".join(out["files"]))
    finally:
        server.stop()
    return out


# -------------------------------------------------------------------- table
def table(doc: dict[str, Any]) -> str:
    """The Markdown tables of docs/performance.md from a results file."""
    summary = doc["summary"]

    def f(v: Any) -> str:
        return "-" if v is None else (f"{v:,.0f}" if isinstance(v, int | float) and abs(v) >= 100 else str(v))

    lines = [
        "| scenario | target | deliveries/s | p50 ms | p90 ms | p99 ms | max ms | loss % | server CPU ms / 1k deliveries | server CPU util | load-gen CPU util | foreign CPU |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in ("S1", "S2", "S2lite", "S1x2"):
        for target, s in summary.get(name, {}).items():
            lines.append(
                f"| {name} | {target} | {f(s.get('deliveries_per_s'))} | {f(s.get('p50_ms'))} | {f(s.get('p90_ms'))} | "
                f"{f(s.get('p99_ms'))} | {f(s.get('max_ms'))} | {f(s.get('loss_pct'))} | "
                f"{f(s.get('server_cpu_ms_per_1k_deliveries'))} | {f(s.get('server_cpu_util'))} | "
                f"{f(s.get('loadgen_cpu_util'))} | {f(s.get('foreign_cpu_cores'))} |"
            )
    lines += [
        "",
        "| S3 target | best step (msg/s) | deliveries/s | p50 ms | p99 ms | server CPU util | first failing step: msg/s, p99 ms, loss % |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for target, s in summary.get("S3", {}).items():
        for b in s.get("per_run", []):
            best, bad = b.get("best") or {}, b.get("first_failed") or {}
            lines.append(
                f"| {target} | {f(best.get('total_rate'))} | {f(best.get('deliveries_per_s'))} | {f(best.get('p50_ms'))} | "
                f"{f(best.get('p99_ms'))} | {f(best.get('server_cpu_util'))} | "
                f"{f(bad.get('total_rate'))}, {f(bad.get('p99_ms'))}, {f(bad.get('loss_pct'))} |"
            )
    lines += [
        "",
        "| S4 target | sockets connected | connects/s | RSS MB at 0 / 1k / 2k / 5k / 10k | MB per 1k sockets |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    for name in ("S4", "S4cap"):
        for target, s in summary.get(name, {}).items():
            rss = s.get("rss_mb_at") or {}
            marks = " / ".join(f(rss.get(k)) for k in ("0", "1000", "2000", "5000", "10000"))
            lines.append(
                f"| {name} {target} | {f(s.get('clients_connected'))} | {f(s.get('connects_per_s'))} | {marks} | "
                f"{f(s.get('rss_mb_per_1k_sockets'))} |"
            )
    if doc.get("scaling"):
        lines += ["", "| scenario | figure | by instances | growth |", "| --- | --- | --- | ---: |"]
        for line in doc["scaling"]:
            figures = ", ".join(f"{n}: {f(v)}" for n, v in line["by_processes"].items())
            lines.append(f"| {line['scenario']} | {line['figure']} | {figures} | {f(line['growth'])} |")
    lines += ["", "| target | measured | limit | holds |", "| --- | --- | --- | --- |"]
    for c in doc["targets"]:
        lines.append(
            f"| {c['target']} | {json.dumps(c['measured'])} | {c['limit']} | "
            f"{'yes' if c['holds'] else 'no' if c['holds'] is False else 'n/a'} |"
        )
    return "\n".join(lines)


def merge(paths: list[Path], app_dir: Path, publish: bool, max_foreign: float = 0.3) -> None:
    """More runs per median on a noisy machine: pool several results files of one checkout."""
    docs = [json.loads(p.read_text()) for p in paths]
    used = [(p, d) for p, d in zip(paths, docs, strict=True) if d["meta"]["app_dir"] == shown_path(app_dir)]
    runs = [r for _p, d in used for r in d["runs"]]

    # Drop runs that other processes disturbed (this machine is shared), unless that would leave
    # a scenario and target with none: their figures stay in the file, out of the medians.
    def quiet(r: dict[str, Any]) -> bool:
        foreign = r["result"].get("foreign_cpu_cores")
        return foreign is None or foreign <= max_foreign

    kept = []
    for key in {(r["scenario"], r["target"]) for r in runs}:
        group = [r for r in runs if (r["scenario"], r["target"]) == key and not r["result"].get("error")]
        calm = [r for r in group if quiet(r)]
        kept += calm or group
    dropped = [r for r in runs if r not in kept]
    summary = summarize(kept)
    first = used[0][1]
    meta = dict(
        first["meta"],
        merged_from=[p.name for p, _d in used],
        runs_each="pooled",
        quick=any(d["meta"]["quick"] for _p, d in used),
        max_foreign_cpu_cores=max_foreign,
        runs_in_medians=len(kept),
        runs_dropped_as_disturbed=[
            {
                "scenario": r["scenario"],
                "target": r["target"],
                "foreign_cpu_cores": r["result"].get("foreign_cpu_cores"),
            }
            for r in dropped
        ],
    )
    for _p, d in used:
        if d["meta"].get("profile"):
            meta["profile"] = d["meta"]["profile"]
    logins: dict[str, Any] = {}
    for _p, d in used:
        logins.update(d.get("logins") or {})
    doc = {
        "meta": meta,
        "logins": logins,
        "summary": summary,
        "targets": verdicts(summary),
        "scaling": scaling(summary),
        "runs": kept,
        "runs_dropped": dropped,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}-merged.json"
    out.write_text(json.dumps(doc, indent=1))
    plot(summary, out.with_suffix(".png"), meta["quick"])
    if publish:
        (HERE / "results-summary.json").write_text(
            json.dumps(
                {"meta": meta, "logins": logins, "summary": summary, "targets": doc["targets"]}, indent=1
            )
        )
        shutil.copy(out.with_suffix(".png"), HERE.parent / "docs" / "performance.png")
    log(f"merged {len(runs)} runs of {len(used)} files into {out}")


# --------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short durations, fewer sockets, one run each")
    parser.add_argument("--scenarios", default="S1,S2,S3,S4,S4cap,S1x2")
    parser.add_argument("--targets", default="", help="only these targets (comma-separated)")
    parser.add_argument(
        "--runs", type=int, default=0, help="runs per scenario and target (default 2, quick 1)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile Parley under S1 and S2 with py-spy"
    )
    parser.add_argument(
        "--publish",
        action="store_true",
        help="also write benchmarks/results-summary.json and docs/performance.png",
    )
    parser.add_argument(
        "--duration", type=float, default=0, help="override every scenario's seconds per step"
    )
    parser.add_argument(
        "--cluster-cpus",
        default=SERVER_CPU,
        help="CPUs for the two instances and Redis (default: the server CPU; 0,1 = both)",
    )
    parser.add_argument(
        "--processes",
        default="",
        help="e.g. 1,2: run the scenarios on Parley as that many instances behind nginx (parley-xN, "
        "on CPUs 0..N-1; PostgreSQL and Redis) instead of their targets, and print how deliveries/s grow",
    )
    parser.add_argument("--app-dir", type=Path, default=HERE.parent, help="the Parley checkout to run")
    parser.add_argument(
        "--reference-dir",
        type=Path,
        default=HERE / "reference",
        help="the Node reference server (server.js, package-lock.json)",
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("PARLEY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--table", type=Path, help="print the Markdown tables of a results file and stop")
    parser.add_argument(
        "--max-foreign",
        type=float,
        default=0.3,
        help="with --merge: leave out of the medians runs where other processes used more CPU cores",
    )
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="pool the runs of these results files (same --app-dir only) into one new results file",
    )
    options = parser.parse_args()
    if options.table:
        print(table(json.loads(options.table.read_text())))
        return
    if options.merge:
        merge(options.merge, options.app_dir.resolve(), options.publish, options.max_foreign)
        return
    options.app_dir = options.app_dir.resolve()
    runs = options.runs or (1 if options.quick else 2)
    only = [t for t in options.targets.split(",") if t]
    processes = [int(n) for n in options.processes.split(",") if n]
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    bench = Bench(options)
    log(f"scratch dir {bench.tmp}; app {options.app_dir}")
    started = time.time()
    all_runs: list[dict[str, Any]] = []
    out_path = RESULTS / f"{stamp}.json"
    git = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=options.app_dir, capture_output=True, text=True
    )
    meta = {
        "started": stamp,
        "quick": options.quick,
        "runs_each": runs,
        "app_dir": shown_path(options.app_dir),
        "git": git.stdout.strip(),
        "git_dirty": bool(
            subprocess.run(
                ["git", "status", "--porcelain", "chat"], cwd=options.app_dir, capture_output=True, text=True
            ).stdout.strip()
        ),
        "chat_worktree_diff_stat": subprocess.run(
            ["git", "diff", "--stat", "HEAD", "--", "chat"],
            cwd=options.app_dir,
            capture_output=True,
            text=True,
        ).stdout.strip(),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "node": subprocess.run([bench.node, "--version"], capture_output=True, text=True).stdout.strip(),
        "pinning": {"servers": SERVER_CPU, "loadgen": LOADGEN_CPU, "cluster": options.cluster_cpus},
        "users": USERS,
        "scenarios": {k: v for k, v in SCENARIOS.items() if k in options.scenarios.split(",")},
    }

    def save(final: bool = False) -> dict[str, Any]:
        summary = summarize(all_runs)
        doc = {
            "meta": meta,
            "logins": bench.logins,
            "summary": summary,
            "targets": verdicts(summary),
            "scaling": scaling(summary),
            "runs": all_runs,
            "elapsed_s": round(time.time() - started),
        }
        out_path.write_text(json.dumps(doc, indent=1))
        if final:
            png = out_path.with_suffix(".png")
            plot(summary, png, options.quick)
            if options.publish:
                (HERE / "results-summary.json").write_text(
                    json.dumps(
                        {"meta": meta, "logins": bench.logins, "summary": summary, "targets": doc["targets"]},
                        indent=1,
                    )
                )
                shutil.copy(png, HERE.parent / "docs" / "performance.png")
        return doc

    try:
        for name in options.scenarios.split(","):
            if name not in SCENARIOS:
                raise SystemExit(f"unknown scenario {name}")
            # --targets picks from a scenario's own list, or adds any known target to it (bare-gevent in S3)
            targets = [f"parley-x{n}" for n in processes] or only or SCENARIOS[name]["targets"]
            # Targets take turns, run after run: a machine that gets busier for a while then
            # disturbs one run of each rather than every run of one.
            for run in range(runs):
                for target in targets:
                    try:
                        all_runs.append(one_run(bench, name, target, run))
                    except Exception as exc:  # one failed server must not lose the others' figures
                        log(f"{name} {target} run {run + 1} failed: {exc}")
                        all_runs.append(
                            {"scenario": name, "target": target, "run": run, "result": {"error": str(exc)}}
                        )
                    save()
        if options.profile:
            meta["profile"] = profile(bench, "S1")
            meta["profile_s2"] = profile(bench, "S2")
    finally:
        doc = save(final=True)
        shutil.rmtree(bench.tmp, ignore_errors=True) if not os.environ.get("BENCH_KEEP_TMP") else None
    log(f"wrote {out_path} and {out_path.with_suffix('.png')}")
    for line in doc["scaling"]:
        log(
            f"SCALING {line['scenario']}: {line['figure']} {json.dumps(line['by_processes'])}, x{line['growth']}"
        )
    for check in doc["targets"]:
        log(
            f"{'HOLDS ' if check['holds'] else 'MISSED' if check['holds'] is False else 'n/a   '} {check['target']}: "
            f"{json.dumps(check['measured'])} (target {check['limit']})"
        )


if __name__ == "__main__":
    main()
