"""People with accounts."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, Index, String, false, func, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from chat.extensions import db
from chat.models.time import utcnow
from chat.runtime import off_loop

# A hash of nothing anyone knows, made on first use with the same method as real ones: checking
# a password against it costs what checking a real account's does.
_decoy: list[str] = []


def check_against_decoy(password: str) -> bool:
    """Spend the time of a password check for an account that does not exist; always False."""
    if not _decoy:
        _decoy.append(off_loop(generate_password_hash, "decoy: no account has this password"))
    off_loop(check_password_hash, _decoy[0], password)
    return False


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A person with an account; usernames are unique regardless of case."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    # The name's UTS #39 skeleton (chat.domain.names): two names with one skeleton look alike.
    skeleton: Mapped[str | None] = mapped_column(String(128), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A site administrator: manages accounts, invitations and who may sign up.
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Shown beside the username where names appear; the username stays the identity.
    display_name: Mapped[str | None] = mapped_column(String(64), default=None)
    # When an admin disabled the account (None: enabled): no login, no session; messages stay.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    @property
    def is_disabled(self) -> bool:
        """Whether an admin disabled this account."""
        return self.disabled_at is not None

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (werkzeug's default method), computed off the event loop."""
        self.password_hash = off_loop(generate_password_hash, password)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches, checked off the event loop; always False for accounts that cannot log in."""
        if not self.password_hash.startswith(("scrypt:", "pbkdf2:")):
            return check_against_decoy(password)  # an account that cannot log in (the system user)
        return bool(off_loop(check_password_hash, self.password_hash, password))

    @classmethod
    def by_username(cls, username: str) -> User | None:
        """The user whose name matches ``username`` case-insensitively."""
        if "\x00" in username:  # no stored name has one, and PostgreSQL refuses it in a query
            return None
        return db.session.scalar(select(cls).where(func.lower(cls.username) == username.lower()))

    @classmethod
    def by_skeleton(cls, skeleton: str) -> User | None:
        """A user whose name has this UTS #39 skeleton (looks like a name with it), if any."""
        return db.session.scalar(select(cls).where(cls.skeleton == skeleton).limit(1))

    def __repr__(self) -> str:
        return f"<User {self.username}>"


# Usernames are unique regardless of case: "Ada" and "ada" are one person.
Index("uq_users_username_lower", func.lower(User.username), unique=True)
