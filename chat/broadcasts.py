"""The one way out for live events.

Everything the server pushes to rooms leaves through these functions, and
message events only after the message is committed, so no client ever sees a
message that could still roll back. With a message queue configured the
emits reach sockets on every server process.
"""

from __future__ import annotations

from typing import Any

from chat.extensions import socketio
from chat.metrics import MESSAGES_BROADCAST


def channel(slug: str) -> str:
    """The Socket.IO room of a chat room (prefixed so it never clashes with a sid)."""
    return f"room:{slug}"


def message_stored(message: dict[str, Any], skip_sid: str | None = None) -> None:
    """A committed message, to everyone in its room but the sending socket."""
    MESSAGES_BROADCAST.inc()
    socketio.emit("message", message, to=channel(message["room"]), skip_sid=skip_sid)


def presence_changed(slug: str, username: str, online: bool) -> None:
    socketio.emit("presence", {"room": slug, "username": username, "online": online}, to=channel(slug))


def typing_changed(slug: str, username: str, typing: bool, skip_sid: str | None = None) -> None:
    socketio.emit(
        "typing", {"room": slug, "username": username, "typing": typing}, to=channel(slug), skip_sid=skip_sid
    )
