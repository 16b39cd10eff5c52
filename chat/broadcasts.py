"""The one way out for live events.

Everything the server pushes to rooms leaves through these functions, and
message events only after the message is committed, so no client ever sees a
message that could still roll back. With a message queue configured the
emits reach sockets on every server process.
"""

from __future__ import annotations

import logging
from typing import Any

from chat.extensions import socketio
from chat.metrics import MESSAGES_BROADCAST
from chat.queue import RedisQueue

log = logging.getLogger("parley.broadcasts")


def message_queue() -> RedisQueue | None:
    """This process's Redis message queue, or None when the process serves alone."""
    manager = socketio.server.manager
    return manager if isinstance(manager, RedisQueue) else None


def channel(slug: str) -> str:
    """The Socket.IO room of a chat room (prefixed so it never clashes with a sid)."""
    return f"room:{slug}"


LOGIN_PREFIX = "login:"


def login_channel(login_id: str) -> str:
    """The Socket.IO room of every socket opened with one login (one browser's session)."""
    return f"{LOGIN_PREFIX}{login_id}"


def login_ended(login_id: str) -> None:
    """Logging out ends that login's open sockets too, on every process.

    Flask-SocketIO keeps a copy of the session per socket, so without this a
    tab left open would go on chatting as the user who just logged out. With
    the queue, closing the room reaches every process, and each disconnects
    its own sockets in it first (``RedisQueue._handle_close_room``).
    """
    room = login_channel(login_id)
    if message_queue() is None:  # every socket is here
        disconnect_here(room)
    socketio.close_room(room)


def disconnect_here(room: str) -> None:
    """Disconnect this process's sockets in ``room`` (their disconnect handlers run as usual)."""
    for sid, _eio_sid in list(socketio.server.manager.get_participants("/", room)):
        socketio.server.disconnect(sid, namespace="/", ignore_queue=True)


def message_stored(message: dict[str, Any], skip_sid: str | None = None) -> None:
    """A committed message, to everyone in its room but the sending socket."""
    MESSAGES_BROADCAST.inc()
    socketio.emit("message", message, to=channel(message["room"]), skip_sid=skip_sid)


def joined_at(slug: str, seq: int) -> None:
    """A socket here joined ``slug`` when its newest seq was ``seq``: catch-up starts from there."""
    queue = message_queue()
    if queue is not None:
        queue.note_delivered(slug, seq)


def presence_changed(slug: str, username: str, online: bool) -> None:
    socketio.emit("presence", {"room": slug, "username": username, "online": online}, to=channel(slug))


def typing_changed(slug: str, username: str, typing: bool, skip_sid: str | None = None) -> None:
    socketio.emit(
        "typing", {"room": slug, "username": username, "typing": typing}, to=channel(slug), skip_sid=skip_sid
    )


def catch_up(delivered: dict[str, int], why: str = "queue back") -> None:
    """Re-deliver, to this process's sockets only, messages stored after ``delivered[slug]``.

    Called when the queue's subscriber comes back after a Redis outage, and by
    ``reconcile``; seqs a client already has are ignored by it, so
    re-delivering is always safe.
    """
    from chat.domain import messages, rooms
    from chat.realtime import realtime

    queue = message_queue()
    if queue is None:
        return
    behind = sorted(realtime().rooms_with_sockets() & delivered.keys())
    log.info("%s: catching up %d rooms with sockets here", why, len(behind))
    for slug in behind:
        room = rooms.find_room(slug)
        if room is None:
            continue
        page = messages.history(room, after=delivered[slug], limit=messages.HISTORY_MAX_LIMIT)
        for message in page.messages:
            queue.deliver_here("message", message.to_dict(), channel(slug))
            queue.note_delivered(slug, message.seq)
        if page.messages:
            log.info("re-delivered %d messages of %s (%s)", len(page.messages), slug, why)


def reconcile(behind_before: dict[str, int]) -> dict[str, int]:
    """Anti-entropy for the queue: deliver here what was stored but never came through it.

    Pub/sub can drop a publish with no sign on this side (a publish that
    failed on the sending instance, a re-subscription that left a window).
    Clients would fill such a gap only when the room's next message arrives,
    which in a quiet room may be never. So every upkeep tick compares each
    room that has sockets here with its stored ``last_seq``; a room that is
    still behind the seq it was already behind at the previous tick (so
    nothing is merely in flight) is caught up from the database. Returns
    the rooms behind now, for the next tick.
    """
    from chat.domain import rooms
    from chat.realtime import realtime

    queue = message_queue()
    if queue is None:  # one process delivers everything itself
        return {}
    delivered = queue.delivered
    watched = sorted(realtime().rooms_with_sockets() & delivered.keys())
    if not watched:
        return {}
    stored = rooms.last_seqs(watched)
    behind = {slug: seq for slug, seq in stored.items() if seq > delivered[slug]}
    stuck = {
        slug: delivered[slug]
        for slug in behind
        if slug in behind_before and delivered[slug] < behind_before[slug]
    }
    if stuck:
        log.warning("rooms behind what is stored for a whole upkeep tick: %s", ", ".join(sorted(stuck)))
        catch_up(stuck, why="reconcile")
    return behind
