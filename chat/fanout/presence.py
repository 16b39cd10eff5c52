"""Presence per person, told per room and coalesced: at most one ``presence`` event per room per tick.

A person is online while any of their sockets is connected, on any page and
any process (``chat.live.presence`` counts the sockets). When their first
socket connects or their last one goes, each room they are a member of hears
of it; so does a room they newly join while online. A storm of such changes
(an instance restarting, a thousand people reconnecting) would otherwise cost
one event per person per room, each to everyone in it: instead each process
collects the changes of a short tick and sends, per room, one event with all
of them.

Only the net change of the tick goes out. Each person's state is read from
the presence store when the tick ends and compared with their state before
their first change of the tick: someone who came and went within it (or
whose last socket here closed while another opened on another process) is
not reported at all. Each process coalesces its own changes: with several
instances, a room may get one event per instance per tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from flask import Flask, current_app
from sqlalchemy import select

from chat import live
from chat.extensions import db, socketio
from chat.fanout import emit
from chat.live import SocketState
from chat.models import Membership, Room, User

log = logging.getLogger("parley.presence")

EXTENSION = "parley.presence"
# How long changes are collected before a room hears of them (the contract allows up to a second).
TICK_SECONDS = 0.5


class PresenceTicker:
    """The changes of the current tick, per room, and the one flush that ends it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        # room -> username -> what the room was told before this tick (the opposite of the first change)
        self._pending: dict[str, dict[str, bool]] = {}
        self._scheduled = False
        self._lock = threading.Lock()

    def changed(self, username: str, online: bool, rooms: Iterable[str]) -> None:
        """``username`` came online (or went offline) for ``rooms``: they hear of it at the end of the tick."""
        with self._lock:
            for slug in rooms:
                self._pending.setdefault(slug, {}).setdefault(username, not online)
            start = bool(self._pending) and not self._scheduled
            self._scheduled = self._scheduled or start
        if start:
            socketio.start_background_task(self._flush_after_tick, socketio.server)

    def _flush_after_tick(self, server: object) -> None:
        socketio.sleep(TICK_SECONDS)
        if socketio.server is server:  # the app was built again meanwhile (tests build many)
            self.flush()

    def flush(self) -> int:
        """End the tick: one ``presence`` event per room with its net changes; how many events left."""
        with self._lock:
            pending, self._pending, self._scheduled = self._pending, {}, False
        if not pending:
            return 0
        names = {name for users in pending.values() for name in users}
        online = live.state(self.app).presence.online_among(names)
        sent = 0
        for slug, users in pending.items():
            changes = [
                {"username": name, "online": name in online}
                for name in sorted(users, key=str.lower)
                if (name in online) != users[name]
            ]
            if changes:
                emit.presence_changed(slug, changes)
                sent += 1
        return sent


def ticker(app: Flask | None = None) -> PresenceTicker:
    """The presence ticker of ``app`` (the current app by default)."""
    found: PresenceTicker = (app or current_app).extensions[EXTENSION]
    return found


def connected(state: SocketState, sid: str) -> None:
    """A socket connected: if it is its user's first anywhere, their rooms hear they are online."""
    if live.presence().connect(state.username, sid):
        ticker().changed(state.username, True, state.member_rooms)


def disconnected(state: SocketState, sid: str) -> None:
    """A socket went away: if it was its user's last anywhere, their rooms hear they are offline."""
    if live.presence().disconnect(state.username, sid):
        ticker().changed(state.username, False, state.member_rooms)


def admitted(slug: str, username: str) -> None:
    """``username`` became a member of ``slug``: if they are online, the room hears of it."""
    if live.presence().online_among([username]):
        ticker().changed(username, True, [slug])


def renew_and_sweep(app: Flask) -> None:
    """Keep this process's sockets online; tell rooms of people whose presence lapsed elsewhere or came back."""
    state = live.state(app)
    revived = state.presence.renew(state.sockets.presences())
    lapsed = state.presence.sweep()
    if lapsed:
        log.info("presence of %s lapsed (their server went away)", ", ".join(sorted(lapsed)))
    if revived:
        log.warning("presence of %s had lapsed while this process was held up; renewed", ", ".join(revived))
    if not lapsed and not revived:
        return
    rooms_of = _rooms_of(app, [*lapsed, *revived])
    for username in lapsed:
        ticker(app).changed(username, False, rooms_of[username])
    for username in revived:
        ticker(app).changed(username, True, rooms_of[username])


def _rooms_of(app: Flask, usernames: list[str]) -> dict[str, list[str]]:
    """The rooms each of ``usernames`` is a member of (one query)."""
    with app.app_context():
        rows = db.session.execute(
            select(User.username, Room.slug)
            .join(Membership, Membership.user_id == User.id)
            .join(Room, Room.id == Membership.room_id)
            .where(User.username.in_(usernames))
        ).all()
    rooms_of: dict[str, list[str]] = {name: [] for name in usernames}
    for username, slug in rows:
        rooms_of[username].append(slug)
    return rooms_of
