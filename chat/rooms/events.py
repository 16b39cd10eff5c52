"""Socket.IO events of rooms: join, leave, message, history, typing.

Each handler parses its payload, checks that the user may do it, calls one
domain function and answers with the contract's acknowledgement. Errors are
answered, never raised to the client's connection.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room
from sqlalchemy.exc import SQLAlchemyError

from chat import fanout, live, metrics
from chat.decorators import socket_event
from chat.domain import messages, rooms
from chat.domain.errors import BAD_REQUEST, FORBIDDEN, NOT_FOUND, NOT_JOINED, UNAVAILABLE, ChatError
from chat.extensions import db, socketio
from chat.fanout import emit
from chat.internals import is_pending_disconnect
from chat.live import SocketState
from chat.models import Room
from chat.rooms.payloads import as_object, bool_field, seq_field, text_field

log = logging.getLogger("parley.socket")

Ack = dict[str, Any]


def acknowledged(handler: Callable[[dict[str, Any]], Ack]) -> Callable[..., Ack]:
    """Turn a handler's result or refusal into the contract's acknowledgement object."""

    event = handler.__name__.removeprefix("on_")
    timer = metrics.EVENT_SECONDS.labels(event)

    @functools.wraps(handler)
    def answer(payload: object = None, *_extra: object) -> Ack:
        with timer.time():
            ack = _answer(handler, payload)
        if not ack["ok"]:
            metrics.ACK_ERRORS.labels(event, ack["error"]["code"]).inc()
        return ack

    return answer


def _answer(handler: Callable[[dict[str, Any]], Ack], payload: object) -> Ack:
    try:
        if not current_user.is_authenticated:
            raise ChatError(FORBIDDEN, "Your session has ended; log in again.")
        return {"ok": True, **handler(as_object(payload))}
    except ChatError as refusal:
        db.session.rollback()
        return refusal.ack()
    except SQLAlchemyError as exc:
        db.session.rollback()
        # One line, no traceback: an outage is an operational event, not a bug.
        log.error(
            "storage unavailable in %s (sid %s): %s", handler.__name__, current_sid(), exc.__class__.__name__
        )
        return ChatError(UNAVAILABLE, "Storage is unavailable; retry later.").ack()
    except Exception:
        db.session.rollback()
        log.exception("error in %s (sid %s)", handler.__name__, current_sid())
        return ChatError(UNAVAILABLE, "The server failed to handle this; retry later.").ack()


def current_sid() -> str:
    """The Socket.IO session id of the event being handled (Flask-SocketIO sets it on the request)."""
    sid: str = request.sid  # type: ignore[attr-defined]
    return sid


def this_socket() -> SocketState:
    """This socket's state (recorded afresh if its connect predates this process's registry)."""
    state = live.sockets().get(current_sid())
    if state is None:
        state = live.sockets().connected(current_sid(), current_user.id, current_user.username)
    return state


def joined_room(slug: str) -> Room:
    """The room ``slug`` if this socket joined it, re-checking the user's access."""
    if slug not in this_socket().rooms:
        if rooms.find_room(slug) is None:
            raise ChatError(NOT_FOUND, f"There is no room {slug!r}.")
        raise ChatError(NOT_JOINED, "Join the room on this connection first.")
    return rooms.room_for(current_user, slug)


def stop_typing(state: SocketState, slug: str) -> None:
    """End this socket's typing in ``slug``, telling the room if it was typing."""
    if slug in state.typing_in:
        state.typing_in.discard(slug)
        emit.typing_changed(slug, state.username, False, skip_sid=current_sid())


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
    """A client joins a room: it gets the room, members, missed messages; the room may see presence."""
    slug = text_field(payload, "room")
    since = seq_field(payload, "since")
    state = this_socket()
    limit = current_app.config["MAX_ROOMS_PER_SOCKET"]
    if slug not in state.rooms and len(state.rooms) >= limit:
        raise ChatError(
            BAD_REQUEST, f"This connection is in {limit} rooms, the most allowed; leave one first."
        )
    room = rooms.enter(current_user, slug)
    sid: str = current_sid()
    # Subscribe before reading, so nothing stored in between is missed (clients drop repeats by seq).
    join_room(emit.channel(slug))
    state.rooms.add(slug)
    first = live.presence().arrive(slug, state.username, sid)
    page = messages.recent(room, since)
    newest = page.messages[-1].seq if page.messages else 0
    emit.joined_at(slug, max(newest, room.last_seq))
    if first:
        emit.presence_changed(slug, state.username, True)
    return {
        "room": room.summary(),
        "members": rooms.members_with_presence(room),
        "messages": [m.to_dict() for m in page.messages],
        "has_more": page.has_more,
        "last_seq": max(newest, room.last_seq),
    }


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
    return {}


@socket_event("message")
@acknowledged
def on_message(payload: dict[str, Any]) -> Ack:
    """A client sends a message: stored once, acked to the sender, broadcast to the others in the room."""
    slug = text_field(payload, "room")
    text = text_field(payload, "text")
    client_id = text_field(payload, "client_id")
    room = joined_room(slug)
    posted = messages.send(room, current_user, text, client_id, skip_sid=current_sid())
    stop_typing(this_socket(), slug)
    return {"message": posted.message.to_dict(), "duplicate": posted.duplicate}


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
