"""Start Parley's server the way a platform does, wait until it serves, stop it.

A platform runs the Procfile's ``web:`` line with ``sh -c``, with ``PORT``,
``HOST``, ``DATABASE_URL`` and ``SECRET_KEY`` in the environment. ``WebProcess``
does the same on 127.0.0.1, in a process group of its own: the ``flask``
commands of the line, gunicorn and its worker all get one signal, and
nothing of the group outlives ``stop()``. Everything that runs Parley in a
process of its own starts it here: ``make cluster`` (deploy/cluster.py),
``make bench`` (benchmarks/run.py) and the tests (tests/support/server.py).

Every wait has a deadline; everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
COMMAND_TIMEOUT = 60.0


class LaunchError(RuntimeError):
    """A process did not start serving, exited before it did, or a command failed."""


def web_command(root: Path = ROOT) -> str:
    """The ``web:`` command of the Procfile in ``root``, exactly as a platform would run it."""
    for line in (root / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise LaunchError(f"{root / 'Procfile'} has no web: line")


def python_command(*args: str) -> str:
    """A shell command running this Python (the one with Parley's dependencies) with ``args``."""
    return "exec " + shlex.join([sys.executable, *args])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(
    database_url: str,
    secret_key: str,
    *,
    base: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What a platform hands the web command (and the operator's ``flask`` commands).

    ``base`` is what the server inherits (this process's environment unless
    given); this Python's ``bin`` folder goes first on ``PATH``, so that the
    Procfile's ``flask`` and ``gunicorn`` are the ones installed beside it.
    """
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "HOST": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def run_flask(env: Mapping[str, str], *args: str, root: Path = ROOT, timeout: float = COMMAND_TIMEOUT) -> str:
    """``flask --app app ARGS`` in ``root`` with ``env``; its output, or a ``LaunchError``."""
    done = subprocess.run(  # noqa: S603 - a fixed command line of our own
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=root,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise LaunchError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def answers(url: str, *, any_status: bool = False) -> bool:
    """Whether ``url`` answers 200 (or, with ``any_status``, answers at all) within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own http:// URL
            return any_status or response.status == 200
    except urllib.error.HTTPError as refusal:
        refusal.close()
        return any_status
    except (urllib.error.URLError, OSError):
        return False


class GroupProcess:
    """``argv`` in a process group of its own, its output appended to ``log_path``.

    It can be started again after it stopped (a restarted instance keeps
    writing to the same log). The group leader is not reaped until it is
    stopped, so its pid, which is the group id, cannot be reused by another
    process while a signal may still go to the group.
    """

    def __init__(
        self, argv: Sequence[str], *, env: Mapping[str, str], log_path: Path, cwd: Path = ROOT
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = Path(log_path)
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(  # noqa: S603 - a command line of our own
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def _started(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise LaunchError(f"{self.argv[0]} was never started")
        return self.process

    @property
    def pid(self) -> int:
        """The group leader's pid, which is also the group's id."""
        return self._started().pid

    def exited(self, timeout: float = 0.0) -> bool:
        """Whether the group leader has exited, waiting at most ``timeout`` s; it is not reaped."""
        process = self._started()
        if process.returncode is not None:
            return True
        deadline = time.monotonic() + timeout
        while os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    @property
    def alive(self) -> bool:
        return self.process is not None and not self.exited()

    def wait_until_serving(self, url: str, timeout: float, *, any_status: bool = False) -> None:
        """Poll ``url`` until it answers 200 (``any_status``: anything); fail early if the process exits."""
        deadline = time.monotonic() + timeout
        while not answers(url, any_status=any_status):
            if self.exited():
                raise LaunchError(f"{self.argv[0]} exited before {url} answered\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise LaunchError(f"{url} did not answer within {timeout:.0f} s\n{self.log_tail()}")
            time.sleep(0.1)

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to the whole group, if there still is one."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)  # start_new_session: the group id is the leader's pid

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM to the group, a bounded wait, then SIGKILL; the exit code (None if never started)."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            self.signal_group(signal.SIGTERM)
            if not self.exited(timeout):
                self.signal_group(signal.SIGKILL)
                self.exited(5)
            # Whatever of the group outlived its leader (a worker) goes too. The leader is not
            # reaped yet, so the group id still belongs to this group.
            self.signal_group(signal.SIGKILL)
        return process.wait(timeout=5)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30.0) -> int | None:
        """``sig`` (by default kill -9, as a crash) to the whole group; the exit code once it is gone."""
        process = self.process
        if process is None or process.returncode is not None:
            return None if process is None else process.returncode
        self.signal_group(sig)
        return process.wait(timeout=timeout)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "\n".join(tail)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class WebProcess(GroupProcess):
    """The Procfile's web command (or ``command``) serving on 127.0.0.1:``port`` with ``env``.

    ``root`` is the checkout whose Procfile and code run; ``wrapper`` goes in
    front of ``sh -c`` (the benchmark pins the server to a CPU with taskset).
    """

    def __init__(
        self,
        port: int,
        env: Mapping[str, str],
        log_path: Path,
        *,
        command: str | None = None,
        root: Path = ROOT,
        wrapper: Sequence[str] = (),
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(
            [*wrapper, "sh", "-c", command or web_command(root)],
            env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            log_path=log_path,
            cwd=root,
        )

    def start(self, *, wait: bool = True, timeout: float = STARTUP_TIMEOUT) -> Self:
        """Start; unless ``wait`` is false, wait for a 200 from /healthz (stopped again if none comes)."""
        super().start()
        if wait:
            try:
                self.wait_healthy(timeout)
            except BaseException:
                self.stop()
                raise
        return self

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        self.wait_until_serving(f"{self.url}/healthz", timeout)

    def flask(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """Run ``flask --app app ARGS`` with this server's environment, as its operator would."""
        return run_flask(self.env, *args, root=self.cwd, timeout=timeout)


def stop_all(processes: Iterable[GroupProcess], timeout: float = STOP_TIMEOUT) -> None:
    """Stop several groups together: SIGTERM to each at once, one shared deadline, then SIGKILL."""
    started = [p for p in processes if p.process is not None]
    for process in started:
        if not process.exited():
            process.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in started:
        process.stop(max(0.1, deadline - time.monotonic()))
