"""What every socket handler of rooms shares: the acknowledgement, the event budget, this socket, its joined rooms.

``acknowledged`` owns the ack's shape, the event metrics, the rollback and
the budget, so that each handler stays parse, authorize, call, answer.

**The budget.** Every event a user sends, on any of their sockets, spends
tokens from one bucket (``EVENTS_BURST``, refilled at ``EVENTS_PER_SECOND``):
most events one, ``join`` two, and ``join`` and ``history`` one more for every
4,000 characters of messages they return, charged once the answer is known.
An empty bucket is answered ``rate_limited``, before the payload is even
read; the connection stays.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from chat import live, metrics
from chat.domain import rooms
from chat.domain.errors import FORBIDDEN, NOT_JOINED, RATE_LIMITED, UNAVAILABLE, ChatError
from chat.extensions import db
from chat.fanout import following
from chat.live import SocketState
from chat.models import Room
from chat.rooms.payloads import as_object

log = logging.getLogger("parley.socket")

Ack = dict[str, Any]

# What an event costs before it runs; every other event costs one token.
EVENT_COSTS = {"join": 2.0}
# join and history pay one token more per this many characters of messages returned.
CHARACTERS_PER_TOKEN = 4000
OVER_BUDGET = "Too many requests from this account; slow down and retry in a moment."


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


def spend_budget(event: str) -> None:
    """Take what ``event`` costs from this user's budget, or refuse with ``rate_limited``."""
    if not live.throttles().events.take(current_user.id, EVENT_COSTS.get(event, 1.0)):
        raise ChatError(RATE_LIMITED, OVER_BUDGET)


def charge_for_size(ack: Ack) -> None:
    """Charge the messages an answer carries, once it is known (the budget may go into debt)."""
    carried = [*ack.get("messages", ()), *ack.get("changed", ())]
    characters = sum(len(m.get("text", "")) + len(m.get("html", "")) for m in carried)
    if characters >= CHARACTERS_PER_TOKEN:
        live.throttles().events.take(current_user.id, characters // CHARACTERS_PER_TOKEN, into_debt=True)


def _answer(handler: Callable[[dict[str, Any]], Ack], payload: object) -> Ack:
    try:
        if not current_user.is_authenticated:
            raise ChatError(FORBIDDEN, "Your session has ended; log in again.")
        spend_budget(handler.__name__.removeprefix("on_"))
        ack = {"ok": True, **handler(as_object(payload))}
        charge_for_size(ack)
        return ack
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
    """The room ``slug`` if this socket joined it, re-checking the user's access.

    A room the user may not see is ``not_found`` before and after a join
    alike: ``not_joined`` would say it exists.
    """
    if slug not in this_socket().rooms:
        if not rooms.visible(current_user, slug):
            raise rooms.not_found(slug)
        raise ChatError(NOT_JOINED, "Join the room on this connection first.")
    return rooms.room_for(current_user, slug)


def stop_typing(state: SocketState, slug: str) -> None:
    """End this socket's typing in ``slug``, telling the room if it had been told it was typing."""
    following.stop_typing(current_sid(), state, slug)
