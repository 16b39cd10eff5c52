"""Rooms people run: rename, topic, archive, restore and delete, by the room's admins or a site admin.

Every change is told live (``room_changed``) to the room's open pages and to
its members' sidebars. An archived room is read-only: nothing is posted,
changed or typed there until it is restored; it leaves the sidebar but is
still listed, found by search and opened by its address.
"""

from __future__ import annotations

from sqlalchemy import func, select

from chat.domain import roles
from chat.domain.errors import ARCHIVED_ROOM, BAD_REQUEST, ChatError
from chat.domain.membership import DELETED, cut_off
from chat.domain.names import clean_room_name, clean_topic
from chat.domain.rooms import delete_room, ensure_name_free
from chat.extensions import db
from chat.fanout import emit
from chat.models import Membership, Room, User, utcnow


def ensure_writable(room: Room) -> None:
    """Refuse typing in an archived room (messages and changes are refused by ``store`` as they write)."""
    if room.archived_at is not None:
        raise ChatError(BAD_REQUEST, ARCHIVED_ROOM)


def rename(room: Room, by: User, name: str) -> Room:
    """Give ``room`` a new name (its address stays): plain text, unique among the rooms ``by`` can see."""
    roles.require_manager(room, by)
    name = clean_room_name(name)
    if name != room.name:
        ensure_name_free(name, by, other_than=room)
        room.name = name
        _changed(room)
    return room


def set_topic(room: Room, by: User, topic: str) -> Room:
    """Set (or, empty, clear) the line shown under ``room``'s name."""
    roles.require_manager(room, by)
    topic = clean_topic(topic)
    if topic != room.topic:
        room.topic = topic
        _changed(room)
    return room


def archive(room: Room, by: User | None) -> Room:
    """Make ``room`` read-only and take it off its members' sidebars (``by`` None: the operator's CLI)."""
    _require(room, by)
    if room.archived_at is None:
        room.archived_at = utcnow()
        _changed(room)
    return room


def restore(room: Room, by: User | None) -> Room:
    """Bring an archived ``room`` back: writable and on its members' sidebars again.

    Its name must still be free among the rooms ``by`` can see (someone may
    have taken it meanwhile).
    """
    _require(room, by)
    if room.archived_at is not None:
        ensure_name_free(room.name, by, other_than=room)
        room.archived_at = None
        _changed(room)
    return room


def delete(room: Room, by: User | None, confirmation: str) -> Room:
    """Delete ``room`` with its messages; ``confirmation`` must be its name. ``by`` None: the operator's CLI.

    Everyone in it is cut off at once, as a removed member is.
    """
    _require(room, by)
    if confirmation.strip().casefold() != room.name.casefold():
        raise ChatError(BAD_REQUEST, "Type the room's name to delete it.")
    members = list(db.session.scalars(select(Membership.user_id).where(Membership.room_id == room.id)))
    deleted = delete_room(room.slug)
    for user_id in members:
        cut_off(deleted.slug, user_id, DELETED)
    return deleted


def every_room(*, archived_only: bool = False) -> list[tuple[Room, int]]:
    """Every public and private room by name, with its member count (the operator's list)."""
    members = select(func.count(Membership.id)).where(Membership.room_id == Room.id).scalar_subquery()
    query = select(Room, members).where(Room.kind != "direct").order_by(func.lower(Room.name), Room.id)
    if archived_only:
        query = query.where(Room.archived_at.is_not(None))
    return [(room, int(count)) for room, count in db.session.execute(query)]


def _require(room: Room, by: User | None) -> None:
    if by is not None:  # the operator's CLI runs every room
        roles.require_manager(room, by)


def _changed(room: Room) -> None:
    db.session.commit()
    emit.room_changed(room.summary())
