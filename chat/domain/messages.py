"""Messages: posting with a gap-free per-room seq, exactly once, and reading history."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from chat import live
from chat.domain import accounts, directs, mentions, store
from chat.domain.errors import BAD_REQUEST, EMPTY, NOT_FOUND, RATE_LIMITED, TOO_LONG, ChatError
from chat.domain.rendering import render
from chat.extensions import db
from chat.fanout import emit
from chat.metrics import MESSAGES_STORED
from chat.models import Message, Room, User, message_object, utcnow

MAX_CLIENT_ID_CHARS = 64
HISTORY_DEFAULT_LIMIT = 50
HISTORY_MAX_LIMIT = 200
# Seqs are 32-bit integer columns: larger bounds are refused up front, not by the database.
MAX_SEQ = 2**31 - 1


@dataclass(frozen=True)
class Posted:
    """The outcome of ``post_message``: the stored message's object, and whether it was already there."""

    payload: dict[str, Any]  # the contract's message object, for the ack and the broadcast
    duplicate: bool
    mentioned: tuple[int, ...] = ()  # ids of the members named in a new message

    @property
    def seq(self) -> int:
        """The message's seq in its room."""
        seq: int = self.payload["seq"]
        return seq


@dataclass(frozen=True)
class Page:
    """A slice of a room's history, oldest first, and whether more lie beyond it."""

    messages: list[Message]
    has_more: bool


def _storable(value: str, what: str) -> str:
    # PostgreSQL cannot store NUL, and lone surrogates cannot be encoded: refuse
    # both as bad input rather than fail later as a storage error.
    if "\x00" in value:
        raise ChatError(BAD_REQUEST, f"{what} may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ChatError(BAD_REQUEST, f"{what} is not valid Unicode text.") from exc
    return value


def clean_text(text: str) -> str:
    """Trim ``text`` and check its length against the configured limit."""
    text = _storable(text.strip(), "text")
    if not text:
        raise ChatError(EMPTY, "A message needs some text.")
    limit = current_app.config["MAX_MESSAGE_CHARS"]
    if len(text) > limit:
        raise ChatError(TOO_LONG, f"Messages are at most {limit} characters.")
    return text


def clean_client_id(client_id: str) -> str:
    """Check ``client_id``: 1-64 characters a database can store."""
    if not 1 <= len(client_id) <= MAX_CLIENT_ID_CHARS:
        raise ChatError(BAD_REQUEST, f"client_id is 1-{MAX_CLIENT_ID_CHARS} characters.")
    return _storable(client_id, "client_id")


def find_by_client_id(author: User, client_id: str) -> Message | None:
    """The message ``author`` already stored under ``client_id``, if any."""
    return db.session.scalar(
        select(Message)
        .options(joinedload(Message.room), joinedload(Message.author))
        .where(Message.user_id == author.id, Message.client_id == client_id)
    )


def _already_stored(author: User, client_id: str) -> Posted | None:
    stored = find_by_client_id(author, client_id)
    return None if stored is None else Posted(stored.to_dict(), duplicate=True)


def post_message(
    room: Room,
    author: User,
    text: str,
    client_id: str,
    *,
    reply_to: int | None = None,
    throttle: Callable[[], None] | None = None,
) -> Posted:
    """Store a message in ``room`` exactly once per ``(author, client_id)``, with the room's next seq.

    ``chat.domain.store`` says how the seq is allocated gap-free. Callers check
    access first; ``throttle`` (the rate limit) runs only for a new message,
    so a retry is never refused by it. ``reply_to`` is the seq of a message of
    this room that this one answers.
    """
    client_id = clean_client_id(client_id)
    try:
        text = clean_text(text)
        _check_reply(room, reply_to)
        if throttle is not None:
            throttle()
    except ChatError:
        # A retry is answered with what was stored, whatever it carries this time. The
        # lookup runs only on this rare path: on the hot path the unique constraint
        # catches a retry (below), which saves a query per message.
        retry = _already_stored(author, client_id)
        if retry is not None:
            return retry
        raise
    named = mentions.named_users(text)
    new = store.NewMessage(
        room.id, author.id, client_id, text, render(text, mentions.as_names(named)), utcnow(), reply_to
    )
    try:
        stored = store.insert_message(new)
    except IntegrityError:
        # A concurrent retry with the same client_id committed first.
        db.session.rollback()
        retry = _already_stored(author, client_id)
        if retry is None:
            raise
        return retry
    except BaseException:
        db.session.rollback()
        raise
    MESSAGES_STORED.inc()
    return Posted(_as_stored(room, author, new, stored), False, _record_mentions(new, stored, named))


def _record_mentions(new: store.NewMessage, stored: store.Stored, named: dict[str, User]) -> tuple[int, ...]:
    if not named:
        return ()
    members = mentions.members_named(new.room_id, new.html, named)
    mentions.record(stored.id, new.room_id, stored.seq, members)
    db.session.commit()
    return tuple(members)


def _as_stored(room: Room, author: User, new: store.NewMessage, stored: store.Stored) -> dict[str, Any]:
    # Mirror the database without marking the room dirty: a later flush must
    # never write these (soon stale) numbers back over other writers' increments.
    set_committed_value(room, "last_seq", stored.seq)
    set_committed_value(room, "last_rev", stored.rev)
    return message_object(
        room=room.slug,
        seq=stored.seq,
        id=stored.id,
        author=author,
        text=new.text,
        html=new.html,
        client_id=new.client_id,
        created_at=new.created_at,
        rev=stored.rev,
        edited_at=None,
        deleted=False,
        reactions=[],
        reply_to=new.reply_to,
    )


def _check_reply(room: Room, reply_to: int | None) -> None:
    if reply_to is None:
        return
    exists = db.session.scalar(select(Message.id).where(Message.room_id == room.id, Message.seq == reply_to))
    if exists is None:
        raise ChatError(NOT_FOUND, f"There is no message {reply_to} in this room to reply to.")


def send(
    room: Room,
    author: User,
    text: str,
    client_id: str,
    *,
    reply_to: int | None = None,
    skip_sid: str | None = None,
) -> Posted:
    """Store a message, rate-limited, and broadcast it once committed (a retry is not broadcast again).

    The one way a person's message enters a room, from a socket or the page's
    form; ``skip_sid`` is the sending socket, which reads the message from its ack.
    """
    posted = post_message(room, author, text, client_id, reply_to=reply_to, throttle=_message_token(author))
    if not posted.duplicate:
        directs.deliver(room, author)
        _broadcast(posted, skip_sid)
    return posted


def _broadcast(posted: Posted, skip_sid: str | None = None) -> None:
    emit.message_stored(posted.payload, skip_sid=skip_sid)
    message = posted.payload
    emit.message_activity(message["room"], message["seq"], list(posted.mentioned), message["username"])


def _message_token(author: User) -> Callable[[], None]:
    def spend() -> None:
        if not live.throttles().messages.allow(author.id):
            raise ChatError(RATE_LIMITED, "Slow down: too many messages; try again in a moment.")

    return spend


def announce(room: Room, text: str) -> Posted:
    """Post ``text`` in ``room`` as the system user and broadcast it (the ``flask announce`` command)."""
    posted = post_message(room, accounts.system_user(), text, f"announce-{uuid.uuid4().hex}")
    _broadcast(posted)
    return posted


def check_seq(value: object, name: str) -> int | None:
    """An optional seq bound: absent (None), or an integer from 0 to ``MAX_SEQ``; else ``bad_request``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise ChatError(BAD_REQUEST, f"{name!r} must be an integer from 0 to {MAX_SEQ}.")
    return value


def clean_limit(limit: object, default: int = HISTORY_DEFAULT_LIMIT) -> int:
    """A history page size: the default when absent, capped at the most allowed."""
    if limit is None:
        return default
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ChatError(BAD_REQUEST, "limit must be a positive integer.")
    return min(limit, HISTORY_MAX_LIMIT)


def history(room: Room, *, before: object = None, after: object = None, limit: object = None) -> Page:
    """Messages of ``room`` oldest first: below ``before``, above ``after``, between both, or the newest.

    ``has_more`` tells whether more messages lie beyond the slice in its
    direction (older for ``before`` or neither, newer for ``after``).
    """
    before_seq, after_seq = check_seq(before, "before"), check_seq(after, "after")
    rows, has_more = Message.page(room.id, before=before_seq, after=after_seq, limit=clean_limit(limit))
    return Page(rows, has_more)


@dataclass(frozen=True)
class Window:
    """A stretch of a room's history for a page, and whether older or newer messages lie beyond it."""

    messages: list[Message]
    has_older: bool
    has_newer: bool

    @property
    def has_more(self) -> bool:
        """Older messages exist (what the page's "Load older" offers)."""
        return self.has_older


def window(
    room: Room, *, before: int | None = None, after: int | None = None, around: int | None = None
) -> Window:
    """The page's stretch: the newest messages, or those just ``before``/``after`` a seq, or ``around`` one."""
    if around is not None:
        older = history(room, before=around + 1, limit=HISTORY_DEFAULT_LIMIT // 2)
        newer = history(room, after=around, limit=HISTORY_DEFAULT_LIMIT // 2)
        return Window(older.messages + newer.messages, older.has_more, newer.has_more)
    if after is not None:
        page = history(room, after=after)
        return Window(page.messages, after > 0, page.has_more)
    page = history(room, before=before)
    return Window(page.messages, page.has_more, before is not None and before <= room.last_seq)


def recent(room: Room, since: object = None) -> Page:
    """What a joining client needs: everything after ``since`` (200 at most), or the last 50."""
    if since is None:
        return history(room)
    return history(room, after=since, limit=HISTORY_MAX_LIMIT)
