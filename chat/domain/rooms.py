"""Rooms: creating them, finding them, and who may enter."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from chat import live
from chat.domain.errors import BAD_REQUEST, CONFLICT, FORBIDDEN, NOT_FOUND, ChatError
from chat.domain.snapshots import snapshots
from chat.extensions import db
from chat.fanout import emit, following
from chat.models import Membership, Room, User

SLUG_RE = re.compile(r"[a-z0-9-]{1,64}")  # used with fullmatch
DIRECT_SLUG_RE = re.compile(r"dm-\d+-\d+")
MAX_ROOM_NAME_CHARS = 80
DIRECT_PREFIX = "dm-"


def slugify(name: str) -> str:
    """``"Team Chat!"`` -> ``"team-chat"``: lowercase ``[a-z0-9-]``, at most 64 chars."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64].rstrip("-")


def create_room(name: str, creator: User | None = None, *, private: bool = False) -> Room:
    """Create a public or private room; the creator (if any) becomes its first member."""
    name = " ".join(name.split())
    if "\x00" in name:
        raise ChatError(BAD_REQUEST, "Room names may not contain NUL characters.")
    if not name or len(name) > MAX_ROOM_NAME_CHARS:
        raise ChatError(BAD_REQUEST, f"Room names are 1-{MAX_ROOM_NAME_CHARS} characters.")
    slug = slugify(name)
    if not slug:
        raise ChatError(BAD_REQUEST, "A room name needs at least one letter or digit.")
    if DIRECT_SLUG_RE.fullmatch(slug):
        # Otherwise a public "dm 1 2" could stand in for the direct room of users 1 and 2.
        raise ChatError(BAD_REQUEST, "Addresses like /r/dm-1-2 are kept for direct messages.")
    if find_room(slug) is not None:
        raise ChatError(CONFLICT, f"A room with the address /r/{slug} already exists.")
    room = Room(slug=slug, name=name, kind="private" if private else "public")
    db.session.add(room)
    if creator is not None:
        db.session.add(Membership(room=room, user_id=creator.id))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise ChatError(CONFLICT, f"A room with the address /r/{slug} already exists.") from exc
    return room


def ensure_room(name: str, *, private: bool = False) -> tuple[Room, bool]:
    """The room named ``name``, created if missing; ``(room, created)``. Idempotent."""
    room = find_room(slugify(name))
    if room is not None:
        return room, False
    try:
        return create_room(name, private=private), True
    except ChatError as refusal:  # another process seeded it at the same moment
        room = find_room(slugify(name))
        if refusal.code != CONFLICT or room is None:
            raise
        return room, False


def find_room(slug: str) -> Room | None:
    """The room at ``slug``, or None (never an access decision)."""
    if not SLUG_RE.fullmatch(slug):
        return None
    # Every message looks its room up: from the process's copy, with last_seq read fresh when used.
    return snapshots().attach(
        ("room", slug),
        lambda session: session.scalar(select(Room).where(Room.slug == slug)),
        expire=("last_seq", "last_rev"),
    )


def member_slugs(user: User) -> list[str]:
    """The slugs of every room ``user`` is a member of (one query: a socket follows them all)."""
    return list(
        db.session.scalars(
            select(Room.slug)
            .join(Membership, Membership.room_id == Room.id)
            .where(Membership.user_id == user.id)
        )
    )


def is_member(slug: str, user: User) -> bool:
    """Whether ``user`` is a member of the room at ``slug``."""
    room = find_room(slug)
    return room is not None and room.has_member(user)


def members_with_presence(room: Room) -> list[dict[str, object]]:
    """The room's members by name, each with whether they are online in it (the contract's list)."""
    online = live.presence().online(room.slug)
    return [{"username": name, "online": name in online} for name in room.member_names()]


def room_for(user: User, slug: str) -> Room:
    """The room ``slug`` if ``user`` may read it; refuse unknown rooms and non-members."""
    room = find_room(slug)
    if room is None:
        raise ChatError(NOT_FOUND, f"There is no room {slug!r}.")
    if not room.admits(user):
        raise ChatError(FORBIDDEN, "This room is for its members only.")
    return room


def admit(room: Room, user: User) -> bool:
    """Make ``user`` a member of ``room``; True if they were not one yet. Idempotent."""
    if room.has_member(user):
        return False
    # A new member has read what was said before they came.
    db.session.add(Membership(room_id=room.id, user_id=user.id, last_read_seq=room.last_seq))
    try:
        db.session.commit()
    except IntegrityError:  # another socket of the same user admitted them first
        db.session.rollback()
        return False
    following.follow(user.id, room.slug)
    emit.message_activity_for(user.id, room.slug, room.last_seq)
    return True


def enter(user: User, slug: str) -> Room:
    """Open ``slug`` for ``user``: check access; joining a public room makes them a member."""
    room = room_for(user, slug)
    if room.is_public:
        admit(room, user)
    return room


def add_member(room: Room, by: User, username: str) -> User:
    """A member of a private room adds another user to it by name."""
    if room.kind != "private":
        raise ChatError(BAD_REQUEST, "Members are added to private rooms only.")
    if not room.has_member(by):
        raise ChatError(FORBIDDEN, "Only members may add others to this room.")
    invitee = User.by_username(username.strip())
    if invitee is None:
        raise ChatError(NOT_FOUND, f"There is no user {username.strip()!r}.")
    admit(room, invitee)
    return invitee


def direct_slug(a: User, b: User) -> str:
    """The slug of the direct room between ``a`` and ``b`` (the same either way round)."""
    low, high = sorted((a.id, b.id))
    return f"{DIRECT_PREFIX}{low}-{high}"


def open_direct_room(user: User, username: str) -> Room:
    """The one direct room between ``user`` and ``username``, created on first use."""
    other = User.by_username(username)
    if other is None:
        raise ChatError(NOT_FOUND, f"There is no user {username!r}.")
    if other.id == user.id:
        raise ChatError(BAD_REQUEST, "A direct room needs someone else.")
    slug = direct_slug(user, other)
    room = find_room(slug)
    if room is not None:
        if room.kind != "direct":
            raise ChatError(CONFLICT, "That address is taken by another room.")
        return room
    names = sorted((user.username, other.username), key=str.lower)
    room = Room(slug=slug, name=f"{names[0]} & {names[1]}", kind="direct")
    db.session.add(room)
    db.session.add(Membership(room=room, user_id=user.id))
    db.session.add(Membership(room=room, user_id=other.id))
    try:
        db.session.commit()
    except IntegrityError:  # the other person opened it at the same moment
        db.session.rollback()
        found = find_room(slug)
        if found is None:
            raise
        return found
    return room


def visible_rooms(user: User) -> list[Room]:
    """Public rooms, and the private and direct rooms ``user`` belongs to, by kind then name."""
    member_of = select(Membership.room_id).where(Membership.user_id == user.id)
    rooms = db.session.scalars(select(Room).where(or_(Room.kind == "public", Room.id.in_(member_of))))
    order = {"public": 0, "private": 1, "direct": 2}
    return sorted(rooms, key=lambda r: (order[r.kind], r.name.lower()))
