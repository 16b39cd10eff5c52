"""Login sessions kept on the server: a session cookie is good only while its row in ``logins`` exists.

The cookie carries a random token; the table keeps only its SHA-256, so a
copy of the table logs nobody in. Ending a session deletes its row (pages
refuse the cookie from the next request on, on every instance, since each
request checks the row) and closes its login channel, which disconnects the
sockets opened with it on every instance (``emit.login_ended``). Socket
events after the connect are not checked again: the connect was, and ending
the session ends the socket.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select

from chat.extensions import db
from chat.fanout import emit
from chat.models import Login, User

# Each login adds a row; past this many per person the oldest sessions end.
MAX_LOGINS_PER_USER = 50
TOKEN_BYTES = 32
LONGEST_TOKEN = 64


def token_hash(token: str) -> str:
    """What the table keeps of a session's token (and names its sockets' login channel)."""
    return hashlib.sha256(token.encode()).hexdigest()


def begin(user: User) -> str:
    """A new session for ``user``: its token, for the cookie."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(Login(user_id=user.id, token_hash=token_hash(token)))
    db.session.commit()
    oldest = list(
        db.session.scalars(
            select(Login.token_hash)
            .where(Login.user_id == user.id)
            .order_by(Login.id.desc())
            .offset(MAX_LOGINS_PER_USER)
        )
    )
    if oldest:
        _end_hashes(oldest)
    return token


def is_live(user_id: int, token: object) -> bool:
    """Whether ``token`` names a session of ``user_id`` that has not ended, on an enabled account."""
    if not isinstance(token, str) or len(token) > LONGEST_TOKEN:
        return False
    found = db.session.scalar(
        select(Login.id)
        .join(User, User.id == Login.user_id)
        .where(Login.token_hash == token_hash(token), Login.user_id == user_id, User.disabled_at.is_(None))
    )
    return found is not None


def end(token: object) -> None:
    """End one session (a logout): its cookie stops working and its sockets close, everywhere."""
    if isinstance(token, str) and len(token) <= LONGEST_TOKEN:
        _end_hashes([token_hash(token)])


def end_all(user_id: int, *, keep: object = None) -> int:
    """End every session of ``user_id`` but ``keep`` (a token, or None for all); how many ended."""
    query = select(Login.token_hash).where(Login.user_id == user_id)
    if isinstance(keep, str):
        query = query.where(Login.token_hash != token_hash(keep))
    hashes = list(db.session.scalars(query))
    _end_hashes(hashes)
    return len(hashes)


def count(user_id: int) -> int:
    """How many sessions of ``user_id`` are open."""
    return int(db.session.scalar(select(func.count(Login.id)).where(Login.user_id == user_id)) or 0)


def _end_hashes(hashes: list[str]) -> None:
    if not hashes:
        return
    db.session.execute(delete(Login).where(Login.token_hash.in_(hashes)))
    db.session.commit()  # before the sockets close: a reconnect must find the row gone
    for hashed in hashes:
        emit.login_ended(hashed)
