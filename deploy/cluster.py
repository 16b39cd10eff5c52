"""A local Parley cluster: N instances of the Procfile's web command behind nginx.

``make cluster`` runs ``python -m deploy.cluster``; the multi-instance tests
use the same ``Cluster`` class, so what operators try is what CI tests. All
instances share one PostgreSQL database and one Redis; nginx listens on one
port and keeps each browser on one instance (see deploy/nginx.conf.template).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def web_command() -> str:
    """The Procfile's ``web:`` command, exactly as a platform would run it."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise RuntimeError("the Procfile has no web: line")


def wait_for_http(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own http:// URL
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Instance:
    index: int
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """N Parley instances on ports ``first_port``.. and nginx on ``port``."""

    database_url: str
    redis_url: str
    workdir: Path
    instances: int = 3
    port: int = 8080
    first_port: int = 5101
    instance_ports: list[int] = field(default_factory=list)  # overrides first_port when given
    extra_env: Mapping[str, str] = field(default_factory=dict)
    members: list[Instance] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, port: int | None = None) -> dict[str, str]:
        secret_file = self.workdir / "secret_key"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
        env = dict(os.environ)
        env.update(
            {
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url,
                # Every instance must accept every other's session cookies.
                "SECRET_KEY": secret_file.read_text().strip(),
                "HOST": "127.0.0.1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        if port is not None:
            env["PORT"] = str(port)
        return env

    def flask(self, *args: str) -> str:
        """Run a ``flask`` command against the cluster's database and Redis."""
        done = subprocess.run(  # noqa: S603 - a fixed command line of our own
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> Cluster:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Cluster:
        (self.workdir / "tmp").mkdir(parents=True, exist_ok=True)
        # Migrate once up front; the instances' own upgrade then finds nothing to do.
        self.flask("db", "upgrade")
        ports = self.instance_ports or [self.first_port + i for i in range(self.instances)]
        self.members = [Instance(i, port, self.workdir / f"web-{i}.log") for i, port in enumerate(ports)]
        for member in self.members:
            self.start_instance(member.index, wait=False)
        for member in self.members:
            wait_for_http(member.url + "/healthz", 60, member.process)
        self._start_nginx()
        return self

    def start_instance(self, index: int, wait: bool = True) -> Instance:
        member = self.members[index]
        with member.log_path.open("ab") as log:
            member.process = subprocess.Popen(  # noqa: S603 - the Procfile's command, as a platform runs it
                ["/bin/sh", "-c", web_command()],
                cwd=ROOT,
                env=self.env(member.port),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            wait_for_http(member.url + "/healthz", 60, member.process)
        return member

    def kill_instance(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Kill one instance (by default with -9, as a crash would)."""
        member = self.members[index]
        if member.process is not None and member.process.poll() is None:
            os.killpg(member.process.pid, sig)
            member.process.wait(timeout=30)

    def _start_nginx(self) -> None:
        servers = "\n".join(
            f"        server 127.0.0.1:{m.port} max_fails=1 fail_timeout=10s;" for m in self.members
        )
        config = (
            TEMPLATE.read_text()
            .replace("@PREFIX@", str(self.workdir))
            .replace("@LISTEN@", f"127.0.0.1:{self.port}")
            .replace("@SERVERS@", servers)
        )
        config_path = self.workdir / "nginx.conf"
        config_path.write_text(config)
        with (self.workdir / "nginx.log").open("ab") as log:
            self.nginx = subprocess.Popen(  # noqa: S603 - nginx with the config we just wrote
                [NGINX, "-p", str(self.workdir), "-c", str(config_path)],
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        wait_for_http(self.url + "/healthz", 30, self.nginx)

    def stop(self) -> None:
        """Stop nginx and every instance: TERM first, KILL what lingers."""
        processes = [m.process for m in self.members if m.process is not None]
        if self.nginx is not None:
            processes.append(self.nginx)
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=int(os.environ.get("INSTANCES", 3)))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", 8080)))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/parley"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    options = parser.parse_args()
    ensure_database(options.database_url)
    cluster = Cluster(
        database_url=options.database_url,
        redis_url=options.redis_url,
        workdir=ROOT / "instance" / "cluster",
        instances=options.instances,
        port=options.port,
    )
    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        cluster.start()
        print(
            f"Parley cluster: {options.instances} instances behind nginx at {cluster.url} (Ctrl-C stops it)"
        )
        print(f"logs: {cluster.workdir}/web-*.log")
        while not stopping:
            time.sleep(0.5)
    finally:
        print("stopping the cluster ...")
        cluster.stop()


if __name__ == "__main__":
    main()
