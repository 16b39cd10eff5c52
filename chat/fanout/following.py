"""Which rooms' activity each person's sockets follow, kept right on every process.

A member's socket follows the activity channel of each of their rooms that it
has not joined, so that one emit per message reaches exactly the sidebars
that need it. Sockets join their rooms' channels when they connect; when a
membership begins or ends later, every process must update the sockets of
that person it holds. That command travels through the queue as a
server-only emit to the person's channel (``internals.COMMAND_PREFIX``) and
is applied here on each process; without the queue it is applied at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask

from chat import live
from chat.extensions import socketio
from chat.fanout.emit import activity_channel, message_queue, user_channel
from chat.internals import COMMAND_PREFIX

FOLLOW = f"{COMMAND_PREFIX}follow"


def start(sid: str, user_id: int, slugs: Iterable[str]) -> None:
    """A socket connected: it hears of its user and follows the activity of each of ``slugs``."""
    socketio.server.enter_room(sid, user_channel(user_id), namespace="/")
    for slug in slugs:
        socketio.server.enter_room(sid, activity_channel(slug), namespace="/")


def follow(user_id: int, slug: str, following: bool = True) -> None:
    """A membership began (or ended): ``user_id``'s sockets on every process follow ``slug`` (or stop)."""
    command = {"user_id": user_id, "room": slug, "follow": following}
    if message_queue() is None:
        apply(live.state(), command)
    else:
        socketio.emit(FOLLOW, command, to=user_channel(user_id))


def on_command(app: Flask, event: str, data: Any) -> None:
    """The queue's handler for server-only emits reaching this process."""
    if event == FOLLOW and isinstance(data, dict):
        apply(live.state(app), data)


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
