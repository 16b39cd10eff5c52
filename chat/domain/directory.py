"""The user directory: finding people by name, to open a conversation with them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from chat.domain.accounts import SYSTEM_USERNAME
from chat.extensions import db
from chat.models import User

DIRECTORY_PAGE = 50
MAX_QUERY_CHARS = 32  # a username's length: a longer query matches nobody


@dataclass(frozen=True)
class Found:
    """People whose name matches, and whether more than these match."""

    usernames: list[str]
    more: bool


def find_people(query: str, viewer: User, limit: int = DIRECTORY_PAGE) -> Found:
    """Usernames containing ``query`` (any letter case), those starting with it first, then by name.

    The viewer and the announcements account are left out: neither is someone
    to open a conversation with. An empty query lists everyone, by name.
    """
    query = query.strip().lower()[: MAX_QUERY_CHARS + 1]
    if "\x00" in query:
        return Found([], False)
    name = func.lower(User.username)
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.session.scalars(
        select(User.username)
        .where(name.like(pattern, escape="\\"), User.id != viewer.id, name != SYSTEM_USERNAME)
        .order_by(case((name.startswith(query, autoescape=True), 0), else_=1), name)
        .limit(limit + 1)
    ).all()
    return Found(list(rows[:limit]), len(rows) > limit)
