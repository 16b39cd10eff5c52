"""Per-process copies of users and rooms, so each socket event skips their SELECTs.

Every event loads its session's user, and every message its room. Neither
changes once created: users are never renamed or deleted; rooms are never
renamed, re-kinded or deleted. So a copy loaded once stays right for the life
of the process. A session never gets the shared copy itself, which would
tie one ORM instance to many greenlets' sessions, but its own instance of it
(``merge(load=False)`` attaches without a query). Columns that do change
(``rooms.last_seq``) are expired on attach, so reading them loads them fresh.

What this must never hold is an access decision: membership of private
rooms is still read from the database on every join, history read and
message.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from flask import Flask, current_app
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from chat.extensions import db

Row = TypeVar("Row")

# Enough for every user and room a busy instance sees; past it the copies are
# dropped and reloaded, which costs one SELECT each.
MAX_COPIES = 20_000
EXTENSION = "parley.snapshots"


class Snapshots:
    """Detached copies by key, loaded on first use in a session of their own."""

    @classmethod
    def init_app(cls, app: Flask) -> None:
        """Give ``app`` a store of its own (tests build many apps in one process)."""
        app.extensions[EXTENSION] = cls()

    def __init__(self, limit: int = MAX_COPIES) -> None:
        self._copies: dict[Hashable, object] = {}
        self._limit = limit

    def attach(
        self, key: Hashable, load: Callable[[Session], Row | None], *, expire: tuple[str, ...] = ()
    ) -> Row | None:
        """This session's instance of the row ``load`` finds, loading it only once per process."""
        copy = self._copies.get(key)
        if copy is None:
            with Session(db.engine, expire_on_commit=False) as private:
                found = load(private)
                if found is None:
                    return None  # not cached: it may exist by the next call
                private.expunge(found)
            if len(self._copies) >= self._limit:
                self._copies.clear()
            copy = self._copies[key] = found
        # The session may hold this row already (created or read earlier in this
        # event): hand that instance back rather than overwrite its state.
        present = db.session.identity_map.get(inspect(copy).key)
        if present is not None:
            return cast(Row, present)
        attached = db.session.merge(copy, load=False)
        if expire:
            db.session.expire(attached, list(expire))
        return cast(Row, attached)


def snapshots() -> Snapshots:
    """The app's copies (one store per app, created with it)."""
    store: Snapshots = current_app.extensions[EXTENSION]
    return store
