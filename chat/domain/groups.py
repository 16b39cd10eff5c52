"""Group conversations: a direct conversation of three to eight people.

A group is a direct room (kind ``direct``: no admins, no name of its own,
listed under direct messages, labelled with the other people's names) whose
slug is ``group-`` and random hex. Everyone chosen is a member from the
start and sees it appear in their sidebar; one set of people has one group,
as a pair has one direct room. Members leave a group as they leave a room.
Opening one spends the asker's ``directs`` token and counts against
``MAX_DIRECT_ROOMS_PER_USER``.
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from chat import live
from chat.domain.errors import BAD_REQUEST, NOT_FOUND, RATE_LIMITED, ChatError
from chat.domain.rooms import admit_id, find_room, spend_creation
from chat.extensions import db
from chat.models import Membership, Room, User

GROUP_PREFIX = "group-"
MAX_GROUP_PEOPLE = 8  # the asker included


def is_group(room: Room) -> bool:
    """Whether ``room`` is a group conversation (not a room, not a pair's direct room)."""
    return room.kind == "direct" and room.slug.startswith(GROUP_PREFIX)


def open_group(user: User, usernames: list[str]) -> Room:
    """The group of ``user`` and ``usernames`` (2 to 7 others), created on first use, on everyone's list."""
    if not live.throttles().directs.allow(user.id):
        raise ChatError(RATE_LIMITED, "You are opening conversations too fast; try again in a while.")
    others = _others(user, usernames)
    found = _existing(user, others)
    if found is not None:
        return found
    spend_creation(user, ("direct",), "MAX_DIRECT_ROOMS_PER_USER", live.throttles().rooms)
    names = sorted([user.username, *(person.username for person in others)], key=str.lower)
    room = Room(slug=_free_slug(), name=", ".join(names), kind="direct", created_by=user.id)
    db.session.add(room)
    db.session.add(Membership(room=room, user_id=user.id))
    db.session.commit()
    for person in others:
        admit_id(room, person.id)  # their sidebars hear of it at once
    return room


def _others(user: User, usernames: list[str]) -> list[User]:
    wanted = {name.strip().lower(): name.strip() for name in usernames if name.strip()}
    wanted.pop(user.username.lower(), None)
    if len(wanted) < 2:
        raise ChatError(
            BAD_REQUEST, "A group needs at least two other people; for one, send a direct message."
        )
    if len(wanted) + 1 > MAX_GROUP_PEOPLE:
        raise ChatError(BAD_REQUEST, f"A group has at most {MAX_GROUP_PEOPLE} people, you included.")
    people = []
    for name in wanted.values():
        person = User.by_username(name)
        if person is None:
            raise ChatError(NOT_FOUND, f"There is no user {name!r}.")
        people.append(person)
    return people


def _existing(user: User, others: list[User]) -> Room | None:
    """The group of exactly these people, if there is one that ``user`` is still in."""
    wanted = {user.id, *(person.id for person in others)}
    mine = select(Membership.room_id).where(Membership.user_id == user.id)
    sizes = (
        select(Membership.room_id)
        .join(Room, Room.id == Membership.room_id)
        .where(Room.kind == "direct", Room.slug.startswith(GROUP_PREFIX), Room.id.in_(mine))
        .group_by(Membership.room_id)
        .having(func.count(Membership.id) == len(wanted))
    )
    for room_id in db.session.scalars(sizes):
        members = set(db.session.scalars(select(Membership.user_id).where(Membership.room_id == room_id)))
        if members == wanted:
            return db.session.get(Room, room_id)
    return None


def _free_slug() -> str:
    for _ in range(10):
        slug = f"{GROUP_PREFIX}{secrets.token_hex(4)}"
        if find_room(slug) is None:
            return slug
    raise ChatError(BAD_REQUEST, "Could not find a free address for this group; try again.")
