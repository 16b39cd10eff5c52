"""Rooms: creating, finding and deleting them, who may enter, and the lists that grow with the site.

To someone who may not see it, a private or direct room is no room at all:
every refusal of it is the ``not_found`` of a slug that was never used, and
its name reserves nothing. Private rooms get a slug of their own (the name's
slug and a random suffix), so creating any room by any name succeeds or fails
the same way whether or not a private room of that name exists.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError

from chat import live
from chat.domain import people
from chat.domain.accounts import USERNAME_RE
from chat.domain.errors import BAD_REQUEST, CONFLICT, FORBIDDEN, NOT_FOUND, RATE_LIMITED, ChatError
from chat.domain.names import clean_room_name
from chat.domain.snapshots import snapshots
from chat.extensions import db
from chat.fanout import emit, following, presence
from chat.live.throttles import RateLimiter
from chat.models import Membership, Room, User

SLUG_RE = re.compile(r"[a-z0-9-]{1,64}")  # used with fullmatch
DIRECT_SLUG_RE = emit.DIRECT_SLUG_RE  # used with fullmatch
DIRECT_PREFIX = "dm-"
ROOMS_PER_PAGE = 50
MEMBERS_PER_PAGE = 100
# A room copy is loaded again after this, so a room deleted by the CLI is gone everywhere by then.
ROOM_COPY_SECONDS = 10.0
KIND_ORDER = {"public": 0, "private": 1, "direct": 2}


def slugify(name: str) -> str:
    """``"Team Chat!"`` -> ``"team-chat"``: lowercase ``[a-z0-9-]``, at most 64 chars."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64].rstrip("-")


def not_found(slug: str) -> ChatError:
    """The one refusal for a room that does not exist and for one this user may not see."""
    return ChatError(NOT_FOUND, f"There is no room {slug!r}.")


def create_room(name: str, creator: User | None = None, *, private: bool = False) -> Room:
    """Create a public or private room; the creator (if any) becomes its first member.

    A creator is held to the caps (``MAX_ROOMS_PER_USER``) and the creation
    throttle; the operator's CLI is not.
    """
    name = clean_room_name(name)
    base = slugify(name)
    if not base:
        raise ChatError(BAD_REQUEST, "A room name needs at least one letter or digit.")
    if DIRECT_SLUG_RE.fullmatch(base):
        # Otherwise a public "dm 1 2" could stand in for the direct room of users 1 and 2.
        raise ChatError(BAD_REQUEST, "Addresses like /r/dm-1-2 are kept for direct messages.")
    slug = _slug_for(base, creator, private)
    ensure_name_free(name, creator)
    if creator is not None:
        spend_creation(creator, ("public", "private"), "MAX_ROOMS_PER_USER", live.throttles().rooms)
    room = Room(
        slug=slug,
        name=name,
        kind="private" if private else "public",
        created_by=None if creator is None else creator.id,
    )
    db.session.add(room)
    if creator is not None:
        db.session.add(Membership(room=room, user_id=creator.id, is_admin=True))
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise ChatError(CONFLICT, f"A room with the address /r/{slug} already exists.") from exc
    return room


def ensure_name_free(name: str, viewer: User | None, *, other_than: Room | None = None) -> None:
    """Refuse ``name`` if a live room ``viewer`` can see (any public one, their private ones) has it, in any case.

    A private room the viewer is not in neither blocks the name nor shows in
    the refusal; without a viewer (the operator's CLI) public rooms count.
    """
    member_of = select(Membership.room_id).where(Membership.user_id == (viewer.id if viewer else None))
    query = select(Room.id).where(
        func.lower(Room.name) == name.lower(),
        Room.archived_at.is_(None),
        or_(Room.kind == "public", (Room.kind == "private") & Room.id.in_(member_of)),
    )
    if other_than is not None:
        query = query.where(Room.id != other_than.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ChatError(CONFLICT, f"You can already see a room called {name!r}; choose another name.")


def _slug_for(base: str, creator: User | None, private: bool) -> str:
    if private:
        return _slug_of_its_own(base)
    taken = find_room(base)
    if taken is None:
        return base
    if creator is None or taken.admits(creator):
        raise ChatError(CONFLICT, f"A room with the address /r/{base} already exists.")
    return _slug_of_its_own(base)  # a room this creator may not see: as if the slug were free


def _slug_of_its_own(base: str) -> str:
    for _ in range(10):
        slug = f"{base[:57].rstrip('-')}-{secrets.token_hex(3)}"
        if not DIRECT_SLUG_RE.fullmatch(slug) and find_room(slug) is None:
            return slug
    raise ChatError(CONFLICT, "Could not find a free address for this room; try again.")


def spend_creation(creator: User, kinds: tuple[str, ...], cap_setting: str, bucket: RateLimiter) -> None:
    """Refuse ``creator`` one more room of ``kinds`` past the cap, or faster than the bucket allows."""
    cap = current_app.config[cap_setting]
    made = db.session.scalar(
        select(func.count(Room.id)).where(Room.created_by == creator.id, Room.kind.in_(kinds))
    )
    if (made or 0) >= cap:
        raise ChatError(FORBIDDEN, f"You have created {cap} rooms, the most one person may.")
    if not bucket.allow(creator.id):
        raise ChatError(RATE_LIMITED, "You are creating rooms too fast; try again in a while.")


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
        # What its admins may change is read fresh too (one query with last_seq, when first used).
        expire=("last_seq", "last_rev", "name", "topic", "archived_at"),
        max_age=ROOM_COPY_SECONDS,
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


def members_with_presence(
    room: Room, *, limit: int | None = None, after: str | None = None, including: User | None = None
) -> list[dict[str, object]]:
    """The room's members by name (``limit`` of them after ``after``), each with whether they are online.

    ``including`` is listed even when the page would leave them out (the
    joining user always sees themselves).
    """
    names = room.member_names(after=after, limit=limit)
    if including is not None and including.username not in names and room.has_member(including):
        names = sorted([*names, including.username], key=str.lower)
    return member_objects(names, live.presence().online_among(names))


def member_objects(names: list[str], online: set[str]) -> list[dict[str, object]]:
    """The contract's member objects for ``names``: each with its display name and whether it is online."""
    shown = people.display_names(names)
    return [{"username": name, "display_name": shown.get(name), "online": name in online} for name in names]


def members_page(room: Room, after: str | None = None) -> tuple[list[dict[str, object]], bool]:
    """A page of the room's members by name after ``after`` (a username), each with presence; and whether more follow."""
    if after is not None and not USERNAME_RE.fullmatch(after):
        raise ChatError(BAD_REQUEST, "'after' must be a username.")
    members = members_with_presence(room, limit=MEMBERS_PER_PAGE + 1, after=after)
    return members[:MEMBERS_PER_PAGE], len(members) > MEMBERS_PER_PAGE


def room_for(user: User, slug: str) -> Room:
    """The room ``slug`` if ``user`` may read it; ``not_found`` for unknown rooms and for hidden ones alike."""
    room = find_room(slug)
    if room is None or not room.admits(user):
        raise not_found(slug)
    return room


def visible(user: User, slug: str) -> bool:
    """Whether ``slug`` names a room ``user`` may see."""
    room = find_room(slug)
    return room is not None and room.admits(user)


def admit(room: Room, user: User) -> bool:
    """Make ``user`` a member of ``room``; True if they were not one yet. Idempotent."""
    return admit_id(room, user.id)


def admit_id(room: Room, user_id: int, *, tell: bool = True) -> bool:
    """Make user ``user_id`` a member of ``room``; True if they were not one yet. Idempotent.

    Their sockets follow the room at once; ``tell`` sends them its ``activity`` now (a caller
    about to broadcast a message there passes False: the message's own activity tells them).
    """
    member = select(Membership.id).where(Membership.room_id == room.id, Membership.user_id == user_id)
    if db.session.scalar(member) is not None:
        return False
    # A new member has read what was said before they came.
    db.session.add(Membership(room_id=room.id, user_id=user_id, last_read_seq=room.last_seq))
    try:
        db.session.commit()
    except IntegrityError:  # another socket of the same user admitted them first
        db.session.rollback()
        return False
    following.follow(user_id, room.slug)
    if tell:
        emit.message_activity_for(user_id, room.slug, room.last_seq)
    username = db.session.scalar(select(User.username).where(User.id == user_id))
    if username is not None:  # an online newcomer is online in the room from now on
        presence.admitted(room.slug, username)
    return True


def enter(user: User, slug: str) -> Room:
    """Open ``slug`` for ``user``: check access; joining a public room makes them a member."""
    room = room_for(user, slug)
    if room.is_public:
        admit(room, user)
    return room


@dataclass(frozen=True)
class Listing:
    """One page of the rooms a user may see, and whether another page follows."""

    rooms: list[Room]
    page: int
    has_next: bool


def visible_rooms(user: User, *, page: int = 1, search: str = "") -> Listing:
    """Public rooms, then the private and direct rooms ``user`` belongs to, by name: one page of them.

    ``search`` keeps the rooms whose name contains it (in any letter case).
    """
    member_of = select(Membership.room_id).where(Membership.user_id == user.id)
    query = select(Room).where(or_(Room.kind == "public", Room.id.in_(member_of)))
    if search:
        query = query.where(func.lower(Room.name).contains(search.lower(), autoescape=True))
    page = max(page, 1)
    rows = list(
        db.session.scalars(
            query.order_by(case(KIND_ORDER, value=Room.kind), func.lower(Room.name), Room.id)
            .offset((page - 1) * ROOMS_PER_PAGE)
            .limit(ROOMS_PER_PAGE + 1)
        )
    )
    return Listing(rows[:ROOMS_PER_PAGE], page, len(rows) > ROOMS_PER_PAGE)


def delete_room(slug: str) -> Room:
    """Delete the room at ``slug`` with its memberships and messages (an operator's act)."""
    room: Room | None = None
    if SLUG_RE.fullmatch(slug):
        room = db.session.scalar(select(Room).where(Room.slug == slug))
    if room is None:
        raise not_found(slug)
    db.session.delete(room)
    db.session.commit()
    snapshots().forget(("room", slug))
    return room
