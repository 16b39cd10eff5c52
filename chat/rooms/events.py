"""Socket.IO events of a connection and its rooms: connect, disconnect, join, leave, typing.

Each handler parses its payload, checks that the user may do it, calls one
domain function and answers with the contract's acknowledgement. Errors are
answered, never raised to the client's connection. Messages and their
changes are in ``message_events``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from chat import fanout, live
from chat.decorators import socket_event
from chat.domain import joining, rooms, running, sessions
from chat.domain.errors import BAD_REQUEST, ChatError
from chat.extensions import socketio
from chat.fanout import emit, following, presence
from chat.internals import close_transport_later, is_pending_disconnect
from chat.live import SocketState
from chat.rooms.payloads import bool_field, optional_text_field, seq_field, text_field
from chat.rooms.sockets import (
    Ack,
    acknowledged,
    current_sid,
    joined_room,
    spend_budget,
    stop_typing,
    this_socket,
)
from chat.security import client_address

log = logging.getLogger("parley.socket")

# Long enough for a refused client to read why (its pending poll, or the WebSocket), then closed.
REFUSED_TRANSPORT_SECONDS = 1.0
# The shortest time between two typing: true of one user in one room that leave the server.
TYPING_RELAY_SECONDS = 1.0
NO_SESSION = "Log in first: this connection has no valid session."
TOO_MANY_FOR_USER = "Too many open connections for this user; close some tabs."
TOO_MANY_FROM_ADDRESS = "Too many open connections from this address; try again later."


def depart(sid: str, state: SocketState, slug: str) -> None:
    """Take this socket out of ``slug``: its typing there ends (presence is per person, not per room)."""
    following.leave(sid, state, slug)


def refuse(reason: str, why: str) -> ConnectionRefusedError:
    """A refused connect: logged, and its transport closed soon after the client reads ``why``."""
    log.info("connect refused: %s (sid %s, %s)", reason, current_sid(), client_address())
    close_transport_later(socketio.server, current_sid(), REFUSED_TRANSPORT_SECONDS)
    return ConnectionRefusedError(why)


@socket_event("connect")
def on_connect(_auth: object = None) -> Ack | None:
    """A browser or script connects with its session cookie; anonymous connections are refused."""
    if live.sockets().get(current_sid()) is not None:
        # Not a new connection: the client emitted an event named "connect" on a live one.
        return ChatError(BAD_REQUEST, "Unknown event 'connect'.").ack()
    if not current_user.is_authenticated:
        raise refuse("no session", NO_SESSION)
    login_id = session.get("login")
    if isinstance(login_id, str):  # so that ending the login ends this socket too
        join_room(emit.login_channel(sessions.token_hash(login_id)))
        # Checked again once in the channel: a login ended in between is seen here, or closes the channel after.
        if not sessions.is_live(current_user.id, login_id):
            raise refuse("session ended", NO_SESSION)
    registry, config, address = live.sockets(), current_app.config, client_address()
    if registry.count_for(current_user.id) >= config["MAX_SOCKETS_PER_USER"]:
        raise refuse(f"{current_user.username} has too many sockets", TOO_MANY_FOR_USER)
    if registry.count_from(address) >= config["MAX_SOCKETS_PER_ADDRESS"]:
        raise refuse("too many sockets from this address", TOO_MANY_FROM_ADDRESS)
    state = registry.connected(current_sid(), current_user.id, current_user.username, address)
    state.member_rooms = set(rooms.member_slugs(current_user))
    following.start(current_sid(), current_user.id, state.member_rooms)
    presence.connected(state, current_sid())
    fanout.upkeep().ensure_running()
    log.info("connect %s (sid %s, %s)", current_user.username, current_sid(), address)
    return None


@socket_event("disconnect")
def on_disconnect(reason: object = None) -> Ack | None:
    """The socket went away: its rooms see its typing end, and its user's rooms presence if it was their last."""
    sid: str = current_sid()
    if not is_pending_disconnect(socketio.server, sid):  # a client's own event named "disconnect"
        return ChatError(BAD_REQUEST, "Unknown event 'disconnect'.").ack()
    state = live.sockets().disconnected(sid)
    if state is None:
        return None
    for slug in list(state.rooms):
        depart(sid, state, slug)
    presence.disconnected(state, sid)
    log.info("disconnect %s (sid %s, %s)", state.username, sid, reason)
    return None


@socket_event("join")
@acknowledged
def on_join(payload: dict[str, Any]) -> Ack:
    """A client joins a room: it gets the room, members, missed messages and changes."""
    slug = text_field(payload, "room")
    since, since_rev = seq_field(payload, "since"), seq_field(payload, "since_rev")
    state = this_socket()
    limit = current_app.config["MAX_ROOMS_PER_SOCKET"]
    if slug not in state.rooms and len(state.rooms) >= limit:
        raise ChatError(
            BAD_REQUEST, f"This connection is in {limit} rooms, the most allowed; leave one first."
        )
    room = rooms.enter(current_user, slug)
    state.member_rooms.add(slug)  # a member now; told of presence when this socket goes
    # Subscribe before reading, so nothing stored in between is missed (clients drop repeats by seq
    # and rev); the room's activity now arrives as its messages, not as sidebar counts.
    join_room(emit.channel(slug))
    leave_room(emit.activity_channel(slug))
    state.rooms.add(slug)
    seen = joining.view(room, current_user, since, since_rev)
    emit.joined_at(slug, seen.last_seq, seen.last_rev)
    return seen.ack()


@socket_event("leave")
@acknowledged
def on_leave(payload: dict[str, Any]) -> Ack:
    """A client leaves a room on this socket (membership stays; so does presence, which is per person)."""
    slug = text_field(payload, "room")
    state = this_socket()
    if slug not in state.rooms:
        if not rooms.visible(current_user, slug):
            raise rooms.not_found(slug)
        return {}
    depart(current_sid(), state, slug)
    if rooms.is_member(slug, current_user):  # the sidebar follows the room again
        join_room(emit.activity_channel(slug))
    return {}


@socket_event("members")
@acknowledged
def on_members(payload: dict[str, Any]) -> Ack:
    """A client asks for a page of a room's members by name (those a large room's join leaves out)."""
    slug = text_field(payload, "room")
    after = optional_text_field(payload, "after")
    room = rooms.room_for(current_user, slug)
    members, has_more = rooms.members_page(room, after)
    return {"members": members, "members_total": room.member_count(), "has_more": has_more}


@socket_event("typing")
@acknowledged
def on_typing(payload: dict[str, Any]) -> Ack:
    """A client says it is (or stopped) typing; the others in the room are told."""
    slug = text_field(payload, "room")
    typing = bool_field(payload, "typing")
    room = joined_room(slug)
    state = this_socket()
    if typing:
        running.ensure_writable(room)
        state.typing_in.add(slug)
        relay_typing(current_app._get_current_object(), current_sid(), state, slug)  # type: ignore[attr-defined]
    else:
        stop_typing(state, slug)
    return {}


def relay_typing(app: Flask, sid: str, state: SocketState, slug: str) -> None:
    """Tell the room ``state``'s user types: now, or (once) when their second is over.

    At most one ``typing: true`` a second per user and room leaves; one that
    comes too soon is not lost but sent when the second is over, if the
    socket still types then. A client renews every 3 s, so nobody waits.
    """
    if live.throttles().typing.allow(f"{state.user_id}:{slug}"):
        state.typing_told.add(slug)
        emit.typing_changed(slug, state.username, True, skip_sid=sid)
    elif slug not in state.typing_waiting:
        state.typing_waiting.add(slug)
        socketio.start_background_task(_relay_later, app, socketio.server, sid, state, slug)


def _relay_later(app: Flask, server: object, sid: str, state: SocketState, slug: str) -> None:
    socketio.sleep(TYPING_RELAY_SECONDS)
    if socketio.server is not server:  # the app was built again meanwhile (tests build many)
        return
    with app.app_context():
        state.typing_waiting.discard(slug)
        if slug in state.typing_in and live.sockets().get(sid) is state:
            relay_typing(app, sid, state, slug)


@socket_event("*")
def on_unknown(event: str, *_args: object) -> Ack:
    """Any other event gets a clear refusal (from the same budget), never a dropped connection."""
    try:
        if current_user.is_authenticated:
            spend_budget(event)
    except ChatError as refusal:
        return refusal.ack()
    return ChatError(BAD_REQUEST, f"Unknown event {event!r}.").ack()
