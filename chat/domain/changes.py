"""Messages that change: edits, deletions and reactions, each one new rev of its room.

A change takes the room's next rev first, which locks the room until the
change commits (``store.next_rev``), then reads the message and decides.
A change that would change nothing (a retry, a second identical edit, a
reaction already there) rolls back, so it bumps no rev, spends no rate-limit
token and answers the message as it stands. Callers check that the user may
read the room; what one may change is checked here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import emoji as emoji_data

from chat import live
from chat.domain import mentions, roles, store
from chat.domain.errors import BAD_REQUEST, FORBIDDEN, NOT_FOUND, RATE_LIMITED, ChatError
from chat.domain.messages import clean_text
from chat.domain.rendering import render
from chat.extensions import db
from chat.fanout import emit
from chat.models import Message, Reaction, Room, User, utcnow

# A join's answer lists at most this many changed messages; past it the client reloads the room.
MAX_CHANGES = 500
MAX_EMOJI_CHARS = 32


@dataclass(frozen=True)
class Changed:
    """The message after a change, and whether this call changed it."""

    message: Message
    changed: bool


def edit(room: Room, by: User, seq: int, text: str) -> Changed:
    """Replace the text of ``by``'s own message at ``seq``; re-rendered, stamped ``edited_at``."""
    text = clean_text(text)
    named = mentions.named_users(text)

    def apply(message: Message) -> bool:
        _own(message, by, "edit")
        if message.deleted:
            raise ChatError(BAD_REQUEST, "A deleted message cannot be edited.")
        if message.text == text:
            return False
        message.text, message.html, message.edited_at = text, render(text, mentions.as_names(named)), utcnow()
        mentions.record(
            message.id, room.id, message.seq, mentions.members_named(room.id, message.html, named)
        )
        return True

    return _change(room, by, seq, apply)


def delete(room: Room, by: User, seq: int) -> Changed:
    """Delete the message at ``seq``: its text and reactions go; its seq stays.

    Its author may delete it, and so may who runs the room (its admins, a
    site admin), to take down what should not stay.
    """

    def apply(message: Message) -> bool:
        if message.user_id != by.id and not roles.may_manage(room, by):
            raise ChatError(FORBIDDEN, "You can only delete your own messages; room admins delete any.")
        if message.deleted:
            return False
        message.text, message.html, message.deleted = "", "", True
        message.reactions.clear()
        mentions.record(message.id, room.id, message.seq, [])
        return True

    return _change(room, by, seq, apply)


def react(room: Room, by: User, seq: int, emoji: str, on: bool) -> Changed:
    """Add (``on``) or take back ``by``'s ``emoji`` on the message at ``seq``."""
    emoji = clean_emoji(emoji)

    def apply(message: Message) -> bool:
        if message.deleted:
            raise ChatError(BAD_REQUEST, "A deleted message takes no reactions.")
        mine = [r for r in message.reactions if r.user_id == by.id and r.emoji == emoji]
        if on and not mine:
            message.reactions.append(Reaction(user=by, emoji=emoji))
        elif not on and mine:
            message.reactions.remove(mine[0])
        else:
            return False
        return True

    return _change(room, by, seq, apply)


def clean_emoji(value: str) -> str:
    """``value`` if it is one emoji (skin tones and joined sequences included), else ``bad_request``."""
    value = value.strip()
    if not 0 < len(value) <= MAX_EMOJI_CHARS or not emoji_data.is_emoji(value):
        raise ChatError(BAD_REQUEST, "A reaction is one emoji.")
    return value


def changed_since(room: Room, since: int, since_rev: int) -> tuple[list[Message], bool]:
    """Messages up to seq ``since`` changed after ``since_rev``, in rev order; and whether there were more."""
    found = Message.changed(room.id, up_to_seq=since, after_rev=since_rev, limit=MAX_CHANGES + 1)
    return found[:MAX_CHANGES], len(found) > MAX_CHANGES


def _own(message: Message, by: User, verb: str) -> None:
    if message.user_id != by.id:
        raise ChatError(FORBIDDEN, f"You can only {verb} your own messages.")


def _change(room: Room, by: User, seq: int, apply: Callable[[Message], bool]) -> Changed:
    try:
        rev = store.next_rev(room.id)
        message = db.session.scalar(
            Message.select_whole().where(Message.room_id == room.id, Message.seq == seq)
        )
        if message is None:
            raise ChatError(NOT_FOUND, f"There is no message {seq} in this room.")
        if not apply(message):
            db.session.rollback()  # gives the rev back: nothing changed
            return Changed(message, changed=False)
        if not live.throttles().messages.allow(by.id):
            raise ChatError(RATE_LIMITED, "Slow down: too many changes; try again in a moment.")
        message.rev = rev
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    emit.message_changed(message.to_dict())
    return Changed(message, changed=True)
