"""Per-process copies of users and rooms, so each socket event skips their SELECTs.

Every event loads its session's user, and every message its room. Little
of them changes once created: usernames never change and rooms are never
re-kinded (a room's name, topic and archive date, which admins change, are
expired on attach like ``last_seq``). But a person may change their display
name, and an operator may delete a room (``flask rooms delete``, in another
process), so both kinds of copy are loaded again when their ``max_age`` has
passed: a change shows, and a deleted room is gone, everywhere within it. A session never gets the shared copy itself, which would
tie one ORM instance to many greenlets' sessions, but its own instance of it
(``merge(load=False)`` attaches without a query). Columns that do change
(``rooms.last_seq``) are expired on attach, so reading them loads them fresh.

What this must never hold is an access decision: membership of private
rooms is still read from the database on every join, history read and
message, whether a session is live on every page and connect
(``sessions.is_live``), and whether someone is an admin on every admin
action (``people.is_admin``).
"""

from __future__ import annotations

import time
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

    def __init__(self, limit: int = MAX_COPIES, clock: Callable[[], float] = time.monotonic) -> None:
        self._copies: dict[Hashable, tuple[object, float]] = {}
        self._limit = limit
        self._clock = clock

    def attach(
        self,
        key: Hashable,
        load: Callable[[Session], Row | None],
        *,
        expire: tuple[str, ...] = (),
        max_age: float | None = None,
    ) -> Row | None:
        """This session's instance of the row ``load`` finds, loading it once per process (or per ``max_age`` s)."""
        copy, loaded_at = self._copies.get(key, (None, 0.0))
        now = self._clock()
        if copy is None or (max_age is not None and now - loaded_at >= max_age):
            with Session(db.engine, expire_on_commit=False) as private:
                found = load(private)
                if found is None:
                    self._copies.pop(key, None)
                    return None  # not cached: it may exist by the next call
                private.expunge(found)
            if len(self._copies) >= self._limit:
                self._copies.clear()
            self._copies[key] = (found, now)
            copy = found
        # The session may hold this row already (created or read earlier in this
        # event): hand that instance back rather than overwrite its state.
        present = db.session.identity_map.get(inspect(copy).key)
        if present is not None:
            return cast(Row, present)
        attached = db.session.merge(copy, load=False)
        if expire:
            db.session.expire(attached, list(expire))
        return cast(Row, attached)

    def forget(self, key: Hashable) -> None:
        """Drop the copy under ``key`` (its row was deleted here)."""
        self._copies.pop(key, None)


def snapshots() -> Snapshots:
    """The app's copies (one store per app, created with it)."""
    store: Snapshots = current_app.extensions[EXTENSION]
    return store
