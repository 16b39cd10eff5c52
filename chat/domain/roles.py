"""Who runs a room: its admins (its creator first) and the site's admins, who may run every room.

A room admin renames the room, sets its topic, archives, restores and
deletes it, adds and removes members and makes other members admins, and
deletes anyone's message in it. A site admin (``User.is_admin``) may do all
of that in every room, a private one they are not in included. Direct and
group conversations have no admins: nobody runs a conversation.

To someone who may not see a room, managing it is ``not_found`` like any
other act on it; a member who is not an admin is ``forbidden``.
"""

from __future__ import annotations

from sqlalchemy import func, select

from chat.domain.errors import BAD_REQUEST, FORBIDDEN, NOT_FOUND, ChatError
from chat.domain.rooms import find_room, not_found
from chat.extensions import db
from chat.models import CONVERSATION_KINDS, Membership, Room, User

NOT_AN_ADMIN = "Only this room's admins may do that."


def is_site_admin(user: User) -> bool:
    """Whether ``user`` administers the whole site."""
    return bool(user.is_admin)


def is_room_admin(room: Room, user: User) -> bool:
    """Whether ``user`` is one of ``room``'s admins (read from the database, never cached)."""
    return bool(
        db.session.scalar(
            select(Membership.is_admin).where(Membership.room_id == room.id, Membership.user_id == user.id)
        )
    )


def may_manage(room: Room, user: User) -> bool:
    """Whether ``user`` may run ``room``: a site admin, or one of the room's admins."""
    if room.kind in CONVERSATION_KINDS:
        return False
    return is_site_admin(user) or is_room_admin(room, user)


def reachable_room(user: User, slug: str) -> Room:
    """The room at ``slug`` if ``user`` may see it (a site admin sees every room), else ``not_found``."""
    room = find_room(slug)
    if room is None or not (room.admits(user) or is_site_admin(user)):
        raise not_found(slug)
    return room


def require_manager(room: Room, user: User) -> None:
    """Refuse ``user`` an act of running ``room``: ``not_found`` if they may not see it, else ``forbidden``."""
    if not (room.admits(user) or is_site_admin(user)):
        raise not_found(room.slug)
    if room.kind in CONVERSATION_KINDS:
        raise ChatError(FORBIDDEN, "Conversations have no admins: nobody runs them.")
    if not may_manage(room, user):
        raise ChatError(FORBIDDEN, NOT_AN_ADMIN)


def managed_room(user: User, slug: str) -> Room:
    """The room at ``slug`` if ``user`` may run it: ``not_found`` when they may not see it, else ``forbidden``."""
    room = reachable_room(user, slug)
    require_manager(room, user)
    return room


def admin_names(room: Room) -> list[str]:
    """The usernames of the room's admins, by name."""
    return list(
        db.session.scalars(
            select(User.username)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.room_id == room.id, Membership.is_admin.is_(True))
            .order_by(func.lower(User.username))
        )
    )


def set_admin(room: Room, by: User, username: str, admin: bool = True) -> User:
    """``by`` (who may run ``room``) makes member ``username`` one of its admins, or no longer one.

    The room keeps at least one admin while it has members: the last one
    cannot step down (a site admin still can make someone else admin).
    """
    require_manager(room, by)
    membership = membership_of(room, username)
    if not admin and membership.is_admin and len(admin_names(room)) == 1:
        raise ChatError(BAD_REQUEST, "A room keeps at least one admin: make another member admin first.")
    membership.is_admin = admin
    db.session.commit()
    return membership.user


def membership_of(room: Room, username: str) -> Membership:
    """The membership of ``username`` in ``room``, or ``not_found`` naming the person."""
    user = User.by_username(username.strip())
    found: Membership | None = None
    if user is not None:
        found = db.session.scalar(
            select(Membership).where(Membership.room_id == room.id, Membership.user_id == user.id)
        )
    if found is None:
        raise ChatError(NOT_FOUND, f"{username.strip()!r} is not a member of this room.")
    return found
