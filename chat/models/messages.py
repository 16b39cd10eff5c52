"""Messages, at their room's seq, and the reactions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint, false, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship, selectinload

from chat.extensions import db
from chat.models.rooms import Room
from chat.models.time import iso_utc, utcnow
from chat.models.users import User


class Message(db.Model):  # type: ignore[name-defined]
    """A message, at its room's ``seq``; stored once per ``(user, client_id)``.

    ``rev`` is the room's change counter at the message's latest change (its
    storing, an edit, its deletion, a reaction). A deleted message keeps its
    seq and loses its text.
    """

    __tablename__ = "messages"
    __table_args__ = (
        # The resume offset: one seq per message per room, never reused.
        UniqueConstraint("room_id", "seq"),
        # Exactly-once storage: a retried client_id finds the stored message.
        UniqueConstraint("user_id", "client_id"),
        # What changed in a room since a rev (join with since_rev, repair).
        Index("ix_messages_room_id_rev", "room_id", "rev"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    # The text rendered from its Markdown subset and sanitised: the only HTML a page ever inserts.
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rev: Mapped[int] = mapped_column(default=0, server_default="0")
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    deleted: Mapped[bool] = mapped_column(server_default=false())
    reply_to: Mapped[int | None] = mapped_column(default=None)  # the seq of the message replied to

    room: Mapped[Room] = relationship()
    author: Mapped[User] = relationship()
    reactions: Mapped[list[Reaction]] = relationship(
        back_populates="message", order_by="Reaction.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @classmethod
    def page(
        cls, room_id: int, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        """Up to ``limit`` messages of a room, oldest first, and whether more lie beyond.

        Below ``before``, above ``after``, between both, or the newest; "beyond"
        is newer when ``after`` is given, older otherwise.
        """
        query = cls.select_whole().where(cls.room_id == room_id).limit(limit + 1)
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

    @classmethod
    def changed(cls, room_id: int, *, up_to_seq: int | None, after_rev: int, limit: int) -> list[Message]:
        """Messages (at or below ``up_to_seq``) changed after ``after_rev``, in rev order, at most ``limit``."""
        query = cls.select_whole().where(cls.room_id == room_id, cls.rev > after_rev)
        if up_to_seq is not None:
            query = query.where(cls.seq <= up_to_seq)
        return list(db.session.scalars(query.order_by(cls.rev).limit(limit)))

    @classmethod
    def select_whole(cls) -> Any:
        """A SELECT of messages with what ``to_dict`` reads loaded alongside (author, reactions)."""
        return select(cls).options(
            joinedload(cls.author), selectinload(cls.reactions).joinedload(Reaction.user)
        )

    def reaction_groups(self) -> list[dict[str, Any]]:
        """``[{"emoji", "usernames"}]`` in first-reaction order, usernames in reaction order."""
        groups: dict[str, list[str]] = {}
        for reaction in self.reactions:
            groups.setdefault(reaction.emoji, []).append(reaction.user.username)
        return [{"emoji": emoji, "usernames": names} for emoji, names in groups.items()]

    def to_dict(self) -> dict[str, Any]:
        """The contract's message object, in its current state."""
        return message_object(
            room=self.room.slug,
            seq=self.seq,
            id=self.id,
            author=self.author,
            text=self.text,
            html=self.html,
            client_id=self.client_id,
            created_at=self.created_at,
            rev=self.rev,
            edited_at=self.edited_at,
            deleted=self.deleted,
            reactions=self.reaction_groups(),
            reply_to=self.reply_to,
        )


def message_object(
    *,
    room: str,
    seq: int,
    id: int,
    author: User,
    text: str,
    html: str,
    client_id: str,
    created_at: datetime,
    rev: int,
    edited_at: datetime | None,
    deleted: bool,
    reactions: list[dict[str, Any]],
    reply_to: int | None,
) -> dict[str, Any]:
    """The contract's message object (docs/protocol.md §7), the one place its shape is written.

    ``Message.to_dict`` fills it from a row; a message just stored fills it
    from what was inserted, without building an ORM object on the hot path.
    """
    return {
        "room": room,
        "seq": seq,
        "id": id,
        "username": author.username,
        "display_name": author.display_name,
        "text": text,
        "html": html,
        "client_id": client_id,
        "created_at": iso_utc(created_at),
        "rev": rev,
        "edited_at": None if edited_at is None else iso_utc(edited_at),
        "deleted": deleted,
        "reactions": reactions,
        "reply_to": reply_to,
    }


class Reaction(db.Model):  # type: ignore[name-defined]
    """One person's emoji on one message (once per person and emoji)."""

    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("message_id", "user_id", "emoji"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    emoji: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    message: Mapped[Message] = relationship(back_populates="reactions")
    user: Mapped[User] = relationship()


class Mention(db.Model):  # type: ignore[name-defined]
    """``@username`` of a member in a message: what the sidebar counts per room beyond the read mark."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id"),
        Index("ix_mentions_user_id_room_id_seq", "user_id", "room_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
