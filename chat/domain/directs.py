"""Direct rooms: one per pair of people, listed for the other person only once something is said.

``/dm/<name>`` opens (or creates) the room for the one who asks; the other
person becomes a member, and sees the room in their list, with the first
message sent there. Until then a probe leaves no trace on anyone else's
side. Every probe spends a token of the asker's ``directs`` bucket, and each
new direct room counts against ``MAX_DIRECT_ROOMS_PER_USER``.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from chat import live
from chat.domain.errors import BAD_REQUEST, CONFLICT, NOT_FOUND, RATE_LIMITED, ChatError
from chat.domain.rooms import DIRECT_PREFIX, DIRECT_SLUG_RE, admit, admit_id, find_room, spend_creation
from chat.extensions import db
from chat.models import Room, User


def direct_slug(a: User, b: User) -> str:
    """The slug of the direct room between ``a`` and ``b`` (the same either way round)."""
    low, high = sorted((a.id, b.id))
    return f"{DIRECT_PREFIX}{low}-{high}"


def open_direct_room(user: User, username: str) -> Room:
    """The one direct room between ``user`` and ``username``, created on first use; on ``user``'s list now."""
    if not live.throttles().directs.allow(user.id):
        raise ChatError(RATE_LIMITED, "You are opening direct messages too fast; try again in a while.")
    other = User.by_username(username)
    if other is None:
        raise ChatError(NOT_FOUND, f"There is no user {username!r}.")
    if other.id == user.id:
        raise ChatError(BAD_REQUEST, "A direct room needs someone else.")
    slug = direct_slug(user, other)
    room = find_room(slug)
    if room is None:
        room = _create(user, other, slug)
    elif room.kind != "direct":
        raise ChatError(CONFLICT, "That address is taken by another room.")
    admit(room, user)
    return room


def _create(user: User, other: User, slug: str) -> Room:
    spend_creation(user, ("direct",), "MAX_DIRECT_ROOMS_PER_USER", live.throttles().rooms)
    names = sorted((user.username, other.username), key=str.lower)
    room = Room(slug=slug, name=f"{names[0]} & {names[1]}", kind="direct", created_by=user.id)
    db.session.add(room)  # its first member comes in through admit(), which tells their other tabs
    try:
        db.session.commit()
    except IntegrityError:  # the other person opened it at the same moment
        db.session.rollback()
        found = find_room(slug)
        if found is None:
            raise
        return found
    return room


def people_of(slug: str) -> tuple[int, int] | None:
    """The two user ids a two-person direct room's slug names (``dm-<low>-<high>``); None for other slugs."""
    if DIRECT_SLUG_RE.fullmatch(slug) is None:
        return None
    low, high = (int(part) for part in slug.removeprefix(DIRECT_PREFIX).split("-"))
    return low, high


def deliver(room: Room, author: User) -> None:
    """A message was sent in direct room ``room``: its other person is a member (and lists it) from now on."""
    pair = people_of(room.slug) if room.kind == "direct" else None
    if pair is None:
        return
    low, high = pair
    admit_id(room, high if author.id == low else low, tell=False)
