"""A Python chat client that follows the contract's client rules, for real-server tests.

It orders messages by seq, ignores repeats, fills gaps with ``history`` and,
on every (re)connect, re-joins with ``since`` = its last contiguous seq. It
also counts live deliveries per seq, so tests can assert exactly-once fan-out.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import socketio

from tests.support.server import close_websocket, login_cookie, register_cookie

CALL_TIMEOUT = 15


def register(base_url: str, username: str, password: str) -> str:
    """Register ``username`` through the real form; return the session's Cookie header."""
    return register_cookie(base_url, username, password)


def login(base_url: str, username: str, password: str) -> str:
    """Log in through the real form; return the session's Cookie header."""
    return login_cookie(base_url, username, password)


class ResumingClient:
    """One user's socket in one room, resuming by seq after every reconnect."""

    def __init__(self, url: str, cookie: str, room: str = "general", *, reconnect: bool = True) -> None:
        self.url, self.cookie, self.room = url, cookie, room
        self.messages: dict[int, dict[str, Any]] = {}
        self.live = Counter[int]()
        self.presence: list[dict[str, Any]] = []
        self.joins = 0
        self.disconnects = 0
        self.dropped: list[Any] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(
            reconnection=reconnect,
            reconnection_delay=0.5,
            reconnection_delay_max=2,
            request_timeout=CALL_TIMEOUT,
            handle_sigint=False,
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("message", self._on_message)
        self.sio.on("presence", self._on_presence)

    def connect(self) -> ResumingClient:
        self.sio.connect(self.url, headers={"Cookie": self.cookie}, transports=["websocket"], wait_timeout=10)
        wait_until(lambda: self.joins > 0, 15, "the first join")
        return self

    def close(self) -> None:
        self.sio.reconnection = False
        try:
            self.sio.disconnect()
        finally:
            self._release_transport()

    def _release_transport(self) -> None:
        # A connection the server dropped leaves its websocket open on our side: close
        # those (kept aside at each disconnect) and the current one, once we are done.
        current = getattr(self.sio.eio, "ws", None)
        for ws in {id(w): w for w in [*self.dropped, current] if w is not None}.values():
            close_websocket(ws)

    @property
    def sid(self) -> str | None:
        sid: str | None = self.sio.get_sid("/")
        return sid

    def contiguous(self) -> int:
        with self.lock:
            seq = 0
            while seq + 1 in self.messages:
                seq += 1
            return seq

    def _merge(self, messages: list[dict[str, Any]]) -> None:
        with self.lock:
            for message in messages:
                self.messages.setdefault(message["seq"], message)

    def _on_connect(self) -> None:
        # Handlers run on the client's reader thread; a blocking call there would deadlock.
        self.sio.start_background_task(self._rejoin)

    def _rejoin(self) -> None:
        for _ in range(60):  # storage may be down just now: retry, bounded
            try:
                ack = self.sio.call(
                    "join", {"room": self.room, "since": self.contiguous()}, timeout=CALL_TIMEOUT
                )
            except socketio.exceptions.BadNamespaceError:
                return  # the connection went away again; the next connect re-joins
            except socketio.exceptions.TimeoutError:
                continue
            if ack.get("ok"):
                self._merge(ack["messages"])
                self.joins += 1
                self.fill_gaps(ack["last_seq"])
                return
            time.sleep(1.0)

    def _on_disconnect(self, *_reason: object) -> None:
        self.disconnects += 1
        self.dropped.append(getattr(self.sio.eio, "ws", None))

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("room") != self.room:
            return
        with self.lock:
            self.live[message["seq"]] += 1
        self._merge([message])
        if message["seq"] > self.contiguous() + 1:
            self.sio.start_background_task(self.fill_gaps, message["seq"])

    def _on_presence(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.presence.append(event)

    def fill_gaps(self, upto: int) -> None:
        """Ask ``history`` after the last contiguous seq until ``upto`` is reached (bounded).

        A refusal (storage down) is retried after a pause, as a real client would.
        """
        for _ in range(60):
            have = self.contiguous()
            if have >= upto:
                return
            try:
                page = self.sio.call(
                    "history", {"room": self.room, "after": have, "limit": 200}, timeout=CALL_TIMEOUT
                )
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
        last: Any = None
        for _ in range(attempts):
            try:
                last = self.sio.call(
                    "message", {"room": self.room, "text": text, "client_id": client_id}, timeout=5
                )
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError) as exc:
                last = exc
            else:
                if last.get("ok"):
                    self._merge([last["message"]])
                    return dict(last)
                if last["error"]["code"] not in ("unavailable", "rate_limited", "not_joined"):
                    return dict(last)
            time.sleep(0.5)
        raise AssertionError(f"{text!r} was never acknowledged: {last!r}")

    def call(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        ack: dict[str, Any] = self.sio.call(event, payload, timeout=CALL_TIMEOUT)
        return ack


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
