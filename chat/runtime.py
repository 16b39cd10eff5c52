"""Which concurrency model this process runs under, SQLite tuning, and the production start-up check.

The app never calls gevent or eventlet itself: the server that starts it
(gunicorn's gevent worker, or ``python app.py``) patches the standard
library first, and here we only detect which one did so that Flask-SocketIO
uses the matching driver.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from chat.config import ConfigError
from chat.extensions import db

Result = TypeVar("Result")


def detect_async_mode() -> str:
    """``gevent`` or ``eventlet`` if one has patched ``socket``, else ``threading``."""
    gevent_monkey = sys.modules.get("gevent.monkey")
    if gevent_monkey is not None and gevent_monkey.is_module_patched("socket"):
        return "gevent"
    eventlet_patcher = sys.modules.get("eventlet.patcher")
    if eventlet_patcher is not None and eventlet_patcher.is_monkey_patched("socket"):
        return "eventlet"
    return "threading"


def off_loop(work: Callable[..., Result], *args: Any) -> Result:
    """``work(*args)`` on a thread of the async library's pool, so the event loop goes on meanwhile.

    For CPU-bound work that releases the GIL, such as password hashing: on the
    loop it would stall every socket of the process for its whole duration.
    Under gevent it runs on the hub's threadpool, under eventlet on ``tpool``;
    in threading mode (tests, ``flask`` commands) each request has its own
    thread already, and it is a plain call. The only place that knows the modes.
    """
    mode = detect_async_mode()
    if mode == "gevent":
        import gevent

        result: Result = gevent.get_hub().threadpool.apply(work, args)
        return result
    if mode == "eventlet":
        from eventlet import tpool

        returned: Result = tpool.execute(work, *args)
        return returned
    return work(*args)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer commits; the busy timeout makes
    # concurrent writers wait for the lock instead of failing at once.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives an app
        # crash, and only a power loss may lose the last commits. A commit no longer waits on fsync
        # (a blocking call under gevent: every socket of the process waits with it).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def require_database(app: Flask) -> None:
    """Refuse (``ConfigError``) a database that does not answer: production starts and migrations ask."""
    with app.app_context():
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise ConfigError(f"DATABASE_URL does not answer ({reason})") from exc
        finally:
            db.session.remove()
