"""A local Parley cluster: N instances of the Procfile's web command behind nginx.

``make cluster`` runs ``python -m deploy.cluster``; the multi-instance tests
use the same ``Cluster`` class, so what operators try is what CI tests. All
instances share one PostgreSQL database and one Redis; nginx listens on one
port and keeps each browser on one instance (see deploy/nginx.conf.template).
Each instance is started and stopped by deploy/launcher.py, as the tests' and
the benchmark's servers are.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deploy.launcher import ROOT, GroupProcess, WebProcess, run_flask, server_environment, stop_all

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Instance(WebProcess):
    """One instance of the cluster: the Procfile's web command on its own port."""

    def __init__(self, index: int, port: int, env: Mapping[str, str], log_path: Path, root: Path) -> None:
        self.index = index
        super().__init__(port, env, log_path, root=root)


@dataclass
class Cluster:
    """N Parley instances on ports ``first_port``.. and nginx on ``port``.

    ``root`` is the checkout the instances run (the benchmark may run another one).
    """

    database_url: str
    redis_url: str
    workdir: Path
    instances: int = 3
    port: int = 8080
    first_port: int = 5101
    instance_ports: list[int] = field(default_factory=list)  # overrides first_port when given
    extra_env: Mapping[str, str] = field(default_factory=dict)
    root: Path = ROOT
    # Changes the benchmark makes to the nginx configuration (its clients all come from one address).
    nginx_edit: Callable[[str], str] | None = None
    members: list[Instance] = field(default_factory=list)
    nginx: GroupProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The instances' environment (each gets its own PORT), and the ``flask`` commands'."""
        secret_file = self.workdir / "secret_key"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
        # Every instance must accept every other's session cookies: one SECRET_KEY for all.
        return server_environment(
            self.database_url,
            secret_file.read_text().strip(),
            extra={"REDIS_URL": self.redis_url, **self.extra_env},
        )

    def flask(self, *args: str) -> str:
        """Run a ``flask`` command against the cluster's database and Redis."""
        return run_flask(self.env(), *args, root=self.root)

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
        env = self.env()
        self.members = [
            Instance(i, port, env, self.workdir / f"web-{i}.log", self.root) for i, port in enumerate(ports)
        ]
        for member in self.members:  # all start together, then each is waited for
            member.start(wait=False)
        for member in self.members:
            member.wait_healthy(60)
        self._start_nginx()
        return self

    def start_instance(self, index: int, wait: bool = True) -> Instance:
        """Start one instance again (after ``kill_instance``), appending to its log."""
        return self.members[index].start(wait=wait)

    def kill_instance(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Kill one instance (by default with -9, as a crash would)."""
        self.members[index].kill(sig)

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
        if self.nginx_edit is not None:
            config = self.nginx_edit(config)
        config_path = self.workdir / "nginx.conf"
        config_path.write_text(config)
        self.nginx = GroupProcess(
            [NGINX, "-p", str(self.workdir), "-c", str(config_path)],
            env=os.environ,
            log_path=self.workdir / "nginx.log",
        ).start()
        self.nginx.wait_until_serving(self.url + "/healthz", 30)

    def stop(self) -> None:
        """Stop nginx and every instance: TERM first, KILL what lingers."""
        stop_all([*self.members, *([self.nginx] if self.nginx is not None else [])])

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
