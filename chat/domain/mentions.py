"""Mentions: ``@username`` of existing users, marked in the HTML and counted for members.

Names are recognised when a message is stored or edited (case-insensitive,
existing users only). A mention is recorded only for members of the room, so
naming someone in a private room they are not in tells them nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select

from chat.domain.rendering import mention_candidates
from chat.extensions import db
from chat.models import Membership, Mention, User


def named_users(text: str) -> dict[str, User]:
    """The existing users that ``@names`` in ``text`` may mean, by lowercase name (no query without an @)."""
    candidates = mention_candidates(text) if "@" in text else set()
    if not candidates:
        return {}
    found = db.session.scalars(select(User).where(func.lower(User.username).in_(candidates)))
    return {user.username.lower(): user for user in found}


def as_names(users: dict[str, User]) -> dict[str, str]:
    """What the renderer needs: lowercase name -> username."""
    return {name: user.username for name, user in users.items()}


def members_named(room_id: int, html: str, users: dict[str, User]) -> list[int]:
    """The ids of the members of the room whose mention made it into ``html``."""
    marked = [user.id for user in users.values() if f'data-user="{user.username}"' in html]
    if not marked:
        return []
    query = select(Membership.user_id).where(Membership.room_id == room_id, Membership.user_id.in_(marked))
    return sorted(db.session.scalars(query))


def record(message_id: int, room_id: int, seq: int, user_ids: list[int]) -> None:
    """Replace the mentions of a message (none for a deleted one); the caller commits."""
    db.session.execute(delete(Mention).where(Mention.message_id == message_id))
    if user_ids:
        rows = [
            {"message_id": message_id, "room_id": room_id, "seq": seq, "user_id": uid} for uid in user_ids
        ]
        db.session.execute(insert(Mention), rows)
