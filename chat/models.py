"""The chat's tables: users, rooms, memberships and messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from chat.extensions import db

ROOM_KINDS = ("public", "private", "direct")


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (the only kind stored)."""
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """``2026-11-22T12:00:00.123Z``: milliseconds, always UTC."""
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A person with an account; usernames are unique regardless of case."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (werkzeug's default method)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches; always False for accounts that cannot log in."""
        if not self.password_hash.startswith(("scrypt:", "pbkdf2:")):
            return False  # an account that cannot log in (the system user)
        return check_password_hash(self.password_hash, password)

    @classmethod
    def by_username(cls, username: str) -> User | None:
        """The user whose name matches ``username`` case-insensitively."""
        if "\x00" in username:  # no stored name has one, and PostgreSQL refuses it in a query
            return None
        return db.session.scalar(select(cls).where(func.lower(cls.username) == username.lower()))

    def __repr__(self) -> str:
        return f"<User {self.username}>"


# Usernames are unique regardless of case: "Ada" and "ada" are one person.
Index("uq_users_username_lower", func.lower(User.username), unique=True)


class Room(db.Model):  # type: ignore[name-defined]
    """A room: public, private (members only) or direct (two people); ``last_seq`` counts its messages."""

    __tablename__ = "rooms"
    __table_args__ = (CheckConstraint("kind IN ('public', 'private', 'direct')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16), default="public")
    # The seq of the newest message; bumped in the same transaction as each insert.
    last_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="room", cascade="all, delete-orphan")

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

    def member_names(self) -> list[str]:
        """Usernames of the members, by name, case-insensitively."""
        return list(
            db.session.scalars(
                select(User.username)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.room_id == self.id)
                .order_by(func.lower(User.username))
            )
        )

    def summary(self) -> dict[str, str]:
        """The contract's room object."""
        return {"slug": self.slug, "name": self.name, "kind": self.kind}

    @classmethod
    def positions(cls, slugs: Iterable[str]) -> dict[str, RoomPosition]:
        """Each room's id and stored ``last_seq``, by slug, in one query."""
        rows = db.session.execute(select(cls.slug, cls.id, cls.last_seq).where(cls.slug.in_(list(slugs))))
        return {slug: RoomPosition(room_id, last_seq) for slug, room_id, last_seq in rows}

    def __repr__(self) -> str:
        return f"<Room {self.slug}>"


@dataclass(frozen=True)
class RoomPosition:
    """Where a room stands: its id and the seq of its newest message."""

    room_id: int
    last_seq: int


class Membership(db.Model):  # type: ignore[name-defined]
    """A user's membership of a room: who may read a private or direct room."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("room_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    room: Mapped[Room] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Message(db.Model):  # type: ignore[name-defined]
    """A message, at its room's ``seq``; stored once per ``(user, client_id)``."""

    __tablename__ = "messages"
    __table_args__ = (
        # The resume offset: one seq per message per room, never reused.
        UniqueConstraint("room_id", "seq"),
        # Exactly-once storage: a retried client_id finds the stored message.
        UniqueConstraint("user_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    room: Mapped[Room] = relationship()
    author: Mapped[User] = relationship()

    @classmethod
    def page(
        cls, room_id: int, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        """Up to ``limit`` messages of a room, oldest first, and whether more lie beyond.

        Below ``before``, above ``after``, between both, or the newest; "beyond"
        is newer when ``after`` is given, older otherwise.
        """
        query = select(cls).options(joinedload(cls.author)).where(cls.room_id == room_id).limit(limit + 1)
        if before is not None:
            query = query.where(cls.seq < before)
        if after is not None:
            query = query.where(cls.seq > after)
        ascending = after is not None
        query = query.order_by(cls.seq.asc() if ascending else cls.seq.desc())
        rows = list(db.session.scalars(query))
        has_more = len(rows) > limit
        rows = rows[:limit]
        if not ascending:
            rows.reverse()
        return rows, has_more

    def to_dict(self) -> dict[str, Any]:
        """The contract's message object."""
        return {
            "room": self.room.slug,
            "seq": self.seq,
            "id": self.id,
            "username": self.author.username,
            "text": self.text,
            "client_id": self.client_id,
            "created_at": iso_utc(self.created_at),
        }
