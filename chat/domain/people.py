"""Running accounts: site administrators, disabling and enabling, password resets, and each
person's own settings (display name, password, logging out everywhere).

Every function that an admin may call takes the acting user first; ``None``
stands for the operator at the command line, who may do everything. Whether
the actor is an admin is read from the database each time, never from a
process's copy of the user.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update

from chat.domain import accounts, sessions
from chat.domain.errors import BAD_REQUEST, FORBIDDEN, NOT_FOUND, ChatError
from chat.domain.names import clean_display_name
from chat.extensions import db
from chat.models import PasswordReset, User, utcnow
from chat.models.time import aware_utc

RESET_LINK_HOURS = 24.0
LONGEST_RESET_HOURS = 24.0 * 30
ADMINS_ONLY = "Only site administrators may do that."
# Bulk UPDATEs leave loaded rows alone: evaluating their WHERE in Python would compare
# SQLite's naive datetimes with aware ones.
UNSYNCED = {"synchronize_session": False}


def is_admin(actor: User | None) -> bool:
    """Whether ``actor`` is an enabled site administrator now (``None``, the operator, always is)."""
    if actor is None:
        return True
    row = db.session.execute(select(User.is_admin, User.disabled_at).where(User.id == actor.id)).first()
    return row is not None and bool(row.is_admin) and row.disabled_at is None


def require_admin(actor: User | None) -> None:
    """Refuse anyone but a site administrator (or the operator)."""
    if not is_admin(actor):
        raise ChatError(FORBIDDEN, ADMINS_ONLY)


def everyone(limit: int | None = None) -> list[User]:
    """Every account but the system user's, by name (the first ``limit`` of them)."""
    query = (
        select(User)
        .where(func.lower(User.username) != accounts.SYSTEM_USERNAME)
        .order_by(func.lower(User.username))
        .limit(limit)
    )
    return list(db.session.scalars(query))


def set_disabled(actor: User | None, username: str, disabled: bool) -> User:
    """Disable (or enable again) an account: a disabled one cannot log in and its sessions end at once."""
    require_admin(actor)
    user = accounts.existing_user(username)
    if disabled and actor is not None and actor.id == user.id:
        raise ChatError(BAD_REQUEST, "You cannot disable your own account; ask another administrator.")
    user.disabled_at = utcnow() if disabled else None
    db.session.commit()
    accounts.forget_copy(user)
    if disabled:
        sessions.end_all(user.id)
    return user


def make_admin(actor: User | None, username: str) -> User:
    """Make ``username`` a site administrator too (idempotent)."""
    require_admin(actor)
    user = accounts.existing_user(username)
    user.is_admin = True
    db.session.commit()
    accounts.forget_copy(user)
    return user


def create_reset_link(actor: User | None, username: str, hours: float = RESET_LINK_HOURS) -> str:
    """A one-time token that lets ``username`` set a new password within ``hours``; earlier ones stop working."""
    require_admin(actor)
    if not 0 < hours <= LONGEST_RESET_HOURS:
        raise ChatError(
            BAD_REQUEST, f"A reset link lasts more than 0 and at most {LONGEST_RESET_HOURS:g} hours."
        )
    user = accounts.existing_user(username)
    if user.is_disabled:
        raise ChatError(BAD_REQUEST, f"{user.username}'s account is disabled; enable it first.")
    now = utcnow()
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now),
        execution_options=UNSYNCED,
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=sessions.token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    db.session.commit()
    return token


def reset_for(token: str) -> PasswordReset:
    """The unused, unexpired reset of ``token``, or ``not_found`` (one answer for every kind of bad link)."""
    reset: PasswordReset | None = None
    if len(token) <= sessions.LONGEST_TOKEN:
        reset = db.session.scalar(
            select(PasswordReset).where(PasswordReset.token_hash == sessions.token_hash(token))
        )
    if reset is None or reset.used_at is not None or aware_utc(reset.expires_at) <= utcnow():
        raise ChatError(
            NOT_FOUND, "This password reset link is not valid: it was used, has expired or never existed."
        )
    return reset


def reset_password(token: str, password: str) -> User:
    """Use a reset link: set the new password, end every session of the account, spend the link."""
    reset = reset_for(token)
    accounts.validate_password(password)
    user = db.session.get(User, reset.user_id)
    if user is None or user.is_disabled:
        raise ChatError(NOT_FOUND, "This password reset link is not valid.")
    spent = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow()),
        execution_options=UNSYNCED,
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]  # used at the same moment by another request
        db.session.rollback()
        raise ChatError(NOT_FOUND, "This password reset link was just used.")
    user.set_password(password)
    db.session.commit()
    sessions.end_all(user.id)
    return user


def change_password(user: User, current: str, new: str, *, keep: object = None) -> int:
    """Change ``user``'s password given the current one; every other session ends. How many ended."""
    if not user.check_password(current):
        raise ChatError(FORBIDDEN, "The current password is wrong.")
    accounts.validate_password(new)
    if new == current:
        raise ChatError(BAD_REQUEST, "The new password is the current one.")
    stored = db.session.get(User, user.id)
    if stored is None:
        raise ChatError(NOT_FOUND, "This account no longer exists.")
    stored.set_password(new)
    db.session.commit()
    return sessions.end_all(user.id, keep=keep)


def set_display_name(user: User, name: str) -> str | None:
    """Set (or clear, with a blank) ``user``'s display name, shown beside their username."""
    cleaned = clean_display_name(name)
    stored = db.session.get(User, user.id)
    if stored is None:
        raise ChatError(NOT_FOUND, "This account no longer exists.")
    stored.display_name = cleaned
    db.session.commit()
    accounts.forget_copy(stored)
    return cleaned


def display_names(usernames: list[str]) -> dict[str, str]:
    """The display names of those of ``usernames`` who set one."""
    if not usernames:
        return {}
    rows = db.session.execute(
        select(User.username, User.display_name).where(
            User.username.in_(usernames), User.display_name.is_not(None)
        )
    )
    return {username: display_name for username, display_name in rows if display_name}
