"""Storing a message: its seq and its row, in as few statements as each database allows.

The seq comes from bumping ``rooms.last_seq`` in the insert's own
transaction: the row lock that the UPDATE takes serialises writers to one
room until commit, so seqs are gap-free (a rollback returns the number) and
follow commit order. On PostgreSQL the bump and the insert are one
autocommitted statement, so the lock is never held across a round trip to
this process. The row id is no resume offset: ids are taken before commit,
so they do not follow commit order (docs/protocol.md §7).
``chat.domain.messages.post_message`` is the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import NoResultFound

from chat.domain.errors import ARCHIVED_ROOM, BAD_REQUEST, ChatError
from chat.extensions import db
from chat.models import Membership, Message, Room

MESSAGES = Message.__table__
ROOMS = Room.__table__
MEMBERSHIPS = Membership.__table__

# The hot path's statements, built once: constructing a statement costs more
# Python than executing it, and a prebuilt one keeps its compiled form cached.
# No bound parameter is named like a column of rooms: an UPDATE would take it
# for one more SET (test_posting_changes_only_the_rooms_seq).
NEW_MESSAGE = ("room_id", "user_id", "client_id", "text", "html", "created_at", "reply_to")
# An archived room is read-only: its seq and rev do not move, so nothing is stored or changed there.
WRITABLE = ROOMS.c.archived_at.is_(None)
BUMP_SEQ = (
    update(ROOMS)
    .where(ROOMS.c.id == bindparam("bumped_room"), WRITABLE)
    .values(last_seq=ROOMS.c.last_seq + 1, last_rev=ROOMS.c.last_rev + 1)
    .returning(ROOMS.c.id, ROOMS.c.last_seq, ROOMS.c.last_rev)
)
BUMP_REV = (
    update(ROOMS)
    .where(ROOMS.c.id == bindparam("bumped_room"), WRITABLE)
    .values(last_rev=ROOMS.c.last_rev + 1)
    .returning(ROOMS.c.last_rev)
)
INSERT_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
# Posting marks the room read up to one's own message (forward only): one's own messages are never unread.
MARK_POSTED = (
    update(MEMBERSHIPS)
    .where(
        MEMBERSHIPS.c.room_id == bindparam("read_room"),
        MEMBERSHIPS.c.user_id == bindparam("reader"),
        MEMBERSHIPS.c.last_read_seq < bindparam("read_up_to"),
    )
    .values(last_read_seq=bindparam("read_up_to"))
)
_bumped = BUMP_SEQ.cte("bumped")
_marked = (
    update(MEMBERSHIPS)
    .where(
        MEMBERSHIPS.c.room_id == _bumped.c.id,
        MEMBERSHIPS.c.user_id == bindparam("new_user_id"),
        MEMBERSHIPS.c.last_read_seq < _bumped.c.last_seq,
    )
    .values(last_read_seq=_bumped.c.last_seq)
    .cte("marked")
)
# PostgreSQL: bump and insert in one statement (see _store_in_one_statement).
BUMP_AND_INSERT = (
    insert(MESSAGES)
    .from_select(
        [*NEW_MESSAGE, "seq", "rev"],
        select(
            *(bindparam(f"new_{name}", type_=MESSAGES.c[name].type) for name in NEW_MESSAGE),
            _bumped.c.last_seq,
            _bumped.c.last_rev,
        ),
    )
    .returning(MESSAGES.c.id, MESSAGES.c.seq, MESSAGES.c.rev)
    .add_cte(_marked)
)


@dataclass(frozen=True)
class NewMessage:
    """A message about to be stored: everything but its id, seq and rev."""

    room_id: int
    user_id: int
    client_id: str
    text: str
    html: str
    created_at: datetime
    reply_to: int | None

    def row(self) -> dict[str, object]:
        """The message's columns (a shallow copy: ``dataclasses.asdict`` deep-copies, on the hot path)."""
        return dict(vars(self))


@dataclass(frozen=True)
class Stored:
    """Where a stored message landed."""

    id: int
    seq: int
    rev: int


def insert_message(new: NewMessage) -> Stored:
    """Bump the room's seq and rev and insert the message, committed.

    Raises ``IntegrityError`` (nothing stored, no seq used) if the author already
    stored a message under its ``client_id``, and ``ChatError`` if the room is
    archived (or was deleted meanwhile).
    """
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            return _store_in_one_statement(new)
        return _store(new)
    except NoResultFound as exc:
        db.session.rollback()
        raise ChatError(BAD_REQUEST, ARCHIVED_ROOM) from exc


def _store(new: NewMessage) -> Stored:
    """Bump the room's seq and rev and insert, in one transaction of the session (SQLite).

    Core statements on the session's connection rather than the ORM's unit of
    work: the message is one known row, and the flush was a third of the
    handler's cost.
    """
    connection = db.session.connection()
    _room, seq, rev = connection.execute(BUMP_SEQ, {"bumped_room": new.room_id}).one()
    row = new.row() | {"seq": seq, "rev": rev}
    message_id: int = connection.execute(INSERT_MESSAGE, row).scalar_one()
    connection.execute(MARK_POSTED, {"read_room": new.room_id, "reader": new.user_id, "read_up_to": seq})
    db.session.commit()
    return Stored(message_id, seq, rev)


def _store_in_one_statement(new: NewMessage) -> Stored:
    """PostgreSQL: bump the seq and insert in ONE statement, committed by the server itself.

    The UPDATE's row lock on the room is then held only inside PostgreSQL,
    never across a round trip to this process, where a busy event loop would
    keep every other writer of the room waiting behind it (a lock convoy that
    collapsed two instances under load). A duplicate client_id fails the whole
    statement, the bump included, so seqs stay gap-free.
    """
    db.session.commit()  # end the session's own transaction: this write runs on its own
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # Parameters named as no column of either table, so the UPDATE cannot take one for a SET.
        parameters = {"bumped_room": new.room_id} | {
            f"new_{name}": value for name, value in new.row().items()
        }
        stored = connection.execute(BUMP_AND_INSERT, parameters).one()
    return Stored(stored.id, stored.seq, stored.rev)


def next_rev(room_id: int) -> int:
    """Bump the room's rev in the session's transaction, locking the room until it commits.

    The lock orders a change behind every other writer of the room, so revs
    follow commit order and "changed after rev r" never misses a late commit.
    """
    try:
        rev: int = db.session.connection().execute(BUMP_REV, {"bumped_room": room_id}).scalar_one()
    except NoResultFound as exc:
        raise ChatError(BAD_REQUEST, ARCHIVED_ROOM) from exc
    return rev
