"""Graceful shutdown: hand this process's sockets over to the other instances."""

from __future__ import annotations

import logging

from flask import Flask

from chat import live
from chat.extensions import db, socketio
from chat.fanout import presence
from chat.internals import abort_transport

log = logging.getLogger("parley.lifecycle")

# Long enough for the aborted sockets' disconnect handlers to have run.
DISCONNECTS_SETTLE_SECONDS = 0.2


def drain(app: Flask) -> int:
    """Close every socket of this process at the transport level; return how many.

    Aborting the transport, the way a dropped connection looks, is what makes
    every client (JavaScript and Python alike) reconnect on its own: a
    Socket.IO or Engine.IO "close" would tell some clients to stay away. Through
    the load balancer they land on another instance and re-join with ``since``. A
    handler still writing finishes its transaction; if its ack is lost, the
    client's retry with the same client_id is answered as a duplicate.
    """
    sids = live.state(app).sockets.sids()
    log.info("draining: asking %d sockets to reconnect elsewhere", len(sids))
    for sid in sids:
        try:
            abort_transport(socketio.server, sid)
        except Exception:  # one broken socket must not stop the drain
            log.exception("could not close socket %s", sid)
    # The rooms hear of the people who went offline now, not at the end of a tick this process may not see.
    socketio.sleep(DISCONNECTS_SETTLE_SECONDS)
    presence.ticker(app).flush()
    return len(sids)


def release(app: Flask) -> None:
    """Close the database connections of a process that leaves without Python's teardown."""
    log.info("stopped: every connection is closed")
    with app.app_context():
        db.engine.dispose()
