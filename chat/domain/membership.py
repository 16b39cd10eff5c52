"""Membership that takes effect at once: admins add and remove members, members leave.

Adding someone lists the room in their sidebar at once (``rooms.admit``
tells their sockets). A membership that ends is over at once on every
process: the row goes, then the person's sockets leave the room's channel,
its presence and its typing wherever they are (``following.evict``), and
their pages hear ``membership_ended``. From the commit on, every event and
page of theirs re-checks access and is refused.
"""

from __future__ import annotations

from sqlalchemy import delete

from chat.domain import groups, roles
from chat.domain.errors import BAD_REQUEST, NOT_FOUND, ChatError
from chat.domain.rooms import admit, not_found
from chat.extensions import db
from chat.fanout import emit, following
from chat.models import Membership, Room, User

LEFT, REMOVED, DELETED = "left", "removed", "deleted"


def add_member(room: Room, by: User, username: str) -> User:
    """An admin of private room ``room`` (or a site admin) adds ``username``; told live in their sidebar."""
    if room.kind != "private":
        raise ChatError(BAD_REQUEST, "Members are added to private rooms only: anyone may join a public one.")
    roles.require_manager(room, by)
    newcomer = User.by_username(username.strip())
    if newcomer is None:
        raise ChatError(NOT_FOUND, f"There is no user {username.strip()!r}.")
    if not admit(room, newcomer):
        raise ChatError(BAD_REQUEST, f"{newcomer.username} is already a member.")
    emit.member_changed(room.slug, newcomer.username, True)
    return newcomer


def enrol(room: Room, username: str, *, admin: bool = False) -> User:
    """The operator (``flask rooms add-member``) makes ``username`` a member of a public or private room."""
    if room.kind == "direct":
        raise ChatError(BAD_REQUEST, "Conversations have no members to add.")
    person = User.by_username(username.strip())
    if person is None:
        raise ChatError(NOT_FOUND, f"There is no user {username.strip()!r}.")
    if admit(room, person):
        emit.member_changed(room.slug, person.username, True)
    if admin:
        roles.membership_of(room, person.username).is_admin = True
        db.session.commit()
    return person


def dismiss(room: Room, username: str) -> User:
    """The operator (``flask rooms remove-member``) ends ``username``'s membership, at once."""
    person = roles.membership_of(room, username).user
    end(room, person.id, REMOVED)
    return person


def remove_member(room: Room, by: User, username: str) -> User:
    """An admin of ``room`` (or a site admin) removes member ``username``; their access ends at once."""
    if room.kind != "private":
        raise ChatError(
            BAD_REQUEST, "Only a private room's members can be removed: anyone may join a public one."
        )
    roles.require_manager(room, by)
    membership = roles.membership_of(room, username)
    if membership.user_id == by.id:
        raise ChatError(BAD_REQUEST, "To go yourself, leave the room.")
    removed = membership.user
    end(room, removed.id, REMOVED)
    return removed


def leave(room: Room, user: User) -> None:
    """``user`` leaves ``room`` (public, private or a group conversation); their access ends at once.

    A room's last admin cannot leave while others are still in it: someone
    must be able to run it.
    """
    if room.kind == "direct" and not groups.is_group(room):
        raise ChatError(BAD_REQUEST, "A direct conversation of two cannot be left.")
    if not room.has_member(user):
        if not room.admits(user):
            raise not_found(room.slug)
        raise ChatError(BAD_REQUEST, "You are not a member of this room.")
    admins = roles.admin_names(room)
    if admins == [user.username] and room.member_count() > 1:
        raise ChatError(BAD_REQUEST, "You are this room's only admin: make another member admin first.")
    end(room, user.id, LEFT)


def end(room: Room, user_id: int, why: str) -> None:
    """End ``user_id``'s membership of ``room`` and, at once, every live tie of theirs to it."""
    db.session.execute(delete(Membership).where(Membership.room_id == room.id, Membership.user_id == user_id))
    db.session.commit()
    cut_off(room.slug, user_id, why)
    gone = db.session.get(User, user_id)
    if gone is not None:  # the others in the room redraw its members
        emit.member_changed(room.slug, gone.username, False)


def cut_off(slug: str, user_id: int, why: str) -> None:
    """Every socket of ``user_id``, on every process, leaves ``slug``; their pages are told ``why``."""
    following.evict(user_id, slug)
    emit.membership_ended(user_id, slug, why)
