"""The chat's tables: users, rooms, memberships, messages and reactions; logins, invites, resets, settings."""

from chat.models.accounts import Invite, Login, PasswordReset, SiteSetting
from chat.models.messages import Mention, Message, Reaction, message_object
from chat.models.rooms import CONVERSATION_KINDS, ROOM_KINDS, Membership, Room, RoomPosition
from chat.models.time import iso_utc, utcnow
from chat.models.users import User

__all__ = [
    "CONVERSATION_KINDS",
    "ROOM_KINDS",
    "Invite",
    "Login",
    "Membership",
    "Mention",
    "Message",
    "PasswordReset",
    "Reaction",
    "Room",
    "RoomPosition",
    "SiteSetting",
    "User",
    "iso_utc",
    "message_object",
    "utcnow",
]
