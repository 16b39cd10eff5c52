"""Rooms and who belongs to them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint, false, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chat.extensions import db
from chat.models.time import utcnow
from chat.models.users import User

ROOM_KINDS = ("public", "private", "direct")
# Conversations between people, listed apart from rooms: two people, or a group (kind direct too).
CONVERSATION_KINDS = ("direct",)


class Room(db.Model):  # type: ignore[name-defined]
    """A room: public, private (members only) or direct (a conversation of two people, or of a small group).

    ``last_seq`` counts its messages; ``last_rev`` counts every stored message
    and every later change of one (edit, delete, reaction), so a client that
    knows both knows exactly what it may have missed.
    """

    __tablename__ = "rooms"
    __table_args__ = (CheckConstraint("kind IN ('public', 'private', 'direct')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16), default="public")
    # The seq of the newest message; bumped in the same transaction as each insert.
    last_seq: Mapped[int] = mapped_column(default=0)
    # The rev of the latest change in the room; bumped in the same transaction as each change.
    last_rev: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The user who created it (None for rooms made by the CLI or before this was kept): the caps count it.
    created_by: Mapped[int | None] = mapped_column(default=None, index=True)
    # A line under the name, set by the room's admins (plain text).
    topic: Mapped[str] = mapped_column(String(250), default="", server_default="")
    # When its admins archived it: read-only, off the sidebar, still listed, searched and restorable.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    memberships: Mapped[list[Membership]] = relationship(back_populates="room", cascade="all, delete-orphan")

    @property
    def archived(self) -> bool:
        """Whether the room is archived (read-only)."""
        return self.archived_at is not None

    @property
    def is_public(self) -> bool:
        """Whether anyone may read and join without being added."""
        return self.kind == "public"

    def has_member(self, user: User) -> bool:
        """Whether ``user`` is a member (read from the database, never cached)."""
        return (
            db.session.scalar(
                select(Membership.id).where(Membership.room_id == self.id, Membership.user_id == user.id)
            )
            is not None
        )

    def admits(self, user: User) -> bool:
        """Whether ``user`` may read and write here: anyone for public rooms, members otherwise."""
        return self.is_public or self.has_member(user)

    def member_names(self, *, after: str | None = None, limit: int | None = None) -> list[str]:
        """Usernames of the members by name, case-insensitively: all, or ``limit`` of them after ``after``."""
        query = (
            select(User.username)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.room_id == self.id)
            .order_by(func.lower(User.username))
            .limit(limit)
        )
        if after is not None:
            query = query.where(func.lower(User.username) > after.lower())
        return list(db.session.scalars(query))

    def member_count(self) -> int:
        """How many members the room has."""
        return int(
            db.session.scalar(select(func.count(Membership.id)).where(Membership.room_id == self.id)) or 0
        )

    def summary(self) -> dict[str, object]:
        """The contract's room object."""
        return {
            "slug": self.slug,
            "name": self.name,
            "kind": self.kind,
            "topic": self.topic or "",
            "archived": self.archived,
        }

    @classmethod
    def positions(cls, slugs: Iterable[str]) -> dict[str, RoomPosition]:
        """Each room's id, ``last_seq`` and ``last_rev`` as stored, by slug, in one query."""
        rows = db.session.execute(
            select(cls.slug, cls.id, cls.last_seq, cls.last_rev).where(cls.slug.in_(list(slugs)))
        )
        return {slug: RoomPosition(room_id, seq, rev) for slug, room_id, seq, rev in rows}

    def __repr__(self) -> str:
        return f"<Room {self.slug}>"


@dataclass(frozen=True)
class RoomPosition:
    """Where a room stands: its id, the seq of its newest message, the rev of its latest change."""

    room_id: int
    last_seq: int
    last_rev: int


class Membership(db.Model):  # type: ignore[name-defined]
    """A user's membership of a room: who may read a private or direct room, and how far they read."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("room_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The highest seq this member has read: unread = room.last_seq - this. It only moves forward.
    last_read_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # A room admin renames, archives and deletes the room and manages its members.
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())

    room: Mapped[Room] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
