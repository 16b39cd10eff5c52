"""Read state: how far each member has read each room, kept on the server per membership.

Unread is counted, not stored: ``room.last_seq - membership.last_read_seq``,
exact because posting moves the poster's mark to their message. No write
happens per recipient of a message. The mark only moves forward.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update

from chat.domain.errors import NOT_JOINED, ChatError
from chat.extensions import db
from chat.fanout import emit
from chat.models import Membership, Mention, Room, User


@dataclass(frozen=True)
class Unread:
    """What a member has not read in one room: messages, and mentions of them among those."""

    messages: int
    mentions: int


def read_mark(room: Room, user: User) -> int:
    """The highest seq ``user`` has read in ``room`` (0 if they are not a member)."""
    mark = db.session.scalar(
        select(Membership.last_read_seq).where(Membership.room_id == room.id, Membership.user_id == user.id)
    )
    return int(mark or 0)


def mark_read(room: Room, user: User, seq: int, *, skip_sid: str | None = None) -> tuple[int, bool]:
    """Move ``user``'s mark in ``room`` forward to ``seq`` (at most the room's newest); ``(mark, moved)``.

    When it moved, the user's other sockets (all but ``skip_sid``) are told, so
    that every tab and device clears the badge.
    """
    target = min(seq, room.last_seq)
    moved = db.session.execute(
        update(Membership)
        .where(
            Membership.room_id == room.id, Membership.user_id == user.id, Membership.last_read_seq < target
        )
        .values(last_read_seq=target)
        .returning(Membership.last_read_seq)
    ).scalar()
    db.session.commit()
    if moved is not None:
        emit.read_moved(user.id, room.slug, int(moved), skip_sid=skip_sid)
        return int(moved), True
    mark = db.session.scalar(
        select(Membership.last_read_seq).where(Membership.room_id == room.id, Membership.user_id == user.id)
    )
    if mark is None:
        raise ChatError(NOT_JOINED, "Only members have read marks; join the room first.")
    return int(mark), False


def unread_by_room(user: User) -> dict[int, Unread]:
    """Unread messages and mentions in every room ``user`` is a member of, by room id (two queries)."""
    marks = db.session.execute(
        select(Membership.room_id, Room.last_seq - Membership.last_read_seq)
        .join(Room, Room.id == Membership.room_id)
        .where(Membership.user_id == user.id)
    ).all()
    mentions = unread_mentions(user)
    return {room_id: Unread(max(int(unread), 0), int(mentions.get(room_id, 0))) for room_id, unread in marks}


def unread_mentions(user: User) -> dict[int, int]:
    """How many mentions of ``user`` lie beyond their read mark, by room id (rooms with none left out)."""
    return {
        int(room_id): int(count)
        for room_id, count in db.session.execute(
            select(Mention.room_id, func.count())
            .join(
                Membership, (Membership.room_id == Mention.room_id) & (Membership.user_id == Mention.user_id)
            )
            .where(Mention.user_id == user.id, Mention.seq > Membership.last_read_seq)
            .group_by(Mention.room_id)
        )
    }
