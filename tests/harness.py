"""Real server processes for tests: the Procfile's web command (or ``python app.py``) on a free port.

``ServerProcess`` starts the command the way a platform would (``sh -c`` with
``PORT``/``HOST``/``DATABASE_URL``/``SECRET_KEY`` in the environment, in its
own process group, output to a log file), waits for ``/healthz`` and stops
the whole group on exit. The helpers log in over HTTP and connect real
Socket.IO clients; ``Recorder`` collects what a client receives.

Everything here is bounded in time and closes what it opens: the suite runs
with warnings as errors, so a leaked socket or file fails the test.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import socketio
import websocket

from deploy.cluster import web_command
from tests.services import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PASSWORD = "correct-horse-battery"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
CALL_TIMEOUT = 10.0

# All the server inherits from the test's own environment: nothing of the app's settings
# (DATABASE_URL, REDIS_URL, rate limits, ...) may leak in from the developer's shell.
INHERITED_ENV = ("HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME")

T = TypeVar("T")


class ServerError(AssertionError):
    """The server did not start, or did not stop, as it should."""


def server_env(database_url: str, port: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a platform would give the server (and the operator's ``flask`` commands)."""
    env = {k: os.environ[k] for k in INHERITED_ENV if k in os.environ}
    env.update(
        {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_hex(32),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


class ServerProcess:
    """A real server on 127.0.0.1:<free port>, as a context manager.

    ``command`` defaults to the Procfile's ``web:`` command; pass e.g.
    ``"exec python app.py"`` to run the module directly.
    """

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        *,
        command: str | None = None,
        extra_env: Mapping[str, str] | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
        name: str = "server",
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.command = command or web_command()
        self.env = server_env(database_url, self.port, extra_env)
        self.log_path = Path(log_dir) / f"{name}-{self.port}.log"
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ServerProcess:
        started = time.monotonic()
        with open(self.log_path, "wb") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                ["sh", "-c", self.command],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy(started + self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _wait_healthy(self, deadline: float) -> None:
        assert self.process is not None
        while True:
            if self._leader_exited(0):
                raise ServerError(f"the server exited before it served /healthz\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(
                    f"no 200 from {self.base_url}/healthz within {self.startup_timeout:.0f} s\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM to the process group, a bounded wait, then SIGKILL. Returns the exit code."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            self._signal_group(signal.SIGTERM)
            if not self._leader_exited(timeout):
                self._signal_group(signal.SIGKILL)
                self._leader_exited(5)
            # Anything of the group that outlived its leader (a worker) goes too. The leader is
            # a zombie until reaped below, so its pid (the group id) cannot belong to anyone else.
            self._signal_group(signal.SIGKILL)
        return process.wait(timeout=5)

    def kill(self) -> int | None:
        """kill -9 the whole process group, as a crash would; returns the exit code."""
        if self.process is None:
            return None
        self._signal_group(signal.SIGKILL)
        return self.process.wait(timeout=10)

    def _leader_exited(self, timeout: float) -> bool:
        """Wait (bounded) until the group leader exits, without reaping it."""
        assert self.process is not None
        if self.process.returncode is not None:
            return True
        deadline = time.monotonic() + timeout
        while os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)  # start_new_session: the group id is the leader's pid

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- inspection ------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.process is not None and not self._leader_exited(0)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        tail = self.log_text().splitlines()[-lines:]
        return f"--- last {len(tail)} lines of {self.log_path} ---\n" + "\n".join(tail)

    # -- operator commands -----------------------------------------------------------------

    def flask(self, *args: str, timeout: float = 60.0) -> str:
        """Run ``flask --app app ARGS`` with this server's environment."""
        return run_flask(self.env, *args, timeout=timeout)


def run_flask(env: Mapping[str, str], *args: str, timeout: float = 60.0) -> str:
    """``flask --app app ARGS`` in the repository root with ``env``; its output, or a failure."""
    done = subprocess.run(
        ["flask", "--app", "app", *args],
        cwd=ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise ServerError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


# -- HTTP and Socket.IO clients ------------------------------------------------------------

CSRF_RE = (
    re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'),
    re.compile(r'name="csrf_token" value="([^"]+)"'),
)


def _form_token(http: requests.Session, url: str) -> str:
    """GET the page at ``url`` in ``http``'s session; the CSRF token of its form."""
    page = http.get(url, timeout=CALL_TIMEOUT)
    page.raise_for_status()
    token = next((m.group(1) for r in CSRF_RE if (m := r.search(page.text))), None)
    assert token, f"the page {url} has no CSRF token"
    return token


def _submit_form(base_url: str, path: str, username: str, password: str) -> str:
    """GET ``path``, POST its form back with the CSRF token; the ``Cookie`` header of the session."""
    with requests.Session() as http:
        token = _form_token(http, f"{base_url}{path}")
        response = http.post(
            f"{base_url}{path}",
            data={"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=CALL_TIMEOUT,
        )
        assert response.status_code == 302, (
            f"{path} as {username}: {response.status_code} {response.text[:300]}"
        )
        cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    assert cookie, f"{path} set no cookie"
    return cookie


def register_cookie(base_url: str, username: str, password: str = PASSWORD) -> str:
    """Register through the real form; the ``Cookie`` header of the new, logged-in session."""
    return _submit_form(base_url, "/register", username, password)


def create_user(base_url: str, username: str, password: str = PASSWORD) -> None:
    """Create an account the way a person does: the ``/register`` form of the running server.

    (Chosen over ``flask users create``: a CLI run costs the app's import time, seconds
    on a busy machine, where a request costs milliseconds.)
    """
    _submit_form(base_url, "/register", username, password)


def create_users(base_url: str, *usernames: str, password: str = PASSWORD) -> None:
    for username in usernames:
        create_user(base_url, username, password)


def login_cookie(base_url: str, username: str, password: str = PASSWORD) -> str:
    """Log in through the real form (with its CSRF token); the ``Cookie`` header of that session."""
    return _submit_form(base_url, "/login", username, password)


def logout(base_url: str, cookie: str) -> None:
    """Log the session of ``cookie`` out through the real button (a form with its CSRF token)."""
    with requests.Session() as http:
        # Into the jar, so that the session cookie the page may refresh (the CSRF seed) goes back.
        host = urlsplit(base_url).hostname
        for pair in cookie.split("; "):
            name, _, value = pair.partition("=")
            http.cookies.set(name, value, domain=host, path="/")
        token = _form_token(http, f"{base_url}/rooms")
        response = http.post(
            f"{base_url}/logout", data={"csrf_token": token}, allow_redirects=False, timeout=CALL_TIMEOUT
        )
        assert response.status_code == 302, f"/logout: {response.status_code} {response.text[:300]}"


class ChatClient(socketio.Client):  # type: ignore[misc]
    """A ``socketio.Client`` that never reconnects by itself and closes its HTTP session."""

    def __init__(self, **kwargs: Any) -> None:
        self.http_session = requests.Session()
        super().__init__(
            reconnection=False,
            handle_sigint=False,
            http_session=self.http_session,
            request_timeout=CALL_TIMEOUT,
            **kwargs,
        )

    def ask(self, event: str, payload: Any, timeout: float = CALL_TIMEOUT) -> Any:
        """Emit ``event`` and return its acknowledgement (bounded)."""
        return self.call(event, payload, timeout=timeout)

    def close(self) -> None:
        """Disconnect (if still connected) and release every socket this client opened."""
        try:
            self.disconnect()
        finally:
            # After a server-side close, engineio's read loop ends without closing its
            # websocket; wait for the loop, then close what it left behind.
            reader = getattr(self.eio, "read_loop_task", None)
            if reader is not None:
                reader.join(CALL_TIMEOUT)
            ws = getattr(self.eio, "ws", None)
            if ws is not None:
                close_websocket(ws)
            self.http_session.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def connect(
    base_url: str,
    cookie: str | None,
    transports: list[str] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    recorder: Recorder | None = None,
    wait_timeout: float = 10.0,
    **client_options: Any,
) -> ChatClient:
    """A connected Socket.IO client carrying ``cookie``; raises ``socketio.exceptions.ConnectionError``."""
    client = ChatClient(**client_options)
    if recorder is not None:
        recorder.attach(client)
    sent = dict(headers or {})
    if cookie is not None:
        sent["Cookie"] = cookie
    try:
        client.connect(base_url, headers=sent, transports=transports, wait_timeout=wait_timeout)
    except BaseException:
        client.close()
        raise
    return client


def close_websocket(ws: websocket.WebSocket) -> None:
    """Close a websocket-client socket even when the peer closed first.

    ``WebSocket.close()`` returns without touching the socket once the connection
    counts as closed; ``shutdown()`` closes the OS socket in every case.
    """
    try:
        ws.close(timeout=1)
    finally:
        ws.shutdown()  # type: ignore[no-untyped-call]


class Recorder:
    """What one client received, in order, with the monotonic time of arrival. Thread-safe."""

    def __init__(self, name: str = "client") -> None:
        self.name = name
        self._events: list[tuple[str, Any, float]] = []
        self._changed = threading.Condition()

    def attach(self, client: socketio.Client) -> None:
        def any_event(event: str, *args: Any) -> None:
            self.record(event, args[0] if args else None)

        def disconnected(*args: Any) -> None:
            self.record("disconnect", args[0] if args else None)

        def refused(*args: Any) -> None:
            self.record("connect_error", args[0] if args else None)

        client.on("*", any_event)
        client.on("disconnect", disconnected)
        client.on("connect_error", refused)

    def record(self, event: str, payload: Any) -> None:
        with self._changed:
            self._events.append((event, payload, time.monotonic()))
            self._changed.notify_all()

    @property
    def events(self) -> list[tuple[str, Any, float]]:
        with self._changed:
            return list(self._events)

    def of(self, event: str) -> list[Any]:
        """The payloads of ``event`` received so far, in order."""
        return [payload for name, payload, _ in self.events if name == event]

    def wait_for(self, predicate: Callable[[Recorder], T], timeout: float = 5.0, what: str = "") -> T:
        """Wait (at most ``timeout`` s) until ``predicate(self)`` is truthy; return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                result = predicate(self)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    received = [(name, payload) for name, payload, _ in self._events]
                    raise AssertionError(
                        f"{self.name}: no {what or 'expected events'} within {timeout} s; got {received!r}"
                    )
                self._changed.wait(left)

    def wait_event(
        self, event: str, match: Callable[[Any], bool] = lambda _p: True, timeout: float = 5.0
    ) -> Any:
        """The first payload of ``event`` that ``match``es, waiting for it if needed."""

        def found(recorder: Recorder) -> list[Any]:
            return [p for p in recorder.of(event) if match(p)][:1]

        return self.wait_for(found, timeout, what=f"{event!r} event")[0]


class Pending:
    """An acknowledgement callback for a non-blocking ``emit``: its value and when it came."""

    def __init__(self, what: str = "acknowledgement") -> None:
        self.what = what
        self.sent_at = time.monotonic()
        self.at: float | None = None
        self.value: Any = None
        self._done = threading.Event()

    def __call__(self, *args: Any) -> None:
        self.at = time.monotonic()
        self.value = args[0] if args else None
        self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def elapsed(self) -> float:
        assert self.at is not None, f"no {self.what} yet"
        return self.at - self.sent_at

    def wait(self, timeout: float = CALL_TIMEOUT) -> Any:
        assert self._done.wait(timeout), f"no {self.what} within {timeout} s"
        return self.value


def emit(client: socketio.Client, event: str, payload: Any, what: str = "") -> Pending:
    """Emit without blocking; the returned ``Pending`` receives the acknowledgement."""
    pending = Pending(what or f"ack of {event!r}")
    client.emit(event, payload, callback=pending)
    return pending
