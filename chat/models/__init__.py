"""The chat's tables: users, rooms, memberships, messages and reactions."""

from chat.models.messages import Mention, Message, Reaction
from chat.models.rooms import CONVERSATION_KINDS, ROOM_KINDS, Membership, Room, RoomPosition
from chat.models.time import iso_utc, utcnow
from chat.models.users import User

__all__ = [
    "CONVERSATION_KINDS",
    "ROOM_KINDS",
    "Membership",
    "Mention",
    "Message",
    "Reaction",
    "Room",
    "RoomPosition",
    "User",
    "iso_utc",
    "utcnow",
]
