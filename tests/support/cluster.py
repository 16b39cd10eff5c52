"""Several instances behind nginx, as ``make cluster`` runs them, on services of the test's own.

The cluster itself is deploy/cluster.py's; here is what the cluster and chaos
tests put around it: nginx's presence, free ports, roomy limits, and a Redis
they can kill.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import psycopg
import redis

from deploy.cluster import Cluster
from deploy.launcher import GroupProcess, free_port
from tests.support.chat_client import ResumingClient, wait_until
from tests.support.server import ROOMY_LIMITS
from tests.support.services import REDIS_HOST, REDIS_PORT, port_open, require, scratch_postgres_database


def require_nginx() -> None:
    require(shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(), "nginx (Debian package)")


def local_cluster(
    workdir: Path, instances: int, database_url: str, redis_url: str, **settings: str
) -> Cluster:
    """``instances`` instances behind nginx on free ports, with roomy limits and ``settings``; not started."""
    return Cluster(
        database_url=database_url,
        redis_url=redis_url,
        workdir=workdir,
        instances=instances,
        port=free_port(),
        instance_ports=[free_port() for _ in range(instances)],
        extra_env={**ROOMY_LIMITS, **settings},
    )


@contextlib.contextmanager
def cluster_on_redis(workdir: Path, instances: int, redis_db: int, **settings: str) -> Iterator[Cluster]:
    """``instances`` started instances on a scratch PostgreSQL database and the shared Redis.

    ``redis_db`` is the calling module's own database number, flushed before
    and after; pub/sub ignores database numbers, so the instances also get a
    Socket.IO channel of their own.
    """
    require_nginx()
    require(port_open(REDIS_HOST, REDIS_PORT), "Redis on 127.0.0.1:6379")
    flush = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=redis_db)
    flush.flushdb()
    channel = f"parley-test-{uuid.uuid4().hex[:8]}"
    redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"
    try:
        with (
            scratch_postgres_database() as database_url,
            local_cluster(
                workdir, instances, database_url, redis_url, SOCKETIO_CHANNEL=channel, **settings
            ) as nodes,
        ):
            yield nodes
    finally:
        flush.flushdb()
        flush.close()


class PrivateRedis(GroupProcess):
    """A redis-server of the test's own on a free port: ``kill()`` is an outage, ``start()`` ends it."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        server = shutil.which("redis-server") or "redis-server"
        super().__init__(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            env=os.environ,
            log_path=workdir / f"redis-{self.port}.log",
            cwd=workdir,
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Self:
        require(shutil.which("redis-server") is not None, "redis-server")
        super().start()
        wait_until(lambda: port_open("127.0.0.1", self.port), 10, "the private Redis")
        return self


def stored_messages(database_url: str, room: str = "general") -> list[tuple[int, str, str, int]]:
    """``(seq, client_id, text, rev)`` of every message stored in ``room``, by seq."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT m.seq, m.client_id, m.text, m.rev FROM messages m JOIN rooms r ON r.id = m.room_id"
            " WHERE r.slug = %s ORDER BY m.seq",
            (room,),
        ).fetchall()
    return [(seq, client_id, text, rev) for seq, client_id, text, rev in rows]


def held_messages(client: ResumingClient, last: int) -> list[tuple[int, str, str, int]]:
    """What ``client`` holds up to seq ``last``, in the shape of ``stored_messages``."""
    held = [client.messages.get(seq) for seq in range(1, last + 1)]
    return [(m["seq"], m["client_id"], m["text"], m["rev"]) for m in held if m is not None]
