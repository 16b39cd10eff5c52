"""What leaves: every live event the server pushes, after the database commit.

Message events leave only once the message is committed, so no client ever
sees a message that could still roll back. With the Redis queue the emits
reach the sockets of every server process.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from chat.extensions import socketio
from chat.fanout.queue import RedisQueue
from chat.metrics import MESSAGES_BROADCAST

log = logging.getLogger("parley.fanout")

LOGIN_PREFIX = "login:"
DIRECT_SLUG_RE = re.compile(r"dm-\d+-\d+")  # a direct room's slug (used with fullmatch)


def message_queue() -> RedisQueue | None:
    """This process's Redis message queue, or None when the process serves alone."""
    manager = socketio.server.manager
    return manager if isinstance(manager, RedisQueue) else None


def channel(slug: str) -> str:
    """The Socket.IO room of a chat room (prefixed so it never clashes with a sid)."""
    return f"room:{slug}"


def user_channel(user_id: int) -> str:
    """The Socket.IO room of every socket of one user, on any page, on any process."""
    return f"user:{user_id}"


def activity_channel(slug: str) -> str:
    """The Socket.IO room of the sockets of a room's members that have not joined it (their sidebars)."""
    return f"activity:{slug}"


def login_channel(login_hash: str) -> str:
    """The Socket.IO room of every socket opened with one login (one browser's session), by its token's hash."""
    return f"{LOGIN_PREFIX}{login_hash}"


def message_stored(message: dict[str, Any], skip_sid: str | None = None) -> None:
    """A committed message, to everyone in its room but the sending socket."""
    MESSAGES_BROADCAST.inc()
    socketio.emit("message", message, to=channel(message["room"]), skip_sid=skip_sid)


def message_activity(slug: str, last_seq: int, mentioned: list[int], author: str) -> None:
    """A message by ``author`` was stored in ``slug``: members' sockets elsewhere update their counts.

    One emit reaches every member's socket that has not joined the room (they
    follow its activity channel); each mentioned member's sockets also get
    ``mention: true``. ``username`` names the author, whose own other tabs
    count the room read up to it (posting moved their mark) without another emit.
    """
    activity = {"room": slug, "last_seq": last_seq, "mention": False, "username": author}
    socketio.emit("activity", activity, to=activity_channel(slug))
    for user_id in mentioned:
        socketio.emit("activity", {**activity, "mention": True}, to=user_channel(user_id))


def message_activity_for(user_id: int, slug: str, last_seq: int) -> None:
    """A room appeared for ``user_id`` (they were added, or a direct room was opened): their sidebars learn of it."""
    socketio.emit(
        "activity", {"room": slug, "last_seq": last_seq, "mention": False}, to=user_channel(user_id)
    )


def read_moved(user_id: int, slug: str, last_read_seq: int, skip_sid: str | None = None) -> None:
    """``user_id`` read ``slug`` up to ``last_read_seq``: their other sockets clear the badge."""
    socketio.emit(
        "read", {"room": slug, "last_read_seq": last_read_seq}, to=user_channel(user_id), skip_sid=skip_sid
    )


def message_changed(message: dict[str, Any]) -> None:
    """A committed change (edit, deletion, reaction): the message's whole current state, to its room."""
    socketio.emit("message_changed", message, to=channel(message["room"]))


def presence_changed(slug: str, changes: list[dict[str, object]]) -> None:
    """People of ``slug`` came online or went offline (``[{"username", "online"}, ...]``, one tick's worth).

    A direct room's members hear of it on every page too (their sidebars show
    the other person's presence): a handful of sockets, unlike a large room's.
    """
    to = [channel(slug), activity_channel(slug)] if DIRECT_SLUG_RE.fullmatch(slug) else channel(slug)
    socketio.emit("presence", {"room": slug, "changes": changes}, to=to)


def typing_changed(slug: str, username: str, typing: bool, skip_sid: str | None = None) -> None:
    """``username`` started or stopped typing in ``slug`` (not echoed to the typing socket)."""
    socketio.emit(
        "typing", {"room": slug, "username": username, "typing": typing}, to=channel(slug), skip_sid=skip_sid
    )


def membership_ended(user_id: int, slug: str, why: str) -> None:
    """``user_id`` is no longer a member of ``slug`` (``why``: left, removed, deleted): their pages and sidebars hear."""
    socketio.emit("membership_ended", {"room": slug, "reason": why}, to=user_channel(user_id))


def member_changed(slug: str, username: str, member: bool) -> None:
    """``username`` became (or is no longer) a member of ``slug``: the room's open pages redraw its members."""
    socketio.emit("member", {"room": slug, "username": username, "member": member}, to=channel(slug))


def room_changed(room: dict[str, Any]) -> None:
    """A room's name, topic or archive state changed: its open pages and its members' sidebars hear."""
    socketio.emit("room_changed", room, to=[channel(room["slug"]), activity_channel(room["slug"])])


def joined_at(slug: str, seq: int, rev: int) -> None:
    """A socket here joined ``slug`` when it stood at ``seq`` and ``rev``: repair starts from there."""
    queue = message_queue()
    if queue is not None:
        queue.joined_at(slug, seq, rev)


def login_ended(login_hash: str) -> None:
    """An ended login (a logout, or every login of someone) ends its open sockets too, on every process.

    Flask-SocketIO keeps a copy of the session per socket, so without this a
    tab left open would go on chatting as the user who just logged out. With
    the queue, closing the room reaches every process, and each disconnects
    its own sockets in it first (``room_closed``).
    """
    room = login_channel(login_hash)
    if message_queue() is None:  # every socket is here
        room_closed(room)
    socketio.close_room(room)


def room_closed(room: str) -> None:
    """A closed login room: disconnect this process's sockets in it (their handlers run as usual)."""
    if not room.startswith(LOGIN_PREFIX):
        return
    for sid, _eio_sid in list(socketio.server.manager.get_participants("/", room)):
        socketio.server.disconnect(sid, namespace="/", ignore_queue=True)
