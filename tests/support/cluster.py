"""Several instances behind nginx, as ``make cluster`` runs them, on services of the test's own.

The cluster itself is deploy/cluster.py's; here are what the cluster and chaos
tests put around it: nginx's presence, a Redis they can stop, roomy limits.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

from deploy.launcher import free_port
from tests.support.chat_client import wait_until
from tests.support.services import port_open, require


def require_nginx() -> None:
    require(shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(), "nginx (Debian package)")


class PrivateRedis:
    """A redis-server of this test's own on a free port, to stop and start at will."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        require(server is not None, "redis-server")
        assert server is not None
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open("127.0.0.1", self.port), 10, "the private Redis")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
