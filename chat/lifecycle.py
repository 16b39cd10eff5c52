"""Graceful shutdown: hand this process's sockets over to the other instances."""

from __future__ import annotations

import logging

from flask import Flask

from chat.extensions import socketio
from chat.realtime import Realtime

log = logging.getLogger("parley.lifecycle")


def drain(app: Flask) -> int:
    """Close every socket of this process at the transport level; return how many.

    Aborting the transport, the way a dropped connection looks, is what makes
    every client (JavaScript and Python alike) reconnect on its own: a
    Socket.IO or Engine.IO "close" would tell some clients to stay away. Through
    the load balancer they land on another instance and re-join with ``since``. A
    handler still writing finishes its transaction; if its ack is lost, the
    client's retry with the same client_id is answered as a duplicate.
    """
    live: Realtime = app.extensions["parley"]
    server = socketio.server
    sids = list(live.sockets)
    log.info("draining: asking %d sockets to reconnect elsewhere", len(sids))
    for sid in sids:
        eio_sid = server.manager.eio_sid_from_sid(sid, "/")
        # python-engineio has no public "abort" call; its Socket.close(abort=True) is it.
        transport = server.eio.sockets.pop(eio_sid, None) if eio_sid is not None else None
        if transport is not None:
            try:
                transport.close(wait=False, abort=True)
            except Exception:  # one broken socket must not stop the drain
                log.exception("could not close socket %s", sid)
    return len(sids)
