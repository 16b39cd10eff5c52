"""The app shell's sidebar: the rooms and direct conversations a person is in, with what is unread.

Counts come from the read marks (``chat.domain.reading``): unread is the
room's ``last_seq`` less the member's ``last_read_seq``, mentions are those
recorded for them beyond it. Three queries, whatever the number of rooms.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from chat import live
from chat.domain import reading
from chat.domain.directs import people_of
from chat.extensions import db
from chat.models import CONVERSATION_KINDS, Membership, Room, User


@dataclass(frozen=True)
class Entry:
    """One room of the sidebar as its member sees it."""

    slug: str
    name: str
    kind: str
    label: str  # what the sidebar shows: the room's name, or the other people of a direct room
    last_seq: int
    last_read_seq: int
    mentions: int
    people: tuple[str, ...] = ()  # a direct room's other people
    online: bool = False  # whether any of them is online (the sidebar's presence dot)

    @property
    def unread(self) -> int:
        """Messages beyond the member's read mark (never their own: posting moves it)."""
        return max(self.last_seq - self.last_read_seq, 0)


@dataclass(frozen=True)
class Sidebar:
    """Rooms (public and private) and direct conversations, each sorted by what they show."""

    rooms: list[Entry]
    directs: list[Entry]

    @property
    def mentions(self) -> int:
        """Unread mentions in every room together (the tab's title shows them)."""
        return sum(entry.mentions for entry in self.rooms + self.directs)


def sidebar_of(user: User) -> Sidebar:
    """What ``user``'s sidebar shows, with the counts as they stand."""
    rows = db.session.execute(
        select(Room.id, Room.slug, Room.name, Room.kind, Room.last_seq, Membership.last_read_seq)
        .join(Membership, Membership.room_id == Room.id)
        .where(Membership.user_id == user.id, Room.archived_at.is_(None))  # archived rooms leave it
    ).all()
    mentions = reading.unread_mentions(user)
    others = _others_in_direct_rooms(
        user, {row.id: row.slug for row in rows if row.kind in CONVERSATION_KINDS}
    )
    online = live.presence().online_among({name for names in others.values() for name in names})
    entries = [
        Entry(
            slug=row.slug,
            name=row.name,
            kind=row.kind,
            label=", ".join(others.get(row.id, [])) or row.name,
            last_seq=row.last_seq,
            last_read_seq=row.last_read_seq,
            mentions=mentions.get(row.id, 0),
            people=tuple(others.get(row.id, ())),
            online=bool(online.intersection(others.get(row.id, ()))),
        )
        for row in rows
    ]
    entries.sort(key=lambda entry: entry.label.lower())
    return Sidebar(
        rooms=[entry for entry in entries if entry.kind not in CONVERSATION_KINDS],
        directs=[entry for entry in entries if entry.kind in CONVERSATION_KINDS],
    )


def _others_in_direct_rooms(user: User, slugs: dict[int, str]) -> dict[int, list[str]]:
    """The usernames of everyone but ``user`` in each of the direct rooms ``slugs`` (by room id).

    The other person of a two-person room is read from its slug: they become a
    member only with its first message, but the opener's sidebar names them at once.
    """
    if not slugs:
        return {}
    expected = {room_id: set(people_of(slug) or ()) - {user.id} for room_id, slug in slugs.items()}
    members = db.session.execute(
        select(Membership.room_id, Membership.user_id).where(
            Membership.room_id.in_(list(slugs)), Membership.user_id != user.id
        )
    )
    for room_id, user_id in members:
        expected[room_id].add(user_id)
    wanted = set().union(*expected.values())
    names: dict[int, str] = {}
    if wanted:
        for user_id, username in db.session.execute(
            select(User.id, User.username).where(User.id.in_(wanted))
        ):
            names[user_id] = username
    return {
        room_id: sorted((names[i] for i in ids if i in names), key=str.lower)
        for room_id, ids in expected.items()
    }
