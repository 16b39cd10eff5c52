"""Accounts: registering and authenticating users."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from chat.domain.errors import BAD_REQUEST, CONFLICT, NOT_FOUND, ChatError
from chat.domain.names import username_skeleton
from chat.domain.snapshots import snapshots
from chat.extensions import db
from chat.models import User
from chat.models.users import check_against_decoy

USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,32}")  # used with fullmatch: "$" would admit a trailing newline
# Announcements from the command line are posted by this account; nobody can log in as it.
SYSTEM_USERNAME = "parley"
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256
# zxcvbn's own limit; every password on its lists is far shorter.
LONGEST_CHECKED_PASSWORD = 72
# What zxcvbn calls a password that is one of these as a whole: on its list of common
# passwords (also reversed, capitalised or in l33t), a run like "aaaaaaaa", or a sequence like "12345678".
COMMON_PATTERNS = ("repeat", "sequence")
# How long a process keeps its copy of a user before loading it again (display names).
USER_COPY_SECONDS = 10.0


def validate_username(username: str) -> str:
    """Return ``username`` if it follows the contract's rule, else refuse it."""
    if not USERNAME_RE.fullmatch(username):
        raise ChatError(BAD_REQUEST, "Usernames are 1-32 characters of letters, digits, '_', '.' and '-'.")
    return username


def validate_password(password: str) -> str:
    """Return ``password`` if its length is within the limits and it is not a common one, else refuse it."""
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise ChatError(
            BAD_REQUEST, f"Passwords are {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters long."
        )
    if is_common_password(password):
        raise ChatError(
            BAD_REQUEST, "That password is on the lists attackers try first; choose a less common one."
        )
    return password


def is_common_password(password: str) -> bool:
    """Whether ``password`` as a whole is a common password, a repeated run or a plain sequence."""
    if len(password) > LONGEST_CHECKED_PASSWORD:
        return False
    matches = zxcvbn(password)["sequence"]
    if len(matches) != 1:
        return False
    (match,) = matches
    return bool(match.get("dictionary_name") == "passwords" or match["pattern"] in COMMON_PATTERNS)


def register_user(username: str, password: str, *, admin: bool = False) -> User:
    """Create a user with a hashed password; refuse a name taken in any case, or one that looks like it.

    The site's first account (the system user aside) is its administrator, as is one made with ``admin``.
    """
    validate_username(username)
    validate_password(password)
    if username.lower() == SYSTEM_USERNAME or User.by_username(username) is not None:
        raise ChatError(CONFLICT, f"The username {username!r} is taken.")
    skeleton = username_skeleton(username)
    if skeleton == username_skeleton(SYSTEM_USERNAME) or User.by_skeleton(skeleton) is not None:
        raise ChatError(
            CONFLICT, f"The username {username!r} looks too much like someone else's; choose another."
        )
    user = User(username=username, skeleton=skeleton, is_admin=admin or not anyone_registered())
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:  # lost a race with another registration of the same name
        db.session.rollback()
        raise ChatError(CONFLICT, f"The username {username!r} is taken.") from exc
    return user


def anyone_registered() -> bool:
    """Whether any account exists but the system user's."""
    someone = select(User.id).where(func.lower(User.username) != SYSTEM_USERNAME).limit(1)
    return db.session.scalar(someone) is not None


def existing_user(username: str) -> User:
    """The user called ``username`` (any case), or ``not_found``."""
    user = User.by_username(username)
    if user is None or user.username == SYSTEM_USERNAME:
        raise ChatError(NOT_FOUND, f"There is no user {username!r}.")
    return user


def load_user(user_id: str) -> User | None:
    """The user of a session's id (Flask-Login's loader): from the process's copy, not a SELECT.

    Every socket event loads its user, so this is on the hot path. The copy is
    loaded again every ``USER_COPY_SECONDS``, so a display name changed on
    another instance shows here within that; whether the session is still
    good, and whether the person is an admin, is read from the database
    (``sessions.is_live``, ``people.require_admin``).
    """
    if not user_id.isdigit():
        return None
    key = int(user_id)
    return snapshots().attach(
        ("user", key), lambda session: session.get(User, key), max_age=USER_COPY_SECONDS
    )


def forget_copy(user: User) -> None:
    """This process's copy of ``user`` is out of date (they changed); others reload theirs in time."""
    snapshots().forget(("user", user.id))


def authenticate(username: str, password: str) -> User | None:
    """The user with these credentials, or None.

    An unknown (or impossible) username costs a password check all the same,
    so that how long the answer takes says nothing about which names exist.
    """
    user = User.by_username(username) if USERNAME_RE.fullmatch(username) else None
    if user is None:
        check_against_decoy(password)
        return None
    return user if user.check_password(password) else None


def system_user() -> User:
    """The account that posts announcements, created on first use with no usable password."""
    user = User.by_username(SYSTEM_USERNAME)
    if user is not None:
        return user
    user = User(username=SYSTEM_USERNAME, password_hash="!", skeleton=username_skeleton(SYSTEM_USERNAME))  # noqa: S106 - "!" is no hash: it never matches
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        found = User.by_username(SYSTEM_USERNAME)
        if found is None:
            raise
        return found
    return user
