"""A Python Socket.IO client of the chat, for the tests that talk to real servers.

It checks the contract (docs/protocol.md) from the outside: it is written with
python-socketio, apart from the browser's script, so that a mistake the two
shared could not hide itself.

``ChatClient`` is one connection carrying a session cookie. ``ask`` returns an
event's acknowledgement (bounded), ``emit`` does not wait for it (``Pending``),
and a ``Recorder`` collects what arrives. It does not reconnect unless asked
to. ``close`` releases every socket the client opened, also the websockets of
connections the server dropped: the suite runs with warnings as errors, so a
leaked socket fails the test.

``ResumingClient`` is a ``ChatClient`` in one room that follows the contract's
client rules: it reconnects and re-joins with ``since`` = its last contiguous
seq, orders messages by seq, ignores repeats, fills gaps with ``history`` and
retries a send under one ``client_id``. It counts live deliveries per seq, so
that tests can assert exactly-once fan-out.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Self, TypeVar

import requests
import socketio
import websocket

CALL_TIMEOUT = 10.0

T = TypeVar("T")


class ChatClient:
    """A Socket.IO connection to ``url`` with the session ``cookie`` (a ``Cookie`` header; None: none).

    ``transports`` as python-socketio takes them (None: long-polling, then the
    upgrade); ``headers`` go with every handshake; a ``recorder`` receives every
    event, disconnect and refusal; ``options`` go to ``socketio.Client``.
    """

    call_timeout = CALL_TIMEOUT

    def __init__(
        self,
        url: str,
        cookie: str | None,
        *,
        transports: list[str] | None = None,
        headers: Mapping[str, str] | None = None,
        recorder: Recorder | None = None,
        reconnect: bool = False,
        **options: Any,
    ) -> None:
        self.url = url
        self.transports = transports
        self.headers = dict(headers or {})
        if cookie is not None:
            self.headers["Cookie"] = cookie
        self.recorder = recorder
        self.disconnects = 0
        self._http = requests.Session()
        self._dropped: list[websocket.WebSocket] = []
        self.sio = socketio.Client(
            reconnection=reconnect,
            reconnection_delay=0.5,
            reconnection_delay_max=2,
            handle_sigint=False,
            http_session=self._http,
            request_timeout=self.call_timeout,
            **options,
        )
        self.sio.on("disconnect", self._on_disconnect)
        if recorder is not None:
            self.sio.on("*", lambda event, *args: recorder.record(event, args[0] if args else None))
            self.sio.on(
                "connect_error", lambda *args: recorder.record("connect_error", args[0] if args else None)
            )

    def connect(self, wait_timeout: float = 10.0) -> Self:
        """Connect; if refused, close everything and raise ``socketio.exceptions.ConnectionError``."""
        try:
            self.sio.connect(
                self.url,
                headers=self._handshake_headers,
                transports=self.transports,
                wait_timeout=wait_timeout,
            )
        except BaseException:
            self.close()
            raise
        return self

    def _handshake_headers(self) -> dict[str, str]:
        # A fresh copy for each (re)connect: engine.io takes the Cookie header out of the
        # dict it is given, and a reconnect without it would be refused.
        return dict(self.headers)

    def ask(self, event: str, payload: Any, timeout: float | None = None) -> Any:
        """Emit ``event`` and return its acknowledgement (bounded)."""
        return self.sio.call(event, payload, timeout=timeout or self.call_timeout)

    def emit(self, event: str, payload: Any, what: str = "") -> Pending:
        """Emit without waiting; the returned ``Pending`` receives the acknowledgement."""
        pending = Pending(what or f"ack of {event!r}")
        self.sio.emit(event, payload, callback=pending)
        return pending

    def transport(self) -> str:
        return str(self.sio.transport())

    @property
    def sid(self) -> str | None:
        sid: str | None = self.sio.get_sid("/")
        return sid

    def _on_disconnect(self, *reason: object) -> None:
        # A connection the server dropped leaves its websocket open on our side: keep it
        # aside, to close it with the others in close().
        self.disconnects += 1
        ws = getattr(self.sio.eio, "ws", None)
        if ws is not None:
            self._dropped.append(ws)
        if self.recorder is not None:
            self.recorder.record("disconnect", reason[0] if reason else None)

    def close(self) -> None:
        """Disconnect, stop reconnecting, and release every socket this client opened."""
        self.sio.reconnection = False
        try:
            self.sio.shutdown()  # ends a reconnection under way, if there is one
            self.sio.disconnect()
        finally:
            # After a server-side close, engine.io's read loop ends without closing its
            # websocket: wait for the loop, then close what it and earlier connections left.
            reader = getattr(self.sio.eio, "read_loop_task", None)
            if reader is not None:
                reader.join(self.call_timeout)
            current = getattr(self.sio.eio, "ws", None)
            for ws in {id(w): w for w in [*self._dropped, current] if w is not None}.values():
                close_websocket(ws)
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def connect(url: str, cookie: str | None, transports: list[str] | None = None, **options: Any) -> ChatClient:
    """A connected ``ChatClient`` (see its arguments); raises ``socketio.exceptions.ConnectionError``."""
    return ChatClient(url, cookie, transports=transports, **options).connect()


class ResumingClient(ChatClient):
    """One user's socket in one room, resuming by seq and rev after every reconnect.

    It keeps, per seq, the message object with the highest rev (the contract's
    rule), so a late or repeated event changes nothing, and it re-joins with
    ``since`` and ``since_rev`` to get what it missed, changes included.
    """

    call_timeout = 15.0

    def __init__(self, url: str, cookie: str, room: str = "general", *, reconnect: bool = True) -> None:
        super().__init__(url, cookie, transports=["websocket"], reconnect=reconnect)
        self.room = room
        self.messages: dict[int, dict[str, Any]] = {}
        self.last_rev = 0  # every rev up to this one is applied here
        self._revs_ahead: set[int] = set()
        self.live = Counter[int]()
        self.changes = Counter[tuple[int, int]]()  # (seq, rev) of each message_changed received
        self.resumed = Counter[int]()  # seqs listed in joins' "changed"
        self.presence: list[dict[str, Any]] = []  # {"room", "username", "online"} per change
        self.presence_events: list[dict[str, Any]] = []  # as they came
        self.joins = 0
        self.lock = threading.Lock()
        self.sio.on("connect", self._on_connect)
        self.sio.on("message", self._on_message)
        self.sio.on("message_changed", self._on_changed)
        self.sio.on("presence", self._on_presence)

    def connect(self, wait_timeout: float = 10.0) -> Self:
        """Connect and wait (bounded) for the first join."""
        super().connect(wait_timeout)
        try:
            wait_until(lambda: self.joins > 0, 15, "the first join")
        except BaseException:
            self.close()
            raise
        return self

    def wait_caught_up(self, seq: int, timeout: float, what: str) -> None:
        """Wait (bounded) until this client holds every message up to ``seq``."""
        wait_until(lambda: self.contiguous() >= seq, timeout, what)

    def contiguous(self) -> int:
        """The last seq up to which this client has every message."""
        with self.lock:
            seq = 0
            while seq + 1 in self.messages:
                seq += 1
            return seq

    def _merge(self, messages: list[dict[str, Any]]) -> None:
        with self.lock:
            for message in messages:
                held = self.messages.get(message["seq"])
                if held is None or message.get("rev", 0) > held.get("rev", 0):
                    self.messages[message["seq"]] = message
                self._note_rev(message.get("rev", 0))

    def _note_rev(self, rev: int) -> None:
        # Like seqs: last_rev advances only over revs without a hole below them.
        if rev > self.last_rev:
            self._revs_ahead.add(rev)
        while self.last_rev + 1 in self._revs_ahead:
            self.last_rev += 1
            self._revs_ahead.discard(self.last_rev)

    def _on_connect(self) -> None:
        # Handlers run on the client's reader thread; a blocking call there would deadlock.
        self.sio.start_background_task(self._rejoin)

    def _rejoin(self) -> None:
        for _ in range(60):  # storage may be down just now: retry, bounded
            try:
                since = self.contiguous()
                ack = self.ask("join", {"room": self.room, "since": since, "since_rev": self.last_rev})
            except socketio.exceptions.BadNamespaceError:
                return  # the connection went away again; the next connect re-joins
            except socketio.exceptions.TimeoutError:
                continue
            if ack.get("ok") and ack["changes_truncated"]:
                with self.lock:  # too much changed to list: start the room afresh
                    self.messages.clear()
                    self.last_rev = 0
                    self._revs_ahead.clear()
                continue
            if ack.get("ok"):
                with self.lock:  # everything up to the room's rev is in this answer
                    self.last_rev = max(self.last_rev, ack["last_rev"])
                    self._revs_ahead = {rev for rev in self._revs_ahead if rev > self.last_rev}
                    self.resumed.update(message["seq"] for message in ack["changed"])
                self._merge(ack["messages"] + ack["changed"])
                self.joins += 1
                self.fill_gaps(ack["last_seq"])
                return
            time.sleep(1.0)

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("room") != self.room:
            return
        with self.lock:
            self.live[message["seq"]] += 1
        self._merge([message])
        if message["seq"] > self.contiguous() + 1:
            self.sio.start_background_task(self.fill_gaps, message["seq"])

    def _on_changed(self, message: dict[str, Any]) -> None:
        if message.get("room") != self.room:
            return
        with self.lock:
            self.changes[(message["seq"], message["rev"])] += 1
        self._merge([message])

    def _on_presence(self, event: dict[str, Any]) -> None:
        # One event carries a tick's changes; kept here one record per person, in order.
        with self.lock:
            self.presence_events.append(event)
            self.presence.extend({"room": event["room"], **change} for change in event["changes"])

    def fill_gaps(self, upto: int) -> None:
        """Ask ``history`` after the last contiguous seq until ``upto`` is reached (bounded).

        A refusal (storage down) is retried after a pause, as a real client would.
        """
        for _ in range(60):
            have = self.contiguous()
            if have >= upto:
                return
            try:
                page = self.ask("history", {"room": self.room, "after": have, "limit": 200})
            except socketio.exceptions.BadNamespaceError:
                return  # disconnected: the re-join after the reconnect resumes from seq
            except socketio.exceptions.TimeoutError:
                continue
            if not page.get("ok"):
                time.sleep(1.0)
                continue
            if not page["messages"]:
                return
            self._merge(page["messages"])

    def send(self, text: str, client_id: str, attempts: int = 10) -> dict[str, Any]:
        """Send with retries under one client_id, as the contract asks of clients."""
        return self.retried("message", {"text": text, "client_id": client_id}, attempts)

    def change(self, event: str, payload: dict[str, Any], attempts: int = 10) -> dict[str, Any]:
        """``edit``, ``delete`` or ``react`` in this room, retried like a message (each is idempotent)."""
        return self.retried(event, payload, attempts)

    def retried(self, event: str, payload: dict[str, Any], attempts: int) -> dict[str, Any]:
        """Ask ``event`` in this room until it is answered for good; keep the message it answers with."""
        last: Any = None
        for _ in range(attempts):
            try:
                last = self.ask(event, {"room": self.room, **payload}, 5)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError) as exc:
                last = exc
            else:
                if last.get("ok"):
                    self._merge([last["message"]])
                    return dict(last)
                if last["error"]["code"] not in ("unavailable", "rate_limited", "not_joined"):
                    return dict(last)
            time.sleep(0.5)
        raise AssertionError(f"{event} {payload!r} was never acknowledged: {last!r}")


def close_websocket(ws: websocket.WebSocket) -> None:
    """Close a websocket-client socket even when the peer closed first.

    ``WebSocket.close()`` returns without touching the socket once the connection
    counts as closed; ``shutdown()`` closes the OS socket in every case.
    """
    try:
        ws.close(timeout=1)
    finally:
        ws.shutdown()  # type: ignore[no-untyped-call]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` until it is truthy; fail after ``timeout`` s, naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Recorder:
    """What one client received, in order, with the monotonic time of arrival. Thread-safe."""

    def __init__(self, name: str = "client") -> None:
        self.name = name
        self._events: list[tuple[str, Any, float]] = []
        self._changed = threading.Condition()

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
