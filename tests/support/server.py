"""Real server processes for tests: the Procfile's web command (or ``python app.py``) on a free port.

``ServerProcess`` is deploy/launcher.py's ``WebProcess`` (the command started the
way a platform would, in its own process group, waited for on ``/healthz``,
stopped as a group) with the tests' own environment: a fresh ``SECRET_KEY``, and
nothing of the app's settings from the developer's shell. The helpers log in
over HTTP and connect real Socket.IO clients; ``Recorder`` collects what a
client receives.

Everything here is bounded in time and closes what it opens: the suite runs
with warnings as errors, so a leaked socket or file fails the test.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import requests
import socketio
import websocket

from deploy.launcher import WebProcess, free_port, server_environment

PASSWORD = "correct-horse-battery"
STARTUP_TIMEOUT = 30.0
CALL_TIMEOUT = 10.0

# All the server inherits from the test's own environment: nothing of the app's settings
# (DATABASE_URL, REDIS_URL, rate limits, ...) may leak in from the developer's shell.
INHERITED_ENV = ("HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME")

T = TypeVar("T")


def server_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a platform would give the server (and the operator's ``flask`` commands)."""
    inherited = {k: os.environ[k] for k in INHERITED_ENV if k in os.environ}
    return server_environment(database_url, secrets.token_hex(32), base=inherited, extra=extra)


class ServerProcess(WebProcess):
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
        port = free_port()
        super().__init__(
            port, server_env(database_url, extra_env), Path(log_dir) / f"{name}-{port}.log", command=command
        )
        self.base_url = self.url
        self.startup_timeout = startup_timeout

    def start(self, *, wait: bool = True, timeout: float | None = None) -> Self:
        return super().start(wait=wait, timeout=timeout or self.startup_timeout)


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
