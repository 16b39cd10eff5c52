"""Who may join: the sign-up mode (open, invite-only, closed) and invitation links.

The mode comes from ``SIGNUP_MODE`` in the environment when it is set (the
admin page then shows it and cannot change it); otherwise from the admin
page's choice; otherwise it is invite-only in production and open elsewhere.
Closed means nobody signs up, invitations included; accounts are then made
with ``flask users create``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from chat.config import SIGNUP_MODES
from chat.domain import accounts, people, rooms
from chat.domain.errors import BAD_REQUEST, CONFLICT, FORBIDDEN, NOT_FOUND, ChatError
from chat.extensions import db
from chat.models import Invite, Room, SiteSetting, User, utcnow
from chat.models.time import aware_utc

OPEN, INVITE_ONLY, CLOSED = SIGNUP_MODES
MODE_KEY = "signup_mode"
LONGEST_INVITE_DAYS = 365
MOST_INVITE_USES = 10_000
MOST_INVITE_ROOMS = 20
INVITES_LISTED = 200
NOT_VALID = "This invitation link is not valid: it was revoked, has expired, was used up or never existed."


def mode_from_environment() -> str | None:
    """The mode ``SIGNUP_MODE`` fixes, or None when the admin page decides."""
    fixed: str | None = current_app.config.get("SIGNUP_MODE")
    return fixed


def signup_mode() -> str:
    """Whether people may sign up on their own (open), only through an invitation, or not at all."""
    fixed = mode_from_environment()
    if fixed:
        return fixed
    chosen = db.session.get(SiteSetting, MODE_KEY)
    if chosen is not None and chosen.value in SIGNUP_MODES:
        return chosen.value
    return INVITE_ONLY if current_app.config.get("PRODUCTION") else OPEN


def set_signup_mode(actor: User | None, mode: str) -> str:
    """An admin chooses the sign-up mode (refused while the environment fixes it)."""
    people.require_admin(actor)
    if mode not in SIGNUP_MODES:
        raise ChatError(BAD_REQUEST, f"The sign-up mode is one of {', '.join(SIGNUP_MODES)}.")
    if mode_from_environment():
        raise ChatError(CONFLICT, "SIGNUP_MODE is set in the server's environment; change it there.")
    setting = db.session.get(SiteSetting, MODE_KEY)
    if setting is None:
        db.session.add(SiteSetting(key=MODE_KEY, value=mode))
    else:
        setting.value = mode
    db.session.commit()
    return mode


def sign_up(username: str, password: str) -> User:
    """Register on one's own: only while sign-up is open."""
    mode = signup_mode()
    if mode != OPEN:
        why = "by invitation only" if mode == INVITE_ONLY else "closed"
        raise ChatError(FORBIDDEN, f"Sign-up on this server is {why}.")
    return accounts.register_user(username, password)


def create_invite(
    actor: User | None,
    *,
    days: float | None = None,
    max_uses: int | None = None,
    room_slugs: tuple[str, ...] = (),
) -> Invite:
    """A new invitation link, expiring after ``days`` and good for ``max_uses`` sign-ups (None: no limit)."""
    people.require_admin(actor)
    if days is not None and not 0 < days <= LONGEST_INVITE_DAYS:
        raise ChatError(
            BAD_REQUEST, f"An invitation expires after more than 0 and at most {LONGEST_INVITE_DAYS} days."
        )
    if max_uses is not None and not 0 < max_uses <= MOST_INVITE_USES:
        raise ChatError(BAD_REQUEST, f"An invitation is good for 1-{MOST_INVITE_USES} sign-ups.")
    if len(set(room_slugs)) > MOST_INVITE_ROOMS:
        raise ChatError(BAD_REQUEST, f"An invitation adds to at most {MOST_INVITE_ROOMS} rooms.")
    chosen = [_invitable_room(actor, slug) for slug in dict.fromkeys(room_slugs)]
    now = utcnow()
    invite = Invite(
        code=secrets.token_urlsafe(24),
        created_by=actor.id if actor is not None else None,
        created_at=now,
        expires_at=now + timedelta(days=days) if days is not None else None,
        max_uses=max_uses,
        rooms=chosen,
    )
    db.session.add(invite)
    db.session.commit()
    return invite


def _invitable_room(actor: User | None, slug: str) -> Room:
    """A room an invitation may add people to: public, or private with the inviting admin in it."""
    room: Room | None = db.session.scalar(select(Room).where(Room.slug == slug))
    if room is None or room.kind == "direct" or (actor is not None and not room.admits(actor)):
        raise rooms.not_found(slug)
    return room


def invites(actor: User | None) -> list[Invite]:
    """The newest invitations, revoked and spent ones included."""
    people.require_admin(actor)
    return list(db.session.scalars(select(Invite).order_by(Invite.id.desc()).limit(INVITES_LISTED)))


def revoke_invite(actor: User | None, invite_id: int) -> Invite:
    """Revoke an invitation: its link stops working at once (people who joined stay)."""
    people.require_admin(actor)
    invite: Invite | None = db.session.get(Invite, invite_id)
    if invite is None:
        raise ChatError(NOT_FOUND, f"There is no invitation {invite_id}.")
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        db.session.commit()
    return invite


def is_usable(invite: Invite) -> bool:
    """Whether the invitation still admits someone."""
    expired = invite.expires_at is not None and aware_utc(invite.expires_at) <= utcnow()
    used_up = invite.max_uses is not None and invite.uses >= invite.max_uses
    return invite.revoked_at is None and not expired and not used_up


def usable_invite(code: str) -> Invite:
    """The invitation of ``code`` if it still admits someone, else ``not_found`` (one answer for all)."""
    invite: Invite | None = None
    if len(code) <= 64:
        invite = db.session.scalar(select(Invite).where(Invite.code == code))
    if invite is None or not is_usable(invite):
        raise ChatError(NOT_FOUND, NOT_VALID)
    return invite


def sign_up_invited(code: str, username: str, password: str) -> User:
    """Register through an invitation (unless sign-up is closed); the newcomer joins its rooms."""
    if signup_mode() == CLOSED:
        raise ChatError(FORBIDDEN, "Sign-up on this server is closed.")
    invite = usable_invite(code)
    _claim(invite)
    try:
        user = accounts.register_user(username, password)
    except ChatError:
        db.session.execute(
            update(Invite).where(Invite.id == invite.id).values(uses=Invite.uses - 1),
            execution_options=people.UNSYNCED,
        )
        db.session.commit()
        raise
    for room in invite.rooms:
        rooms.admit(room, user)
    return user


def _claim(invite: Invite) -> None:
    """Spend one use, atomically: two sign-ups racing for the last use cannot both have it."""
    now = utcnow()
    claimed = db.session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.revoked_at.is_(None),
            (Invite.max_uses.is_(None)) | (Invite.uses < Invite.max_uses),
            (Invite.expires_at.is_(None)) | (Invite.expires_at > now),
        )
        .values(uses=Invite.uses + 1),
        execution_options=people.UNSYNCED,
    )
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ChatError(NOT_FOUND, NOT_VALID)
