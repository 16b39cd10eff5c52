"""What a socket learns when it joins a room: where the room stands and what it missed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chat import live
from chat.domain import changes, messages, reading, rooms
from chat.domain.rosters import rosters
from chat.models import Message, Room, User

# A room of up to this many members is listed whole in a join; a larger one lists who is online
# (this many at most, and the joining user), with members_total and members_online as counts.
MEMBERS_IN_JOIN = 200


@dataclass(frozen=True)
class JoinView:
    """The room as one join sees it (the contract's join acknowledgement, less ``ok``)."""

    room: Room
    members: list[dict[str, object]]
    members_total: int
    members_online: int
    page: messages.Page
    last_seq: int
    last_rev: int
    last_read_seq: int
    changed: list[Message]
    changes_truncated: bool

    def ack(self) -> dict[str, Any]:
        """The acknowledgement's fields."""
        return {
            "room": self.room.summary(),
            "members": self.members,
            "members_total": self.members_total,
            "members_online": self.members_online,
            "messages": [m.to_dict() for m in self.page.messages],
            "has_more": self.page.has_more,
            "last_seq": self.last_seq,
            "last_rev": self.last_rev,
            "last_read_seq": self.last_read_seq,
            "changed": [m.to_dict() for m in self.changed],
            "changes_truncated": self.changes_truncated,
        }


def view(room: Room, user: User, since: int | None, since_rev: int | None) -> JoinView:
    """Read the room for a joining socket that holds up to ``since`` (and changes up to ``since_rev``).

    Where the room stands is read first: whatever commits later reaches the
    socket live (it subscribed before this), and clients drop what they hold.
    """
    last_seq, last_rev = room.last_seq, room.last_rev
    page = messages.recent(room, since)
    changed, truncated = (
        ([], False) if since is None or since_rev is None else changes.changed_since(room, since, since_rev)
    )
    newest = page.messages[-1].seq if page.messages else 0
    members, total, online = listed_members(room, user)
    return JoinView(
        room=room,
        members=members,
        members_total=total,
        members_online=online,
        page=page,
        last_seq=max(newest, last_seq),
        last_rev=last_rev,
        last_read_seq=reading.read_mark(room, user),
        changed=changed,
        changes_truncated=truncated,
    )


def listed_members(room: Room, user: User) -> tuple[list[dict[str, object]], int, int]:
    """The members a join lists, how many members there are, and how many of them are online.

    A small room is listed whole. In a large one, listing everyone to each of
    a thousand people reconnecting at once is the square of the room's size in
    work and bytes: a join lists who is online instead (offline members are
    on request, by the ``members`` event or the members page). The roster is
    this process's copy, checked against the member count (``chat.domain.rosters``).
    """
    names = rosters().names(room)
    online = live.presence().online_among(names)
    if len(names) <= MEMBERS_IN_JOIN:
        listed = names
    else:
        listed = [name for name in names if name in online][:MEMBERS_IN_JOIN]
        if user.username in online and user.username not in listed:
            listed = sorted([*listed, user.username], key=str.lower)
    return rooms.member_objects(listed, online), len(names), len(online)
