"""Which rooms each person's sockets follow, kept right on every process.

A member's socket follows the activity channel of each of their rooms that it
has not joined, so that one emit per message reaches exactly the sidebars
that need it. Sockets join their rooms' channels when they connect; when a
membership begins or ends later, every process must update the sockets of
that person it holds. That command travels through the queue as a
server-only emit to the person's channel (``internals.COMMAND_PREFIX``) and
is applied here on each process; without the queue it is applied at once.

A membership that ends (``evict``) takes the person's sockets out of the
room itself too: out of its channel and its typing, and off its presence, so that
nothing more of the room reaches them, on whichever process holds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask

from chat import live
from chat.extensions import socketio
from chat.fanout import emit
from chat.fanout.emit import activity_channel, message_queue, user_channel
from chat.internals import COMMAND_PREFIX

FOLLOW = f"{COMMAND_PREFIX}follow"
EVICT = f"{COMMAND_PREFIX}evict"


def start(sid: str, user_id: int, slugs: Iterable[str]) -> None:
    """A socket connected: it hears of its user and follows the activity of each of ``slugs``."""
    socketio.server.enter_room(sid, user_channel(user_id), namespace="/")
    for slug in slugs:
        socketio.server.enter_room(sid, activity_channel(slug), namespace="/")


def follow(user_id: int, slug: str, following: bool = True) -> None:
    """A membership began (or ended): ``user_id``'s sockets on every process follow ``slug`` (or stop)."""
    _command(FOLLOW, {"user_id": user_id, "room": slug, "follow": following})


def evict(user_id: int, slug: str) -> None:
    """A membership ended: ``user_id``'s sockets on every process leave ``slug`` and stop following it."""
    _command(EVICT, {"user_id": user_id, "room": slug})


def _command(event: str, command: dict[str, Any]) -> None:
    if message_queue() is None:
        _apply(live.state(), event, command)
    else:
        socketio.emit(event, command, to=user_channel(int(command["user_id"])))


def on_command(app: Flask, event: str, data: Any) -> None:
    """The queue's handler for server-only emits reaching this process."""
    if event in (FOLLOW, EVICT) and isinstance(data, dict):
        with app.app_context():
            _apply(live.state(app), event, data)


def _apply(state: live.Live, event: str, command: dict[str, Any]) -> None:
    if event == EVICT:
        evict_here(state, command)
    else:
        apply(state, command)


def apply(state: live.Live, command: dict[str, Any]) -> None:
    """Make this process's sockets of the command's user follow (or stop following) its room."""
    slug, user_id = str(command["room"]), int(command["user_id"])
    channel = activity_channel(slug)
    for sid in state.sockets.sids_of(user_id):
        socket = state.sockets.get(sid)
        if socket is not None and command["follow"]:
            socket.member_rooms.add(slug)
        elif socket is not None:
            socket.member_rooms.discard(slug)
        if command["follow"] and socket is not None and slug not in socket.rooms:
            socketio.server.enter_room(sid, channel, namespace="/")
        elif not command["follow"]:
            socketio.server.leave_room(sid, channel, namespace="/")


def evict_here(state: live.Live, command: dict[str, Any]) -> None:
    """Take this process's sockets of the command's user out of its room, and off its activity."""
    slug, user_id = str(command["room"]), int(command["user_id"])
    for sid in state.sockets.sids_of(user_id):
        socket = state.sockets.get(sid)
        if socket is not None:
            socket.member_rooms.discard(slug)  # its presence no longer concerns the room
            if slug in socket.rooms:
                leave(sid, socket, slug)
        socketio.server.leave_room(sid, activity_channel(slug), namespace="/")


def leave(sid: str, socket: live.SocketState, slug: str) -> None:
    """Take socket ``sid`` out of room ``slug``: its typing there ends (presence is per person, not per room)."""
    stop_typing(sid, socket, slug)
    socket.rooms.discard(slug)
    socketio.server.leave_room(sid, emit.channel(slug), namespace="/")


def stop_typing(sid: str, socket: live.SocketState, slug: str) -> None:
    """End socket ``sid``'s typing in ``slug``, telling the room if it had been told it was typing."""
    socket.typing_in.discard(slug)
    if slug in socket.typing_told:
        socket.typing_told.discard(slug)
        emit.typing_changed(slug, socket.username, False, skip_sid=sid)
