"""Socket.IO events of a connection and its rooms: connect, disconnect, join, leave, typing.

Each handler parses its payload, checks that the user may do it, calls one
domain function and answers with the contract's acknowledgement. Errors are
answered, never raised to the client's connection. Messages and their
changes are in ``message_events``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from chat import fanout, live
from chat.decorators import socket_event
from chat.domain import joining, rooms
from chat.domain.errors import BAD_REQUEST, NOT_FOUND, ChatError
from chat.extensions import socketio
from chat.fanout import emit, following
from chat.internals import is_pending_disconnect
from chat.live import SocketState
from chat.rooms.payloads import bool_field, seq_field, text_field
from chat.rooms.sockets import Ack, acknowledged, current_sid, joined_room, stop_typing, this_socket

log = logging.getLogger("parley.socket")


def depart(sid: str, state: SocketState, slug: str) -> None:
    """Take this socket out of ``slug``: typing ends, presence may go offline."""
    stop_typing(state, slug)
    state.rooms.discard(slug)
    leave_room(emit.channel(slug), sid=sid)
    if live.presence().depart(slug, state.username, sid):
        emit.presence_changed(slug, state.username, False)


@socket_event("connect")
def on_connect(_auth: object = None) -> Ack | None:
    """A browser or script connects with its session cookie; anonymous connections are refused."""
    if live.sockets().get(current_sid()) is not None:
        # Not a new connection: the client emitted an event named "connect" on a live one.
        return ChatError(BAD_REQUEST, "Unknown event 'connect'.").ack()
    if not current_user.is_authenticated:
        log.info("connect refused: no session (sid %s, %s)", current_sid(), request.remote_addr)
        raise ConnectionRefusedError("Log in first: this connection has no valid session.")
    registry = live.sockets()
    if registry.count_for(current_user.id) >= current_app.config["MAX_SOCKETS_PER_USER"]:
        log.info("connect refused: %s has too many sockets", current_user.username)
        raise ConnectionRefusedError("Too many open connections for this user; close some tabs.")
    registry.connected(current_sid(), current_user.id, current_user.username)
    following.start(current_sid(), current_user.id, rooms.member_slugs(current_user))
    fanout.upkeep().ensure_running()
    login_id = session.get("login")
    if isinstance(login_id, str):  # so that logging out ends this socket too
        join_room(emit.login_channel(login_id))
    log.info("connect %s (sid %s, %s)", current_user.username, current_sid(), request.remote_addr)
    return None


@socket_event("disconnect")
def on_disconnect(reason: object = None) -> Ack | None:
    """The socket went away: its rooms see presence and typing end."""
    sid: str = current_sid()
    if not is_pending_disconnect(socketio.server, sid):  # a client's own event named "disconnect"
        return ChatError(BAD_REQUEST, "Unknown event 'disconnect'.").ack()
    state = live.sockets().disconnected(sid)
    if state is None:
        return None
    for slug in list(state.rooms):
        depart(sid, state, slug)
    log.info("disconnect %s (sid %s, %s)", state.username, sid, reason)
    return None


@socket_event("join")
@acknowledged
def on_join(payload: dict[str, Any]) -> Ack:
    """A client joins a room: it gets the room, members, missed messages and changes; the room may see presence."""
    slug = text_field(payload, "room")
    since, since_rev = seq_field(payload, "since"), seq_field(payload, "since_rev")
    state = this_socket()
    limit = current_app.config["MAX_ROOMS_PER_SOCKET"]
    if slug not in state.rooms and len(state.rooms) >= limit:
        raise ChatError(
            BAD_REQUEST, f"This connection is in {limit} rooms, the most allowed; leave one first."
        )
    room = rooms.enter(current_user, slug)
    sid: str = current_sid()
    # Subscribe before reading, so nothing stored in between is missed (clients drop repeats by seq
    # and rev); the room's activity now arrives as its messages, not as sidebar counts.
    join_room(emit.channel(slug))
    leave_room(emit.activity_channel(slug))
    state.rooms.add(slug)
    first = live.presence().arrive(slug, state.username, sid)
    seen = joining.view(room, current_user, since, since_rev)
    emit.joined_at(slug, seen.last_seq, seen.last_rev)
    if first:
        emit.presence_changed(slug, state.username, True)
    return seen.ack()


@socket_event("leave")
@acknowledged
def on_leave(payload: dict[str, Any]) -> Ack:
    """A client leaves a room on this socket (membership stays); the room may see presence end."""
    slug = text_field(payload, "room")
    state = this_socket()
    if slug not in state.rooms:
        if rooms.find_room(slug) is None:
            raise ChatError(NOT_FOUND, f"There is no room {slug!r}.")
        return {}
    depart(current_sid(), state, slug)
    if rooms.is_member(slug, current_user):  # the sidebar follows the room again
        join_room(emit.activity_channel(slug))
    return {}


@socket_event("typing")
@acknowledged
def on_typing(payload: dict[str, Any]) -> Ack:
    """A client says it is (or stopped) typing; the others in the room are told."""
    slug = text_field(payload, "room")
    typing = bool_field(payload, "typing")
    joined_room(slug)
    state = this_socket()
    if typing:
        state.typing_in.add(slug)
        emit.typing_changed(slug, state.username, True, skip_sid=current_sid())
    else:
        stop_typing(state, slug)
    return {}


@socket_event("*")
def on_unknown(event: str, *_args: object) -> Ack:
    """Any other event gets a clear refusal, never a dropped connection."""
    return ChatError(BAD_REQUEST, f"Unknown event {event!r}.").ack()
