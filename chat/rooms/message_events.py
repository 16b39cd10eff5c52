"""Socket.IO events of messages: send, read history, edit, delete, react, mark read.

Each handler parses, checks that this socket joined the room (which
re-checks the user's access), calls one domain function and answers with
the contract's acknowledgement.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from chat.decorators import socket_event
from chat.domain import changes, messages, reading, rooms
from chat.domain.errors import BAD_REQUEST, ChatError
from chat.rooms.payloads import bool_field, required_seq, seq_field, text_field
from chat.rooms.sockets import Ack, acknowledged, current_sid, joined_room, stop_typing, this_socket


@socket_event("message")
@acknowledged
def on_message(payload: dict[str, Any]) -> Ack:
    """A client sends a message (maybe a reply): stored once, acked to the sender, broadcast to the room."""
    slug = text_field(payload, "room")
    text = text_field(payload, "text")
    client_id = text_field(payload, "client_id")
    reply_to = seq_field(payload, "reply_to")
    room = joined_room(slug)
    posted = messages.send(room, current_user, text, client_id, reply_to=reply_to, skip_sid=current_sid())
    stop_typing(this_socket(), slug)
    return {"message": posted.payload, "duplicate": posted.duplicate}


@socket_event("history")
@acknowledged
def on_history(payload: dict[str, Any]) -> Ack:
    """A client pages through a room it may read: before/after/limit as the contract says."""
    slug = text_field(payload, "room")
    before, after = seq_field(payload, "before"), seq_field(payload, "after")
    limit = payload.get("limit")
    room = rooms.room_for(current_user, slug)
    page = messages.history(room, before=before, after=after, limit=limit)
    return {"messages": [m.to_dict() for m in page.messages], "has_more": page.has_more}


@socket_event("edit")
@acknowledged
def on_edit(payload: dict[str, Any]) -> Ack:
    """The author changes a message's text; the room gets ``message_changed``."""
    room = joined_room(text_field(payload, "room"))
    changed = changes.edit(room, current_user, required_seq(payload, "seq"), text_field(payload, "text"))
    return {"message": changed.message.to_dict()}


@socket_event("delete")
@acknowledged
def on_delete(payload: dict[str, Any]) -> Ack:
    """The author deletes a message (its seq stays, its text goes); the room gets ``message_changed``."""
    room = joined_room(text_field(payload, "room"))
    changed = changes.delete(room, current_user, required_seq(payload, "seq"))
    return {"message": changed.message.to_dict()}


@socket_event("react")
@acknowledged
def on_react(payload: dict[str, Any]) -> Ack:
    """A member adds (``on: true``) or takes back an emoji on a message; the room gets ``message_changed``."""
    room = joined_room(text_field(payload, "room"))
    seq, emoji, on = required_seq(payload, "seq"), text_field(payload, "emoji"), bool_field(payload, "on")
    changed = changes.react(room, current_user, seq, emoji, on)
    return {"message": changed.message.to_dict()}


@socket_event("read")
@acknowledged
def on_read(payload: dict[str, Any]) -> Ack:
    """A client has shown the room up to ``seq``: the user's mark moves forward; their other sockets hear."""
    room = joined_room(text_field(payload, "room"))
    seq = seq_field(payload, "seq")
    if seq is None:
        raise ChatError(BAD_REQUEST, "'seq' must be the seq read up to.")
    mark, _moved = reading.mark_read(room, current_user, seq, skip_sid=current_sid())
    return {"last_read_seq": mark}
